"""A child process that shows a mesh in a real viewer window at the scale set by the
environment (QT_SCALE_FACTOR must be set before the QApplication exists, so it cannot change
inside one test process), and reports where the model's pixels fall.

Usage: python -m tests.scale_child MESH [SCREENSHOT_PREFIX]. Prints one JSON line:
{"dpr", "window": measure of the on-screen view's still (smoothed) frame, "picks": whether
clicks at its centroid and at a corner point at the model, "offscreen": measure of an
off-screen picture}; each measure is {"size", "covered", "centroid", "box"}, as fractions of
the frame.
"""

from __future__ import annotations

import json
import sys

import numpy as np
from PySide6.QtCore import QElapsedTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from aiml3d_desktop.core.meshes import mesh
from aiml3d_desktop.gui.qt_setup import create_app

VIEW = (483, 361)  # logical pixels; odd, so that 1.25x and 1.5x round. At 2x it fits the screen
OFFSCREEN = (320, 240)  # pixels asked of the off-screen renderer


def measure(image: QImage, background: tuple[int, int, int]) -> dict:
    """The share of the frame that is not background, its centroid and box, as fractions."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = rgb.width(), rgb.height()
    rows = np.frombuffer(rgb.constBits(), np.uint8).reshape(height, rgb.bytesPerLine())
    pixels = rows[:, : width * 3].reshape(height, width, 3).astype(int)
    model = np.abs(pixels - background).sum(axis=2) > 30
    ys, xs = np.nonzero(model)
    if not len(xs):
        return {"size": [width, height], "covered": 0.0, "centroid": None, "box": None}
    return {
        "size": [width, height],
        "covered": float(model.mean()),
        "centroid": [float(xs.mean() + 0.5) / width, float(ys.mean() + 0.5) / height],
        "box": [
            float(xs.min()) / width,
            float(ys.min()) / height,
            float(xs.max() + 1) / width,
            float(ys.max() + 1) / height,
        ],
    }


def hits_box(ray: tuple[np.ndarray, np.ndarray], bounds: np.ndarray) -> bool:
    """Whether the ray (origin, direction) passes through the box (low, high corners)."""
    origin, direction = ray
    with np.errstate(divide="ignore", invalid="ignore"):
        ends = (bounds - origin) / direction
    near, far = np.nanmax(ends.min(axis=0)), np.nanmin(ends.max(axis=0))
    return bool(near <= far and far >= 0)


def picks(viewer, centroid: list[float]) -> list[bool]:
    """Whether a click (in the widget's logical pixels) at the model's centroid, and at a
    corner, points at the model's box."""
    width, height = viewer.width(), viewer.height()
    bounds = viewer.scene.bounds
    return [
        hits_box(viewer.ray_at(centroid[0] * width, centroid[1] * height), bounds),
        hits_box(viewer.ray_at(3, 3), bounds),
    ]


def wait(app: QApplication, condition, ms: int = 20000) -> None:
    clock = QElapsedTimer()
    clock.start()
    while not condition():
        if clock.elapsed() > ms:
            raise SystemExit("timed out")
        app.processEvents()


def main() -> None:
    from aiml3d_desktop.gui.widgets.offscreen import OffscreenRenderer
    from aiml3d_desktop.gui.widgets.viewer import Viewer

    app = create_app()
    scene = mesh.load(sys.argv[1]).scene.prepare()
    scene.smooth_normals()
    viewer = Viewer()
    viewer.triad = False  # only the model differs from the background
    for hide in (viewer.set_grid_visible, viewer.set_axes_visible, viewer.set_shadow_visible):
        hide(False)
    viewer.resize(*VIEW)
    viewer.show()
    viewer.show_scene(scene)
    swapped: list[int] = []
    viewer.frameSwapped.connect(lambda: swapped.append(1))
    wait(app, lambda: swapped and not viewer._still.isActive())
    assert viewer._fxaa is not None  # software OpenGL: the still frame is smoothed
    background = viewer.background()
    colour = (background.red(), background.green(), background.blue())
    frame = viewer.grabFramebuffer()
    window = measure(frame, colour)
    renderer = OffscreenRenderer()
    for hide in (
        renderer.viewer.set_grid_visible,
        renderer.viewer.set_axes_visible,
        renderer.viewer.set_shadow_visible,
    ):
        hide(False)
    (picture,) = renderer.render(scene, ("home",), OFFSCREEN, "y", background)
    if len(sys.argv) > 2:
        frame.save(sys.argv[2] + "-window.png")
        viewer.grab().save(sys.argv[2] + "-widget.png")
        picture.save(sys.argv[2] + "-offscreen.png")
    print(
        json.dumps(
            {
                "dpr": viewer.devicePixelRatioF(),
                "window": window,
                "picks": picks(viewer, window["centroid"]),
                "offscreen": measure(picture, colour),
            }
        ),
        flush=True,
    )
    renderer.close()
    viewer.release_gl()


if __name__ == "__main__":
    main()

"""Pictures of a model drawn off screen with the viewer's own renderer, for ``aiml3d render``
(scripts, docs, tests). It needs what the viewer needs: an OpenGL display (on a server,
run it under xvfb-run)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, overload

import numpy as np

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.look.lighting import Lighting
from aiml3d_desktop.core.meshes.scene import Scene

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

    from aiml3d_desktop.gui.widgets.offscreen import OffscreenRenderer


def render_file(
    scene: Scene,
    out: Path,
    view: str,
    size: tuple[int, int],
    mode: str,
    background: tuple[int, int, int],
    grid: bool,
    up_axis: str = "y",
    lighting: Lighting | None = None,
    channel: str | None = None,
) -> Path:
    """Draw ``scene`` and write it to ``out`` (PNG), whole or not at all. ``lighting``
    (core/look/lighting.py) is checked and prefiltered before the model is read onto the GPU;
    its background "transparent" gives a PNG with alpha 0 where nothing is drawn."""
    from PySide6.QtGui import QColor

    from aiml3d_desktop.core.common.fileio import atomic_path

    light = lighting or Lighting()
    light.environment()  # a bad HDR file is refused before anything is drawn
    transparent = light.background == "transparent"
    with _renderer("render", scene, mode, grid) as renderer:
        renderer.viewer.set_lighting(light)
        renderer.viewer.set_channel(channel)
        (image,) = renderer.render(
            scene, (view,), size, up_axis, QColor(*background), transparent=transparent
        )
    with atomic_path(out) as tmp:
        if not image.save(str(tmp), "PNG"):  # type: ignore[call-overload]  # PySide6's stubs
            raise InputError(f"Could not write {out}", hint="Check the folder and free space.")
    return out


def render_pngs(scene: Scene, views: tuple[str, ...], size: int = 768) -> dict[str, bytes]:
    """``scene`` from each of ``views`` as PNGs, in the studio shading (Compare with the
    photo, on the command line)."""
    from aiml3d_desktop.gui.widgets.offscreen import render_pngs as drawn

    with _renderer("compare", scene, "studio", False) as renderer:
        return drawn(renderer, scene, views, size)


def turntable_file(
    scene: Scene,
    out: Path,
    frames: int,
    size: tuple[int, int],
    fps: int,
    up_axis: str = "y",
    background: tuple[int, int, int] = (46, 50, 58),
) -> Path:
    """A turntable of ``scene`` in the studio shading, written to ``out`` (see
    core/look/turntable.py for the formats)."""
    from PySide6.QtGui import QColor

    from aiml3d_desktop.core.look.turntable import write_animation

    with _renderer("turntable", scene, "studio", grid=False) as renderer:
        renderer.start_turntable(scene, size, up_axis, QColor(*background))
        try:
            # Drawn as the encoder asks: never every frame in memory at once.
            return write_animation(_Turn(renderer, frames), out, fps)
        finally:
            renderer.finish_turntable()


class _Turn(Sequence[np.ndarray]):
    """The frames of a turntable, each drawn when asked for (see core/look/turntable.py)."""

    def __init__(self, renderer: OffscreenRenderer, frames: int) -> None:
        self.renderer, self.frames = renderer, frames

    def __len__(self) -> int:
        return self.frames

    @overload
    def __getitem__(self, k: int) -> np.ndarray: ...
    @overload
    def __getitem__(self, k: slice) -> Sequence[np.ndarray]: ...
    def __getitem__(self, k: int | slice) -> np.ndarray | Sequence[np.ndarray]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(self.frames))]
        if not -self.frames <= k < self.frames:
            raise IndexError(k)
        return rgb_array(self.renderer.turntable_frame((k % self.frames) / self.frames))


@contextlib.contextmanager
def _renderer(command: str, scene: Scene, mode: str, grid: bool) -> Iterator[OffscreenRenderer]:
    """An off-screen viewer for ``command``, ready to draw ``scene``; closed afterwards."""
    _check_display(command)
    from aiml3d_desktop.gui import qt_setup
    from aiml3d_desktop.gui.widgets.offscreen import OffscreenRenderer

    qt_setup.create_app()
    scene.prepare()
    scene.smooth_normals()
    renderer = OffscreenRenderer()
    try:
        renderer.viewer.set_shading(mode)
        renderer.viewer.set_grid_visible(grid)
        renderer.viewer.set_axes_visible(grid)
        renderer.viewer.set_shadow_visible(True)
        yield renderer
    finally:
        renderer.close()


def _check_display(command: str) -> None:
    """Qt aborts the process when it finds no display: say so first, in words."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM", "").startswith(("xcb", "wayland", "eglfs"))
    ):
        raise InputError(
            f"aiml3d {command} draws with OpenGL and needs a display, and there is none",
            hint=f"On a server, run it under Xvfb: xvfb-run -a aiml3d {command} ...",
        )


def rgb_array(image: QImage) -> np.ndarray:
    """A QImage as an (H, W, 3) uint8 array."""
    from PySide6.QtGui import QImage

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    rows = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=stride * height)
    return rows.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()

"""Child of bench_scene.py: a viewer on screen showing a composed scene (or one mesh file),
from process start; prints FIRST_FRAME when it is drawn, ORBIT with the steady orbit frame
time, then PEAK with the process's peak memory (MB).

    python _child_scene.py scene|mesh PATH
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent

from aiml3d_desktop.gui.qt_setup import create_app


class Dragging:
    """What the window's SceneController does for a drag (gui/scene_controller.py): the
    chosen moved over the ground as one change, the scene drawn again with its meshes kept."""

    def __init__(self, viewer, composition, models, outlines) -> None:
        from aiml3d_desktop.core.composition import assemble, drag

        self.viewer, self.composition, self.outlines = viewer, composition, outlines
        self.chosen = [composition.doc.placements[0].id]
        self.moving = None
        self._drag = drag
        composition.listen(
            lambda doc: viewer.show_scene(assemble.drawable(doc, models, like=viewer.scene), False)
        )

    def grab(self, origin, direction) -> bool:
        start = self._drag.grabbed(self.composition, self.chosen, self.outlines, origin, direction)
        if start is not None:
            self.moving = self._drag.GroundDrag(self.composition, self.chosen, start)
        return start is not None

    def drag(self, origin, direction) -> None:
        self.moving.to(origin, direction)

    def drop(self) -> None:
        self.moving.end()


def mouse(viewer, kind, x: float, y: float) -> None:
    left = Qt.MouseButton.LeftButton
    point = QPointF(x, y)
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else left
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else left
    event = QMouseEvent(
        kind, point, viewer.mapToGlobal(point), button, buttons, Qt.KeyboardModifier.NoModifier
    )
    viewer.event(event)


def main() -> None:
    mode, path = sys.argv[1], Path(sys.argv[2])
    app = create_app()
    from aiml3d_desktop.core.composition import assemble, document
    from aiml3d_desktop.core.meshes import mesh
    from aiml3d_desktop.gui.widgets.viewer import Viewer

    viewer = Viewer()
    viewer.resize(1280, 800)
    viewer.show()
    dragging = None
    if mode == "scene":
        from aiml3d_desktop.core.composition.history import Composition

        doc = document.load(path)
        models = assemble.read_models(doc, path.parent)
        scene = assemble.drawable(doc, models)
        dragging = Dragging(viewer, Composition(doc), models, {})  # outlines: after the frame
        viewer.dragger = dragging
    else:
        scene = mesh.load(path).scene
    scene.prepare()
    scene.smooth_normals()
    viewer.show_scene(scene)

    def on_frame() -> None:
        if viewer.item.drawn and not viewer.item.plain_frame:
            viewer.frameSwapped.disconnect(on_frame)
            print("FIRST_FRAME", flush=True)
            QTimer.singleShot(0, orbit)

    def orbit() -> None:
        times = []
        for _ in range(12):
            start = time.perf_counter()
            viewer.orbit(3, 0)
            viewer.grabFramebuffer()  # the frame drawn to completion
            times.append(time.perf_counter() - start)
        times.sort()
        print(f"ORBIT {times[len(times) // 2]:.4f}", flush=True)
        if dragging is not None:
            drag()
        peak()

    def drag() -> None:
        """A mouse drag of the first model: each move, from its event to the frame on the
        screen drawn to completion."""
        from aiml3d_desktop.core.composition import arrange

        dragging.outlines.update({key: m.outline for key, m in models.items()})
        placement = dragging.composition.doc.placements[0]
        low, high = arrange.world_box(placement, dragging.outlines[placement.source.key])
        x, y = on_screen(viewer, (low + high) / 2)
        mouse(viewer, QEvent.Type.MouseButtonPress, x, y)
        times = []
        for step in range(1, 13):
            start = time.perf_counter()
            mouse(viewer, QEvent.Type.MouseMove, x + 4 * step, y)
            viewer.grabFramebuffer()
            times.append(time.perf_counter() - start)
        mouse(viewer, QEvent.Type.MouseButtonRelease, x + 48, y)
        moved = dragging.composition.doc.placements[0].position != placement.position
        times.sort()
        print(f"DRAG {times[len(times) // 2]:.4f} {'moved' if moved else 'STILL'}", flush=True)

    def peak() -> None:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                print(f"PEAK {int(line.split()[1]) / 1024:.0f}", flush=True)
        app.quit()

    viewer.frameSwapped.connect(on_frame)
    app.exec()


def on_screen(viewer, point) -> tuple[float, float]:
    from PySide6.QtGui import QVector4D

    w, h = viewer.width(), viewer.height()
    whole = (0, 0, w, h)
    matrix = viewer.projectionMatrix(whole, whole) * viewer.viewMatrix() * viewer.item.transform()
    clip = matrix.map(QVector4D(*map(float, point), 1.0))
    return (clip.x() / clip.w() + 1) / 2 * w, (1 - clip.y() / clip.w()) / 2 * h


if __name__ == "__main__":
    main()

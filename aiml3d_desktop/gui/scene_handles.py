"""The chosen models of a composed scene, in the view: their boxes outlined, and the handles
on them (core/composition/handles.py) drawn over everything; the mouse in the view goes
through here (viewer.Dragger). A press on a handle drags it (move along, turn about or scale
from an axis); a press on a chosen model's box slides the chosen over the ground
(core/composition/drag.py); anywhere else the view orbits. The handle under the mouse
lights up before it is pressed. Core's composition modules are imported on first use, not
with the window."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np
from PySide6.QtCore import QObject, Slot

from aiml3d_desktop.gui.opengl_lean import GL
from aiml3d_desktop.gui.pyqtgraph_lean import gl
from aiml3d_desktop.gui.widgets.floor_item import AXIS_COLOURS

if TYPE_CHECKING:
    from pyqtgraph.opengl import GLLinePlotItem

    from aiml3d_desktop.core.composition.drag import GroundDrag
    from aiml3d_desktop.core.composition.handles import Handle, HandleDrag
    from aiml3d_desktop.core.composition.history import Composition
    from aiml3d_desktop.gui.widgets.viewer import Viewer

CHOSEN_COLOUR = (1.0, 0.78, 0.2, 1.0)  # the outline of the chosen placements' boxes
LIT_COLOUR = (1.0, 0.92, 0.35, 1.0)  # the handle under the mouse, or dragged
HANDLE_WIDTH = 2.5  # pixels at 1x
# Over everything: a handle behind a model is still there to be taken.
ON_TOP = {
    GL.GL_DEPTH_TEST: False,
    GL.GL_BLEND: True,
    "glBlendFunc": (GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA),
}


class Owner(Protocol):
    """What the handles work on: the scene controller."""

    chosen: list[str]
    outlines: dict[str, np.ndarray]

    @property
    def composition(self) -> Composition | None: ...
    def snapping(self) -> tuple[float, float]: ...  # the drag grid (m), the turn step (°)


class SceneHandles(QObject):
    def __init__(self, owner: Owner, viewer: Viewer) -> None:
        super().__init__(viewer)
        self.owner, self.viewer = owner, viewer
        self.boxes: GLLinePlotItem | None = None
        self.gizmo: GLLinePlotItem | None = None
        self.centre: np.ndarray | None = None  # where the handles stand, when they do
        self.lit: Handle | None = None
        self._drag: GroundDrag | HandleDrag | None = None
        viewer.camera_moved.connect(self._camera_moved)

    def attach(self, on: bool) -> None:
        """Take the view's mouse (a scene shown) or give it back."""
        self.viewer.dragger = self if on else None
        self.viewer.setMouseTracking(on)  # for the handle under the mouse
        self.refresh()

    # Drawing

    def refresh(self) -> None:
        """The boxes and handles, as the chosen now are."""
        self._drop_items()
        composition, owner = self.owner.composition, self.owner
        self.centre = None
        if composition is None or not owner.chosen:
            return
        from aiml3d_desktop.core.composition import arrange, handles

        doc = composition.doc
        segments = [
            handles.box_edges(*arrange.world_box(p, owner.outlines[p.source.key])).reshape(-1, 3)
            for p in doc.placements
            if p.id in owner.chosen and doc.shown(p) and p.source.key in owner.outlines
        ]
        if segments:
            self.boxes = self._add_lines(np.concatenate(segments), CHOSEN_COLOUR, 2.0)
        if isinstance(self._drag, handles.HandleDrag) and self._drag.handle.kind != "move":
            self.centre = self._drag.centre  # a turn or scale holds still where it began
        else:
            self.centre = handles.pivot(composition, owner.chosen, owner.outlines)
        self._draw_handles()

    @Slot()
    def _camera_moved(self) -> None:
        if self.centre is not None:
            self._draw_handles()  # the same size on screen, and the edge-on ones left out

    def _draw_handles(self) -> None:
        from aiml3d_desktop.core.composition import handles

        if self.gizmo is not None:
            self.viewer.removeItem(self.gizmo)
            self.gizmo = None
        if self.centre is None:
            return
        looking = self._looking()
        points, colours = [], []
        for handle, segs in handles.segments(self.centre, self.size()).items():
            if not handles.usable(handle, looking):
                continue
            colour = LIT_COLOUR if handle == self.lit else (*AXIS_COLOURS["xyz"[handle.axis]], 1.0)
            points.append(segs.reshape(-1, 3))
            colours.append(np.tile(colour, (len(segs) * 2, 1)))
        if points:
            self.gizmo = self._add_lines(
                np.concatenate(points), np.concatenate(colours), HANDLE_WIDTH
            )
            self.gizmo.setGLOptions(ON_TOP)
            self.gizmo.setDepthValue(1000)  # drawn last

    def size(self) -> float:
        from aiml3d_desktop.core.composition import handles

        assert self.centre is not None
        viewer = self.viewer
        if viewer.orthographic:  # as wide as the perspective view at the camera's centre
            return handles.SIZE * float(viewer.opts["distance"])
        return handles.size_for(self.centre, viewer.eye())

    def _looking(self) -> np.ndarray:
        """Which way the handles are seen, as pick() sees them: from the eye, or in a
        parallel view the view's own direction (every ray's)."""
        assert self.centre is not None
        if self.viewer.orthographic:
            return self.viewer.ray_at(self.viewer.width() / 2, self.viewer.height() / 2)[1]
        return self.centre - self.viewer.eye()

    def _add_lines(self, points: np.ndarray, colour: object, width: float) -> GLLinePlotItem:
        """Lines in the view, ``width`` pixels wide at 1x."""
        width *= self.viewer.devicePixelRatioF()  # GL counts device pixels
        item = gl.GLLinePlotItem(pos=points, mode="lines", color=colour, width=width)
        item.setTransform(self.viewer.item.transform())  # the view's up axis, as the model's
        self.viewer.addItem(item)
        return item

    def _drop_items(self) -> None:
        for item in (self.boxes, self.gizmo):
            if item is not None:
                self.viewer.removeItem(item)
        self.boxes = self.gizmo = None

    # The mouse (viewer.Dragger)

    def _handle_at(self, origin: np.ndarray, direction: np.ndarray) -> Handle | None:
        from aiml3d_desktop.core.composition import handles

        if self.centre is None:
            return None
        return handles.pick(self.centre, self.size(), origin, direction)

    def hover(self, origin: np.ndarray, direction: np.ndarray) -> None:
        lit = self._handle_at(origin, direction)
        if lit != self.lit:
            self.lit = lit
            self._draw_handles()

    def grab(self, origin: np.ndarray, direction: np.ndarray) -> bool:
        """A press in the view: on a handle, or on a chosen model's box, it begins a drag."""
        from aiml3d_desktop.core.composition import drag, handles

        composition, owner = self.owner.composition, self.owner
        if composition is None or not owner.chosen:
            return False
        grid, angle = owner.snapping()
        handle = self._handle_at(origin, direction)
        if handle is not None and self.centre is not None:
            self.lit = handle
            self._drag = handles.HandleDrag(
                composition, owner.chosen, handle, self.centre, origin, direction, grid, angle
            )
            return True
        start = drag.grabbed(composition, owner.chosen, owner.outlines, origin, direction)
        if start is None:
            return False
        self._drag = drag.GroundDrag(composition, owner.chosen, start, grid)
        return True

    def drag(self, origin: np.ndarray, direction: np.ndarray) -> None:
        if self._drag is not None:
            self._drag.to(origin, direction)

    def drop(self) -> None:
        if self._drag is not None:
            self._drag.end()
            self._drag = None
            self.refresh()  # the handles back on the centre of the boxes

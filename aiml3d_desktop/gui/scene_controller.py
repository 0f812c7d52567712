"""Composed scenes in the window (core/composition): a scene.json opened (a drop, File >
Open, ``aiml3d view desk.json``) is read on a worker, each model once, and shown in the
viewer in place of any model, framed from the home view; the Scene tab (widgets/
scene_panel.py) lists its placements and edits them through the scene's history, so that
every edit can be undone; Save writes scene.json back. The chosen placements are outlined
by their boxes in the view."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QGuiApplication

from aiml3d_desktop.core.common.errors import Aiml3DError, InputError
from aiml3d_desktop.core.session import SCENE
from aiml3d_desktop.gui import tasks
from aiml3d_desktop.gui.widgets.scene_panel import ScenePanel

if TYPE_CHECKING:
    from pyqtgraph.opengl import GLLinePlotItem
    from PySide6.QtWidgets import QDockWidget

    from aiml3d_desktop.core.composition.assemble import Models
    from aiml3d_desktop.core.composition.document import SceneDoc
    from aiml3d_desktop.core.composition.history import Composition, Outlines
    from aiml3d_desktop.gui.context import Context

CHOSEN_COLOUR = (1.0, 0.78, 0.2, 1.0)  # the outline of the chosen placements' boxes


class SceneController(QObject):
    def __init__(self, context: Context) -> None:
        super().__init__(context.parent)
        self.context = context
        self.panel = ScenePanel()
        self.dock: QDockWidget | None = None
        self.composition: Composition | None = None
        self.path: Path | None = None
        self.models: Models = {}
        self.outlines: Outlines = {}
        self.chosen: list[str] = []
        self._boxes: GLLinePlotItem | None = None  # the GL item outlining the chosen
        self._click: tuple[SceneDoc | None, bool] = (None, False)  # a click's scene, Shift
        panel = self.panel
        panel.chosen.connect(self._choose)
        panel.shown.connect(lambda pid, on: self._edit(lambda c: c.set_visible([pid], on)))
        panel.renamed.connect(self._rename)
        panel.undo.connect(lambda: self._edit(lambda c: c.undo()))
        panel.redo.connect(lambda: self._edit(lambda c: c.redo()))
        panel.duplicate.connect(self._duplicate)
        panel.delete.connect(lambda: self._edit(lambda c: c.remove(self.chosen)))
        panel.arrange.connect(
            lambda how, gap: self._edit(
                lambda c: c.arrange(self._targets(), how, gap, self.outlines)
            )
        )
        panel.rest.connect(
            lambda: self._edit(lambda c: c.rest_on_ground(self._targets(), self.outlines))
        )
        panel.save.connect(self.save)
        context.viewer.clicked.connect(self._clicked)
        context.session.listen(SCENE, self._scene_changed)

    def attach(self, dock: QDockWidget) -> None:
        self.dock = dock

    def open(self, path: str) -> None:
        self.context.runner.start(
            tasks.open_scene, path, self.context.session, succeeded=self._opened
        )

    @Slot(object)
    def _opened(self, opened: tasks.OpenedScene) -> None:
        context = self.context
        context.viewer.show_scene(opened.scene, view="home")
        # The session first lets go of any scene shown (-> _scene_changed clears), then
        # shows this one; its models are kept after that.
        context.session.show_scene(opened.composition, opened.path)
        self.models, self.outlines, self.chosen = opened.models, opened.outlines, []
        opened.composition.listen(self._changed)
        self._show_panel()
        doc = opened.composition.doc
        line = f"{doc.name}: {len(opened.scene.placements())} models shown, "
        line += f"{opened.scene.triangles:,} triangles"
        if opened.missing:
            line += f"; {len(opened.missing)} could not be found (the first: {opened.missing[0]})"
        context.show_status(line)
        if self.dock is not None:
            self.dock.show()
            self.dock.raise_()

    def _scene_changed(self, composition: Composition | None, path: Path | None) -> None:
        """The session's scene: this one, or none (a model was opened in its place)."""
        self.composition, self.path = composition, path
        if composition is None:
            self.models, self.outlines, self.chosen = {}, {}, []
            self.outline_chosen()
        self._show_panel()

    # Edits

    def _edit(self, change: object) -> None:
        """Apply ``change`` (a function of the composition); a refusal is said, not raised."""
        if self.composition is None:
            return
        try:
            change(self.composition)  # type: ignore[operator]
        except Aiml3DError as exc:
            self.context.report_error(exc, "The scene was not changed")

    def _changed(self, doc: SceneDoc) -> None:
        """After every edit, undo and redo: the view and the list follow the document."""
        from aiml3d_desktop.core.composition import assemble

        if self.composition is None or doc is not self.composition.doc:
            return  # a scene no longer shown
        present = {p.id for p in doc.placements}
        self.chosen = [pid for pid in self.chosen if pid in present]
        try:
            scene = assemble.drawable(doc, self.models)
        except InputError:
            scene = None  # nothing shown: every model hidden or deleted
        self.context.viewer.show_scene(scene, frame=False)
        self.outline_chosen()
        self._show_panel()

    def _rename(self, placement_id: str, name: str) -> None:
        if (
            self.composition is not None
            and self.composition.doc.placement(placement_id).name != name
        ):
            self._edit(lambda c: c.rename(placement_id, name))

    def _duplicate(self) -> None:
        """Copies of the chosen, beside them (their width and a little more along +X)."""
        if self.composition is None or not self.chosen:
            return
        from aiml3d_desktop.core.composition import arrange

        doc = self.composition.doc
        widths = [
            arrange.world_box(p, self.outlines[p.source.key])
            for p in doc.placements
            if p.id in self.chosen and p.source.key in self.outlines
        ]
        step = max((float(b[1, 0] - b[0, 0]) for b in widths), default=0.5) + 0.1

        def duplicate(composition: Composition) -> None:
            copies = composition.duplicate(self.chosen, (step, 0.0, 0.0))
            self.chosen = copies
            self._show_panel()  # the copies chosen in the list too
            self.outline_chosen()

        self._edit(duplicate)

    def _targets(self) -> list[str]:
        """The chosen placements, or all of them when none is chosen."""
        if self.composition is None:
            return []
        return self.chosen or [p.id for p in self.composition.doc.placements]

    def save(self) -> None:
        from aiml3d_desktop.core.composition import document

        if self.composition is None or self.path is None:
            return
        try:
            document.save(self.composition.doc, self.path)
        except (Aiml3DError, OSError) as exc:
            error = exc if isinstance(exc, Aiml3DError) else InputError(f"Could not save: {exc}")
            self.context.report_error(error, "The scene was not saved")
            return
        self.composition.mark_saved()
        self._show_panel()
        self.context.show_status(f"Saved {self.path}")

    # Choosing

    @Slot(object, object)
    def _clicked(self, origin: np.ndarray, direction: np.ndarray) -> None:
        """A click in the view chooses the model it meets (Shift: adds it, or takes it
        away); a click on nothing chooses nothing. Found on a worker: a big scene's
        triangles take a while."""
        scene = self.context.viewer.scene
        if self.composition is None or scene is None or scene.instances is None:
            return
        adding = bool(QGuiApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._click = (self.composition.doc, adding)
        self.context.runner.start(
            tasks.pick_placement, scene, origin, direction, succeeded=self._picked
        )

    @Slot(object)
    def _picked(self, index: int | None) -> None:
        from aiml3d_desktop.core.composition import assemble

        doc, adding = self._click
        if self.composition is None or self.composition.doc is not doc:
            return  # the scene changed meanwhile: the click meant another one
        order = [p.id for p, _ in assemble.placed(doc, self.models)]  # drawable's order
        hit = order[index] if index is not None and index < len(order) else None
        chosen = [pid for pid in self.chosen if pid != hit] if adding else []
        if hit is not None and (not adding or hit not in self.chosen):
            chosen.append(hit)
        self._choose(chosen)
        self.panel.select(chosen)

    def _choose(self, ids: list[str]) -> None:
        self.chosen = list(ids)
        self.outline_chosen()
        self.panel.set_chosen(len(self.chosen))

    def outline_chosen(self) -> None:
        """The chosen placements' boxes, drawn as lines in the view."""
        from pyqtgraph.opengl import GLLinePlotItem

        from aiml3d_desktop.core.composition import arrange

        viewer = self.context.viewer
        if self._boxes is not None:
            viewer.removeItem(self._boxes)
            self._boxes = None
        if self.composition is None or not self.chosen:
            return
        segments = []
        for placement in self.composition.doc.placements:
            shown = self.composition.doc.shown(placement)
            if placement.id in self.chosen and shown and placement.source.key in self.outlines:
                low, high = arrange.world_box(placement, self.outlines[placement.source.key])
                segments.append(_box_edges(low, high))
        if not segments:
            return
        boxes = GLLinePlotItem(
            pos=np.concatenate(segments), mode="lines", color=CHOSEN_COLOUR, width=2.0
        )
        boxes.setTransform(viewer.item.transform())  # the view's up axis, as the model's
        viewer.addItem(boxes)
        self._boxes = boxes

    def _show_panel(self) -> None:
        composition = self.composition
        if composition is None:
            self.panel.show_doc(None, [], None, None, False)
            return
        self.panel.show_doc(
            composition.doc,
            self.chosen,
            composition.undo_label,
            composition.redo_label,
            composition.modified,
        )


def _box_edges(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """(24, 3): the twelve edges of a box, as pairs of points."""
    corners = np.array(
        [[x, y, z] for x in (low[0], high[0]) for y in (low[1], high[1]) for z in (low[2], high[2])]
    )
    pairs = [(a, b) for a in range(8) for b in range(a + 1, 8) if bin(a ^ b).count("1") == 1]
    return np.array([corners[i] for pair in pairs for i in pair])


def is_scene_file(source: str) -> bool:
    """A scene.json (or any .json file: reading it says if it is not a scene)."""
    return Path(source).suffix.lower() == ".json"

"""Compare with the photo in the window (issue 31): Model > *Compare with the photo…* renders
the library model on screen from the front (and the sides it was given or drawn), lit as the
view is, and sends them with its photo to the checker model (core/assets/verdict.py) on a
worker, after the call's cost is held to the spending limits; the verdict is kept in the
entry and shown beside the model (the Likeness rows of the model's details)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

from aiml3d_desktop.core.common.errors import Aiml3DError
from aiml3d_desktop.gui import tasks
from aiml3d_desktop.gui.spend_question import KeyGate, spend_ok

if TYPE_CHECKING:
    from aiml3d_desktop.core.library.entry import Entry
    from aiml3d_desktop.gui.context import Context


class LikenessController(QObject):
    checked = Signal(object)  # the Entry, its verdict kept

    def __init__(self, context: Context) -> None:
        super().__init__(context.parent)
        self.context = context
        self.key = KeyGate(context.session, context.runner, context.report_error)
        self._running = False

    def compare(self) -> None:
        from aiml3d_desktop.core.assets import verdict
        from aiml3d_desktop.gui.widgets import offscreen

        session, viewer = self.context.session, self.context.viewer
        entry, scene = session.entry, viewer.scene
        if self._running or entry is None or scene is None or session.library is None:
            return
        if not self.key.ready(self.compare, "The model was not compared"):
            return
        model = session.conf.checker_model
        cost = session.spending.estimate([(model, {}, None)] * verdict.TRIES)
        if not spend_ok(self.context.parent, session, cost, "Compare with the photo?"):
            return
        renderer = offscreen.OffscreenRenderer()  # lit and shaded as the view shows it
        renderer.look_like(viewer)
        try:
            sides = verdict.sides_of(entry)
            renders = offscreen.render_pngs(renderer, scene, sides, 768, viewer.up_axis)
        finally:
            renderer.close()
        self._running = True
        self.context.show_status(f"Comparing {entry.title} with its photo ({model})…")
        self.context.runner.start(
            tasks.check_likeness,
            session,
            entry,
            renders,
            model,
            succeeded=self._checked,
            failed=self._not_checked,
        )

    @Slot(object)
    def _checked(self, entry: Entry) -> None:
        self._running = False
        found = entry.extra.get("verdict") or {}
        self.context.show_status(f"{entry.title}: {found.get('match', 0):.2f} match with its photo")
        self.checked.emit(entry)

    @Slot(object)
    def _not_checked(self, error: Aiml3DError) -> None:
        self._running = False
        self.context.report_error(error, "The model was not compared")

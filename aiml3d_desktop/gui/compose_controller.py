"""A scene from a sentence in the window (issue 30): File > Compose a scene… opens the dialog
(widgets/compose_dialog.py); the planner's call runs on a worker, after its cost is held to
the spending limits; every edit of the plan is checked (plan.read_plan's rules) and placed
again (the solver), and its cost shown, before *Make the scene* spends anything. Making
begins on a worker: the scene, its objects still stand-in boxes (or the library entries
picked for them), becomes a library entry and is opened; each object to make goes into
the batch queue, tagged with the scene, and SceneController puts each model in as it is
made."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QInputDialog

from aiml3d_desktop.core.common.errors import Aiml3DError, InputError
from aiml3d_desktop.core.common.stages import Stage, describe
from aiml3d_desktop.gui import tasks
from aiml3d_desktop.gui.spend_question import KeyGate, spend_ok

if TYPE_CHECKING:
    from aiml3d_desktop.core.composition.document import SceneDoc, Source
    from aiml3d_desktop.core.composition.plan import Plan
    from aiml3d_desktop.core.generation.batch import QueueItem
    from aiml3d_desktop.core.generation.scene_making import SceneMaking
    from aiml3d_desktop.core.library.entry import Entry
    from aiml3d_desktop.gui.context import Context
    from aiml3d_desktop.gui.widgets.compose_dialog import ComposeDialog

MAX_PICKABLE = 500  # library entries offered for one object, newest first


class ComposeController(QObject):
    enqueue = Signal(list, str, dict)  # sources, their kind and QueueItem fields: the queue
    cancel = Signal(list)  # queue item ids to cancel
    arrived = Signal(object, object, object)  # a stand-in Source, its ModelsToAdd, its Layout
    begun = Signal(object)  # the library Entry of a scene being made
    revised = Signal(str, object)  # a scene entry's id, its plan as Look again corrected it

    def __init__(self, context: Context) -> None:
        super().__init__(context.parent)
        self.context = context
        self.key = KeyGate(context.session, context.runner, context.report_error)
        self.dialog: ComposeDialog | None = None
        self._planning = False  # a chat call runs (a plan, or Look again): one at a time
        self._reviewing = ""  # the scene entry Look again runs for
        self._sentence = ""  # what the plan shown was asked for

    def open_dialog(self) -> None:
        if self.dialog is None:
            from aiml3d_desktop.gui.widgets.compose_dialog import ComposeDialog

            self.dialog = dialog = ComposeDialog(self.context.parent)
            dialog.plan_requested.connect(self._plan)
            dialog.edited.connect(self._edited)
            dialog.pick_requested.connect(self._pick)
            dialog.make_requested.connect(self._make)
            self._say_planner()
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()

    @property
    def _model(self) -> str:
        return self.context.session.conf.planner_model

    def _say_planner(self) -> None:
        from aiml3d_desktop.core.composition import planner

        cost = self.context.session.spending.estimate([(self._model, {}, None)] * planner.TRIES)
        assert self.dialog is not None
        self.dialog.set_planning(f"Planned by {self._model}: {cost.text}.", busy=False)

    # Planning

    @Slot(str)
    def _plan(self, sentence: str) -> None:
        from aiml3d_desktop.core.composition import planner

        session = self.context.session
        if self._planning or self.dialog is None:
            return
        if not self.key.ready(partial(self._plan, sentence), "The scene was not planned"):
            return
        cost = session.spending.estimate([(self._model, {}, None)] * planner.TRIES)
        if not spend_ok(self.dialog, session, cost, "Plan this scene?"):
            return
        self._planning = True
        self.dialog.set_planning(describe(Stage.PLANNING, 0, None, None), busy=True)
        self.context.runner.start(
            tasks.plan_scene,
            session,
            sentence,
            self._model,
            succeeded=self._planned,
            failed=self._not_planned,
        )

    @Slot(object)
    def _planned(self, planned: tasks.PlannedScene) -> None:
        self._planning = False
        if self.dialog is None:
            return
        self._say_planner()
        self._sentence = planned.sentence
        self.dialog.show_plan(planned.plan)

    @Slot(object)
    def _not_planned(self, error: Aiml3DError) -> None:
        self._planning = False
        if self.dialog is not None:
            self._say_planner()
        self.context.report_error(error, "The scene was not planned")

    @Slot(object)
    def _edited(self, plan: Plan) -> None:
        """A plan (new, or edited in the table) checked as the planner's answer is, placed,
        and priced: the objects picked from the library cost nothing."""
        from aiml3d_desktop.core.composition import plan as plans
        from aiml3d_desktop.core.composition import planner, solver
        from aiml3d_desktop.core.generation import scene_making

        dialog = self.dialog
        if dialog is None:
            return
        try:
            checked = plans.read_plan(planner.plan_json(plan))
            placed = solver.solve(checked)
        except InputError as exc:
            dialog.show_layout(None, str(exc))
            return
        dialog.show_layout(placed, None)
        picks = _picks_of(plan, checked, {k: v[0] for k, v in dialog.picks.items()})
        making = [o for o in checked.objects if o.name not in picks]
        session = self.context.session
        cost = scene_making.cost(session.spending, session.conf, len(making))
        picked = len(checked.objects) - len(making)
        text = (
            f"Making it: {len(making)} pictures and {len(making)} 3D models, {cost.text}"
            + (f"; {picked} from the library" if picked else "")
            + ". Each model lands in the library as it is made."
        )
        refused = session.spending.refusal(session.with_waiting(cost), cost)
        dialog.show_cost(text, f"Making it will ask first: {refused.text}." if refused else None)

    @Slot(str)
    def _pick(self, name: str) -> None:
        """A library entry (a model, not a scene) to use for the object ``name``."""
        library = self.context.session.library
        if library is None or self.dialog is None:
            return
        entries = [e for e in library.list(limit=MAX_PICKABLE) if not e.is_scene]
        if not entries:
            self.context.show_status("The library has no model to use yet")
            return
        labels = [f"{e.title}  ({e.id})" for e in entries]
        label, chosen = QInputDialog.getItem(
            self.dialog, "Use a library model", f"Use for the {name}:", labels, 0, False
        )
        if chosen:
            entry = entries[labels.index(label)]
            self.dialog.pick(name, entry.id, entry.title)

    # Making

    @Slot(object, dict)
    def _make(self, plan: Plan, picks: dict) -> None:
        from aiml3d_desktop.core.composition import plan as plans
        from aiml3d_desktop.core.composition import planner
        from aiml3d_desktop.core.generation import scene_making

        session, library = self.context.session, self.context.session.library
        if library is None or self.dialog is None:
            return
        try:
            checked = plans.read_plan(planner.plan_json(plan))
        except InputError as exc:
            self.context.report_error(exc, "The scene was not made")
            return
        picks = _picks_of(plan, checked, picks)
        making = len([o for o in checked.objects if o.name not in picks])
        cost = scene_making.cost(session.spending, session.conf, making)
        if making and not self.key.ready(partial(self._make, plan, picks), "Nothing was made"):
            return
        if making and not spend_ok(self.dialog, session, cost, "Make this scene?"):
            return
        self.dialog.make_button.setEnabled(False)
        self.context.runner.start(
            tasks.begin_scene,
            library,
            checked,
            self._sentence or self.dialog.sentence.text(),
            picks,
            succeeded=self._begun,
            failed=self._not_begun,
        )

    @Slot(object)
    def _begun(self, making: SceneMaking) -> None:
        """The scene in the library, opened; its objects queued to be made."""
        from aiml3d_desktop.core.composition import planned

        session = self.context.session
        if making.layout is not None:
            session.scene_layouts[making.entry.id] = making.layout
        self.begun.emit(making.entry)
        self.context.requests.open_entry.emit(making.entry)
        waiting = planned.waiting(making.doc)
        if self.dialog is not None:
            self.dialog.hide()
        self._queue(making.entry.id, waiting)
        self.context.show_status(
            f"{making.doc.name}: {len(waiting)} objects are being made; each takes the place "
            "of its box as it is made"
            if waiting
            else f"{making.doc.name}: made from the library"
        )

    @Slot(object)
    def _not_begun(self, error: Aiml3DError) -> None:
        if self.dialog is not None:
            self.dialog.make_button.setEnabled(True)
        self.context.report_error(error, "The scene was not made")

    def _queue(self, scene: str, standing: list[Source]) -> None:
        """A queue item for each stand-in, tagged with its scene."""
        from aiml3d_desktop.core.generation import batch, scene_making

        settings = scene_making.item_settings(self.context.session.conf)
        for source in standing:
            assert source.stand_in is not None
            tag = scene_making.tag(scene, source)
            self.enqueue.emit([source.stand_in.prompt], batch.PROMPT, {**settings, "scene": tag})

    @Slot(object, object)
    def make_boxes(self, scene: Entry, doc: SceneDoc) -> None:
        """The models of a scene's stand-ins not being made already (those that failed, were
        cancelled, or were never made), after their cost is held to the limits."""
        from aiml3d_desktop.core.composition import planned
        from aiml3d_desktop.core.generation import scene_making

        session = self.context.session
        queue = session.queue
        if queue is None:
            return
        making = {scene_making.stand_in(i) for i in scene_making.pending(queue, scene.id)}
        waiting = [s for s in planned.waiting(doc) if s not in making]
        if not waiting:
            return
        cost = scene_making.cost(session.spending, session.conf, len(waiting))
        if not self.key.ready(partial(self.make_boxes, scene, doc), "Nothing was made"):
            return
        if spend_ok(self.context.parent, session, cost, "Make the boxes?"):
            self._queue(scene.id, waiting)
            self.context.show_status(
                f"{doc.name}: {len(waiting)} boxes are being made — {cost.amount}"
            )

    @Slot(str)
    def stop(self, scene: str) -> None:
        """Cancel every model being made for the scene entry ``scene``."""
        from aiml3d_desktop.core.generation import scene_making

        queue = self.context.session.queue
        if queue is not None:
            self.cancel.emit([item.id for item in scene_making.pending(queue, scene)])

    @Slot(object, object)
    def model_made(self, item: QueueItem, entry: Entry) -> None:
        """A model made for a scene: into the scene shown (one step to undo), or into the
        scene's library entry when it is not shown."""
        session, library = self.context.session, self.context.session.library
        if library is None:
            return
        try:
            scene = library.get(str(item.scene.get("entry")))
        except InputError:  # the scene was deleted: the model stays in the library
            return
        if session.composition is not None and session.scene_file == scene.mesh_path:
            self.context.runner.start(
                tasks.made_for_scene, item, entry, session, succeeded=self._read_made
            )
        else:
            self.context.runner.start(
                tasks.deliver_to_scene, library, item, entry, succeeded=self._delivered
            )

    def _shown(self, scene: str) -> bool:
        """Whether the scene entry ``scene`` is the scene on screen."""
        session, library = self.context.session, self.context.session.library
        if session.composition is None or library is None:
            return False
        try:
            return session.scene_file == library.get(scene).mesh_path
        except InputError:
            return False

    @Slot(object)
    def _read_made(self, made: tasks.MadeForScene) -> None:
        """A model read for the scene shown: put in, if the scene is still shown and still
        has its box (else into the scene's entry: nothing paid for is dropped)."""
        from aiml3d_desktop.core.generation import scene_making

        standing = scene_making.stand_in(made.item)
        scene = str(made.item.scene.get("entry"))
        composition = self.context.session.composition
        if standing is None:
            return
        if (
            self._shown(scene)
            and composition is not None
            and any(p.source == standing for p in composition.doc.placements)
        ):
            self.arrived.emit(standing, made.read, self.context.session.scene_layouts.get(scene))
        elif self.context.session.library is not None:
            library = self.context.session.library
            try:
                entry = library.get(made.read.items[0][0].entry or "")
            except InputError:  # the model was deleted meanwhile: nothing to put in
                return
            self.context.runner.start(
                tasks.deliver_to_scene, library, made.item, entry, succeeded=self._delivered
            )

    @Slot(object)
    def _delivered(self, delivered: tasks.Delivered) -> None:
        """A model put in a scene's entry. Had that scene been opened meanwhile (read before
        the model was in), the model goes into the scene shown too, or a save would undo it."""
        if delivered.scene is None:
            return
        self.context.show_status(
            f"A model was made for {delivered.scene.title}, and put in its place"
        )
        if self._shown(delivered.scene.id):
            self.context.runner.start(
                tasks.made_for_scene,
                delivered.item,
                delivered.made,
                self.context.session,
                succeeded=self._read_made,
            )

    # Look again

    @Slot(str, bytes)
    def look_again(self, scene: str, picture: bytes) -> None:
        """Send the scene's render and plan to the planner model (it must see pictures),
        once its cost is held to the limits; its corrections come back as ``revised``."""
        from aiml3d_desktop.core.composition import planner, review

        session = self.context.session
        layout = session.scene_layouts.get(scene)
        if layout is None or layout.reviews >= review.MAX_ROUNDS or self._planning:
            return
        if not self.key.ready(partial(self.look_again, scene, picture), "Not looked at again"):
            return
        cost = session.spending.estimate([(self._model, {}, None)] * planner.TRIES)
        if not spend_ok(self.context.parent, session, cost, "Look at the scene again?"):
            return
        self._planning = True
        self._reviewing = scene
        self.context.show_status(f"{describe(Stage.PLANNING, 0, None, None)} (looking again)")
        self.context.runner.start(
            tasks.look_again,
            session,
            layout.plan,
            layout.sentence,
            picture,
            self._model,
            succeeded=self._looked,
            failed=self._not_looked,
        )

    @Slot(object)
    def _looked(self, plan: Plan) -> None:
        self._planning = False
        self.revised.emit(self._reviewing, plan)  # a round counts once it is applied

    @Slot(object)
    def _not_looked(self, error: Aiml3DError) -> None:
        self._planning = False
        self.context.report_error(error, "The scene was not looked at again")


def _picks_of(asked: Plan, checked: Plan, picks: dict[str, str]) -> dict[str, str]:
    """The library entries picked for objects, by their names as the checked plan has them
    (reading a plan tidies names: "desk  lamp" is "desk lamp"); the order is the same."""
    return {
        new.name: picks[old.name]
        for old, new in zip(asked.objects, checked.objects, strict=True)
        if old.name in picks
    }

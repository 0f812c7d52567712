"""What the Generate, Draw, Cancel and Add-to-queue buttons do: one generation (or drawing) at
a time on a worker, its progress in the status line, its result kept in the library. The
batch queue runs beside it (gui/batch_controller.py).

Like every controller here, it is given what it works with and speaks through signals: the
window decides what a made model, a queued picture or an error looks like."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from aiml3d_desktop.core import settings as settings_mod
from aiml3d_desktop.core.api import models
from aiml3d_desktop.core.api.models import ModelParams
from aiml3d_desktop.core.api.params import LOCAL_MODEL
from aiml3d_desktop.core.common.errors import Aiml3DError, InputError, LibraryError
from aiml3d_desktop.core.common.stages import Stage
from aiml3d_desktop.core.generation import batch
from aiml3d_desktop.core.net.policy import is_url
from aiml3d_desktop.core.session import VIEWS
from aiml3d_desktop.gui import tasks
from aiml3d_desktop.gui.spend_question import spend_ok

if TYPE_CHECKING:
    from PySide6.QtWidgets import QAbstractButton, QPushButton

    from aiml3d_desktop.core.generation.preview import Preview
    from aiml3d_desktop.core.library.entry import Entry
    from aiml3d_desktop.core.library.results import JobResult
    from aiml3d_desktop.core.library.store import Library
    from aiml3d_desktop.core.session import Session
    from aiml3d_desktop.gui.status_line import StatusLine
    from aiml3d_desktop.gui.widgets.image_panel import ImagePanel
    from aiml3d_desktop.gui.widgets.params_panel import ParamsPanel
    from aiml3d_desktop.gui.widgets.prompt_box import PromptBox
    from aiml3d_desktop.gui.widgets.view_slots import ViewSlots
    from aiml3d_desktop.gui.workers import Runner, Worker

log = logging.getLogger(__name__)
T = TypeVar("T")
# Generate's tooltip, which says why it cannot be pressed or what it will do.
NOTHING_TO_MAKE = (
    "Open a picture first (drop one on the window, paste one, or File > Open picture), "
    "or describe an object under Text to 3D"
)
MAKES_PICTURE = "Make a 3D model of the picture (Ctrl+Return)"
MAKES_PROMPT = "Draw the described object, then make a 3D model of it (Ctrl+Return)"
BUSY = "A model is being made: Cancel (Esc) stops it"
# What the empty 3D view says to do next.
HINT_EMPTY = (
    "Drop a picture here to make a 3D model of it, or a mesh file to look at it.\n\n"
    "Paste one with Ctrl+V, or open one with Ctrl+O."
)
HINT_PICTURE = (
    "Press Generate 3D model (Ctrl+Return) to make a 3D model of the picture.\n\n"
    "Or drop a mesh file here to look at it."
)
HINT_MAKING = "Making the 3D model: it will show here."


class GenerationController(QObject):
    generated = Signal(object, object)  # (library Entry, core.library.results.JobResult)
    front_wanted = Signal(object)  # a path, link or QImage for the main picture
    enqueue = Signal(list, str, dict)  # sources, their kind and QueueItem fields: for the queue
    queued = Signal(int)  # how many items went into the batch queue
    busy_changed = Signal(bool)  # a generation or drawing runs (or no longer does)
    error = Signal(object, str)  # (Aiml3DError, a title)
    status = Signal(str)
    ready_changed = Signal(bool, str)  # Generate can be pressed; its tooltip
    hint_changed = Signal(str)  # what the empty 3D view says to do next
    settings_wanted = Signal()  # the user asked for Settings (to give the key)

    def __init__(
        self,
        session: Session,
        runner: Runner,
        status: StatusLine,
        picture: ImagePanel,
        prompt: PromptBox,
        params: ParamsPanel,
        views: ViewSlots,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.runner, self.status_line = session, runner, status
        self.conf = session.conf
        self.picture, self.prompt, self.params = picture, prompt, params
        self.views = views
        session.listen(VIEWS, self._views_changed)
        views.wanted.connect(self.open_view)
        views.pasted.connect(self.open_view)
        views.cleared.connect(self._clear_view)
        views.draw_wanted.connect(self.draw_views)
        views.unusable.connect(self._unusable_view)
        picture.has_picture.connect(self._front_changed)
        picture.has_picture.connect(self.refresh_ready)
        prompt.text.textChanged.connect(self.refresh_ready)
        params.changed.connect(self._model_changed)
        params.framing_changed.connect(self._reframe_views)
        self._model_changed()
        self.job: Worker | None = None  # the generation (or drawing) in progress, if any
        self._generate_when_drawn = False  # Generate pressed with a prompt and no picture
        self._making = False  # the job is a generation (not a drawing)
        self._after_key: Callable[[], object] | None = None  # asked before the key was read
        self._drawing_views = False  # an editing model draws views the photo lacks
        self._drawn_sources: dict[str, dict] = {}  # a drawn view's file -> how it was drawn

    @Slot()
    def refresh_ready(self) -> None:
        """Generate can be pressed only with something to make, and its tooltip says what
        it will do or what to do first; the empty 3D view says the next step."""
        has_picture = self.session.picture is not None
        if self.job is not None:
            ready, tip = False, BUSY
        elif has_picture or self.prompt.prompt():
            ready, tip = True, MAKES_PICTURE if has_picture else MAKES_PROMPT
        else:
            ready, tip = False, NOTHING_TO_MAKE
        self.ready_changed.emit(ready, tip)
        making = self.job is not None and self._making
        self.hint_changed.emit(
            HINT_MAKING if making else HINT_PICTURE if has_picture else HINT_EMPTY
        )

    @Slot()
    def generate(self) -> None:
        """The picture on screen (or a drawing of the prompt) to a model in the library."""
        preview = self.session.picture
        if self.job is not None:
            return
        if preview is None and self.prompt.prompt():
            self._generate_when_drawn = True  # text to 3D in one go: draw, show, then build
            return self.draw()
        if preview is None:  # Generate is disabled then: a key press or a script got here
            self.status.emit(NOTHING_TO_MAKE)
            return
        settings = self._settings()
        if settings is None or not self._library_ready():
            return
        params, backend = settings
        if backend == "aiml" and self._key_missing(offline=True):
            return
        self._make(preview, params, backend)

    def _make(self, preview: Preview, params: ModelParams, backend: str) -> None:
        drawing = preview.drawing if backend == "aiml" else None  # offline: from the picture
        # What the previews prepared is sent as is (the job re-prepares any made otherwise).
        shown = [preview, *self.session.views.values()]
        pictures = [p.picture for p in shown if p.picture is not None]
        self._start(
            tasks.generate,
            self.session,
            self.library,
            preview.source,
            params,
            backend,
            drawing,
            self._views(params, backend),
            pictures,
            self.session.drawn_views(),
            succeeded=self._generated,
        )
        self.status_line.progress(Stage.PREPARING, None, None)

    def _key_missing(self, offline: bool, then: Callable[[], object] | None = None) -> bool:
        """No key for the API's models: a box with the ways on (Settings; with a picture,
        the offline relief preview), instead of a request that cannot be sent. The key is
        looked up on a worker the first time (the keychain may take a while, or ask to be
        unlocked), and what was asked (``then``: else Generate, or Draw) goes on when it
        answers."""
        then = then or (self.generate if offline else self.draw)
        if not self.session.key_known:
            self._after_key = then
            self.runner.start(tasks.read_key, self.session, succeeded=self._key_read)
            return True
        if self.session.read_key():  # from memory
            return False
        window = self.parent()
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "No AIML API key",
            "No AIML API key is set.",
            QMessageBox.StandardButton.NoButton,
            window if isinstance(window, QWidget) else None,
        )
        box.setObjectName("keyBox")
        box.setInformativeText(
            "The AIML models need your key: save it in Settings (or set AIMLAPI_KEY)."
            + (
                " Without one, the offline relief preview makes a rough model of the picture "
                "on this computer, in a few seconds."
                if offline
                else ""
            )
        )
        settings = box.addButton("Open Settings…", QMessageBox.ButtonRole.AcceptRole)
        relief = (
            box.addButton("Make a relief preview (offline)", QMessageBox.ButtonRole.ActionRole)
            if offline
            else None
        )
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(settings)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(partial(self._key_answered, settings, relief, then))
        box.open()  # not exec'd: the window carries on behind it, as with the error boxes
        return True

    def _key_answered(
        self,
        settings: QPushButton,
        relief: QPushButton | None,
        then: Callable[[], object],
        clicked: QAbstractButton,
    ) -> None:
        """Settings, then on with what was asked if a key was saved; or the relief."""
        if clicked is settings:
            self.settings_wanted.emit()  # the dialog is modal: the key is saved, or not, now
            if self.session.read_key():
                then()
                return
        self._generate_when_drawn = False
        picture = self.session.picture
        if clicked is relief and picture is not None and self.job is None:
            chosen = self._settings()
            if chosen is not None and self._library_ready():
                self._make(picture, chosen[0], "local")

    @Slot(object)
    def _key_read(self, found: bool) -> None:
        again, self._after_key = self._after_key, None
        if again is not None:
            again()

    @Slot()
    def draw(self) -> None:
        """Text to 3D, first half: the picture model draws the prompt, and it is shown."""
        if self.job is not None:
            return
        if not self.prompt.prompt():
            self._generate_when_drawn = False
            self.error.emit(
                InputError("Type what to make first", hint="For example: a red armchair."),
                "Nothing to draw",
            )
            return
        if self._key_missing(offline=False):
            return  # and Generate's wish to build after drawing waits on the answer
        self._remember_prompt_options()
        self._start(
            tasks.draw,
            self.session,
            self.prompt.prompt(),
            self.prompt.options(),
            self.library,
            succeeded=self._drawn,
        )
        self.status_line.progress(Stage.PICTURING, None, None)

    @Slot()
    def queue_prompt(self) -> None:
        if not self.prompt.prompt():
            return self.draw()  # says what is missing
        self._remember_prompt_options()
        self.queue_sources([self.prompt.prompt()], batch.PROMPT)

    @Slot(list)
    def queue_paths(self, paths: list[str]) -> None:
        """Picture files and folders of them into the batch queue: the folders are searched
        on a worker (a big one takes seconds)."""
        self.runner.start(
            tasks.find_pictures,
            paths,
            succeeded=self._pictures_found,
            progress=self.status_line.progress,
        )

    @Slot(object)
    def _pictures_found(self, pictures: list[str]) -> None:
        if pictures:
            self.queue_sources(pictures)
        else:
            self.error.emit(
                InputError(
                    "No pictures there",
                    hint="The batch queue takes PNG, JPEG and WEBP files, or folders of them.",
                ),
                "Nothing to queue",
            )

    def queue_sources(self, sources: list[str], kind: str = batch.PICTURE) -> None:
        """Pictures (or prompts) into the batch queue, with the parameters on screen."""
        settings = self._settings()
        if settings is None:
            return
        params, backend = settings
        queued = {
            "params": params.as_dict(),
            "model": params.model,
            "views": self._views(params, backend) if kind == batch.PICTURE else {},
            "backend": backend,
            "prepare": self.params.prepares(),
            "max_side": self.params.max_side_px(),
            "draw_options": self.prompt.options() if kind == batch.PROMPT else {},
        }
        if queued["views"]:  # how the views an editing model drew were drawn
            queued["draw_options"] = {"drawn": self.session.drawn_views()}
        drawer = self.prompt.options()["image_model"] if kind == batch.PROMPT else None
        planned = [(params.model, params.values, drawer)] * len(sources)
        cost = self.session.spending.estimate(planned) if backend == "aiml" else None
        if cost is not None and not spend_ok(
            self.parent(), self.session, cost, "Start this batch?"
        ):
            self.status.emit("Nothing was queued")
            return
        self.enqueue.emit(sources, kind, queued)
        count = len(sources)
        log.info("queued %d item(s)", count)
        self.queued.emit(count)
        said = f" — {cost.amount}" if cost is not None else ""
        self.status.emit(f"Queued {count} item{'s' * (count != 1)}{said}")

    # A multi-view model's slots

    def _views(self, params: ModelParams, backend: str) -> dict[str, str]:
        takes_views = backend == "aiml" and params.spec.takes == models.VIEWS
        return self.session.view_sources() if takes_views else {}

    @Slot()
    def _model_changed(self) -> None:
        model = self.params.model()
        self.views.setVisible(self.params.backend_key() == "aiml" and model.takes == models.VIEWS)

    @Slot(bool)
    def _front_changed(self, shown: bool) -> None:
        self.views.set_preview("front", self.session.picture if shown else None)
        others = list(self.session.view_sources()) if self.views.isVisible() else []
        if shown and others:
            self.status.emit(
                f"The {' and '.join(others)} view{'s' * (len(others) > 1)} from before "
                "stay: clear them with ✕ if they show another object"
            )

    @Slot()
    def _reframe_views(self) -> None:
        """The other views prepared again as they will now be sent, like the front."""
        for view, source in self.session.view_sources().items():
            self.open_view(view, source)

    def show_views(self, entry: Entry) -> None:
        """A library entry's other views in the slots (those still on this computer or
        online), in place of the ones before."""
        views = entry.extra.get("views")
        kept = dict(views) if isinstance(views, dict) else {}
        for view in models.VIEW_NAMES[1:]:
            own = entry.view_path(view)  # its own copy, in the entry
            if own is not None:
                kept[view] = str(own)
        drawn = entry.extra.get("drawn_views")
        for view in models.VIEW_NAMES[1:]:
            self.session.set_view(view, None)
            source = kept.get(view)
            if isinstance(source, str) and (is_url(source) or Path(source).is_file()):
                how = drawn.get(view) if isinstance(drawn, dict) else None
                if isinstance(how, dict):
                    self._drawn_sources[source] = how
                self.open_view(view, source)

    @Slot(str, object)
    def open_view(self, view: str, source: object) -> None:
        """A picture for one slot, checked and prepared on a worker as the main one is."""
        if view == "front":
            return self.front_wanted.emit(source)
        self.runner.start(
            tasks.open_view,
            view,
            source,
            self.params.fill(),
            self.params.max_side_px(),
            succeeded=self._view_opened,
            failed=partial(self._view_failed, view),
        )

    def _view_failed(self, view: str, error: Aiml3DError) -> None:
        if not error.hint:
            error.hint = f"Give a PNG, JPEG or WEBP picture of the {view} view."
        self.error.emit(error, f"Cannot use that as the {view} view")

    @Slot(object)
    def _view_opened(self, opened: tuple[str, Preview]) -> None:
        view, preview = opened  # a drawn picture opened again (reframed) is drawn still
        self.session.set_view(view, preview, drawn=self._drawn_sources.get(preview.source))
        self.status.emit(f"The {view} view is ready")

    @Slot(str)
    def _clear_view(self, view: str) -> None:
        if view == "front":
            self.session.set_picture(None)
        else:
            self.session.set_view(view, None)

    def _views_changed(self, views: dict[str, Preview]) -> None:
        """The session's other views, shown in their slots, the drawn ones marked."""
        for view in models.VIEW_NAMES[1:]:
            self.views.set_preview(view, views.get(view))
        self.views.show_drawn(self.session.drawn_views())

    @Slot(list)
    def draw_views(self, sides: list[str]) -> None:
        """The ``sides`` drawn from the front picture by the editing model (Settings'
        edit_model), once their cost is held to the limits; each shown in its slot as a
        drawn view."""
        front = self.session.picture
        if front is None:
            self.status.emit("Give the front picture first: the other views are drawn from it")
            return
        if self._drawing_views or self._key_missing(False, partial(self.draw_views, sides)):
            return
        model = self.conf.edit_model
        cost = self.session.spending.estimate([(model, {}, None)] * len(sides))
        if not spend_ok(self.parent(), self.session, cost, "Draw the missing views?"):
            return
        self._drawing_views = True
        self.views.draw_button.setEnabled(False)
        self.status.emit(
            f"Drawing the {' and '.join(sides)} view{'s' * (len(sides) > 1)} — {cost.amount}…"
        )
        self.runner.start(
            tasks.draw_views,
            self.session,
            front,
            sides,
            self.params.fill(),
            self.params.max_side_px(),
            model,
            succeeded=self._views_drawn,
            failed=self._views_not_drawn,
        )

    @Slot(object)
    def _views_drawn(self, made: tasks.DrawnViews) -> None:
        self._drawing_views = False
        front, drawn = self.session.picture, made.views
        if front is None or front.source != made.front:  # another picture came meanwhile
            self._views_changed(dict(self.session.views))
            self.status.emit("The views drawn were for the picture before: they are not used")
            return
        for side, preview, how in drawn:
            self._drawn_sources[preview.source] = how
            self.session.set_view(side, preview, drawn=how)
        self.status.emit(
            f"Drawn: the {' and '.join(side for side, _, _ in drawn)} view — keep, draw again "
            "(↻) or give a photo in its place"
        )

    @Slot(object)
    def _views_not_drawn(self, error: Aiml3DError) -> None:
        self._drawing_views = False
        self._views_changed(dict(self.session.views))
        self.error.emit(error, "The views were not drawn")

    @Slot(str)
    def _unusable_view(self, view: str) -> None:
        self.error.emit(
            InputError(
                "That is not a picture or a link to one",
                hint=f"Drop or paste a PNG, JPEG or WEBP picture of the {view} view.",
            ),
            "Nothing to use",
        )

    @Slot()
    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.emit("Cancelling…")

    def _settings(self) -> tuple[ModelParams, str] | None:
        """Checked parameters and the generator; remembered as the next defaults."""
        try:
            params = self.params.params().validate()
        except Aiml3DError as exc:
            self.error.emit(exc, "Check the parameters")
            return None
        conf = self.conf
        chosen = (
            self.params.backend_key(),
            params.model,
            self.params.prepares(),
            self.params.max_side_px(),
        )
        # The choices are remembered; the values stay the Settings dialog's defaults.
        if chosen != (conf.backend, conf.model, conf.prepare, conf.max_side):
            conf.backend, conf.model, conf.prepare, conf.max_side = chosen
            self._save_settings()
        return params, chosen[0]

    def _remember_prompt_options(self) -> None:
        options = self.prompt.options()
        chosen = (options["image_model"], options["suffix"])
        if chosen != (self.conf.image_model, self.conf.prompt_suffix):
            self.conf.image_model, self.conf.prompt_suffix = chosen
            self._save_settings()

    def _save_settings(self) -> None:
        with contextlib.suppress(OSError):  # a read-only config folder: kept until exit
            settings_mod.save(self.conf)

    @property
    def library(self) -> Library | None:
        return self.session.library

    def _library_ready(self) -> bool:
        if self.library is None:
            error = LibraryError(
                "The library is not open, so the model would have nowhere to go",
                hint="Check the library folder in File > Settings, then restart.",
            )
            self.error.emit(error, "No library")
        return self.library is not None

    def _start(self, fn: Callable[..., T], *args: object, succeeded: Callable[[T], object]) -> None:
        """The one job of this controller: while it runs, the status bar is its own."""
        job = self.runner.start(fn, *args, succeeded=succeeded, failed=self._failed)
        self.job = self.status_line.owner = job
        self._making = fn is tasks.generate
        self.busy_changed.emit(True)
        self.refresh_ready()

    def _done(self) -> None:
        self.job = self.status_line.owner = None
        self.busy_changed.emit(False)
        self.refresh_ready()

    @Slot(object)
    def _drawn(self, preview: Preview) -> None:
        self._done()
        self.session.set_picture(preview)
        if self._generate_when_drawn:
            self._generate_when_drawn = False
            self.generate()
        else:
            self.status.emit("Picture drawn: press Generate to make it 3D, or Draw again")

    @Slot(object)
    def _generated(self, done: tuple[Entry, JobResult]) -> None:
        entry, result = done
        self._done()
        self.generated.emit(entry, result)
        kind = " (a quick relief preview, not TripoSR)" if entry.model == LOCAL_MODEL else ""
        self.status.emit(
            f"Done in {result.generation.elapsed_s:.1f} s{kind} — kept in the "
            f"library as {entry.title}"
        )

    @Slot(object)
    def _failed(self, error: Aiml3DError) -> None:
        self._done()
        self._generate_when_drawn = False
        self.error.emit(error, "The model could not be made")

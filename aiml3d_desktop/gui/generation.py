"""What the Generate, Draw, Cancel and Add-to-queue buttons do: one generation (or drawing) at
a time on a worker, its progress in the status line, its result kept in the library and shown.
The batch queue runs beside it (gui/batch_controller.py)."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot

from aiml3d_desktop.core import batch, keys
from aiml3d_desktop.core import settings as settings_mod
from aiml3d_desktop.core.errors import Aiml3DError, InputError, LibraryError
from aiml3d_desktop.core.netpolicy import RetryPolicy
from aiml3d_desktop.core.params import LOCAL_MODEL, TriposrParams
from aiml3d_desktop.core.stages import Stage
from aiml3d_desktop.gui import tasks

if TYPE_CHECKING:
    from aiml3d_desktop.gui.main_window import MainWindow
    from aiml3d_desktop.gui.workers import Worker

log = logging.getLogger(__name__)


class GenerationController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.job: Worker | None = None  # the generation (or drawing) in progress, if any
        # One rate-limit wait for all the window's requests, queue included; tests shorten
        # its retries.
        self.retry = RetryPolicy()
        self._generate_when_drawn = False  # Generate pressed with a prompt and no picture

    @Slot()
    def generate(self) -> None:
        """The picture on screen (or a drawing of the prompt) to a model in the library."""
        win = self.window
        preview = win.image_panel.preview
        if self.job is not None:
            return
        if preview is None and win.prompt.prompt():
            self._generate_when_drawn = True  # text to 3D in one go: draw, show, then build
            return self.draw()
        if preview is None:
            win.report_error(InputError("Open a picture first, or describe an object",
                                        hint="Drop one on the window, paste one, use File > "
                                        "Open picture, or type under Text to 3D."),
                             "No picture")  # fmt: skip
            return
        settings = self._settings()
        if settings is None or not self._library_ready():
            return
        params, backend = settings
        drawing = preview.drawing if backend == "aiml" else None  # offline: from the picture
        self._start(tasks.generate, win.library, preview.source, params, backend, win.conf,
                    keys.get_key(), self.retry, drawing, succeeded=self._generated)  # fmt: skip
        win.status.progress(Stage.PREPARING, None, None)

    @Slot()
    def draw(self) -> None:
        """Text to 3D, first half: the picture model draws the prompt, and it is shown."""
        prompt = self.window.prompt
        if self.job is not None:
            return
        if not prompt.prompt():
            self._generate_when_drawn = False
            self.window.report_error(InputError("Type what to make first",
                                                hint="For example: a red armchair."),
                                     "Nothing to draw")  # fmt: skip
            return
        self._remember_prompt_options()
        self._start(tasks.draw, prompt.prompt(), prompt.options(), self.window.conf,
                    keys.get_key(), self.retry, succeeded=self._drawn)  # fmt: skip
        self.window.status.progress(Stage.PICTURING, None, None)

    @Slot()
    def queue_prompt(self) -> None:
        if not self.window.prompt.prompt():
            return self.draw()  # says what is missing
        self._remember_prompt_options()
        self.queue_sources([self.window.prompt.prompt()], batch.PROMPT)

    def queue_paths(self, paths: list[str]) -> None:
        """Picture files and folders of them into the batch queue: the folders are searched
        on a worker (a big one takes seconds)."""
        self.window.start(tasks.find_pictures, paths, succeeded=self._pictures_found)

    @Slot(object)
    def _pictures_found(self, pictures: list[str]) -> None:
        if pictures:
            self.queue_sources(pictures)
        else:
            self.window.report_error(InputError("No pictures there",
                                                hint="The batch queue takes PNG, JPEG and WEBP "
                                                "files, or folders of them."),
                                     "Nothing to queue")  # fmt: skip

    def queue_sources(self, sources: list[str], kind: str = batch.PICTURE) -> None:
        """Pictures (or prompts) into the batch queue, with the parameters on screen."""
        win = self.window
        settings = self._settings()
        if settings is None:
            return
        params, backend = settings
        queued = {
            "params": params.as_dict(),
            "backend": backend,
            "prepare": win.params.prepare.isChecked(),
            "max_side": win.params.max_side.value(),
            "draw_options": win.prompt.options() if kind == batch.PROMPT else {},
        }
        count = win.batch.add(sources, kind, queued)
        log.info("queued %d item(s)", count)
        win.queue_dock.show()
        win.status.show(f"Queued {count} item{'s' * (count != 1)}")

    @Slot()
    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.window.status.show("Cancelling…")

    def set_busy(self, busy: bool) -> None:
        win = self.window
        win.generate_button.setEnabled(not busy)
        win.cancel_button.setEnabled(busy)
        win.params.setEnabled(not busy)
        win.prompt.draw_button.setEnabled(not busy)

    def _settings(self) -> tuple[TriposrParams, str] | None:
        """Checked parameters and the generator; remembered as the next defaults."""
        win = self.window
        try:
            params = win.params.params().validate()
        except Aiml3DError as exc:
            win.report_error(exc, "Check the parameters")
            return None
        chosen = (win.params.backend_key(), win.params.prepare.isChecked(),
                  win.params.max_side.value())  # fmt: skip
        if chosen != (win.conf.backend, win.conf.prepare, win.conf.max_side):
            win.conf.backend, win.conf.prepare, win.conf.max_side = chosen
            self._save_settings()
        backend = chosen[0]
        return params, backend

    def _remember_prompt_options(self) -> None:
        conf, options = self.window.conf, self.window.prompt.options()
        chosen = (options["image_model"], options["suffix"])
        if chosen != (conf.image_model, conf.prompt_suffix):
            conf.image_model, conf.prompt_suffix = chosen
            self._save_settings()

    def _save_settings(self) -> None:
        with contextlib.suppress(OSError):  # a read-only config folder: kept until exit
            settings_mod.save(self.window.conf)

    def _library_ready(self) -> bool:
        if self.window.library is None:
            error = LibraryError("The library is not open, so the model would have nowhere to go",
                                 hint="Check the library folder in File > Settings, then "
                                 "restart.")  # fmt: skip
            self.window.report_error(error, "No library")
        return self.window.library is not None

    def _start(self, fn, *args, succeeded) -> None:
        status = self.window.status
        self.job = status.owner = self.window.runner.start(
            fn, *args, succeeded=succeeded, failed=self._failed, progress=status.progress
        )
        self.set_busy(True)

    def _done(self) -> None:
        self.job = self.window.status.owner = None
        self.set_busy(False)

    @Slot(object)
    def _drawn(self, preview) -> None:
        self._done()
        self.window.image_panel.set_preview(preview)
        if self._generate_when_drawn:
            self._generate_when_drawn = False
            self.generate()
        else:
            self.window.status.show("Picture drawn: press Generate to make it 3D, or Draw again")

    @Slot(object)
    def _generated(self, done) -> None:
        entry, result = done
        self._done()
        win = self.window
        win.library_panel.add_entry(entry)
        win.show_mesh(result.loaded, entry)
        seconds = result.generation.elapsed_s
        kind = " (a quick relief preview, not TripoSR)" if entry.model == LOCAL_MODEL else ""
        win.status.show(f"Done in {seconds:.1f} s{kind} — kept in the library as {entry.title}")

    @Slot(object)
    def _failed(self, error: Aiml3DError) -> None:
        self._done()
        self._generate_when_drawn = False
        self.window.report_error(error, "The model could not be made")

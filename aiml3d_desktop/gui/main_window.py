"""The main window: reference picture and 3D viewer side by side, parameters and statistics
in a side panel, staged progress in the status bar. It composes widgets and routes events;
the work itself is core/'s, run through gui/workers.py."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication, QImage
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from aiml3d_desktop import APP_NAME, paths
from aiml3d_desktop.core import batch, images, keys
from aiml3d_desktop.core import settings as settings_mod
from aiml3d_desktop.core.errors import Aiml3DError, Cancelled, InputError, LibraryError
from aiml3d_desktop.core.library import Entry, Library
from aiml3d_desktop.core.mesh import READ_FORMATS, LoadedMesh
from aiml3d_desktop.core.netpolicy import RetryPolicy
from aiml3d_desktop.core.params import LOCAL_MODEL, TriposrParams
from aiml3d_desktop.gui import offscreen, state, tasks
from aiml3d_desktop.gui.batch_controller import BatchController
from aiml3d_desktop.gui.errors import show_error
from aiml3d_desktop.gui.menus import build_menus
from aiml3d_desktop.gui.widgets.image_panel import ImagePanel
from aiml3d_desktop.gui.widgets.library_panel import LibraryPanel
from aiml3d_desktop.gui.widgets.params_panel import ParamsPanel
from aiml3d_desktop.gui.widgets.prompt_box import PromptBox
from aiml3d_desktop.gui.widgets.queue_panel import QueuePanel
from aiml3d_desktop.gui.widgets.settings_dialog import SettingsDialog
from aiml3d_desktop.gui.widgets.stats_panel import StatsPanel
from aiml3d_desktop.gui.workers import Runner, Worker

STAGE_TEXT = {
    "picturing": "Drawing the picture…",
    "opening": "Opening the picture…",
    "preparing": "Preparing the picture…",
    "uploading": "Uploading",
    "generating": "Generating the model",
    "downloading": "Downloading",
    "loading": "Loading the mesh…",
    "exporting": "Exporting…",
    "importing": "Adding to the library…",
}


class MainWindow(QMainWindow):
    def __init__(self, files: tuple[str, ...] | list[str] = ()) -> None:
        """``files`` (from the command line) start loading first, on worker threads, so that
        reading them overlaps building the window."""
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        self.conf, warnings = settings_mod.load()
        self.ui = state.window_state()
        self.runner = Runner(self)
        self.runner.idle.connect(self._idle)
        for source in files:
            self._start_open(source)
        # Imported here, after those loads started: pyqtgraph takes a third of a second.
        from aiml3d_desktop.gui.app import collect_garbage_on_gui_thread
        from aiml3d_desktop.gui.widgets.viewer import Viewer

        collect_garbage_on_gui_thread()

        self.job: Worker | None = None  # the generation (or drawing) in progress, if any
        self._generate_when_drawn = False  # Generate pressed with a prompt and no picture
        self.loaded: LoadedMesh | None = None
        self.metadata: dict | None = None
        self.library: Library | None = None
        self.entry: Entry | None = None  # the library entry on screen, if it is one
        self._opening_entry: Entry | None = None
        self._sheet_path = ""  # where the snapshot sheet being made goes
        self.compare_window = None
        self._stage_started = 0.0
        self._stage = ""

        self._details_wanted: LoadedMesh | None = None
        self.image_panel = ImagePanel()
        self.viewer = Viewer()
        self.viewer.frameSwapped.connect(self._frame_shown)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.image_panel)
        self.splitter.addWidget(self.viewer)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.setCentralWidget(self.splitter)

        self.params = ParamsPanel()
        self.params.set_params(self.conf.params)
        self.params.set_backend(self.conf.backend)
        self.params.prepare.setChecked(self.conf.prepare)
        self.params.prepare.toggled.connect(self._reframe)
        self.params.ratio.editingFinished.connect(self._reframe)
        self.params.backend.currentIndexChanged.connect(self._reframe)
        self.generate_button = QPushButton("Generate 3D model")
        self.generate_button.setDefault(True)
        self.generate_button.clicked.connect(self.generate)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.prompt = PromptBox()
        self.prompt.set_options(self.conf.image_model, self.conf.prompt_suffix)
        self.prompt.draw_requested.connect(self.draw)
        self.prompt.queue_requested.connect(self.queue_prompt)
        self.stats = StatsPanel()
        self._build_side_panel()
        self.thumbnails = offscreen.ThumbnailMaker(self.runner, self)
        self.library_panel = LibraryPanel(self.thumbnails)
        self._build_library_dock()
        self._library_wanted, self._shown = True, False  # opened once the window is up
        self.queue_panel = QueuePanel()
        # One rate-limit wait for the window's every request: tests shorten its retries.
        self.retry = RetryPolicy()
        self.batch = BatchController(self.runner, self.conf, lambda: self.retry,
                                     self.queue_panel, self)  # fmt: skip
        self.batch.entry_made.connect(self.library_panel.add_entry)
        self.batch.open_requested.connect(self.open_entry_id)
        self.batch.status.connect(self._show_stage)
        self._build_queue_dock()

        self.stage_label = QLabel("Ready")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(240)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.statusBar().addWidget(self.stage_label, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.elapsed_timer = QTimer(self)
        self.elapsed_timer.setInterval(500)
        self.elapsed_timer.timeout.connect(self._tick)

        self.menu_actions = build_menus(self)
        for source in files:
            self.menu_actions.add_recent(source)
        self._restore_ui()
        self._set_busy(False)
        for warning in warnings:
            self.statusBar().showMessage(warning, 10000)

    def _build_side_panel(self) -> None:
        side = QWidget()
        layout = QVBoxLayout(side)
        text = QGroupBox("Text to 3D")
        QVBoxLayout(text).addWidget(self.prompt)
        layout.addWidget(text)
        box = QGroupBox("Generate")
        inner = QVBoxLayout(box)
        inner.addWidget(self.params)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 1)
        buttons.addWidget(self.cancel_button)
        inner.addLayout(buttons)
        model = QGroupBox("Model")
        QVBoxLayout(model).addWidget(self.stats)
        layout.addWidget(box)
        layout.addWidget(model)
        layout.addStretch(1)
        self.side_dock = QDockWidget("Generate and inspect", self)
        self.side_dock.setObjectName("sideDock")
        self.side_dock.setWidget(side)
        self.side_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                   | QDockWidget.DockWidgetFeature.DockWidgetFloatable)  # fmt: skip
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.side_dock)

    def _build_library_dock(self) -> None:
        panel = self.library_panel
        panel.open_requested.connect(self.open_entry)
        panel.compare_requested.connect(self.compare)
        panel.export_requested.connect(self.export_entry)
        panel.status.connect(self._show_stage)
        panel.error.connect(self.report_error)
        self.library_dock = QDockWidget("Library", self)
        self.library_dock.setObjectName("libraryDock")
        self.library_dock.setWidget(panel)
        features = QDockWidget.DockWidgetFeature
        self.library_dock.setFeatures(features.DockWidgetMovable | features.DockWidgetFloatable
                                      | features.DockWidgetClosable)  # fmt: skip
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.library_dock)

    def _build_queue_dock(self) -> None:
        self.queue_dock = QDockWidget("Batch queue", self)
        self.queue_dock.setObjectName("queueDock")
        self.queue_dock.setWidget(self.queue_panel)
        features = QDockWidget.DockWidgetFeature
        self.queue_dock.setFeatures(features.DockWidgetMovable | features.DockWidgetFloatable
                                    | features.DockWidgetClosable)  # fmt: skip
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.queue_dock)
        self.queue_dock.hide()  # until something is queued

    # Window state

    def _restore_ui(self) -> None:
        ui = self.ui
        geometry = ui.value("geometry")
        if isinstance(geometry, QByteArray) and self.restoreGeometry(geometry):
            self.restoreState(ui.value("windowState", QByteArray()))
        else:
            # First start: most of the screen (three panels want room), at most 1600 x 960.
            screen = self.screen().availableGeometry()
            self.resize(min(1600, int(screen.width() * 0.9)), min(960, int(screen.height() * 0.9)))
        splitter = ui.value("splitter")
        if not (isinstance(splitter, QByteArray) and self.splitter.restoreState(splitter)):
            self.splitter.setSizes([420, 600])
            self.resizeDocks([self.library_dock], [340], Qt.Orientation.Horizontal)
        self.viewer.set_up_axis(str(ui.value("upAxis", "y")))
        self.thumbnails.up_axis = self.viewer.up_axis
        self.menu_actions.sync_view_options()

    def _save_ui(self) -> None:
        self.ui.setValue("geometry", self.saveGeometry())
        self.ui.setValue("windowState", self.saveState())
        self.ui.setValue("splitter", self.splitter.saveState())
        self.ui.setValue("upAxis", self.viewer.up_axis)
        self.ui.sync()

    def closeEvent(self, event) -> None:
        self._save_ui()
        self.elapsed_timer.stop()
        self.thumbnails.close()  # first: it would start work on the runner
        self.batch.shutdown()  # what runs goes back to waiting, for the next start
        self.runner.shutdown()
        if self.compare_window is not None:
            self.compare_window.close()
        super().closeEvent(event)

    # Errors: the one route

    def report_error(self, error: Aiml3DError, title: str = "Something went wrong") -> None:
        if isinstance(error, Cancelled):
            self._show_stage("Cancelled — nothing was kept")
            return
        self._show_stage(str(error.message))
        show_error(self, error, title)

    # Opening things

    def open_path(self, source: str) -> None:
        """A picture (file or link) becomes the reference; a mesh file opens in the viewer."""
        self._start_open(source)
        self.menu_actions.add_recent(source)

    def _start_open(self, source: str) -> None:
        if not images.is_url(source) and Path(source).suffix.lower() in READ_FORMATS:
            self._start(tasks.open_mesh, source, succeeded=self._mesh_opened)
        else:
            self._start(tasks.open_picture, source, self.params.fill(),
                        succeeded=self._picture_opened)  # fmt: skip

    def open_image_data(self, image: QImage) -> None:
        self._start(tasks.save_pasted_image, image.copy(), succeeded=self._picture_opened)

    def _start(self, fn, *args, succeeded) -> Worker:
        return self.runner.start(fn, *args, succeeded=succeeded, failed=self._failed,
                                 progress=self._progress)  # fmt: skip

    @Slot()
    def _reframe(self) -> None:
        """Show the picture as it will now be sent (framing on or off, another ratio)."""
        preview = self.image_panel.preview
        if preview is not None and not preview.is_url and preview.drawing is None:
            self._start(tasks.open_picture, preview.source, self.params.fill(),
                        succeeded=self._picture_opened)  # fmt: skip

    @Slot(object)
    def _picture_opened(self, preview) -> None:
        self.image_panel.set_preview(preview)
        if self.job is None:
            self._show_stage("Picture ready: press Generate")

    @Slot(object)
    def _mesh_opened(self, loaded: LoadedMesh) -> None:
        entry, self._opening_entry = self._opening_entry, None
        if entry is not None and loaded.path != entry.mesh_path:
            entry = None  # another file finished loading first
        self._show_mesh(loaded, _entry_metadata(entry) if entry else None, entry)
        self._show_stage(f"Opened {entry.title if entry else loaded.path.name}")

    # The library

    def _open_library_when_free(self) -> None:
        """After the first frame, and after any file given on the command line is shown:
        the library is not what the window's first second is for."""
        if self._library_wanted and self._shown and not self.runner.busy:
            self._library_wanted = False
            self._start(tasks.open_library, self.conf.library_path,
                        succeeded=self._library_opened)  # fmt: skip

    @Slot(object)
    def _library_opened(self, result) -> None:
        self.library, entries = result
        self.thumbnails.library = self.library
        self.library_panel.set_library(self.library, entries)
        self.batch.set_library(self.library)
        if self.batch.queue.items():
            self.queue_dock.show()
        for warning in self.library.warnings:
            self.statusBar().showMessage(warning, 15000)

    @Slot(object)
    def open_entry(self, entry: Entry) -> None:
        """The entry's mesh in the viewer, its picture beside it, its parameters restored:
        "generate again with these settings" is then one click."""
        if entry.missing:
            self.report_error(LibraryError(f"The mesh file of {entry.title} is missing",
                                           hint=f"It should be {entry.mesh_path}."),
                              "Cannot open")  # fmt: skip
            return
        self._opening_entry = entry
        self._start(tasks.open_mesh, str(entry.mesh_path), succeeded=self._mesh_opened)
        picture = entry.source_path or (entry.folder / entry.uploaded_file
                                        if entry.uploaded_file else None)  # fmt: skip
        if picture is not None and picture.is_file():
            self._start(tasks.open_picture, str(picture), succeeded=self._picture_opened)
        else:
            self.image_panel.set_preview(None)
        if entry.params:
            # Parameters from another version that no longer fit: keep the current ones.
            with contextlib.suppress(Aiml3DError, TypeError):
                self.params.set_params(TriposrParams(**entry.params).validate())

    @Slot(str)
    def open_entry_id(self, entry_id: str) -> None:
        if self.library is not None:
            try:
                self.open_entry(self.library.get(entry_id))
            except LibraryError as exc:
                self.report_error(exc, "Cannot open")

    @Slot()
    def add_to_library(self) -> None:
        if self.loaded is None or self.entry is not None or self.library is None:
            return
        self._start(tasks.import_to_library, self.library, self.loaded.path,
                    succeeded=self._imported)  # fmt: skip

    @Slot(object)
    def _imported(self, entry: Entry) -> None:
        self.library_panel.add_entry(entry)
        if self.loaded is not None and self.entry is None:
            self.entry = entry
        self.menu_actions.set_mesh_available(True, in_library=True)
        self._show_stage(f"Added {entry.title} to the library")

    @Slot(object, object)
    def compare(self, first: Entry, second: Entry) -> None:
        from aiml3d_desktop.gui.widgets.compare_window import CompareWindow

        if self.compare_window is None:
            self.compare_window = CompareWindow(self.runner, self.viewer.up_axis)
        self.compare_window.compare(first, second)
        self.compare_window.show()
        self.compare_window.raise_()

    @Slot(object)
    def export_entry(self, entry: Entry) -> None:
        self._export(entry.mesh_path, entry.title)

    @Slot()
    def save_snapshot_sheet(self) -> None:
        """Front, back, left, right and top views beside the reference picture, in one PNG."""
        if self.loaded is None:
            return
        name = (self.entry.title if self.entry else self.loaded.path.stem) + "-sheet.png"
        path, _ = QFileDialog.getSaveFileName(
            self, "Save snapshot sheet", str(self.conf.output_path / name), "PNG (*.png)"
        )
        if path:
            self._sheet_path = path
            self._start(tasks.mesh_normals, self.loaded, succeeded=self._render_sheet)

    @Slot(object)
    def _render_sheet(self, loaded: LoadedMesh) -> None:
        viewer = self.viewer
        views = self.thumbnails.renderer().render(
            loaded.arrays, offscreen.SHEET_VIEWS, 512, viewer.up_axis, viewer.background()
        )
        title = self.entry.title if self.entry else loaded.path.name
        sheet = offscreen.compose_sheet(title, self.image_panel.image(), views)
        self._start(tasks.save_image, sheet, self._sheet_path, succeeded=self._exported)

    def _show_mesh(self, loaded: LoadedMesh, metadata: dict | None, entry: Entry | None) -> None:
        """Draw first; smooth normals and statistics of a large mesh follow from workers."""
        self.loaded, self.metadata, self.entry = loaded, metadata, entry
        self.viewer.show_mesh(loaded.arrays)
        if entry is not None:
            self.thumbnails.expect(entry)
            self._offer_thumbnail()
        self.setWindowTitle(f"{entry.title if entry else loaded.path.name} — {APP_NAME}")
        self.menu_actions.set_mesh_available(True, in_library=entry is not None)
        if loaded.has_stats:
            self._stats_ready(loaded)
        else:
            self.stats.show_pending(loaded.path.name)
        self._details_wanted = loaded  # started once the mesh is on screen: see below

    @Slot()
    def _frame_shown(self) -> None:
        """Normals and statistics of a big mesh keep the cores busy for a second: start them
        after its first frame, not in competition with it."""
        self._shown = True
        self._open_library_when_free()
        loaded, self._details_wanted = self._details_wanted, None
        if loaded is None or loaded is not self.loaded:
            return
        if loaded.arrays.normals is None:
            self._start(tasks.mesh_normals, loaded, succeeded=self._normals_ready)
        if not loaded.has_stats:
            self._start(tasks.mesh_stats, loaded, succeeded=self._stats_ready)

    @Slot(object)
    def _normals_ready(self, loaded: LoadedMesh) -> None:
        if loaded is self.loaded:
            self.viewer.normals_changed()
            self._offer_thumbnail()

    def _offer_thumbnail(self) -> None:
        """The entry on screen makes its own thumbnail from the arrays in memory, once they
        have smooth normals."""
        if self.entry is not None and self.loaded.arrays.normals is not None:
            self.thumbnails.offer(self.entry, self.loaded.arrays)

    @Slot(object)
    def _stats_ready(self, loaded: LoadedMesh) -> None:
        if loaded is self.loaded:
            self.stats.show_stats(loaded.path.name, loaded.stats, self.metadata)

    # Generation

    @Slot()
    def generate(self) -> None:
        """The picture on screen (or a drawing of the prompt) to a model in the library."""
        preview = self.image_panel.preview
        if self.job is not None:
            return
        if preview is None and self.prompt.prompt():
            self._generate_when_drawn = True  # text to 3D in one go: draw, show, then build
            return self.draw()
        if preview is None:
            self.report_error(InputError("Open a picture first, or describe an object",
                                         hint="Drop one on the window, paste one, use File > "
                                         "Open picture, or type under Text to 3D."),
                              "No picture")  # fmt: skip
            return
        settings = self._generation_settings()
        if settings is None or not self._library_ready():
            return
        params, backend = settings
        drawing = preview.drawing if backend == "aiml" else None  # offline: from the picture
        self._start_job(tasks.generate, self.library, preview.source, params, backend, self.conf,
                        keys.get_key(), self.retry, drawing, succeeded=self._generated)  # fmt: skip
        self._progress("preparing", None, None)

    @Slot()
    def draw(self) -> None:
        """Text to 3D, first half: the picture model draws the prompt, and it is shown."""
        if self.job is not None:
            return
        if not self.prompt.prompt():
            self._generate_when_drawn = False
            self.report_error(InputError("Type what to make first",
                                         hint="For example: a red armchair."),
                              "Nothing to draw")  # fmt: skip
            return
        self._remember_prompt_options()
        self._start_job(tasks.draw, self.prompt.prompt(), self.prompt.options(), self.conf,
                        keys.get_key(), self.retry, succeeded=self._drawn)  # fmt: skip
        self._progress("picturing", None, None)

    @Slot()
    def queue_prompt(self) -> None:
        if not self.prompt.prompt():
            return self.draw()  # says what is missing
        self._remember_prompt_options()
        self.queue_sources([self.prompt.prompt()], batch.PROMPT)

    def queue_sources(self, sources: list[str], kind: str = batch.PICTURE) -> None:
        """Pictures (or prompts) into the batch queue, with the parameters on screen."""
        settings = self._generation_settings()
        if settings is None:
            return
        params, backend = settings
        queued = {
            "params": params.as_dict(),
            "backend": backend,
            "prepare": self.params.prepare.isChecked(),
            "draw_options": self.prompt.options() if kind == batch.PROMPT else {},
        }
        count = self.batch.add(sources, kind, queued)
        self.queue_dock.show()
        self._show_stage(f"Queued {count} item{'s' * (count != 1)}")

    def _generation_settings(self) -> tuple[TriposrParams, str] | None:
        """Checked parameters and the generator; remembered as the next defaults."""
        try:
            params = self.params.params().validate()
        except Aiml3DError as exc:
            self.report_error(exc, "Check the parameters")
            return None
        backend, prepare = self.params.backend_key(), self.params.prepare.isChecked()
        if (backend, prepare) != (self.conf.backend, self.conf.prepare):
            self.conf.backend, self.conf.prepare = backend, prepare
            self._save_settings()
        return params, backend

    def _remember_prompt_options(self) -> None:
        options = self.prompt.options()
        if (options["image_model"], options["suffix"]) != (
            self.conf.image_model,
            self.conf.prompt_suffix,
        ):
            self.conf.image_model, self.conf.prompt_suffix = (
                options["image_model"],
                options["suffix"],
            )
            self._save_settings()

    def _save_settings(self) -> None:
        with contextlib.suppress(OSError):  # a read-only config folder: the choice holds until exit
            settings_mod.save(self.conf)

    def _library_ready(self) -> bool:
        if self.library is None:
            error = LibraryError("The library is not open, so the model would have nowhere to go",
                                 hint="Check the library folder in File > Settings, then "
                                 "restart.")  # fmt: skip
            self.report_error(error, "No library")
        return self.library is not None

    def _start_job(self, fn, *args, succeeded) -> None:
        self.job = self.runner.start(
            fn, *args, succeeded=succeeded, failed=self._generation_failed, progress=self._progress
        )
        self._set_busy(True)

    @Slot(object)
    def _drawn(self, preview) -> None:
        self._job_done()
        self.image_panel.set_preview(preview)
        if self._generate_when_drawn:
            self._generate_when_drawn = False
            self.generate()
        else:
            self._show_stage("Picture drawn: press Generate to make it 3D, or Draw again")

    @Slot()
    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self._show_stage("Cancelling…")

    @Slot(object)
    def _generated(self, done) -> None:
        entry, result = done
        self._job_done()
        self.library_panel.add_entry(entry)
        self._show_mesh(result.loaded, result.metadata, entry)
        seconds = result.metadata.get("elapsed_s", 0)
        kind = " (a quick relief preview, not TripoSR)" if entry.model == LOCAL_MODEL else ""
        self._show_stage(f"Done in {seconds:.1f} s{kind} — kept in the library as {entry.title}")

    @Slot(object)
    def _generation_failed(self, error: Aiml3DError) -> None:
        self._job_done()
        self._generate_when_drawn = False
        self.report_error(error, "The model could not be made")

    @Slot(object)
    def _failed(self, error: Aiml3DError) -> None:
        self.report_error(error, "Could not open that")

    def _job_done(self) -> None:
        self.job = None
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.generate_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.params.setEnabled(not busy)
        self.prompt.draw_button.setEnabled(not busy)

    @Slot()
    def _idle(self) -> None:
        self.elapsed_timer.stop()
        self.progress.hide()
        self._stage = ""
        self._open_library_when_free()

    # Progress

    @Slot(str, object, object)
    def _progress(self, stage: str, done, total) -> None:
        sender = self.sender()
        if self.job is not None and isinstance(sender, Worker) and sender is not self.job:
            return  # while a generation runs, the status bar is its own
        if stage != self._stage:
            self._stage, self._stage_started = stage, time.monotonic()
        if stage == "generating":
            self.elapsed_timer.start()
        else:
            self.elapsed_timer.stop()
        # A bar only where there is a fraction to show. No busy animation: it recomposes the
        # window (viewer included) 60 times a second, which costs a core under software GL;
        # the stage text and its seconds counter say that work goes on.
        self.progress.setVisible(bool(total))
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * (done or 0) / total))
        self._tick(done, total)

    @Slot()
    def _tick(self, done=None, total=None) -> None:
        text = STAGE_TEXT.get(self._stage, self._stage)
        if self._stage == "generating":
            text += f"… {time.monotonic() - self._stage_started:.0f} s (this takes up to a minute)"
        elif self._stage in ("downloading", "uploading") and done is not None:
            text += f" {done / 2**20:.1f}" + (f" of {total / 2**20:.1f} MB" if total else " MB")
        self.stage_label.setText(text)

    def _show_stage(self, text: str) -> None:
        self.stage_label.setText(text)

    # Input: drag and drop, paste

    def dragEnterEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage() or mime.hasText():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        self.take_mime(event.mimeData())
        event.acceptProposedAction()

    @Slot()
    def paste(self) -> None:
        self.take_mime(QGuiApplication.clipboard().mimeData())

    def take_mime(self, mime) -> None:
        """Files, links and image data, from a drop or the clipboard. Several pictures, or a
        folder, go to the batch queue."""
        local = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
        if len(local) > 1 or any(Path(p).is_dir() for p in local):
            pictures = batch.pictures_in(local)
            if pictures:
                return self.queue_sources(pictures)
            return self.report_error(
                InputError(
                    "No pictures there",
                    hint="The batch queue takes PNG, JPEG and WEBP files, or folders of them.",
                ),
                "Nothing to queue",
            )
        for url in mime.urls() if mime.hasUrls() else []:
            if url.isLocalFile():
                return self.open_path(url.toLocalFile())
            if url.scheme() in ("http", "https"):
                return self.open_path(url.toString())
        if mime.hasImage():
            image = QImage(mime.imageData())
            if not image.isNull():
                return self.open_image_data(image)
        text = mime.text().strip() if mime.hasText() else ""
        if images.is_url(text) or (text and Path(text).expanduser().is_file()):
            return self.open_path(text if images.is_url(text) else str(Path(text).expanduser()))
        self.report_error(InputError("That is not a picture, a link or a mesh file",
                                     hint="Drop or paste a PNG, JPEG or WEBP picture, a link "
                                     "to one, or a 3D model file."), "Nothing to open")  # fmt: skip

    # File menu

    @Slot()
    def choose_picture(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open picture", self._last_folder(),
                                              _picture_filter())  # fmt: skip
        if path:
            self.open_path(path)

    @Slot()
    def choose_pictures_for_queue(self) -> None:
        paths_, _ = QFileDialog.getOpenFileNames(
            self, "Add pictures to the queue", self._last_folder(), _picture_filter()
        )
        if paths_:
            self.queue_sources(paths_)

    @Slot()
    def choose_folder_for_queue(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of pictures to the queue",
                                                  self._last_folder())  # fmt: skip
        if folder:
            pictures = batch.pictures_in([folder])
            if pictures:
                self.queue_sources(pictures)
            else:
                self.report_error(InputError(f"No pictures in {folder}",
                                             hint="The queue takes PNG, JPEG and WEBP files."),
                                  "Nothing to queue")  # fmt: skip

    @Slot()
    def choose_mesh(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in READ_FORMATS)
        path, _ = QFileDialog.getOpenFileName(self, "Open 3D model", self._last_folder(),
                                              f"3D models ({patterns})")  # fmt: skip
        if path:
            self.open_path(path)

    @Slot()
    def export_mesh(self) -> None:
        if self.loaded is not None:
            self._export(self.loaded, self.entry.title if self.entry else self.loaded.path.stem)

    def _export(self, what: LoadedMesh | Path, stem: str) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export 3D model", str(self.conf.output_path / stem),
            "GLB (*.glb);;OBJ (*.obj);;STL (*.stl);;PLY (*.ply)",
        )  # fmt: skip
        if path:
            if not Path(path).suffix:
                path += "." + chosen.split("*.")[1].rstrip(")")
            self._start(tasks.export_mesh, what, path, succeeded=self._exported)

    @Slot(object)
    def _exported(self, path) -> None:
        self._show_stage(f"Exported {path}")

    @Slot()
    def save_screenshot(self) -> None:
        name = (self.loaded.path.stem if self.loaded else "view") + ".png"
        path, _ = QFileDialog.getSaveFileName(
            self, "Save screenshot", str(self.conf.output_path / name), "PNG (*.png)"
        )
        if path:
            if self.viewer.grabFramebuffer().save(path):
                self._show_stage(f"Saved {path}")
            else:
                self.report_error(InputError(f"Could not write {path}"), "Screenshot not saved")

    @Slot()
    def open_settings(self) -> None:
        dialog = SettingsDialog(self.conf, self)
        if dialog.exec():
            self.params.set_params(self.conf.params)
            self.params.set_backend(self.conf.backend)
            self.params.prepare.setChecked(self.conf.prepare)
            self._show_stage("Settings saved")

    @Slot()
    def open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir())))

    def _last_folder(self) -> str:
        recent = state.recent_files(self.ui)
        for item in recent:
            if not images.is_url(item) and Path(item).parent.is_dir():
                return str(Path(item).parent)
        return str(Path.home())


def _picture_filter() -> str:
    return "Pictures (" + " ".join(f"*{s}" for s in images.PICTURE_SUFFIXES) + ")"


def _entry_metadata(entry: Entry) -> dict:
    """What the statistics panel shows of how a library entry was made."""
    return {"timings": entry.timings, "credits_used": entry.credits,
            "request_id": entry.request_id}  # fmt: skip

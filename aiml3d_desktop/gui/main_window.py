"""The main window: reference picture and 3D viewer side by side, parameters and statistics
in a side panel, staged progress in the status bar. It composes widgets and routes events;
the work itself is core/'s, run through gui/workers.py."""

from __future__ import annotations

import contextlib
import logging
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Slot
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QPushButton,
)

from aiml3d_desktop import APP_NAME
from aiml3d_desktop.core import settings as settings_mod
from aiml3d_desktop.core.api.models import GENERATORS, ModelParams
from aiml3d_desktop.core.api.params import LOCAL_MODEL
from aiml3d_desktop.core.common.errors import Aiml3DError, Cancelled, LibraryError
from aiml3d_desktop.core.library.store import Entry, Library
from aiml3d_desktop.core.look.studio import MODES
from aiml3d_desktop.core.meshes import formats
from aiml3d_desktop.core.meshes.mesh import LoadedMesh
from aiml3d_desktop.core.net.policy import is_url
from aiml3d_desktop.core.session import PICTURE, SCENE, Session
from aiml3d_desktop.gui import state, tasks, window_actions, window_layout
from aiml3d_desktop.gui.asset_controller import AssetController
from aiml3d_desktop.gui.batch_controller import BatchController
from aiml3d_desktop.gui.compose_controller import ComposeController
from aiml3d_desktop.gui.context import Context, Requests
from aiml3d_desktop.gui.errors import show_error
from aiml3d_desktop.gui.file_actions import FileActions
from aiml3d_desktop.gui.generation import GenerationController
from aiml3d_desktop.gui.likeness_controller import LikenessController
from aiml3d_desktop.gui.lookdev import Lookdev
from aiml3d_desktop.gui.menus import Menus
from aiml3d_desktop.gui.outline_controller import OutlineController
from aiml3d_desktop.gui.parts_controller import PartsController
from aiml3d_desktop.gui.scene_controller import SceneController, is_scene_file
from aiml3d_desktop.gui.status_line import StatusLine
from aiml3d_desktop.gui.usage_controller import UsageController
from aiml3d_desktop.gui.widgets import offscreen
from aiml3d_desktop.gui.widgets.image_panel import ImagePanel
from aiml3d_desktop.gui.widgets.labels import FormColumns
from aiml3d_desktop.gui.widgets.library_panel import LibraryPanel
from aiml3d_desktop.gui.widgets.params_panel import ParamsPanel
from aiml3d_desktop.gui.widgets.prompt_box import PromptBox
from aiml3d_desktop.gui.widgets.queue_panel import QueuePanel
from aiml3d_desktop.gui.widgets.stats_panel import StatsPanel
from aiml3d_desktop.gui.widgets.view_slots import ViewSlots
from aiml3d_desktop.gui.window_input import DropsAndPaste
from aiml3d_desktop.gui.workers import Runner

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent

    from aiml3d_desktop.core.composition.history import Composition
    from aiml3d_desktop.core.generation.preview import Preview
    from aiml3d_desktop.core.library.results import JobResult
    from aiml3d_desktop.core.meshes.scene import Scene
    from aiml3d_desktop.gui.widgets.compare_window import CompareWindow

log = logging.getLogger(__name__)


class MainWindow(DropsAndPaste):
    def __init__(self, files: tuple[str, ...] | list[str] = ()) -> None:
        """``files`` come from the command line (a file manager's "Open with"): pictures,
        meshes, folders or links, opened as a drop of them would be. A lone mesh starts
        loading first, on a worker thread, so that reading it overlaps building the window;
        the rest waits for the window's panels."""
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        conf, warnings = settings_mod.load()
        self.session = Session(conf)
        self.conf = conf
        self.ui = state.window_state()
        self.status = StatusLine(self.statusBar(), self)
        # Every job's errors go to the one route, its progress to the status bar.
        self.runner = Runner(self.report_error, self.status.progress, self)
        self.runner.idle.connect(self._idle)
        early = list(files) if len(files) == 1 and _is_mesh_file(files[0]) else []
        for source in early:
            self._start_open(source)
        # Imported here, after those loads started: pyqtgraph takes a third of a second.
        from aiml3d_desktop.gui.qt_setup import collect_garbage_on_gui_thread
        from aiml3d_desktop.gui.widgets.viewer import Viewer

        collect_garbage_on_gui_thread()

        self._opening_entry: Entry | None = None
        self.compare_window: CompareWindow | None = None

        self._details_wanted: LoadedMesh | None = None
        self.image_panel = ImagePanel()
        self.viewer = Viewer()
        self.viewer.frameSwapped.connect(self._frame_shown)
        self.splitter = window_layout.centre(self.image_panel, self.viewer)
        self.setCentralWidget(self.splitter)
        self.image_panel.has_picture.connect(
            lambda shown: window_layout.picture_shown(self.splitter, self.ui, shown)
        )
        self.session.listen(PICTURE, self.image_panel.set_preview)

        self.params = ParamsPanel()
        self.params.load_from(self.conf)
        self.params.framing_changed.connect(self._reframe)
        self.views = ViewSlots()
        self.prompt = PromptBox()
        self.prompt.set_options(self.conf.image_model, self.conf.prompt_suffix)
        self._build_controllers()
        self.generate_button = QPushButton("Generate 3D model")
        self.generate_button.setDefault(True)
        self.generate_button.clicked.connect(self.generation.generate)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.generation.cancel)
        self.prompt.draw_requested.connect(self.generation.draw)
        self.prompt.queue_requested.connect(self.generation.queue_prompt)
        self.stats = StatsPanel()
        self.stats.set_size_unit(self.conf.size_unit)
        self.library_panel = LibraryPanel(self.thumbnails)
        self._connect_library_panel()
        self._library_wanted, self._shown = True, False  # opened once the window is up
        side = window_layout.side_panel(
            self.prompt,
            self.params,
            self.views,
            self.generate_button,
            self.cancel_button,
            self.stats,
        )
        FormColumns(side)  # its forms' fields in one column
        self.side_dock, self.library_dock, self.queue_dock = window_layout.add_docks(
            self, side, self.library_panel, self.queue_panel
        )
        self._build_tools()
        self.recent = window_actions.RecentFiles(self)
        self.menu_actions = Menus(self.menuBar(), window_actions.rows(self), self.session)
        for source in early:
            self.recent.add(source)
        window_layout.restore(self, self.ui, self.splitter, (self.library_dock, self.side_dock))
        self._restore_view()
        self._set_busy(False)
        # Generate, its menu entry and the empty view's hint follow what there is to make.
        self.generation.ready_changed.connect(self._generate_ready)
        self.generation.hint_changed.connect(self.viewer.set_hint)
        self.generation.settings_wanted.connect(self.files.open_settings)
        self.generation.refresh_ready()
        for warning in warnings:
            self.statusBar().showMessage(warning, 10000)
        if files and not early:
            self.open_sources(list(files))

    def _build_controllers(self) -> None:
        """The controllers, given what they work with; the window listens to them."""
        self.thumbnails = offscreen.ThumbnailMaker(self.runner, self)
        self.queue_panel = QueuePanel()
        self.batch = BatchController(self.session, self.runner, self.queue_panel, self)
        self.batch.open_requested.connect(self.open_entry_id)
        self.batch.status.connect(self.status.show)
        self.batch.error.connect(self.report_error)
        self.generation = GenerationController(
            self.session,
            self.runner,
            self.status,
            self.image_panel,
            self.prompt,
            self.params,
            self.views,
            self,
        )
        self.generation.enqueue.connect(self.batch.add)
        self.generation.front_wanted.connect(self._open_front)
        self.generation.generated.connect(self._generated)
        self.generation.queued.connect(self._queued)
        self.generation.busy_changed.connect(self._set_busy)
        self.generation.error.connect(self.report_error)
        self.generation.status.connect(self.status.show)
        self.files = FileActions(
            self, self.runner, self.session, self.ui, self.viewer, self.image_panel
        )
        self.files.open_requested.connect(self.open_path)
        self.files.queue_requested.connect(self.generation.queue_paths)
        self.files.settings_changed.connect(self._settings_changed)
        self.files.key_saved.connect(self.session.key_saved)
        self.files.status.connect(self.status.show)
        # What the tools (Prepare asset, Parts, Outline, Usage, look-dev) ask of the window.
        self.requests = Requests(self)
        self.requests.open_entry.connect(self.open_entry)
        self.requests.open_path.connect(self.open_path)
        self.requests.compare.connect(self.compare)
        self.requests.export_entry.connect(self.files.export_entry)
        self.requests.status.connect(self.status.show)
        self.requests.error.connect(self.report_error)
        self.tools = Context(self.session, self.runner, self.viewer, self.ui, self.requests, self)

    def _build_tools(self) -> None:
        """Prepare asset and Split into parts (tabs beside the side panel), and Usage."""
        self.assets = AssetController(self.tools)
        self.prepare_dock = window_layout.tab_dock(
            self, self.assets.panel, self.side_dock, "Prepare", "prepareDock"
        )
        self.parts = PartsController(self.tools)
        self.scenes = SceneController(self.tools)
        self.library_panel.scene_requested.connect(self.scenes.add_entries)
        self.scenes.saved.connect(self._scene_saved)
        self.session.listen(SCENE, self._scene_shown)
        self.parts_dock = window_layout.tab_dock(
            self, self.parts.panel, self.side_dock, "Parts", "partsDock"
        )
        self.outline = OutlineController(self.tools)
        self.outline_dock = window_layout.tab_dock(
            self, self.outline.panel, self.side_dock, "Outline", "outlineDock", scrolled=False
        )
        self.outline.attach(self.outline_dock)
        self.scene_dock = window_layout.tab_dock(
            self, self.scenes.tab, self.side_dock, "Scene", "sceneDock", scrolled=False
        )
        self.scenes.attach(self.scene_dock)
        self.usage = UsageController(self.tools)
        self.lookdev = Lookdev(self.tools)
        self.lookdev.lit.connect(self.scenes.lit)  # a composed scene keeps its lighting
        self.scenes.lighting_wanted.connect(self.lookdev.show_lighting)
        self.likeness = LikenessController(self.tools)
        self.likeness.checked.connect(self._verdict_kept)
        # A scene from a sentence: its objects made through the queue, put in as they come.
        self.compose = ComposeController(self.tools)
        self.compose.enqueue.connect(self.batch.add)
        self.compose.enqueue.connect(self.scenes.refresh_making)
        self.compose.begun.connect(self.library_panel.add_entry)
        self.compose.cancel.connect(self.batch.cancel_items)
        self.compose.arrived.connect(self.scenes.put_in)
        self.batch.scene_model_made.connect(self.compose.model_made)
        self.batch.item_done.connect(self.scenes.refresh_making)
        self.scenes.boxes_wanted.connect(self.compose.make_boxes)
        self.scenes.stop_wanted.connect(self.compose.stop)
        self.scenes.look_wanted.connect(self.compose.look_again)
        self.compose.revised.connect(self.scenes.revise)
        for tool in (self.assets, self.parts, self.usage):
            tool.status.connect(self.status.show)
        # Whenever calls may have been made, an open usage view shows them.
        for done in (self.generation.busy_changed, self.batch.item_done, self.parts.done):
            done.connect(self.usage.refresh_if_shown)

    def _restore_view(self) -> None:
        """The view as it was left: up axis, shading, grid and the like, background."""
        self.set_up_axis(str(self.ui.value("upAxis", "y")))
        shading = str(self.ui.value("shading", "studio"))
        self.set_shading(shading if shading in MODES else "studio")
        window_actions.apply_view_options(self)

    def set_up_axis(self, axis: str) -> None:
        """The view and the thumbnails made from now on turn the model the same way."""
        self.viewer.set_up_axis(axis if axis in ("y", "z") else "y")
        self.scenes.handles.refresh()  # the chosen's boxes turn with the models
        self.thumbnails.up_axis = self.viewer.up_axis
        self.menu_actions[f"up_{self.viewer.up_axis}"].setChecked(True)

    def set_shading(self, mode: str) -> None:
        self.menu_actions[f"shading_{mode}"].setChecked(True)
        self.viewer.set_shading(mode)
        self.ui.setValue("shading", mode)

    # What is on screen lives in the session; these read it.

    @property
    def loaded(self) -> LoadedMesh | None:
        return self.session.loaded

    @property
    def entry(self) -> Entry | None:
        return self.session.entry

    @property
    def library(self) -> Library | None:
        return self.session.library

    @Slot(bool)
    def _set_busy(self, busy: bool) -> None:
        """While a generation or drawing runs, its buttons and parameters rest."""
        self.cancel_button.setEnabled(busy)
        self.params.setEnabled(not busy)
        self.prompt.draw_button.setEnabled(not busy)

    @Slot(bool, str)
    def _generate_ready(self, ready: bool, why: str) -> None:
        self.generate_button.setEnabled(ready)
        self.generate_button.setToolTip(why)
        self.menu_actions["generate"].setEnabled(ready)

    @Slot(object)
    def _open_front(self, source: str | QImage) -> None:
        """Something for a multi-view model's front slot: the picture on screen."""
        if isinstance(source, QImage):
            self.open_image_data(source)
        else:
            self.open_path(source)

    @Slot(object, object)
    def _generated(self, entry: Entry, result: JobResult) -> None:
        self.library_panel.add_entry(entry)
        self.show_mesh(result.loaded, entry)

    @Slot(int)
    def _queued(self, count: int) -> None:
        self.queue_dock.show()

    @Slot()
    def _settings_changed(self) -> None:
        self.params.load_from(self.conf)
        self.stats.set_size_unit(self.conf.size_unit)
        self._reframe()  # new defaults may frame the picture on screen otherwise

    def _connect_library_panel(self) -> None:
        panel = self.library_panel
        panel.open_requested.connect(self.open_entry)
        panel.compare_requested.connect(self.compare)
        panel.export_requested.connect(self.files.export_entry)
        panel.file_export_requested.connect(self.files.export_files)
        panel.status.connect(self.status.show)
        panel.error.connect(self.report_error)
        self.batch.entry_made.connect(panel.add_entry)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.scenes.may_leave():
            event.ignore()
            return
        window_layout.save(self, self.ui, self.splitter)
        self.ui.setValue("upAxis", self.viewer.up_axis)
        self.ui.sync()
        self.thumbnails.close()  # first: it would start work on the runner
        self.batch.shutdown()  # what runs goes back to waiting, for the next start
        self.runner.shutdown()
        if self.compare_window is not None:
            self.compare_window.close()
        super().closeEvent(event)

    # Errors: the one route

    @Slot(object)
    @Slot(object, str)
    def report_error(self, error: Aiml3DError, title: str = "Something went wrong") -> None:
        if isinstance(error, Cancelled):
            self.status.show("Cancelled — nothing was kept")
            return
        self.status.show(str(error.message))
        show_error(self, error, title)

    # Opening things

    def open_path(self, source: str) -> None:
        """A picture (file or link) becomes the reference; a mesh file opens in the viewer,
        without the picture of whatever was there before."""
        if (_is_mesh_file(source) or is_scene_file(source)) and not self.scenes.may_leave():
            return  # a scene with changes not saved stays
        if _is_mesh_file(source) and self.generation.job is None:
            self.session.set_picture(None)
        self._start_open(source)
        self.recent.add(source)

    def _start_open(self, source: str) -> None:
        if is_scene_file(source):
            self.scenes.open(source)
        elif _is_mesh_file(source):
            self.runner.start(tasks.open_mesh, source, succeeded=self._mesh_opened)
        else:
            self.runner.start(
                tasks.open_picture,
                source,
                self.params.fill(),
                self.params.max_side_px(),
                succeeded=self._picture_opened,
            )

    def open_image_data(self, image: QImage) -> None:
        self.runner.start(tasks.save_pasted_image, image.copy(), succeeded=self._picture_opened)

    @Slot()
    def _reframe(self) -> None:
        """Show the picture as it will now be sent (framing on or off, another ratio)."""
        preview = self.image_panel.preview
        if preview is not None and not preview.is_url and preview.drawing is None:
            self.runner.start(
                tasks.open_picture,
                preview.source,
                self.params.fill(),
                self.params.max_side_px(),
                succeeded=self._picture_opened,
            )

    @Slot(object)
    def _picture_opened(self, preview: Preview) -> None:
        log.info("opened picture %s", preview.source)
        self.session.set_picture(preview)
        if self.generation.job is None:
            self.status.show("Picture ready: press Generate")

    def _entry_picture_opened(self, entry: Entry, preview: Preview) -> None:
        """An entry's picture, under the name it came with (it is kept as source.png)."""
        original = entry.source if entry.source_kind in ("file", "url") else ""
        name = original.split("?")[0].replace("\\", "/").rsplit("/", 1)[-1] if original else None
        self.session.set_picture(preview, name)

    @Slot(object)
    def _mesh_opened(self, loaded: LoadedMesh) -> None:
        entry, self._opening_entry = self._opening_entry, None
        if entry is not None and loaded.path != entry.mesh_path:
            entry = None  # another file finished loading first
        log.info("opened mesh %s", loaded.path)
        self.show_mesh(loaded, entry)
        notes = "; ".join(loaded.scene.notes)
        self.status.show(
            f"Opened {entry.title if entry else loaded.path.name}"
            + (f" ({notes})" if notes else "")
        )

    # The library

    def _open_library_when_free(self) -> None:
        """After the first frame, and after any file given on the command line is shown:
        the library is not what the window's first second is for."""
        if self._library_wanted and self._shown and not self.runner.busy:
            self._library_wanted = False
            self.runner.start(
                tasks.open_library, self.conf.library_path, succeeded=self._library_opened
            )

    @Slot(object)
    def _library_opened(self, result: tuple[Library, list[Entry]]) -> None:
        library, entries = result
        self.batch.set_library(library)
        self.session.open_library(library, self.batch.queue)
        self.thumbnails.library = library
        self.library_panel.set_library(library, entries)
        if self.batch.has_work():  # not for the last run's finished items alone
            self.queue_dock.show()
        warnings = library.warnings
        if warnings:  # one line holds one: the first, and how many more
            more = f" (and {len(warnings) - 1} more in the log)" if len(warnings) > 1 else ""
            self.statusBar().showMessage(warnings[0] + more, 15000)

    @Slot(object)
    def open_entry(self, entry: Entry) -> None:
        """The entry's mesh in the viewer, its picture beside it, its parameters restored:
        "generate again with these settings" is then one click."""
        problem = (
            LibraryError(
                f"The mesh file of {entry.title} is missing",
                hint=f"It should be {entry.mesh_path}.",
            )
            if entry.missing
            else None
        )
        if problem is None and entry.links():  # made since the library was opened
            problem = LibraryError(
                f"{entry.title} holds a symbolic link, which the library never follows",
                hint="`aiml3d library check` lists what is wrong.",
            )
        if problem is not None:
            self.report_error(problem, "Cannot open")
            return
        if not self.scenes.may_leave():
            return  # a scene with changes not saved stays
        if entry.is_scene:
            self.scenes.open(str(entry.mesh_path), entry)
            return
        self._opening_entry = entry
        self.runner.start(tasks.open_mesh, str(entry.mesh_path), succeeded=self._mesh_opened)
        picture = entry.source_path or (
            entry.folder / entry.uploaded_file if entry.uploaded_file else None
        )
        if picture is not None and picture.is_file():
            self.runner.start(  # shown as it was kept: Generate prepares it if asked
                tasks.open_picture,
                str(picture),
                None,
                None,
                False,
                succeeded=partial(self._entry_picture_opened, entry),
            )
        else:
            self.session.set_picture(None)
        self.generation.show_views(entry)
        if entry.model == LOCAL_MODEL:  # the generator that made it, again
            self.params.set_backend("local")
        elif entry.model in {m.id for m in GENERATORS} and entry.params is not None:
            # Parameters from another version (or a model no longer known): keep the current.
            with contextlib.suppress(Aiml3DError, TypeError):
                self.params.set_params(ModelParams(entry.model, entry.params).validate())

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
        self.runner.start(
            tasks.import_to_library, self.library, self.loaded.path, succeeded=self._imported
        )

    @Slot(object)
    def _imported(self, entry: Entry) -> None:
        self.library_panel.add_entry(entry)
        if self.loaded is not None and self.entry is None:
            self.session.kept(entry)
        self.status.show(f"Added {entry.title} to the library")

    @Slot(object, object)
    def compare(self, first: Entry, second: Entry) -> None:
        from aiml3d_desktop.gui.widgets.compare_window import CompareWindow

        if self.compare_window is None:
            self.compare_window = CompareWindow(self.runner, self.viewer.up_axis)
        window = self.compare_window
        window.compare(first, second, self.conf.size_unit)
        window.show()
        window.raise_()

    def show_mesh(self, loaded: LoadedMesh, entry: Entry | None) -> None:
        """Draw first; smooth normals and statistics of a large mesh follow from workers.
        A new model is framed from the home view, not from wherever the last one was
        turned; the same one again (a version of the entry, the file reopened) keeps it."""
        if not self.scenes.may_leave():  # a scene with changes not saved is on screen
            return
        home = None if self.session.same_model(loaded, entry) else "home"
        self.viewer.show_scene(loaded.scene, view=home)
        self.session.show(loaded, entry)  # the tools follow (they listen to the session)
        if entry is not None and not entry.is_version:  # a version leaves the tile as it is
            self.thumbnails.expect(entry)
            self._offer_thumbnail()
        self.setWindowTitle(f"{entry.title if entry else loaded.path.name} — {APP_NAME}")
        if loaded.has_stats:
            self._stats_ready(loaded)
        else:
            self.stats.show_pending(loaded.path.name)
        self._details_wanted = loaded  # started once the mesh is on screen: see below

    def _scene_shown(self, composition: Composition | None, path: Path | None) -> None:
        if composition is None:
            return
        if self.viewer.up_axis != "y":  # a composed scene is +Y up, whatever a file was
            self.set_up_axis("y")
        scene = self.viewer.scene
        if scene is not None and path is not None:
            self.stats.show_scene(
                path.name, scene, len({p.source.key for p in composition.doc.placements})
            )

    @Slot(object, object)
    def _scene_saved(self, entry: Entry, scene: Scene | None) -> None:
        """A scene kept in the library: its tile, its thumbnail drawn anew."""
        self.library_panel.add_entry(entry)
        if scene is not None:
            self.thumbnails.offer(entry, scene, again=True)

    @Slot()
    def _frame_shown(self) -> None:
        """Normals and statistics of a big mesh keep the cores busy for a second: start them
        after its first frame, not in competition with it."""
        self._shown = True
        self._open_library_when_free()
        loaded, self._details_wanted = self._details_wanted, None
        if loaded is None or loaded is not self.loaded:
            return
        log.info("mesh on screen: %s", loaded.path)
        # One after the other, not side by side: at 1.4M triangles each holds a few
        # hundred MB while it works, and together they were the viewer's peak.
        if not loaded.scene.has_normals:
            self.runner.start(tasks.mesh_normals, loaded, succeeded=self._normals_ready)
        else:
            self._want_stats(loaded)

    def _want_stats(self, loaded: LoadedMesh) -> None:
        if not loaded.has_stats:
            self.runner.start(tasks.mesh_stats, loaded, succeeded=self._stats_ready)

    @Slot(object)
    def _normals_ready(self, loaded: LoadedMesh) -> None:
        if loaded is self.loaded:
            self.viewer.normals_changed()
            self._offer_thumbnail()
            self._want_stats(loaded)

    def _offer_thumbnail(self) -> None:
        """The entry on screen makes its own thumbnail from the scene in memory, once it has
        smooth normals."""
        loaded, entry = self.loaded, self.entry
        if entry is not None and not entry.is_version and loaded and loaded.scene.has_normals:
            self.thumbnails.offer(entry, loaded.scene)

    @Slot(object)
    def _verdict_kept(self, entry: Entry) -> None:
        """A verdict kept with the entry on screen: shown beside it."""
        if self.entry is not None and entry.id == self.entry.id:
            self.session.entry = entry
            if self.loaded is not None:
                self._stats_ready(self.loaded)

    @Slot(object)
    def _stats_ready(self, loaded: LoadedMesh) -> None:
        if loaded is self.loaded:
            self.stats.show_stats(loaded.path.name, loaded.stats, self.entry, loaded.scene.unit)

    @Slot()
    def _idle(self) -> None:
        self.status.idle()
        self._open_library_when_free()


def _is_mesh_file(source: str) -> bool:
    found = formats.by_extension(Path(source).suffix)
    return not is_url(source) and found is not None and found.read is not None

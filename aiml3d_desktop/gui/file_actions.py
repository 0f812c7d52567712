"""What the File menu's dialogs do: open, queue, export, screenshots, the snapshot sheet,
settings. Files are written on workers, whole or not at all.

Given the session and what it works with, it speaks through signals; what is on screen is
the session's."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QWidget

from aiml3d_desktop import paths
from aiml3d_desktop.core.common.fileio import path_kind
from aiml3d_desktop.core.meshes import formats
from aiml3d_desktop.core.meshes.mesh import LoadedMesh
from aiml3d_desktop.core.net.policy import is_url
from aiml3d_desktop.core.pictures.limits import PICTURE_SUFFIXES
from aiml3d_desktop.gui import state, tasks
from aiml3d_desktop.gui.widgets import offscreen
from aiml3d_desktop.gui.widgets.settings_dialog import SettingsDialog

if TYPE_CHECKING:
    from aiml3d_desktop.core.library.entry import Entry
    from aiml3d_desktop.core.meshes.scene import Scene
    from aiml3d_desktop.core.session import Session
    from aiml3d_desktop.gui.widgets.image_panel import ImagePanel
    from aiml3d_desktop.gui.widgets.viewer import Viewer
    from aiml3d_desktop.gui.workers import Runner


class FileActions(QObject):
    open_requested = Signal(str)  # a picture or mesh chosen
    queue_requested = Signal(list)  # pictures or folders chosen for the batch queue
    settings_changed = Signal()
    key_saved = Signal(str)  # the API key Settings saved (never logged)
    status = Signal(str)

    def __init__(
        self,
        dialogs: QWidget,
        runner: Runner,
        session: Session,
        ui: QSettings,
        viewer: Viewer,
        picture: ImagePanel,
    ) -> None:
        super().__init__(dialogs)
        self.dialogs, self.runner, self.session, self.ui = dialogs, runner, session, ui
        self.conf = session.conf
        self.viewer, self.picture = viewer, picture

    def on_screen(self) -> tuple[LoadedMesh | None, Entry | None]:
        return self.session.loaded, self.session.entry

    @Slot()
    def choose_picture(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.dialogs, "Open picture", self._last_folder(), _picture_filter()
        )
        if path:
            self.open_requested.emit(path)

    @Slot()
    def choose_mesh(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.dialogs,
            "Open 3D model",
            self._last_folder(),
            f"{formats.dialog_filter('open')};;Composed scenes (*.json)",
        )
        if path:
            self.open_requested.emit(path)

    @Slot()
    def choose_pictures_for_queue(self) -> None:
        chosen, _ = QFileDialog.getOpenFileNames(
            self.dialogs, "Add pictures to the queue", self._last_folder(), _picture_filter()
        )
        if chosen:
            self.queue_requested.emit(chosen)

    @Slot()
    def choose_folder_for_queue(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.dialogs, "Add a folder of pictures to the queue", self._last_folder()
        )
        if folder:
            self.queue_requested.emit([folder])

    @Slot()
    def export_mesh(self) -> None:
        loaded, entry = self.on_screen()
        if loaded is not None:
            self._export(loaded, entry.title if entry else loaded.path.stem)

    @Slot(object)
    def export_entry(self, entry: Entry) -> None:
        self._export(entry.mesh_path, entry.title)

    def export_files(self, paths: list[Path]) -> None:
        """Files as they came (an FBX, a texture...), copied where the user says: one to a
        file name, several to a folder."""
        if len(paths) > 1:
            folder = QFileDialog.getExistingDirectory(
                self.dialogs, "Export the files into", str(self.conf.output_path)
            )
            for path in paths if folder else []:
                dest = str(Path(folder) / path.name)
                self.runner.start(tasks.copy_file, path, dest, succeeded=self._saved)
            return
        (path,) = paths
        kind = path.suffix.lstrip(".").upper()
        dest, _ = QFileDialog.getSaveFileName(
            self.dialogs,
            f"Export {kind}",
            str(self.conf.output_path / path.name),
            f"{kind} (*{path.suffix})",
        )
        if dest:
            self.runner.start(tasks.copy_file, path, dest, succeeded=self._saved)

    def _export(self, what: LoadedMesh | Path, stem: str) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self.dialogs,
            "Export 3D model",
            str(self.conf.output_path / stem),
            formats.dialog_filter("save"),
        )
        if path:
            path = formats.extension_for_filter(chosen, path)
            self.runner.start(tasks.export_mesh, what, path, succeeded=self._saved)

    @Slot()
    def save_screenshot(self) -> None:
        loaded, _ = self.on_screen()
        composition = self.session.composition
        stem = loaded.path.stem if loaded else composition.doc.name if composition else "view"
        name = stem + ".png"
        path = self._save_path("Save screenshot", name)
        if path:
            frame = self.viewer.grabFramebuffer()
            self.runner.start(tasks.save_image, frame, path, succeeded=self._saved)

    @Slot()
    def save_snapshot_sheet(self) -> None:
        """Front, back, left, right and top views beside the reference picture, in one PNG."""
        loaded, entry = self.on_screen()
        composition, scene = self.session.composition, self.viewer.scene
        if loaded is not None:
            title = entry.title if entry else loaded.path.stem
            path = self._save_path("Save snapshot sheet", title + "-sheet.png")
            if path:
                self.runner.start(
                    tasks.sheet_ready, loaded, title, path, succeeded=self._render_sheet
                )
        elif composition is not None and scene is not None:  # drawn as it is shown
            title = composition.doc.name
            path = self._save_path("Save snapshot sheet", title + "-sheet.png")
            if path:
                self._render_sheet((scene, title, path))

    @Slot(object)
    def _render_sheet(self, ready: tuple[Scene, str, str]) -> None:
        scene, title, path = ready
        viewer = self.viewer
        renderer = offscreen.OffscreenRenderer()  # not the thumbnails': lit as the view is
        renderer.look_like(viewer)
        try:
            views = renderer.render(
                scene, offscreen.SHEET_VIEWS, 512, viewer.up_axis, viewer.background()
            )
        finally:
            renderer.close()
        sheet = offscreen.compose_sheet(title, self.picture.image(), views)
        self.runner.start(tasks.save_image, sheet, path, succeeded=self._saved)

    @Slot(object)
    def _saved(self, path: Path) -> None:
        self.status.emit(f"Saved {path}")

    @Slot()
    def open_settings(self) -> None:
        """The dialog shows the key in use: looked up on a worker first if it has not been
        yet (the keychain may take a while), never on this thread."""
        if self.session.key_known:
            self._settings_dialog()
        else:
            self.runner.start(tasks.read_key, self.session, succeeded=self._key_looked_up)

    @Slot(object)
    def _key_looked_up(self, found: bool) -> None:
        self._settings_dialog()

    def _settings_dialog(self) -> None:
        dialog = SettingsDialog(self.conf, self.dialogs, self.session.read_key())
        if dialog.exec():
            if dialog.saved_key:
                self.key_saved.emit(dialog.saved_key)
            self.settings_changed.emit()
            self.status.emit("Settings saved")

    @Slot()
    def open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir())))

    def _save_path(self, title: str, name: str) -> str:
        path, _ = QFileDialog.getSaveFileName(
            self.dialogs, title, str(self.conf.output_path / name), "PNG (*.png)"
        )
        return path

    def _last_folder(self) -> str:
        for item in state.recent_files(self.ui):
            if not is_url(item) and path_kind(Path(item).parent) == "dir":
                return str(Path(item).parent)
        return str(Path.home())


def _picture_filter() -> str:
    return "Pictures (" + " ".join(f"*{s}" for s in PICTURE_SUFFIXES) + ")"

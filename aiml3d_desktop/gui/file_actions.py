"""What the File menu's dialogs do: open, queue, export, screenshots, the snapshot sheet,
settings. Files are written on workers, whole or not at all."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog

from aiml3d_desktop import paths
from aiml3d_desktop.core import images
from aiml3d_desktop.core.mesh import READ_FORMATS, LoadedMesh
from aiml3d_desktop.gui import offscreen, state, tasks
from aiml3d_desktop.gui.widgets.settings_dialog import SettingsDialog

if TYPE_CHECKING:
    from aiml3d_desktop.core.library import Entry
    from aiml3d_desktop.gui.main_window import MainWindow

MESH_FILTERS = "GLB (*.glb);;OBJ (*.obj);;STL (*.stl);;PLY (*.ply)"


class FileActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._sheet_path = ""  # where the snapshot sheet being made goes

    @Slot()
    def choose_picture(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open picture", self._last_folder(),
                                              _picture_filter())  # fmt: skip
        if path:
            self.window.open_path(path)

    @Slot()
    def choose_mesh(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in READ_FORMATS)
        path, _ = QFileDialog.getOpenFileName(self.window, "Open 3D model", self._last_folder(),
                                              f"3D models ({patterns})")  # fmt: skip
        if path:
            self.window.open_path(path)

    @Slot()
    def choose_pictures_for_queue(self) -> None:
        chosen, _ = QFileDialog.getOpenFileNames(
            self.window, "Add pictures to the queue", self._last_folder(), _picture_filter()
        )
        if chosen:
            self.window.generation.queue_paths(chosen)

    @Slot()
    def choose_folder_for_queue(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Add a folder of pictures to the "
                                                  "queue", self._last_folder())  # fmt: skip
        if folder:
            self.window.generation.queue_paths([folder])

    @Slot()
    def export_mesh(self) -> None:
        win = self.window
        if win.loaded is not None:
            self._export(win.loaded, win.entry.title if win.entry else win.loaded.path.stem)

    @Slot(object)
    def export_entry(self, entry: Entry) -> None:
        self._export(entry.mesh_path, entry.title)

    def _export(self, what: LoadedMesh | Path, stem: str) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self.window, "Export 3D model", str(self.window.conf.output_path / stem), MESH_FILTERS
        )
        if path:
            if not Path(path).suffix:
                path += "." + chosen.split("*.")[1].rstrip(")")
            self.window.start(tasks.export_mesh, what, path, succeeded=self._saved)

    @Slot()
    def save_screenshot(self) -> None:
        win = self.window
        name = (win.loaded.path.stem if win.loaded else "view") + ".png"
        path = self._save_path("Save screenshot", name)
        if path:
            frame = win.viewer.grabFramebuffer()
            win.start(tasks.save_image, frame, path, succeeded=self._saved)

    @Slot()
    def save_snapshot_sheet(self) -> None:
        """Front, back, left, right and top views beside the reference picture, in one PNG."""
        win = self.window
        if win.loaded is None:
            return
        name = (win.entry.title if win.entry else win.loaded.path.stem) + "-sheet.png"
        path = self._save_path("Save snapshot sheet", name)
        if path:
            self._sheet_path = path
            win.start(tasks.mesh_normals, win.loaded, succeeded=self._render_sheet)

    @Slot(object)
    def _render_sheet(self, loaded: LoadedMesh) -> None:
        win = self.window
        viewer = win.viewer
        views = win.thumbnails.renderer().render(
            loaded.arrays, offscreen.SHEET_VIEWS, 512, viewer.up_axis, viewer.background()
        )
        title = win.entry.title if win.entry else loaded.path.name
        sheet = offscreen.compose_sheet(title, win.image_panel.image(), views)
        win.start(tasks.save_image, sheet, self._sheet_path, succeeded=self._saved)

    @Slot(object)
    def _saved(self, path) -> None:
        self.window.status.show(f"Saved {path}")

    @Slot()
    def open_settings(self) -> None:
        win = self.window
        if SettingsDialog(win.conf, win).exec():
            win.params.load_from(win.conf)
            win.status.show("Settings saved")

    @Slot()
    def open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir())))

    def _save_path(self, title: str, name: str) -> str:
        path, _ = QFileDialog.getSaveFileName(
            self.window, title, str(self.window.conf.output_path / name), "PNG (*.png)"
        )
        return path

    def _last_folder(self) -> str:
        for item in state.recent_files(self.window.ui):
            if not images.is_url(item) and Path(item).parent.is_dir():
                return str(Path(item).parent)
        return str(Path.home())


def _picture_filter() -> str:
    return "Pictures (" + " ".join(f"*{s}" for s in images.PICTURE_SUFFIXES) + ")"

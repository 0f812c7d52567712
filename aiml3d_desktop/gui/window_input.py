"""What the main window takes in: drops (files, links, pictures, and library tiles into a
composed scene), pastes, and the files, folders and links a second copy of the app hands
over. MainWindow's base class, kept apart; it relies on the window's parts named below."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QMainWindow

from aiml3d_desktop.core.common.errors import Aiml3DError, InputError
from aiml3d_desktop.core.common.fileio import path_kind
from aiml3d_desktop.core.net.policy import is_url
from aiml3d_desktop.gui.widgets.library_panel import ENTRY_MIME
from aiml3d_desktop.gui.widgets.view_slots import accepts, mime_sources

if TYPE_CHECKING:
    from aiml3d_desktop.core.library.entry import Entry
    from aiml3d_desktop.core.library.store import Library
    from aiml3d_desktop.core.session import Session
    from aiml3d_desktop.gui.generation import GenerationController
    from aiml3d_desktop.gui.scene_controller import SceneController
    from aiml3d_desktop.gui.widgets.viewer import Viewer


class DropsAndPaste(QMainWindow):
    if TYPE_CHECKING:  # what the window (MainWindow) provides
        generation: GenerationController

        def open_path(self, source: str) -> None: ...
        def open_image_data(self, image: QImage) -> None: ...
        def report_error(self, error: Aiml3DError, title: str = "") -> None: ...
        def open_entry(self, entry: Entry) -> None: ...

        viewer: Viewer
        session: Session
        scenes: SceneController

        @property
        def library(self) -> Library | None: ...

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if accepts(event.mimeData()) or self._tiles_over_view(event):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(ENTRY_MIME) and not self._tiles_over_view(event):
            event.ignore()  # library tiles go into the 3D view, not elsewhere
        else:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        if mime.hasFormat(ENTRY_MIME):  # library tiles
            if not self._tiles_over_view(event):
                return
            ids = bytes(mime.data(ENTRY_MIME).data()).decode(errors="replace").split()
            point = self.viewer.mapFrom(self, event.position().toPoint())
            self.take_entries(ids, (point.x(), point.y()))
        else:
            self.take_mime(mime)
        event.acceptProposedAction()

    def _tiles_over_view(self, event: QDropEvent) -> bool:
        point = self.viewer.mapFrom(self, event.position().toPoint())
        return event.mimeData().hasFormat(ENTRY_MIME) and self.viewer.rect().contains(point)

    def take_entries(self, ids: list[str], at: tuple[float, float]) -> None:
        """Library tiles dropped on the window (``at``: the view's point): into the scene
        shown, one where the drop meets the ground; with no scene, the first opens."""
        if self.library is None:
            return
        entries = []
        for entry_id in ids:
            try:
                entries.append(self.library.get(entry_id))
            except Aiml3DError:
                continue  # deleted meanwhile
        models = [e for e in entries if not e.is_scene]  # a scene holds models
        if self.session.composition is None or not models:
            if entries:
                self.open_entry(entries[0])
            return
        self.scenes.add_entries(models, self.viewer.ray_at(*at))

    def paste(self) -> None:
        self.take_mime(QGuiApplication.clipboard().mimeData())

    def open_sources(self, sources: list[str]) -> None:
        """Files, folders and links from a drop, the command line or a second copy of the
        app: several files, or a folder, go to the batch queue; one picture, link or mesh
        opens (a missing one says so)."""
        local = [s for s in sources if not is_url(s)]
        if len(local) > 1 or any(path_kind(p) == "dir" for p in local):
            self.generation.queue_paths(local)
        elif sources:
            self.open_path(sources[0])
        self.raise_()
        self.activateWindow()

    def take_mime(self, mime: QMimeData) -> None:
        """Files, links and image data, from a drop or the clipboard."""
        sources, image = mime_sources(mime)
        if sources:
            return self.open_sources(sources)
        if image is not None:
            return self.open_image_data(image)
        text = mime.text().strip() if mime.hasText() else ""
        if is_url(text) or (text and path_kind(Path(text).expanduser()) == "file"):
            return self.open_path(text if is_url(text) else str(Path(text).expanduser()))
        self.report_error(
            InputError(
                "That is not a picture, a link or a mesh file",
                hint="Drop or paste a PNG, JPEG or WEBP picture, a link "
                "to one, or a 3D model file.",
            ),
            "Nothing to open",
        )

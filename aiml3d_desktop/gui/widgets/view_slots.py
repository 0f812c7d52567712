"""Four picture slots for a multi-view model: front (the picture on screen), left, back and
right. Each takes a drop, a paste or a file; the window checks and prepares what it is
given as it does the main picture, and shows it here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from aiml3d_desktop.core.api.models import VIEW_NAMES
from aiml3d_desktop.core.net.policy import is_url

if TYPE_CHECKING:
    from aiml3d_desktop.core.generation.preview import Preview

THUMB = 84
EMPTY = "click, drop\nor paste"
PICTURE_FILTER = "Pictures (*.png *.jpg *.jpeg *.webp)"


def mime_sources(mime: QMimeData) -> tuple[list[str], QImage | None]:
    """Local files and http(s) links in a drop or the clipboard, else its image data."""
    urls = mime.urls() if mime.hasUrls() else []
    sources = [
        url.toLocalFile() if url.isLocalFile() else url.toString()
        for url in urls
        if url.isLocalFile() or url.scheme() in ("http", "https")
    ]
    if not sources and mime.hasText() and is_url(mime.text().strip()):
        sources = [mime.text().strip()]
    image = None
    if not sources and mime.hasImage():
        image = QImage(mime.imageData())
        image = None if image.isNull() else image
    return sources, image


def accepts(mime: QMimeData) -> bool:
    """Whether a drag holds anything a drop could use (files, links, image data, text)."""
    return mime.hasUrls() or mime.hasImage() or mime.hasText()


class _Slot(QFrame):
    def __init__(self, view: str, owner: ViewSlots) -> None:
        super().__init__()
        self.view, self.owner = view, owner
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName(f"view_{view}")
        self.title = QLabel(view.capitalize() + (" (required)" if view == "front" else ""))
        # The picture is its own Open button: the slot stays narrow enough for two abreast.
        self.thumb = QToolButton()
        self.thumb.setFixedSize(THUMB, THUMB)
        self.thumb.setIconSize(QSize(THUMB - 6, THUMB - 6))
        self.thumb.setText(EMPTY)
        self.thumb.setToolTip(f"Open a picture of the {view} (or drop or paste one here)")
        self.thumb.setStyleSheet("background: #22252b; color: #8a909c; border-radius: 4px")
        self.thumb.clicked.connect(self._open)
        self.paste_button = _button("Paste", f"Paste a picture of the {view}")
        self.clear_button = _button("✕", f"Clear the {view} view")
        self.again_button = _button("↻", f"Draw the {view} view again (a new seed; a paid call)")
        self.again_button.hide()  # for a drawn view
        self.paste_button.clicked.connect(self._paste)
        self.clear_button.clicked.connect(lambda: owner.cleared.emit(view))
        self.again_button.clicked.connect(lambda: owner.draw_wanted.emit([view]))
        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        buttons.addStretch(1)
        for button in (self.paste_button, self.again_button, self.clear_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.thumb, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(buttons)

    def show_drawn(self, drawn: dict | None) -> None:
        """Marked as drawn by an editing model (None: a photo, or empty)."""
        name = self.view.capitalize() + (" (required)" if self.view == "front" else "")
        self.title.setText(f"{name} · drawn" if drawn else name)
        self.title.setToolTip(
            f"Drawn by {drawn.get('model')} (seed {drawn.get('seed')}) from the front: keep "
            "it, draw it again (↻), or give a photo in its place"
            if drawn
            else ""
        )
        self.again_button.setVisible(bool(drawn))

    def show_preview(self, preview: Preview | None) -> None:
        if preview is None:
            self.thumb.setIcon(QIcon())
            self.thumb.setText(EMPTY)
            return
        rgba = preview.prepared if preview.prepared is not None else preview.rgba
        h, w = rgba.shape[:2]
        image = QImage(rgba.data, w, h, w * 4, QImage.Format.Format_RGBA8888).copy()
        self.thumb.setText("")
        self.thumb.setIcon(QIcon(QPixmap.fromImage(image)))
        self.thumb.setToolTip("\n".join([preview.source, *preview.notes, "Click for another"]))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if accepts(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self._take(event.mimeData())
        event.acceptProposedAction()

    def _paste(self) -> None:
        self._take(QGuiApplication.clipboard().mimeData())

    def _open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"The {self.view} view", "", PICTURE_FILTER)
        if path:
            self.owner.wanted.emit(self.view, path)

    def _take(self, mime: QMimeData) -> None:
        sources, image = mime_sources(mime)
        if sources:
            self.owner.wanted.emit(self.view, sources[0])
        elif image is not None:
            self.owner.pasted.emit(self.view, image)
        else:
            self.owner.unusable.emit(self.view)


def _button(text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setAutoRaise(True)
    return button


class ViewSlots(QWidget):
    wanted = Signal(str, str)  # (view, a path or link) to check, prepare and show
    pasted = Signal(str, object)  # (view, QImage) from a drop or the clipboard
    cleared = Signal(str)
    unusable = Signal(str)  # something dropped that is no picture
    draw_wanted = Signal(list)  # sides to draw from the front with an editing model

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slots = {view: _Slot(view, self) for view in VIEW_NAMES}
        self.previews: dict[str, Preview] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        for number, view in enumerate(VIEW_NAMES):
            grid.addWidget(self.slots[view], number // 2, number % 2)
        self.draw_button = QPushButton("Draw the missing views")
        self.draw_button.setToolTip(
            "An image-editing model draws the sides this photo lacks from the front picture "
            "(a paid call each, its cost shown first); each drawn view can be kept, drawn "
            "again or replaced with a photo"
        )
        self.draw_button.clicked.connect(self._draw_missing)
        grid.addWidget(self.draw_button, 2, 0, 1, 2)
        self._missing_changed()

    def _draw_missing(self) -> None:
        missing = [v for v in VIEW_NAMES[1:] if v not in self.previews]
        if missing:
            self.draw_wanted.emit(missing)

    def show_drawn(self, drawn: dict[str, dict]) -> None:
        """Which views an editing model drew, and how."""
        for view in VIEW_NAMES[1:]:
            self.slots[view].show_drawn(drawn.get(view))
        self._missing_changed()

    def _missing_changed(self) -> None:
        """Draw the missing views: once there is a front to draw them from, and while a
        view is missing."""
        missing = [v for v in VIEW_NAMES[1:] if v not in self.previews]
        self.draw_button.setEnabled(bool(missing) and "front" in self.previews)
        self.draw_button.setText(
            "Draw the missing views" if missing else "Every view is given or drawn"
        )

    def set_preview(self, view: str, preview: Preview | None) -> None:
        if preview is None:
            self.previews.pop(view, None)
        else:
            self.previews[view] = preview
        self.slots[view].show_preview(preview)
        self._missing_changed()

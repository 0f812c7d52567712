"""The reference picture, fitted to its panel, with its name and size underneath."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from aiml3d_desktop.gui.widgets.labels import width_from_layout

if TYPE_CHECKING:
    import numpy as np

    from aiml3d_desktop.core.generation.preview import Preview

PLACEHOLDER = (
    "Drop a picture here\n(a file, or an image or link from your browser)\n\n"
    "or paste one with Ctrl+V, or open one with Ctrl+O"
)


class _Canvas(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pixmap: QPixmap | None = None
        self.prepared: QPixmap | None = None  # the picture as it will be sent, shown inset
        self.setMinimumSize(160, 160)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(34, 37, 43))
        if self.pixmap is None:
            painter.setPen(QColor(150, 156, 168))
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(self.rect().adjusted(24, 24, -24, -24), flags, PLACEHOLDER)
            painter.setPen(QColor(90, 96, 108))
            painter.drawRoundedRect(self.rect().adjusted(12, 12, -13, -13), 10, 10)
            return
        _checkerboard(painter, self._target())  # so transparency reads as transparency
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(self._target(), self.pixmap)
        if self.prepared is not None:
            side = max(64, min(self.width(), self.height()) // 3)
            inset = QRect(self.width() - side - 10, self.height() - side - 28, side, side)
            _checkerboard(painter, inset, 8)
            painter.drawPixmap(inset, self.prepared)
            painter.setPen(QColor(142, 197, 255))
            painter.drawRect(inset.adjusted(-1, -1, 0, 0))
            # Under the inset, right-aligned to it: wider than a small inset, it runs left.
            caption = QRect(10, inset.bottom() + 1, inset.right() - 10, 22)
            painter.drawText(
                caption,
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                "as it will be sent",
            )

    def _target(self) -> QRect:
        if self.pixmap is None:
            return QRect()
        size = self.pixmap.size().scaled(self.size() * 0.96, Qt.AspectRatioMode.KeepAspectRatio)
        rect = QRect(0, 0, size.width(), size.height())
        rect.moveCenter(self.rect().center())
        return rect


def _checkerboard(painter: QPainter, rect: QRect, cell: int = 12) -> None:
    painter.save()
    painter.setClipRect(rect)
    painter.fillRect(rect, QColor(70, 74, 82))
    for y in range(rect.top(), rect.bottom(), cell):
        for x in range(rect.left() + ((y - rect.top()) // cell % 2) * cell, rect.right(), 2 * cell):
            painter.fillRect(x, y, cell, cell, QColor(58, 62, 70))
    painter.restore()


class ImagePanel(QWidget):
    has_picture = Signal(bool)  # a picture came (True) or went (False)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview: Preview | None = None
        self.canvas = _Canvas(self)
        self.caption = QLabel("No picture yet", self)
        self.caption.setObjectName("imageCaption")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption.setWordWrap(True)  # the size goes under a name too long for one line
        width_from_layout(self.caption)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        self.notes = QLabel(self)
        self.notes.setObjectName("imageNotes")
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: #e0b060")
        self.notes.hide()
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.caption)
        layout.addWidget(self.notes)

    def set_preview(self, preview: Preview | None, name: str | None = None) -> None:
        """Show ``preview`` (or nothing), captioned ``name`` if given (a library entry's
        picture is kept under another name than the one it came with)."""
        self.preview = preview
        self.canvas.prepared = None
        self.notes.setVisible(bool(preview and preview.notes))
        if preview is None:
            self.canvas.pixmap = None
            self.caption.setText("No picture yet")
        else:
            self.canvas.pixmap = QPixmap.fromImage(_image(preview.rgba))
            name = name or (preview.source if preview.is_url else Path(preview.source).name)
            width, height = preview.size
            size = f"{width}\u00a0×\u00a0{height}\u00a0px"  # kept on one line
            self.caption.setText(f"{_elide(name)}  —  {size}")
            self.caption.setToolTip(preview.source)
            if preview.drawing is not None:  # text to 3D: say what drew it, and from what
                drawing = preview.drawing
                self.caption.setText(
                    f"Drawn by {drawing.model} from “{_elide(drawing.prompt)}”  —  {size}"
                )
                self.caption.setToolTip(drawing.prompt + drawing.suffix)
            if preview.prepared is not None:
                self.canvas.prepared = QPixmap.fromImage(_image(preview.prepared))
            self.notes.setText("\n".join(preview.notes))
        self.canvas.update()
        self.has_picture.emit(preview is not None)

    def image(self) -> QImage | None:
        return self.canvas.pixmap.toImage() if self.canvas.pixmap is not None else None


def _image(rgba: np.ndarray) -> QImage:
    h, w = rgba.shape[:2]
    return QImage(rgba.data, w, h, w * 4, QImage.Format.Format_RGBA8888).copy()  # own pixels


def _elide(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit // 2 - 1] + "…" + text[-limit // 2 :]

"""Text to 3D: what to make, the picture model that draws it, and the words added to every
prompt so that the picture is one object on a plain background (what TripoSR wants)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from aiml3d_desktop.core.api.params import PROMPT_SUFFIX, TEXT_TO_IMAGE_MODEL
from aiml3d_desktop.gui.widgets.wheel_guard import guard_wheel

# Text-to-image models on the AIML API; the box is editable, for any other.
PICTURE_MODELS = (
    TEXT_TO_IMAGE_MODEL,
    "flux/dev",
    "flux-pro",
    "stable-diffusion-v35-large",
    "dall-e-3",
)


class WrappedLine(QPlainTextEdit):
    """One line of text shown whole, wrapped over as many rows as it needs (up to four):
    the words added to every prompt are read, not scrolled through. Enter adds no line
    break; text() and setText() as a QLineEdit's."""

    MAX_ROWS = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)

    def text(self) -> str:
        return " ".join(self.toPlainText().splitlines())

    def setText(self, text: str) -> None:  # QLineEdit's name
        self.setPlainText(text)

    def setCursorPosition(self, position: int) -> None:  # QLineEdit's name
        cursor = self.textCursor()
        cursor.setPosition(position)
        self.setTextCursor(cursor)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.ignore()  # one line: Enter goes to the window
            return
        super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self, *_: object) -> None:
        """As tall as its wrapped rows (the document's height counts rows here)."""
        rows = max(1, min(self.MAX_ROWS, int(self.document().size().height())))
        frame = 2 * self.frameWidth() + 2 * int(self.document().documentMargin())
        height = rows * self.fontMetrics().lineSpacing() + frame + 1
        if height != self.height():
            self.setFixedHeight(height)


class PromptBox(QWidget):
    draw_requested = Signal()
    queue_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLineEdit()
        self.text.setPlaceholderText("Describe an object, e.g. a red armchair")
        self.text.setClearButtonEnabled(True)
        self.text.setToolTip(
            "Text to 3D: a picture model draws this, you see the picture, "
            "then Generate makes it 3D. Enter draws."
        )
        self.text.returnPressed.connect(self.draw_requested)
        self.draw_button = QPushButton("Draw the picture")
        self.draw_button.setToolTip("Ask the picture model for a picture of it (uses credits)")
        self.draw_button.clicked.connect(self.draw_requested)
        self.queue_button = QPushButton("Add to queue")
        self.queue_button.setToolTip("Add it to the batch queue: drawn and made 3D in turn")
        self.queue_button.clicked.connect(self.queue_requested)
        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.addItems(PICTURE_MODELS)
        self.model.setToolTip("The AIML text-to-image model that draws the picture")
        self.model.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.model.setMinimumContentsLength(12)  # long model names must not widen the panel
        self.suffix = WrappedLine()
        self.suffix.setToolTip(
            "Added to every prompt: it asks for one whole object on a plain "
            "background, which is what image-to-3D builds best from."
        )
        self.suffix.setCursorPosition(0)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.draw_button, 1)
        buttons.addWidget(self.queue_button)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Text", self.text)
        form.addRow("Picture model", self.model)
        # Over the panel's whole width, under its label: two rows show it all, where the
        # field column showed a third of it.
        form.addRow(QLabel("Added to every prompt"))
        form.addRow(self.suffix)
        form.addRow(buttons)
        self.set_options(TEXT_TO_IMAGE_MODEL, PROMPT_SUFFIX)
        guard_wheel(self)  # it sits in the side panel, which scrolls

    def prompt(self) -> str:
        return self.text.text().strip()

    def options(self) -> dict:
        """The keyword arguments of jobs.draw(): picture model and suffix."""
        return {
            "image_model": self.model.currentText().strip() or TEXT_TO_IMAGE_MODEL,
            "suffix": self.suffix.text(),
        }

    def set_options(self, image_model: str, suffix: str) -> None:
        self.model.setCurrentText(image_model)
        self.suffix.setText(suffix)
        self.suffix.setCursorPosition(0)

"""Text to 3D: what to make, the picture model that draws it, and the words added to every
prompt so that the picture is one object on a plain background (what TripoSR wants)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from aiml3d_desktop.core.params import PROMPT_SUFFIX, TEXT_TO_IMAGE_MODEL

# Text-to-image models on the AIML API; the box is editable, for any other.
PICTURE_MODELS = (
    TEXT_TO_IMAGE_MODEL,
    "flux/dev",
    "flux-pro",
    "stable-diffusion-v35-large",
    "dall-e-3",
)


class PromptBox(QWidget):
    draw_requested = Signal()
    queue_requested = Signal()

    def __init__(self, parent=None) -> None:
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
        self.suffix = QLineEdit()
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
        form.addRow("Added to it", self.suffix)
        form.addRow(buttons)
        self.set_options(TEXT_TO_IMAGE_MODEL, PROMPT_SUFFIX)

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

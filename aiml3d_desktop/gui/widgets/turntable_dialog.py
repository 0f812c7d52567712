"""File > Export turntable: where to (the name's extension picks GIF, WebP or MP4), how many
frames, what size and how fast. What cannot be written is said under the fields (the same
words as `aiml3d turntable`), and Export waits until it can be."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.look import turntable

FRAMES = (2, 720)
SIDE = (16, 8192)
FPS = (1, 60)
FILTER = "GIF (*.gif);;WebP (*.webp);;MP4, with ffmpeg (*.mp4)"
NAMES = {".gif": "GIF", ".webp": "animated WebP", ".mp4": "MP4 (H.264, by ffmpeg)"}


@dataclass(frozen=True)
class TurntableChoice:
    path: Path
    frames: int
    size: tuple[int, int]  # width, height
    fps: int


def problem(choice: TurntableChoice) -> str | None:
    """Why ``choice`` cannot be written, in a line and its hint; None if it can."""
    try:
        turntable.check_destination(choice.path)
        suffix = choice.path.suffix.lower()
        turntable.check_size(choice.frames, choice.size, suffix)
        # The window draws every frame before a worker encodes them: those pictures count too.
        width, height = choice.size
        held = choice.frames * width * height * 3
        need = held + turntable.memory_estimate(choice.frames, choice.size, suffix)
        if need > turntable.MAX_BYTES:
            raise InputError(
                f"{choice.frames} frames of {width}x{height} would need about "
                f"{need / 2**30:.1f} GB of memory in the window, more than the "
                f"{turntable.MAX_BYTES / 2**30:.0f} GB allowed",
                hint="Use fewer frames or a smaller size (`aiml3d turntable` needs less).",
            )
    except InputError as exc:
        return str(exc)
    return None


class TurntableDialog(QDialog):
    def __init__(self, choice: TurntableChoice, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export turntable")
        self.setMinimumWidth(460)
        self.path = QLineEdit(str(choice.path))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        where = QWidget()
        row = QHBoxLayout(where)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.format = QLabel()
        self.frames = _spin(FRAMES, choice.frames, " frames")
        self.width_box = _spin(SIDE, choice.size[0], " px")
        self.height_box = _spin(SIDE, choice.size[1], " px")
        size = QWidget()
        row = QHBoxLayout(size)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.width_box, 1)
        row.addWidget(QLabel("×"))
        row.addWidget(self.height_box, 1)
        self.fps = _spin(FPS, choice.fps, " frames a second")
        self.length = QLabel()
        self.problem = QLabel()
        self.problem.setObjectName("turntableProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #e06c6c")
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Save as", where)
        form.addRow("Format", self.format)
        form.addRow("Frames", self.frames)
        form.addRow("Size", size)
        form.addRow("Speed", self.fps)
        form.addRow("", self.length)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("Export")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.path.textChanged.connect(self._check)
        for box in (self.frames, self.width_box, self.height_box, self.fps):
            box.valueChanged.connect(self._check)
        self._check()

    def choice(self) -> TurntableChoice:
        return TurntableChoice(
            Path(self.path.text().strip()).expanduser(),
            self.frames.value(),
            (self.width_box.value(), self.height_box.value()),
            self.fps.value(),
        )

    def _check(self) -> None:
        choice = self.choice()
        name = NAMES.get(choice.path.suffix.lower())
        self.format.setText(name or "from the name's extension: .gif, .webp or .mp4")
        self.length.setText(f"{choice.frames / choice.fps:.1f} s a turn")
        why = problem(choice) if self.path.text().strip() else "Choose where to save it."
        self.problem.setText(why or "")
        self.problem.setVisible(bool(why))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(why is None)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export turntable", self.path.text(), FILTER)
        if path:
            self.path.setText(path)

    def accept(self) -> None:
        if problem(self.choice()) is None:
            super().accept()


def _spin(limits: tuple[int, int], value: int, suffix: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(*limits)
    box.setValue(min(max(value, limits[0]), limits[1]))
    box.setSuffix(suffix)
    box.setGroupSeparatorShown(True)
    return box

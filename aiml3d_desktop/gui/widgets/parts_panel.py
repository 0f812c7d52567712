"""Split into parts: a point picked on the model, a seed, the Split button; then the parts,
each in its own colour, shown or hidden and exported one by one, and the three candidate
masks with their IoU scores, the best one marked."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from aiml3d_desktop.core.api.models import HUNYUAN_PART
from aiml3d_desktop.gui.widgets.params_panel import field_for, value_of
from aiml3d_desktop.gui.widgets.wheel_guard import guard_wheel

NO_POINT = "none: the parts of the whole model"


class PartsPanel(QWidget):
    split = Signal()
    cancel = Signal()
    pick = Signal(bool)  # the next click on the model picks the point (or no longer)
    part_toggled = Signal(int, bool)  # (part index, shown)
    export_part = Signal(int)
    show_mask = Signal(int)  # a mask's number (1 to 3)
    show_parts = Signal()
    show_all = Signal()  # every part ticked, and the parts on screen (not a mask)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target = QLabel("Open a model made through the AIML API.")
        self.target.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #e0b060")
        self.problem.hide()
        self.pick_button = QPushButton("Pick a point on the model")
        self.pick_button.setCheckable(True)
        self.pick_button.setToolTip(
            "Then click the part you want on the model: the segmenter starts from that point. "
            "Without a point it splits the whole model."
        )
        self.pick_button.toggled.connect(self.pick)
        self.point = QLabel(NO_POINT)
        self.point.setWordWrap(True)
        self.clear_point = QPushButton("Clear")
        self.clear_point.clicked.connect(lambda: self.set_point(None))
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setSpecialValueText("random")
        self.seed.setToolTip("The same seed, point and model give the same parts (1 or more).")
        # The segmenter's other parameters, as the registry describes them.
        self.fields = {
            p.name: field_for(p, p.default)
            for p in HUNYUAN_PART.params
            if p.name in ("point_num", "use_normal", "noise_std")
        }
        for name, widget in self.fields.items():
            widget.setToolTip(HUNYUAN_PART.param(name).tip)
        self.split_button = QPushButton("Split into parts")
        self.split_button.setDefault(True)
        self.split_button.clicked.connect(self.split)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.parts = QListWidget()
        self.parts.setToolTip("Tick to show a part, untick to hide it.")
        self.parts.itemChanged.connect(self._part_changed)
        self.export_button = QPushButton("Export part…")
        self.export_button.clicked.connect(self._export)
        self.all_button = QPushButton("Show all")
        self.all_button.clicked.connect(self._show_all)
        self.masks = QListWidget()
        self.masks.setMaximumHeight(78)  # three rows: its buttons stay in view
        self.masks.setToolTip("The segmenter's three candidates for the picked part.")
        self.mask_button = QPushButton("Show mask")
        self.mask_button.clicked.connect(self._mask)
        self.back_button = QPushButton("Show parts")
        self.back_button.clicked.connect(self.show_parts)
        self._lay_out()
        self.set_busy(False)
        self.show_result([], [])
        guard_wheel(self)  # the panel scrolls in its dock

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow(self.pick_button)
        point_row = QHBoxLayout()
        point_row.addWidget(self.point, 1)
        point_row.addWidget(self.clear_point)
        form.addRow("Point", point_row)
        form.addRow("Seed", self.seed)
        for name, widget in self.fields.items():
            if isinstance(widget, QCheckBox):
                form.addRow(widget)
            else:
                form.addRow(HUNYUAN_PART.param(name).title, widget)
        buttons = QHBoxLayout()
        buttons.addWidget(self.split_button, 1)
        buttons.addWidget(self.cancel_button)
        found = _group("Parts", self.parts, self.export_button, self.all_button)
        masks = _group("Masks", self.masks, self.mask_button, self.back_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.target)
        layout.addWidget(self.problem)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(found, 2)
        layout.addWidget(masks, 1)

    def set_target(self, title: str | None, problem: str | None) -> None:
        """The model on screen, and why it cannot be split (None: it can)."""
        if title is None:
            self.target.setText("No model is open.")
        else:
            self.target.setText(
                f"{title} cannot be split." if problem else f"Split {title} into parts."
            )
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem))
        self._can_split = title is not None and not problem
        self.set_busy(False)

    def set_point(self, point: tuple[float, float, float] | None) -> None:
        self.picked = point
        self.point.setText(
            NO_POINT if point is None else "x {:+.2f}, y {:+.2f}, z {:+.2f}".format(*point)
        )
        self.clear_point.setEnabled(point is not None)
        self.pick_button.setChecked(False)

    def seed_value(self) -> int | None:
        return self.seed.value() or None

    def values(self) -> dict:
        """The other parameters, where they differ from the service's defaults."""
        chosen = {name: value_of(widget) for name, widget in self.fields.items()}
        return {k: v for k, v in chosen.items() if v != HUNYUAN_PART.param(k).default}

    def set_busy(self, busy: bool, text: str = "") -> None:
        self.progress.setVisible(busy)
        self.progress.setFormat(text)
        can = getattr(self, "_can_split", False)
        for widget in (self.split_button, self.pick_button, self.seed, *self.fields.values()):
            widget.setEnabled(can and not busy)
        self.cancel_button.setEnabled(busy)

    def show_result(self, parts: list[dict], masks: list[dict]) -> None:
        """The parts ({name, triangles, colour}) and masks ({number, iou, best})."""
        self.parts.blockSignals(True)
        self.parts.clear()
        for part in parts:
            item = QListWidgetItem(f"{part['name']}  ·  {part['triangles']:,} triangles")
            swatch = QPixmap(14, 14)
            swatch.fill(QColor(*part["colour"]))
            item.setIcon(QIcon(swatch))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.parts.addItem(item)
        self.parts.blockSignals(False)
        self.masks.clear()
        for mask in masks:
            iou = "IoU —" if mask["iou"] is None else f"IoU {mask['iou']:.2f}"
            item = QListWidgetItem(
                f"Mask {mask['number']}  ·  {iou}" + ("  ★ best" if mask["best"] else "")
            )
            item.setData(Qt.ItemDataRole.UserRole, mask["number"])
            if mask["best"]:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.masks.addItem(item)
        for widget in (self.export_button, self.all_button):
            widget.setEnabled(bool(parts))
        for widget in (self.mask_button, self.back_button):
            widget.setEnabled(bool(masks))
        if masks:
            self.masks.setCurrentRow(next((i for i, m in enumerate(masks) if m["best"]), 0))
        if parts:
            self.parts.setCurrentRow(0)

    def set_part_shown(self, index: int, on: bool) -> None:
        self.parts.blockSignals(True)
        self.parts.item(index).setCheckState(
            Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
        )
        self.parts.blockSignals(False)

    def _part_changed(self, item: QListWidgetItem) -> None:
        self.part_toggled.emit(self.parts.row(item), item.checkState() == Qt.CheckState.Checked)

    def _show_all(self) -> None:
        for row in range(self.parts.count()):
            self.set_part_shown(row, True)
        self.show_all.emit()

    def _export(self) -> None:
        if self.parts.currentRow() >= 0:
            self.export_part.emit(self.parts.currentRow())

    def _mask(self) -> None:
        item = self.masks.currentItem()
        if item is not None:
            self.show_mask.emit(item.data(Qt.ItemDataRole.UserRole))


def _group(title: str, listed: QWidget, *buttons: QPushButton) -> QGroupBox:
    """A list with its buttons in a row under it."""
    group = QGroupBox(title)
    inner = QVBoxLayout(group)
    inner.addWidget(listed)
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    inner.addLayout(row)
    return group

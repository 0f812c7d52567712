"""The Scene tab's transform box: the chosen model's position, turn and scale, as numbers
to type; quick turns of the chosen by a step; and the grid a drag in the view snaps to.
It says what was typed; SceneController changes the scene."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QWidget,
)

from aiml3d_desktop.core.composition import arrange
from aiml3d_desktop.core.composition.document import MAX_COORDINATE, SCALES, Placement

FIELDS = ("x", "y", "z", "turn", "scale")


def _spin(low: float, high: float, decimals: int, step: float, suffix: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setSingleStep(step)
    spin.setSuffix(suffix)
    spin.setKeyboardTracking(False)  # one change when the number is typed, not per key
    spin.setMinimumWidth(64)  # not as wide as its range's widest number: the tab stays narrow
    return spin


class TransformBox(QGroupBox):
    typed = Signal(str, float)  # a field of FIELDS, its new value (metres, degrees, times)
    turn = Signal(float)  # degrees about up, for every chosen model

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Chosen model", parent)
        self._filling = False
        self.spins = {
            "x": _spin(-MAX_COORDINATE, MAX_COORDINATE, 3, 0.05, " m"),
            "y": _spin(-MAX_COORDINATE, MAX_COORDINATE, 3, 0.05, " m"),
            "z": _spin(-MAX_COORDINATE, MAX_COORDINATE, 3, 0.05, " m"),
            "turn": _spin(-180.0, 180.0, 1, 5.0, "°"),
            "scale": _spin(SCALES[0], SCALES[1], 4, 0.1, "×"),
        }
        self.spins["turn"].setWrapping(True)
        for name, spin in self.spins.items():
            spin.valueChanged.connect(lambda value, name=name: self._typed(name, value))
        self.step = _spin(1.0, 180.0, 0, 5.0, "°")
        self.step.setValue(15.0)
        self.step.setToolTip(
            "The turn of the two buttons beside it, and the steps a ring in the view turns by"
        )
        self.left = QPushButton("↺")
        self.left.setToolTip("Turn the chosen models left (counter-clockwise seen from above)")
        self.left.clicked.connect(lambda: self.turn.emit(self.step.value()))
        self.right = QPushButton("↻")
        self.right.setToolTip("Turn the chosen models right")
        self.right.clicked.connect(lambda: self.turn.emit(-self.step.value()))
        for button in (self.left, self.right):
            button.setMinimumWidth(36)  # an arrow: the style's wide minimum is for words
        self.grid = _spin(0.0, 100.0, 2, 0.05, " m")
        self.grid.setValue(0.1)
        self.grid.setSpecialValueText("free")  # 0: no snapping
        self.grid.setToolTip(
            "A model or arrow dragged in the view moves in steps of this (0: freely)"
        )
        rows = QGridLayout(self)
        for row, (text, name) in enumerate(
            (
                ("Left–right", "x"),
                ("Up", "y"),
                ("Front–back", "z"),
                ("Turn", "turn"),
                ("Scale", "scale"),
            )
        ):
            rows.addWidget(QLabel(text), row, 0)
            rows.addWidget(self.spins[name], row, 1, 1, 3)
        rows.addWidget(QLabel("Turn by"), 5, 0)
        rows.addWidget(self.step, 5, 1)
        rows.addWidget(self.left, 5, 2)
        rows.addWidget(self.right, 5, 3)
        rows.addWidget(QLabel("Drag grid"), 6, 0)
        rows.addWidget(self.grid, 6, 1, 1, 3)
        self.show_chosen([])

    def show_chosen(self, chosen: list[Placement]) -> None:
        """The numbers of the one chosen model that can be moved (none or several: the
        fields are off; the turn buttons turn any number)."""
        one = chosen[0] if len(chosen) == 1 else None
        self._filling = True
        for spin in self.spins.values():
            spin.setEnabled(one is not None)
            if one is None:
                spin.clear()  # no numbers that belong to no model
        if one is not None:
            for name, value in zip("xyz", one.position, strict=True):
                self.spins[name].setValue(value)
            self.spins["turn"].setValue(arrange.yaw(one.rotation))
            self.spins["scale"].setValue(one.scale)
        self._filling = False
        self.left.setEnabled(bool(chosen))
        self.right.setEnabled(bool(chosen))

    def _typed(self, name: str, value: float) -> None:
        if not self._filling:
            self.typed.emit(name, value)

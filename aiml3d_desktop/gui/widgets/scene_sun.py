"""The Scene tab's sun: where it stands (degrees round from behind the scene, seen from
above, and up from the ground) and whether it casts shadows. The rest of the light is
View > Lighting's; the scene keeps both."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QGroupBox, QHBoxLayout, QWidget

from aiml3d_desktop.core.composition.document import Light


def _spin(low: float, high: float, tip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(0)
    spin.setSingleStep(15.0)
    spin.setSuffix("°")
    spin.setKeyboardTracking(False)
    spin.setMinimumWidth(56)
    spin.setToolTip(tip)
    return spin


class SunBox(QGroupBox):
    changed = Signal(float, float, bool)  # azimuth, elevation (degrees), shadows

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Sun", parent)
        self._filling = False
        self.azimuth = _spin(0.0, 360.0, "Round from behind the scene, clockwise from above")
        self.azimuth.setWrapping(True)
        self.azimuth.setPrefix("round ")
        self.elevation = _spin(0.0, 90.0, "Up from the ground")
        self.elevation.setPrefix("up ")
        self.shadow = QCheckBox("Shadows")
        row = QHBoxLayout(self)
        for widget in (self.azimuth, self.elevation, self.shadow):
            row.addWidget(widget)
        self.azimuth.valueChanged.connect(self._changed)
        self.elevation.valueChanged.connect(self._changed)
        self.shadow.toggled.connect(self._changed)

    def show_light(self, light: Light | None) -> None:
        self._filling = True
        self.setEnabled(light is not None)
        if light is not None:
            self.azimuth.setValue(light.sun_azimuth % 360.0)
            self.elevation.setValue(light.sun_elevation)
            self.shadow.setChecked(light.shadow)
        self._filling = False

    def _changed(self) -> None:
        if not self._filling:
            values = (self.azimuth.value(), self.elevation.value(), self.shadow.isChecked())
            self.changed.emit(*values)

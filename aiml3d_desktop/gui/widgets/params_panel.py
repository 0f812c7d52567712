"""The model picker and the chosen model's parameters as form fields, built from the registry
(core/api/models.py): each parameter's type gives its field, its range the field's limits, its
docs line the tooltip. The offline relief preview is one more choice in the picker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from aiml3d_desktop.core.api import models
from aiml3d_desktop.core.api.models import Model, ModelParams, Param
from aiml3d_desktop.core.pictures.limits import DEFAULT_MAX_SIDE, MAX_SIDE_RANGE
from aiml3d_desktop.gui.widgets.wheel_guard import guard_wheel

if TYPE_CHECKING:
    from aiml3d_desktop.core.settings import Settings

LOCAL = "local"  # the picker's key for the offline relief preview
LOCAL_NOTE = (
    "Made on this computer from the picture's outline: no key, no network, a few "
    "seconds. A rough relief to preview with, not TripoSR."
)
# How some choices read: an empty one (Meshy's pose: as pictured), file formats.
CHOICE_LABELS = {"": "(none)", "glb": "GLB", "obj": "OBJ"}


class ParamsPanel(QWidget):
    changed = Signal()  # the model shown changed (by the user or by the window)
    # The user changed what the picture's framing depends on (the model, preparing, the
    # size, the ratio): never when the window sets values (an entry opened again), whose
    # own picture would otherwise be replaced by a re-framing of the one before.
    framing_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = QComboBox()
        for model in models.GENERATORS:
            self.backend.addItem(model.title, model.id)
        self.backend.addItem("Relief preview (offline)", LOCAL)
        self.backend.setToolTip(
            "The model that makes the mesh. All but the offline preview run on the AIML API "
            "and need your API key; the offline preview needs nothing and is much rougher."
        )
        self.backend.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.backend.setMinimumContentsLength(14)  # the side panel stays narrow
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.about.setStyleSheet("color: #9aa4b0")
        self.prepare = QCheckBox("Prepare the picture")
        self.prepare.setToolTip(
            "Crop to the object and pad to a square in which it fills the foreground ratio, "
            "then downscale. Also warns when the object touches the edge or the background "
            "is busy. The picture as sent shows in the corner of the preview."
        )
        self.max_side = QSpinBox()
        self.max_side.setRange(*MAX_SIDE_RANGE)
        self.max_side.setSingleStep(128)
        self.max_side.setSuffix(" px")
        self.max_side.setValue(DEFAULT_MAX_SIDE)
        self.max_side.setToolTip(
            "Pictures are downscaled so that their longest side is at most this before they are "
            "sent (default 1024). Larger is slower to upload and rarely better."
        )
        self.fields_box = QWidget()
        self.fields_form = QFormLayout(self.fields_box)
        self.fields_form.setContentsMargins(0, 0, 0, 0)
        self.fields: dict[str, QWidget] = {}  # the shown model's parameters by name
        self._values: dict[str, dict] = {}  # each model's values this session, by id
        self._shown: str | None = None
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Model", self.backend)
        form.addRow(self.about)
        form.addRow(self.prepare)
        form.addRow("Picture size", self.max_side)
        form.addRow(self.fields_box)
        self.backend.currentIndexChanged.connect(self._model_changed)
        self.backend.activated.connect(self.framing_changed)
        self.prepare.clicked.connect(self.framing_changed)
        self.max_side.editingFinished.connect(self.framing_changed)
        self._model_changed()

    # What is chosen

    def backend_key(self) -> str:
        """``aiml`` (one of the API's models) or ``local``."""
        return LOCAL if self.backend.currentData() == LOCAL else "aiml"

    def model(self) -> Model:
        """The API model picked (TripoSR while the offline preview is)."""
        key = self.backend.currentData()
        return models.TRIPOSR if key == LOCAL else models.get(key)

    def params(self) -> ModelParams:
        """The picked model and the values in its fields (not yet checked)."""
        self._keep_values()
        model = self.model()
        return ModelParams(model.id, dict(self._values.get(model.id, model.defaults())))

    def prepares(self) -> bool:
        """Whether local pictures are framed before they are sent."""
        return self.prepare.isChecked()

    def max_side_px(self) -> int:
        """The longest side a local picture is sent at."""
        return self.max_side.value()

    def fill(self) -> float | None:
        """The share of the framed square the object fills, or None for no framing."""
        if self.backend_key() != "aiml" or not self.prepare.isChecked():
            return None
        return round(self.params().fill, 2)

    def field(self, name: str) -> QWidget:
        return self.fields[name]

    # Setting it

    def load_from(self, conf: Settings) -> None:
        """Show the saved choices (a core.settings.Settings)."""
        self._values = {m.id: conf.model_params(m.id).values for m in models.GENERATORS}
        self._shown = None  # the fields are filled anew from the saved values
        self.set_backend(LOCAL if conf.backend == LOCAL else conf.model)
        self._model_changed()
        self.prepare.setChecked(conf.prepare)
        self.max_side.setValue(conf.max_side)

    def set_backend(self, key: str) -> None:
        """``local``, ``aiml`` (keeps the model picked, or TripoSR) or a model id."""
        if key == "aiml":
            key = self.backend.currentData() if self.backend_key() == "aiml" else "triposr"
        self.backend.setCurrentIndex(max(0, self.backend.findData(key)))

    def set_params(self, params: ModelParams) -> None:
        """Pick ``params``'s model and show its values (a library entry made again)."""
        self._keep_values()
        self._values[params.model] = {**params.spec.defaults(), **params.values}
        self._shown = None
        if self.backend_key() == "aiml" or params.model != "triposr":
            self.set_backend(params.model)
        self._model_changed()

    # The fields

    def _model_changed(self) -> None:
        key = self.backend.currentData()
        local = key == LOCAL
        model = self.model()
        self.about.setText(LOCAL_NOTE if local else _about(model))
        self.about.setStyleSheet(f"color: {'#e0b060' if local or model.note else '#9aa4b0'}")
        if model.id != self._shown:
            self._keep_values()
            self._build(model)
        for widget in (self.prepare, self.max_side, self.fields_box):
            widget.setEnabled(not local)  # the API's own parameters
        self.changed.emit()

    def _keep_values(self) -> None:
        if self._shown is not None:
            values = {n: value_of(w) for n, w in self.fields.items()}
            self._values[self._shown] = {n: v for n, v in values.items() if v is not None}

    def _build(self, model: Model) -> None:
        while self.fields_form.rowCount():
            self.fields_form.removeRow(0)
        self.fields = {}
        values = {**model.defaults(), **self._values.get(model.id, {})}
        for param in model.params:
            widget = field_for(param, values.get(param.name))
            widget.setToolTip(param.tip)
            self.fields[param.name] = widget
            if isinstance(widget, QCheckBox):
                self.fields_form.addRow(widget)
            else:
                self.fields_form.addRow(param.title, widget)
        self._shown = model.id
        guard_wheel(self)  # the new fields too: the side panel scrolls
        ratio = self.fields.get("foreground_ratio")
        if isinstance(ratio, QDoubleSpinBox):
            ratio.editingFinished.connect(self.framing_changed)


def _about(model: Model) -> str:
    text = model.summary
    if model.takes == models.VIEWS:
        text += " Give the other views in the slots below."
    return f"{text} {model.note}".strip()


def field_for(param: Param, value: object) -> QWidget:
    """The form field for one parameter, showing ``value`` (None: the service's default)."""
    if param.kind == "bool":
        box = QCheckBox(param.title)
        box.setChecked(bool(value))
        return box
    if param.kind == "choice":
        combo = QComboBox()
        for choice in param.choices:
            combo.addItem(CHOICE_LABELS.get(choice, choice), choice)
        combo.setCurrentIndex(max(0, combo.findData(value)))
        return combo
    if param.kind == "text":
        line = QLineEdit(str(value or ""))
        line.setMaxLength(param.max_len or 32767)
        return line
    spin: QSpinBox | QDoubleSpinBox
    low = param.low if param.low is not None else -1e9
    high = param.high if param.high is not None else 1e9
    if param.kind == "int":
        spin = QSpinBox()
        spin.setRange(int(max(low, -(2**31))), int(min(high, 2**31 - 1)))  # Qt's int range
        spin.setSingleStep(max(1, int((high - low) // 64) if high - low < 1e6 else 1000))
        if param.name == "mc_resolution":
            spin.setSingleStep(32)
    else:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setDecimals(2)
        spin.setSingleStep(0.05)
    if param.default is None:  # optional: the lowest value reads "auto" and is not sent
        spin.setMinimum(spin.minimum() - (1 if param.kind == "int" else 0.01))  # type: ignore[arg-type]
        spin.setSpecialValueText("auto")
        spin.setValue(spin.minimum() if value is None else value)  # type: ignore[arg-type]
    else:
        spin.setValue(value)  # type: ignore[arg-type]
    return spin


def value_of(widget: QWidget) -> object:
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QComboBox):
        return widget.currentData()
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QSpinBox | QDoubleSpinBox):
        if widget.specialValueText() and widget.value() == widget.minimum():
            return None
        value = widget.value()
        return round(value, 2) if isinstance(widget, QDoubleSpinBox) else value
    raise TypeError(type(widget).__name__)

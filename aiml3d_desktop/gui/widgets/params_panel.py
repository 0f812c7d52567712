"""The generator (TripoSR through the AIML API, or the offline relief preview) and TripoSR's
parameters as form fields, with the documented ranges and defaults."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from aiml3d_desktop.core import params as p
from aiml3d_desktop.core.images import DEFAULT_MAX_SIDE, MAX_SIDE_RANGE

BACKENDS = (("aiml", "TripoSR (AIML API)"), ("local", "Relief preview (offline)"))
LOCAL_NOTE = (
    "Made on this computer from the picture's outline: no key, no network, a few "
    "seconds. A rough relief to preview with, not TripoSR."
)


class ParamsPanel(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.backend = QComboBox()
        for key, label in BACKENDS:
            self.backend.addItem(label, key)
        self.backend.setToolTip(
            "TripoSR makes the real model (it needs your API key). The "
            "offline preview needs nothing and is much rougher."
        )
        self.local_note = QLabel(LOCAL_NOTE)
        self.local_note.setWordWrap(True)
        self.local_note.setStyleSheet("color: #e0b060")
        self.backend.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.backend.setMinimumContentsLength(14)  # the side panel stays narrow
        self.backend.currentIndexChanged.connect(self._backend_changed)
        self.remove_bg = QCheckBox("Remove background")
        self.remove_bg.setToolTip(
            "Cut the object out of its background before building the model. Turn it off for "
            "pictures that already have a transparent or plain background."
        )
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
        self.ratio = QDoubleSpinBox()
        self.ratio.setRange(*p.FOREGROUND_RATIO_RANGE)
        self.ratio.setSingleStep(0.05)
        self.ratio.setDecimals(2)
        self.ratio.setToolTip(
            "How much of the frame the object fills once centred (0.5 to 1, default 0.9). "
            "Lower it if the model comes out cut off at the edges."
        )
        self.resolution = QSpinBox()
        self.resolution.setRange(*p.MC_RESOLUTION_RANGE)
        self.resolution.setSingleStep(32)
        self.resolution.setToolTip(
            "Marching-cubes resolution: the detail of the mesh (32 to 1024, default 256). "
            "Higher is finer but slower and larger; above 512 is not recommended and may time out."
        )
        self.format = QComboBox()
        self.format.addItems([f.upper() for f in p.OUTPUT_FORMATS])
        self.format.setToolTip("GLB keeps the vertex colours in one file; OBJ is plain text.")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Generator", self.backend)
        form.addRow(self.local_note)
        form.addRow(self.prepare)
        form.addRow("Picture size", self.max_side)
        form.addRow(self.remove_bg)
        form.addRow("Foreground ratio", self.ratio)
        form.addRow("Mesh resolution", self.resolution)
        form.addRow("Output format", self.format)
        self.set_params(p.TriposrParams())
        self._backend_changed()

    def load_from(self, conf) -> None:
        """Show the saved defaults (a core.settings.Settings)."""
        self.set_params(conf.params)
        self.set_backend(conf.backend)
        self.prepare.setChecked(conf.prepare)
        self.max_side.setValue(conf.max_side)

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
        return round(self.ratio.value(), 2)

    def backend_key(self) -> str:
        return self.backend.currentData()

    def set_backend(self, key: str) -> None:
        self.backend.setCurrentIndex(max(0, self.backend.findData(key)))

    def _backend_changed(self) -> None:
        local = self.backend_key() == "local"
        self.local_note.setVisible(local)
        fields = (
            self.prepare,
            self.max_side,
            self.remove_bg,
            self.ratio,
            self.resolution,
            self.format,
        )
        for field in fields:
            field.setEnabled(not local)  # TripoSR's own parameters

    def params(self) -> p.TriposrParams:
        return p.TriposrParams(
            output_format=p.OUTPUT_FORMATS[self.format.currentIndex()],
            do_remove_background=self.remove_bg.isChecked(),
            foreground_ratio=round(self.ratio.value(), 2),
            mc_resolution=self.resolution.value(),
        )

    def set_params(self, params: p.TriposrParams) -> None:
        self.remove_bg.setChecked(params.do_remove_background)
        self.ratio.setValue(params.foreground_ratio)
        self.resolution.setValue(params.mc_resolution)
        self.format.setCurrentIndex(p.OUTPUT_FORMATS.index(params.output_format))

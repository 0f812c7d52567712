"""Settings: the API key (kept in the OS keychain), API base URL, defaults, output folder."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from aiml3d_desktop.core import settings as settings_mod
from aiml3d_desktop.core.api import keys
from aiml3d_desktop.core.common.errors import Aiml3DError
from aiml3d_desktop.core.net.policy import check_url
from aiml3d_desktop.gui.widgets.params_panel import ParamsPanel

UNIT_LABELS = {
    "file": "the file's own unit",
    "mm": "millimetres (mm)",
    "cm": "centimetres (cm)",
    "m": "metres (m)",
    "in": "inches (in)",
}


class SettingsDialog(QDialog):
    def __init__(
        self,
        conf: settings_mod.Settings,
        parent: QWidget | None = None,
        current_key: str | None = None,
    ) -> None:
        """``current_key``: the key in use, as the caller knows it (the window's session
        looks it up on a worker), so that opening Settings never waits on the keychain."""
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        self.conf = conf
        self.key = QLineEdit()
        self.saved_key: str | None = None  # a key typed and saved, once accepted
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_note = QLabel()
        self.key_note.setWordWrap(True)
        if keys.env_key():
            self.key.setEnabled(False)
            self.key.setPlaceholderText(f"set by {keys.ENV_VAR}")
            self.key_note.setText(f"The {keys.ENV_VAR} environment variable is set and wins.")
        else:
            self.key.setPlaceholderText(
                f"saved: {keys.mask(current_key)} — type to replace"
                if current_key
                else "paste your key"
            )
            self.key_note.setText("Kept in your system's keychain, never in a file.")
        self.api_base = QLineEdit(conf.api_base)
        self.base_note = QLabel()
        self.base_note.setObjectName("baseNote")
        self.base_note.setWordWrap(True)
        self._show_base_source(conf)
        self.output_dir = QLineEdit(conf.output_dir)
        self.output_dir.setPlaceholderText(str(conf.output_path))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder = QWidget()
        row = QHBoxLayout(folder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.output_dir, 1)
        row.addWidget(browse)
        self.library_dir = QLineEdit(conf.library_dir)
        self.library_dir.setPlaceholderText("the default folder (takes effect on the next start)")
        self.params = ParamsPanel()
        self.params.load_from(conf)
        spending = self._spending(conf)
        self.size_unit = QComboBox()
        for name, label in UNIT_LABELS.items():
            self.size_unit.addItem(label, name)
        self.size_unit.setCurrentIndex(max(0, self.size_unit.findData(conf.size_unit)))
        self.size_unit.setToolTip(
            "The model's size and the compare window's captions are shown in this unit; "
            "each file's own unit (STL and 3MF millimetres, glTF metres) is converted."
        )
        self.error = QLabel()
        self.error.setObjectName("settingsError")
        self.error.setStyleSheet("color: #e06c6c")

        api = QGroupBox("AIML API")
        form = QFormLayout(api)
        form.addRow("API key", self.key)
        form.addRow("", self.key_note)
        form.addRow("Base URL", self.api_base)
        form.addRow("", self.base_note)
        defaults = QGroupBox("Defaults for new models")
        form2 = QFormLayout(defaults)
        form2.addRow(self.params)
        form2.addRow("Export folder", folder)
        form2.addRow("Library folder", self.library_dir)
        form2.addRow("Show sizes in", self.size_unit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (api, defaults, spending, self.error, buttons):
            layout.addWidget(widget)

    def _show_base_source(self, conf: settings_mod.Settings) -> None:
        """Under the saved URL (which stays editable), the one requests really go to and
        where it comes from: AIML_API_BASE wins over the saved one."""
        url, source = conf.api_base_source()
        variable = settings_mod.BASE_ENV_VAR
        if source == "environment":
            self.base_note.setStyleSheet("color: #e0b060")
            self.base_note.setText(
                f"In use: {url}, from the {variable} environment variable, which wins over "
                "the URL saved here."
            )
        else:
            said = "the default" if source == "default" else "the URL saved here"
            self.base_note.setText(f"In use: {said}. Setting {variable} would override it.")

    def _spending(self, conf: settings_mod.Settings) -> QGroupBox:
        """When a batch asks before it starts: above an estimate in credits or dollars."""
        self.confirm_credits = QSpinBox()
        self.confirm_credits.setRange(0, 2_000_000_000)
        self.confirm_credits.setSingleStep(100_000)
        self.confirm_credits.setGroupSeparatorShown(True)
        self.confirm_credits.setSpecialValueText("never ask")
        self.confirm_credits.setSuffix(" credits")
        self.confirm_credits.setValue(min(conf.confirm_above_credits, 2_000_000_000))
        self.confirm_usd = QDoubleSpinBox()
        self.confirm_usd.setRange(0, 1_000_000)
        self.confirm_usd.setPrefix("US$")
        self.confirm_usd.setSpecialValueText("never ask")
        self.confirm_usd.setValue(conf.confirm_above_usd)
        for box in (self.confirm_credits, self.confirm_usd):
            box.setToolTip(
                "Before a batch starts, the app estimates its cost from your recent calls "
                "of the same model (or the docs' figure) and asks first above this."
            )
        group = QGroupBox("Spending")
        form = QFormLayout(group)
        form.addRow("Ask before a batch above", self.confirm_credits)
        form.addRow("or above", self.confirm_usd)
        return group

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Output folder", str(self.conf.output_path))
        if folder:
            self.output_dir.setText(folder)

    def accept(self) -> None:
        """Check, then save settings and key; a problem is shown in the dialog, which stays."""
        base = self.api_base.text().strip() or settings_mod.Settings().api_base
        try:
            check_url(base, "API base URL")
            key = self.key.text().strip()
            kept = keys.set_key(key) if key else None
            if kept:
                self.saved_key = key  # only a key the keychain (or this session) took
            if kept == "session":
                self.key_note.setText(
                    "This system has no keychain: the key is kept until you "
                    f"quit. Set {keys.ENV_VAR} to keep it."
                )
            self.conf.api_base = base
            self.conf.output_dir = self.output_dir.text().strip()
            self.conf.library_dir = self.library_dir.text().strip()
            self.conf.remember(self.params.params().validate())
            self.conf.backend = self.params.backend_key()
            self.conf.prepare = self.params.prepare.isChecked()
            self.conf.max_side = self.params.max_side.value()
            self.conf.confirm_above_credits = self.confirm_credits.value()
            self.conf.confirm_above_usd = round(self.confirm_usd.value(), 2)
            self.conf.size_unit = self.size_unit.currentData()
            settings_mod.save(self.conf)
        except (Aiml3DError, OSError) as exc:
            self.error.setText(str(exc))
            return
        super().accept()

"""The Prepare asset panel: a preset, the steps of a recipe, Preview / Apply / Cancel, what
the last run did, and the versions of the entry on screen. It only presents: the asset
controller (gui/asset_controller.py) runs the work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from aiml3d_desktop.core.assets.bake import SIZES
from aiml3d_desktop.core.assets.recipe import Preset, Recipe, same_steps
from aiml3d_desktop.core.library.entry import Version
from aiml3d_desktop.core.meshes import formats as mesh_formats
from aiml3d_desktop.gui.widgets.wheel_guard import guard_wheel

if TYPE_CHECKING:  # upright imports scipy (half a second): not with the window
    from aiml3d_desktop.core.assets.upright import Upright

CUSTOM = "Custom"
AUTOMATIC = "Automatic"
UNITS = ("mm", "cm", "m", "in")
ALONG = ("height", "width", "depth")


class PreparePanel(QWidget):
    preview = Signal()
    apply = Signal()
    cancel = Signal()
    show_original = Signal()
    save_preset = Signal()
    delete_preset = Signal(str)
    open_version = Signal(object)  # a Version, or None for the original
    compare_versions = Signal(object, object)  # two of: Version or None (the original)
    export_version = Signal(object)
    pose_chosen = Signal()  # another of Stand upright's choices, by hand

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._presets: dict[str, Preset] = {}
        self._poses: list[tuple[float, float, float] | None] = [None]  # the pose list's rests
        self._setting = False  # the controls are being set from a recipe, not by hand
        self._busy = self._has_target = False
        self.target = QLabel("Open or generate a model first.")
        self.target.setWordWrap(True)
        self.preset = QComboBox()
        self.preset.setToolTip("A preset fills in the steps; change any of them after")
        self.preset_summary = QLabel()
        self.preset_summary.setWordWrap(True)
        self.preset_summary.setStyleSheet("color: palette(placeholder-text)")
        self.save_button = QPushButton("Save as…")
        self.save_button.setToolTip("Keep these steps as a preset of your own")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete this preset of your own")
        self._make_steps()
        self._make_actions()
        self._build()
        self._connect()
        self.set_busy(False)
        self.set_target(None, in_library=False)
        guard_wheel(self)  # the panel scrolls in its dock: the wheel is for that

    def _make_steps(self) -> None:
        self.z_up = QCheckBox("The file is Z-up")
        self.z_up.setToolTip("Made with +Z up (CAD, printing, Blender): turn it to glTF's +Y up")
        self.upright = QCheckBox("Stand upright")
        self.upright.setToolTip(
            "Stand it up if it is lying or upside down; a model that already stands stays as it "
            "is. The report says which turn and why"
        )
        self.pose = QComboBox()
        self.pose.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.pose.setMinimumContentsLength(16)  # the panel stays narrow; the list shows all
        self.set_upright(None)
        self.turns = QLineEdit()
        self.turns.setPlaceholderText("e.g. x90 y-90")
        self.turns.setToolTip("Quarter turns in order: x, y or z with 90, -90 or 180")
        self.clean = QCheckBox("Clean up")
        self.clean.setToolTip(
            "Drop floating specks, merge duplicate vertices, remove degenerate triangles,"
            " fill small holes"
        )
        self.repair = QCheckBox("Make watertight (printing)")
        self.repair.setToolTip("Repair to one closed solid, facing out, with a print report")
        self.pivot = QComboBox()
        self.pivot.addItems(["keep", "bottom", "center"])
        self.size_on = QCheckBox("Real size")
        self.size_value = QDoubleSpinBox()
        self.size_value.setRange(0.01, 100_000)
        self.size_value.setDecimals(2)
        self.size_value.setValue(100)
        self.unit = QComboBox()
        self.unit.addItems(UNITS)
        self.along = QComboBox()
        self.along.addItems(ALONG)
        self.decimate_on = QCheckBox("Decimate")
        self.decimate = QSpinBox()
        self.decimate.setRange(4, 10_000_000)
        self.decimate.setSingleStep(1000)
        self.decimate.setValue(20_000)
        self.decimate.setSuffix(" tris")
        self.decimate.setToolTip("Triangles in the result")
        self.decimate.setGroupSeparatorShown(True)
        self.lods = QLineEdit()
        self.lods.setPlaceholderText("e.g. 5000, 1000")
        self.lods.setToolTip("More levels of detail, written beside it as _lod1, _lod2 …")
        self.bake_on = QCheckBox("Bake texture")
        self.bake_on.setToolTip("Unwrap and bake the original's colours into a texture")
        self.bake = QComboBox()
        self.bake.addItems([f"{s} px" for s in SIZES])
        self.formats = {f.key: QCheckBox(f.key.upper()) for f in mesh_formats.writable()}
        for fmt in mesh_formats.writable():
            self.formats[fmt.key].setToolTip(fmt.label)

    def _make_actions(self) -> None:
        self.preview_button = QPushButton("Preview")
        self.preview_button.setToolTip("Run the steps and show the result in the 3D view")
        self.apply_button = QPushButton("Keep as version")
        self.apply_button.setDefault(True)
        self.original_button = QPushButton("Show original")
        self.cancel_button = QPushButton("Cancel")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setPlaceholderText("What the steps did shows here.")
        # Small enough that the whole panel fits the first-start window (960 px) unscrolled,
        # versions and all; it takes whatever room is left.
        self.report.setMinimumHeight(56)
        # Its own wish (about 190 px) would make the scroll area scroll: it takes the rest.
        self.report.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)

        self.versions = QListWidget()
        self.versions.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.versions.setMinimumHeight(48)
        self.versions.setMaximumHeight(64)  # three rows; it scrolls past them
        self.open_button = QPushButton("Open")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Select two versions (or one, against the original)")
        self.export_button = QPushButton("Export…")

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(self.target)
        presets = QGroupBox("Preset")
        grid = QGridLayout(presets)
        grid.addWidget(self.preset, 0, 0, 1, 2)
        grid.addWidget(self.preset_summary, 1, 0, 1, 2)
        grid.addWidget(self.save_button, 2, 0)
        grid.addWidget(self.delete_button, 2, 1)
        layout.addWidget(presets)

        steps = QGroupBox("Steps")
        form = QFormLayout(steps)
        form.setVerticalSpacing(4)  # with the versions shown, it all fits 960 px unscrolled
        form.addRow(self.clean)
        form.addRow(self.repair)
        form.addRow(self.z_up)
        form.addRow(self.upright)
        form.addRow(self.pose)  # the whole width: its choices are a few words each
        form.addRow("Turn", self.turns)
        form.addRow(self.decimate_on, self.decimate)
        form.addRow("Levels", self.lods)
        form.addRow(self.bake_on, self.bake)
        size = QHBoxLayout()
        size.addWidget(self.size_value, 1)
        size.addWidget(self.unit)
        form.addRow(self.size_on, size)
        form.addRow("along its", self.along)
        form.addRow("Pivot", self.pivot)
        formats = QGridLayout()
        for i, box in enumerate(self.formats.values()):
            formats.addWidget(box, i // 4, i % 4)
        form.addRow(QLabel("Write"))
        form.addRow(formats)
        layout.addWidget(steps)

        buttons = QGridLayout()
        buttons.addWidget(self.preview_button, 0, 0)
        buttons.addWidget(self.apply_button, 0, 1)
        buttons.addWidget(self.original_button, 1, 0)
        buttons.addWidget(self.cancel_button, 1, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)

        versions = self.versions_box = QGroupBox("Versions of this model")
        column = QVBoxLayout(versions)
        column.addWidget(self.versions)
        row = QHBoxLayout()
        for button in (self.open_button, self.compare_button, self.export_button):
            row.addWidget(button)
        column.addLayout(row)
        layout.addWidget(versions)
        layout.addWidget(self.report, 1)

    def _connect(self) -> None:
        self.preset.currentIndexChanged.connect(self._preset_chosen)
        for box in (self.z_up, self.upright, self.clean, self.repair, self.size_on,
                    self.decimate_on, self.bake_on, *self.formats.values()):  # fmt: skip
            box.toggled.connect(self._edited)
        for combo in (self.pivot, self.unit, self.along, self.bake):
            combo.currentIndexChanged.connect(self._edited)
        for spin in (self.size_value, self.decimate):
            spin.valueChanged.connect(self._edited)
        for line in (self.turns, self.lods):
            line.textEdited.connect(self._edited)
        # The choices are sides of the model as it was turned: turned otherwise, they are not.
        self.z_up.toggled.connect(lambda: self.set_upright(None))
        self.turns.textEdited.connect(lambda: self.set_upright(None))
        self.pose.activated.connect(self._pose_activated)
        self.preview_button.clicked.connect(self.preview)
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button.clicked.connect(self.cancel)
        self.original_button.clicked.connect(self.show_original)
        self.save_button.clicked.connect(self.save_preset)
        self.delete_button.clicked.connect(lambda: self.delete_preset.emit(self.preset_name()))
        self.open_button.clicked.connect(lambda: self.open_version.emit(self._chosen()[0]))
        self.export_button.clicked.connect(lambda: self.export_version.emit(self._chosen()[0]))
        self.compare_button.clicked.connect(self._compare)
        self.versions.itemDoubleClicked.connect(
            lambda item: self.open_version.emit(item.data(Qt.ItemDataRole.UserRole))
        )

    # Presets and the recipe

    def set_presets(self, presets: dict[str, Preset], current: str | None = None) -> None:
        self._presets = presets
        self._setting = True
        self.preset.clear()
        for name, preset in presets.items():
            self.preset.addItem(preset.title, name)
        self.preset.addItem(CUSTOM, None)
        self._setting = False
        index = self.preset.findData(current) if current else 0
        self.preset.setCurrentIndex(max(index, 0))
        self._preset_chosen()

    def preset_name(self) -> str | None:
        return self.preset.currentData()

    def _preset_chosen(self) -> None:
        if self._setting:
            return
        preset = self._presets.get(self.preset_name() or "")
        self.delete_button.setEnabled(preset is not None and not preset.builtin)
        if preset is None:
            self.preset_summary.setText("Your own choice of steps.")
            return
        self.preset_summary.setText(preset.summary or "; ".join(preset.recipe.describe()))
        self.set_recipe(preset.recipe)

    def _edited(self) -> None:
        """A step changed by hand: the preset whose steps these are, or Custom."""
        self._sync_enabled()
        if not self._setting:
            self._match_preset()

    def _match_preset(self) -> None:
        recipe = self._recipe_or_none()
        name = next((n for n, p in self._presets.items() if same_steps(p.recipe, recipe)), None)
        if name != self.preset_name():
            self._setting = True
            self.preset.setCurrentIndex(
                self.preset.findData(name) if name else self.preset.count() - 1
            )
            self._setting = False
            preset = self._presets.get(name or "")
            self.preset_summary.setText(
                "Your own choice of steps." if preset is None else preset.summary
            )
            self.delete_button.setEnabled(preset is not None and not preset.builtin)

    def set_recipe(self, recipe: Recipe) -> None:
        self._setting = True
        self.z_up.setChecked(recipe.z_up)
        self.upright.setChecked(recipe.upright)
        self.turns.setText(" ".join(recipe.turns))
        self.clean.setChecked(recipe.clean)
        self.repair.setChecked(recipe.repair)
        self.pivot.setCurrentText(recipe.pivot or "keep")
        self.size_on.setChecked(recipe.size is not None)
        if recipe.size is not None:
            length, unit, along = recipe.size
            self.size_value.setValue(length)
            self.unit.setCurrentText(unit)
            self.along.setCurrentText(along)
        budgets = recipe.budgets
        self.decimate_on.setChecked(bool(budgets))
        if budgets:
            self.decimate.setValue(budgets[0])
        self.lods.setText(", ".join(str(b) for b in budgets[1:]))
        self.bake_on.setChecked(recipe.bake is not None)
        if recipe.bake:
            self.bake.setCurrentText(f"{recipe.bake} px")
        for fmt, box in self.formats.items():
            box.setChecked(fmt in recipe.formats)
        self._choose_pose(recipe.rest)
        self._setting = False
        self._sync_enabled()
        self._match_preset()

    def recipe(self) -> Recipe:
        """The recipe the controls describe, checked (InputError says what is wrong)."""
        turns = tuple(t.lower() for t in self.turns.text().replace(",", " ").split())
        extra = []
        for part in self.lods.text().replace(",", " ").split():
            digits = part.replace("_", "")
            extra.append(int(digits) if digits.isdigit() else -1)
        budgets = (self.decimate.value(), *extra) if self.decimate_on.isChecked() else ()
        return Recipe(
            z_up=self.z_up.isChecked(),
            turns=turns,
            upright=self.upright.isChecked(),
            rest=self._rest() if self.upright.isChecked() else None,
            clean=self.clean.isChecked(),
            repair=self.repair.isChecked(),
            size=(self.size_value.value(), self.unit.currentText(), self.along.currentText())
            if self.size_on.isChecked()
            else None,
            pivot=None if self.pivot.currentText() == "keep" else self.pivot.currentText(),
            decimate=budgets[0] if len(budgets) == 1 else None,
            lods=budgets if len(budgets) > 1 else (),
            bake=int(self.bake.currentText().split()[0]) if self.bake_on.isChecked() else None,
            formats=tuple(f for f, box in self.formats.items() if box.isChecked()),
            check=self.repair.isChecked()
            or any(  # printers' formats: checked for printing
                self.formats[f.key].isChecked()
                for f in mesh_formats.writable()
                if f.unit == mesh_formats.MILLIMETRES
            ),
        ).validated()

    def _recipe_or_none(self) -> Recipe | None:
        try:
            return self.recipe()
        except Exception:  # half-typed values: simply not the preset's
            return None

    def _sync_enabled(self) -> None:
        self.size_value.setEnabled(self.size_on.isChecked())
        self.unit.setEnabled(self.size_on.isChecked())
        self.along.setEnabled(self.size_on.isChecked())
        self.decimate.setEnabled(self.decimate_on.isChecked())
        self.lods.setEnabled(self.decimate_on.isChecked())
        self.bake.setEnabled(self.bake_on.isChecked())
        self.pose.setEnabled(self.upright.isChecked())

    # Stand upright's choices

    def set_upright(self, decision: Upright | None) -> None:
        """List the ways ``decision`` offers to stand the model (None: not known until a
        preview), the one chosen so far still chosen if it is among them."""
        chosen = self._rest()
        self.pose.clear()
        if decision is None:
            self._poses = [None]
            self.pose.addItem(f"{AUTOMATIC} (Preview shows more)")
            self.pose.setToolTip("Preview to see how it stands, and the other ways")
            return
        first, *others = decision.choices
        self._poses = [None, *(c.rest for c in others)]
        self.pose.addItem(f"{AUTOMATIC}: {first.words()}")
        for choice in others:
            self.pose.addItem(choice.option())
        for row, choice in enumerate(decision.choices):
            tip = f" It leans {choice.tip:.0f}° before it tips over." if choice.tip > 0 else ""
            why = choice.reason[0].upper() + choice.reason[1:]
            self.pose.setItemData(row, f"{why}.{tip}", Qt.ItemDataRole.ToolTipRole)
        self.pose.setToolTip("How it stands: automatic, or one of the other ways")
        self._choose_pose(chosen)

    def _rest(self) -> tuple[float, float, float] | None:
        """The side chosen to stand it on (None: automatic)."""
        return self._poses[max(self.pose.currentIndex(), 0)]

    def _choose_pose(self, rest: tuple[float, float, float] | None) -> None:
        self.pose.setCurrentIndex(self._poses.index(rest) if rest in self._poses else 0)

    def _pose_activated(self) -> None:
        self._edited()
        self.pose_chosen.emit()

    # What it applies to, and the work

    def set_target(self, title: str | None, in_library: bool) -> None:
        if title is None:
            self.target.setText("Open or generate a model first.")
        else:
            where = (
                "a new version is kept in the library" if in_library else "save the result as files"
            )
            self.target.setText(f"<b>{title}</b><br>Apply: {where}.")
        self.apply_button.setText("Keep as version" if in_library else "Save as…")
        self._has_target = title is not None
        self.set_busy(self._busy)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        ready = self._has_target and not busy
        for widget in (self.preview_button, self.apply_button, self.original_button):
            widget.setEnabled(ready)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setValue(0)
            self.progress.setFormat("Starting…")

    def set_progress(self, step: str, permille: int) -> None:
        self.progress.setValue(permille)
        self.progress.setFormat(f"{step}… %p%" if step else "%p%")

    def show_report(self, lines: list[str]) -> None:
        self.report.setPlainText("\n".join(lines))

    # Versions

    def set_versions(self, versions: list[Version] | None) -> None:
        self.versions.clear()
        # Only library entries have versions: for a file from disk the report takes the room.
        self.versions_box.setVisible(versions is not None)
        if versions is not None:
            original = QListWidgetItem("Original")
            original.setData(Qt.ItemDataRole.UserRole, None)
            self.versions.addItem(original)
            for number, version in enumerate(versions, 1):
                count = f" · {version.triangles:,} tris" if version.triangles else ""
                when = version.created[:16].replace("T", " ")
                item = QListWidgetItem(f"v{number} · {version.label}{count}")
                item.setToolTip(
                    "\n".join([f"Made {when} UTC", ", ".join(version.files), *version.report])
                )
                item.setData(Qt.ItemDataRole.UserRole, version)
                self.versions.addItem(item)
        for button in (self.open_button, self.compare_button, self.export_button):
            button.setEnabled(versions is not None)

    def _chosen(self) -> list:
        items = self.versions.selectedItems() or [self.versions.item(0)]
        return [item.data(Qt.ItemDataRole.UserRole) for item in items if item is not None]

    def _compare(self) -> None:
        chosen = self._chosen()
        if len(chosen) == 1:
            chosen = [None, chosen[0]]  # against the original
        if len(chosen) >= 2 and chosen[0] is not chosen[1]:
            self.compare_versions.emit(chosen[0], chosen[1])

"""The Scene tab: a composed scene's groups and models in an outliner (scene_outliner.py),
and its edits: undo and redo, duplicate and delete the ones chosen, their numbers
(scene_transform.py), lay them out, rest them on the ground; a new scene, models added from
files, save and export. It draws and says what was asked; SceneController does it."""

from __future__ import annotations

from PySide6.QtCore import Signal, SignalInstance
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from aiml3d_desktop.core.composition.document import Placement, SceneDoc
from aiml3d_desktop.gui.widgets.scene_outliner import Outliner
from aiml3d_desktop.gui.widgets.scene_sun import SunBox
from aiml3d_desktop.gui.widgets.scene_transform import TransformBox
from aiml3d_desktop.gui.widgets.wheel_guard import guard_wheel

LAYOUT_NAMES = {"row": "In a row", "grid": "In a grid", "circle": "In a circle"}
NO_SCENE = "Start a new scene, or open one (a scene.json), to compose it here."


class ScenePanel(QWidget):
    undo = Signal()
    redo = Signal()
    duplicate = Signal()
    delete = Signal()
    arrange = Signal(str, float)  # a layout of core/composition/arrange.py, the gap (m)
    rest = Signal()
    save = Signal()
    new_scene = Signal()
    add_files = Signal()
    export = Signal()
    make_boxes = Signal()  # make the models of the stand-in boxes (a planned scene's)
    stop_making = Signal()
    look_again = Signal()  # a planned scene, made: have a model that sees pictures check it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(NO_SCENE)
        self.title.setWordWrap(True)
        self.outliner = Outliner()
        self.outliner.delete.connect(self.delete.emit)
        self.undo_button = self._button("Undo", self.undo)
        self.redo_button = self._button("Redo", self.redo)
        self.duplicate_button = self._button("Duplicate", self.duplicate)
        self.delete_button = self._button("Delete", self.delete)
        self.layout_choice = QComboBox()
        for key, name in LAYOUT_NAMES.items():
            self.layout_choice.addItem(name, key)
        self.gap = QDoubleSpinBox()
        self.gap.setRange(0.0, 100.0)
        self.gap.setDecimals(2)
        self.gap.setSingleStep(0.05)
        self.gap.setValue(0.1)
        self.gap.setSuffix(" m gap")
        self.arrange_button = QPushButton("Arrange")
        self.arrange_button.clicked.connect(
            lambda: self.arrange.emit(self.layout_choice.currentData(), self.gap.value())
        )
        self.rest_button = self._button("Rest on the ground", self.rest)
        self.save_button = self._button("Save scene", self.save)
        self.new_button = self._button("New scene", self.new_scene)
        self.add_button = self._button("Add models…", self.add_files)
        self.add_button.setToolTip(
            "Add 3D model files; add library entries from their menu (Add to the scene)"
        )
        self.export_button = self._button("Export scene…", self.export)
        self.making = QLabel()
        self.making.setWordWrap(True)
        self.making_button = QPushButton()
        self.making_button.clicked.connect(self._making_clicked)
        self.look_button = self._button("Look again", self.look_again)
        self.look_button.setToolTip(
            "A model that sees pictures compares the scene with its plan; its corrections "
            "are placed by the app, as one step to undo (a paid call, twice at most)"
        )
        self.transform = TransformBox()
        self.sun = SunBox()
        edits = QGridLayout()
        for i, button in enumerate(
            (self.undo_button, self.redo_button, self.duplicate_button, self.delete_button)
        ):
            edits.addWidget(button, i // 2, i % 2)
        arranging = QHBoxLayout()
        for widget in (self.layout_choice, self.gap, self.arrange_button):
            arranging.addWidget(widget)
        files = QGridLayout()
        for i, button in enumerate(
            (self.new_button, self.add_button, self.save_button, self.export_button)
        ):
            files.addWidget(button, i // 2, i % 2)
        column = QVBoxLayout(self)
        column.addWidget(self.title)
        column.addLayout(files)
        column.addWidget(self.outliner, 1)
        making = QHBoxLayout()
        making.addWidget(self.making, 1)
        making.addWidget(self.making_button)
        making.addWidget(self.look_button)
        column.addLayout(making)
        column.addLayout(edits)
        column.addWidget(self.transform)
        column.addWidget(self.sun)
        column.addLayout(arranging)
        column.addWidget(self.rest_button)
        self.show_doc(None, [], None, None, False)
        self.show_making(0, 0)
        self.show_review(None)
        guard_wheel(self)

    def show_making(self, boxes: int, pending: int) -> None:
        """How many of the scene's objects are stand-in boxes still, and how many of those
        are being made (queued or running)."""
        shown = bool(boxes or pending)
        self.making.setVisible(shown)
        self.making_button.setVisible(shown)
        self._stopping = bool(pending)
        some = f"{boxes} box stands" if boxes == 1 else f"{boxes} boxes stand"
        if pending:
            self.making.setText(f"{some} in for models: {pending} being made")
            self.making_button.setText("Stop making")
            self.making_button.setToolTip("Cancel the scene's models queued or being made")
        else:
            self.making.setText(f"{some} in for models not made")
            self.making_button.setText("Make the boxes")
            self.making_button.setToolTip("Make a model for each box, from its words")

    def show_review(self, left: int | None) -> None:
        """Rounds of Look again left (None: the scene was not planned in this session, or
        its boxes are not all made)."""
        self.look_button.setVisible(left is not None)
        self.look_button.setEnabled(bool(left))
        self.look_button.setText("Look again" if left else "Looked twice")

    def _making_clicked(self) -> None:
        (self.stop_making if self._stopping else self.make_boxes).emit()

    def _button(self, text: str, signal: SignalInstance) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(signal.emit)
        return button

    def show_doc(
        self,
        doc: SceneDoc | None,
        selected: list[str],
        undo_label: str | None,
        redo_label: str | None,
        modified: bool,
    ) -> None:
        """The scene's placements (None: no scene), those chosen, and what undo and redo
        would do."""
        self.outliner.show_doc(doc, selected)
        have = doc is not None
        name = f"{doc.name}{' (not saved)' if modified else ''}" if doc is not None else ""
        self.title.setText(name or NO_SCENE)
        self.undo_button.setEnabled(undo_label is not None)
        self.undo_button.setToolTip(f"Undo: {undo_label}" if undo_label else "")
        self.redo_button.setEnabled(redo_label is not None)
        self.redo_button.setToolTip(f"Redo: {redo_label}" if redo_label else "")
        self.set_chosen(len(selected))
        for widget in (self.arrange_button, self.rest_button, self.layout_choice, self.gap):
            widget.setEnabled(have and bool(doc.placements if doc else ()))
        self.sun.show_light(doc.light if doc is not None else None)
        self.save_button.setEnabled(have and modified)
        self.add_button.setEnabled(have)
        self.export_button.setEnabled(have and bool(doc.placements if doc else ()))

    def select(self, ids: list[str]) -> None:
        """The outliner's selection made ``ids`` (chosen in the view), without telling back."""
        self.outliner.select(ids)
        self.set_chosen(len(ids))

    def set_chosen(self, count: int) -> None:
        """How many are chosen (the list's own selection is already so)."""
        for button in (self.duplicate_button, self.delete_button):
            button.setEnabled(count > 0)

    def show_chosen(self, movable: list[Placement]) -> None:
        """The chosen that can be moved, in the transform box."""
        self.transform.show_chosen(movable)

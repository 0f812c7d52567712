"""Compose a scene from a sentence (issue 30): the sentence, then its plan shown before anything
is paid for: a table of the objects (name, real size, count, or a library entry to use in
place of making one) that the user edits or removes rows of, how they relate, a top-down
sketch of where each stands, and what making it would cost against the spending limits.
It draws and says what was asked; ComposeController plans, checks, prices and makes."""

from __future__ import annotations

import html
import math
from dataclasses import replace

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from aiml3d_desktop.core.composition.plan import MAX_COUNT, SIZES, Plan, Relation
from aiml3d_desktop.core.composition.solver import Placed
from aiml3d_desktop.gui.widgets.wheel_guard import guard_wheel

EXAMPLE = "A writing desk with a brass lamp, a mug and a stack of books"
COLUMNS = ("Object", "Width m", "Depth m", "Height m", "Count", "Made from", "")
RELATION_WORDS = {
    "on_top_of": "on", "next_to": "next to", "in_front_of": "in front of", "behind": "behind",
    "facing": "facing", "against_wall": "against the wall:", "centred_on": "centred on",
}  # fmt: skip


class PlanSketch(QWidget):
    """The plan from above: the room, each object's footprint turned by its yaw with a tick
    at its front, what rests on another drawn over it in another colour, names inside."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.room: tuple[float, float] = (4.0, 4.0)
        self.placed: list[Placed] = []
        self.setMinimumSize(260, 220)

    def show_layout(self, room: tuple[float, float], placed: list[Placed]) -> None:
        self.room, self.placed = room, placed
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#1f2329"))
        width, depth = self.room
        margin = 14.0
        scale = min((self.width() - 2 * margin) / width, (self.height() - 2 * margin) / depth)
        centre = QPointF(self.width() / 2, self.height() / 2)

        def at(x: float, z: float) -> QPointF:  # +X right, +Z (the front) down
            return QPointF(centre.x() + x * scale, centre.y() + z * scale)

        painter.setPen(QPen(QColor("#8a94a3"), 1.5))
        painter.setBrush(QColor("#2b3039"))
        painter.drawRect(QRectF(at(-width / 2, -depth / 2), at(width / 2, depth / 2)))
        painter.setPen(QColor("#8a94a3"))
        painter.drawText(QRectF(at(-width / 2, depth / 2), at(width / 2, depth / 2 + 1)).adjusted(
            0, 0, 0, margin), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
            f"front · {width:g} x {depth:g} m")  # fmt: skip
        for thing in sorted(self.placed, key=lambda p: p.y):  # what rests on others: on top
            corners, front = _footprint(thing)
            on_floor = not thing.support
            painter.setPen(QPen(QColor("#9fc3ff" if on_floor else "#ffc98a"), 1.2))
            painter.setBrush(QColor(80, 130, 210, 90) if on_floor else QColor(230, 160, 70, 110))
            painter.drawPolygon(QPolygonF([at(x, z) for x, z in corners]))
            painter.drawLine(at(thing.x, thing.z), at(*front))
            painter.setPen(QColor("#e8ecf2"))
            label = QRectF(
                at(thing.x, thing.z) - QPointF(60, 9), at(thing.x, thing.z) + QPointF(60, 9)
            )
            painter.drawText(label, Qt.AlignmentFlag.AlignCenter, thing.name)
        painter.end()


def _footprint(thing: Placed) -> tuple[list[tuple[float, float]], tuple[float, float]]:
    """The corners of a placed thing's footprint (x, z) turned by its yaw, and the middle of
    its front edge (its front faces +Z at yaw 0)."""
    w, d = thing.size[0] / 2, thing.size[1] / 2
    c, s = math.cos(math.radians(thing.yaw)), math.sin(math.radians(thing.yaw))

    def turned(x: float, z: float) -> tuple[float, float]:  # about up, +Z towards +X
        return thing.x + c * x + s * z, thing.z - s * x + c * z

    corners = [turned(x, z) for x, z in ((-w, -d), (w, -d), (w, d), (-w, d))]
    return corners, turned(0.0, d)


class ComposeDialog(QDialog):
    plan_requested = Signal(str)  # the sentence
    edited = Signal(object)  # the Plan as the table now has it (not yet checked)
    pick_requested = Signal(str)  # an object's name: choose a library entry for it
    make_requested = Signal(object, dict)  # the Plan, {object name: library entry id}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compose a scene")
        self.plan: Plan | None = None
        self.picks: dict[str, tuple[str, str]] = {}  # object name -> (entry id, its title)
        self._filling = False
        self.sentence = QLineEdit()
        self.sentence.setPlaceholderText(EXAMPLE)
        self.sentence.setMaxLength(2000)
        self.sentence.returnPressed.connect(self._ask)
        self.plan_button = QPushButton("Plan")
        self.plan_button.setToolTip(
            "A language model lists the objects, their real sizes and how they relate; "
            "nothing is made yet"
        )
        self.plan_button.clicked.connect(self._ask)
        self.planning = QLabel()
        self.planning.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(48)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(5, 150)  # "Library: <a title>" or "Made anew…", unclipped
        self.table.verticalHeader().hide()
        self.table.itemChanged.connect(self._name_changed)
        self.relations = QLabel()
        self.relations.setWordWrap(True)
        self.relations.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sketch = PlanSketch()
        self.cost = QLabel()
        self.cost.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #ff8a80")
        self.buttons = QDialogButtonBox()
        self.make_button = self.buttons.addButton(
            "Make the scene", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.make_button.setEnabled(False)
        self.make_button.clicked.connect(self._make)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(self.close)

        asking = QHBoxLayout()
        asking.addWidget(self.sentence, 1)
        asking.addWidget(self.plan_button)
        left = QWidget()
        listed = QVBoxLayout(left)
        listed.setContentsMargins(0, 0, 0, 0)
        listed.addWidget(self.table, 1)
        listed.addWidget(self.relations)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.sketch)
        split.setSizes([640, 420])
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Describe the scene in a sentence:"))
        layout.addLayout(asking)
        layout.addWidget(self.planning)
        layout.addWidget(split, 1)
        layout.addWidget(self.cost)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.resize(1120, 640)

    # What the controller says

    def set_planning(self, text: str, busy: bool) -> None:
        self.planning.setText(text)
        self.plan_button.setEnabled(not busy)
        self.sentence.setEnabled(not busy)

    def show_plan(self, plan: Plan) -> None:
        """A new plan from the planner: its rows, in place of any before."""
        self.picks = {}
        self._fill(plan)
        self.edited.emit(plan)

    def show_layout(self, placed: list[Placed] | None, problem: str | None) -> None:
        """Where the plan's objects stand, or why they cannot (then nothing can be made)."""
        if self.plan is not None and placed is not None:
            self.sketch.show_layout(self.plan.room, placed)
        self.problem.setText(problem or "")
        self.make_button.setEnabled(placed is not None and self.plan is not None)

    def show_cost(self, text: str, refused: str | None) -> None:
        self.cost.setText(text)
        if refused:
            self.problem.setText(refused)

    def pick(self, name: str, entry_id: str | None, title: str = "") -> None:
        """An object made from a library entry (None: made anew, as planned)."""
        if entry_id is None:
            self.picks.pop(name, None)
        else:
            self.picks[name] = (entry_id, title)
        if self.plan is not None:
            self._fill(self.plan)
            self.edited.emit(self.plan)

    # The table

    def _fill(self, plan: Plan) -> None:
        self.plan = plan
        self._filling = True
        self.table.setRowCount(len(plan.objects))
        for row, obj in enumerate(plan.objects):
            name = QTableWidgetItem(obj.name)
            name.setToolTip(html.escape(obj.description))  # the model's words: not markup
            self.table.setItem(row, 0, name)
            for column, value in enumerate(obj.size, start=1):
                box = QDoubleSpinBox()
                box.setRange(*SIZES)
                box.setDecimals(2)
                box.setSingleStep(0.05)
                box.setValue(value)
                box.valueChanged.connect(self._changed)
                self.table.setCellWidget(row, column, box)
            count = QSpinBox()
            count.setRange(1, MAX_COUNT)
            count.setValue(obj.count)
            count.valueChanged.connect(self._changed)
            self.table.setCellWidget(row, 4, count)
            picked = self.picks.get(obj.name)
            source = QPushButton(f"Library: {picked[1]}" if picked else "Made anew…")
            source.setToolTip(
                "Use a model from the library for this object instead of making one"
                if not picked
                else "Click to make it anew instead"
            )
            source.clicked.connect(lambda _=False, n=obj.name: self._toggle_pick(n))
            self.table.setCellWidget(row, 5, source)
            remove = QToolButton()
            remove.setText("✕")
            remove.setToolTip(html.escape(f"Leave the {obj.name} out"))
            remove.clicked.connect(lambda _=False, n=obj.name: self._remove(n))
            self.table.setCellWidget(row, 6, remove)
        guard_wheel(self.table)
        self._filling = False
        parts = [f"{r.subject} {RELATION_WORDS[r.kind]} {r.target}" for r in plan.relations]
        self.relations.setText(
            f"<b>{plan.placed} models in a {plan.room[0]:g} x {plan.room[1]:g} m room, "
            f"{plan.mood} light.</b> " + ("; ".join(parts) or "No relations.")
        )

    def _toggle_pick(self, name: str) -> None:
        if name in self.picks:
            self.pick(name, None)
        else:
            self.pick_requested.emit(name)

    def _remove(self, name: str) -> None:
        if self.plan is None:
            return
        objects = tuple(o for o in self.plan.objects if o.name != name)
        relations = tuple(r for r in self.plan.relations if name not in (r.subject, r.target))
        self.picks.pop(name, None)
        self._fill(replace(self.plan, objects=objects, relations=relations))
        self.edited.emit(self.plan)

    def _name_changed(self, item: QTableWidgetItem) -> None:
        if not self._filling and item.column() == 0:
            self._changed()

    def _changed(self) -> None:
        """The plan as the table has it now: names, sizes and counts; a renamed object
        keeps its relations (and its library entry, if one was picked)."""
        if self._filling or self.plan is None:
            return
        objects, renamed = [], {}
        for row, obj in enumerate(self.plan.objects):
            item = self.table.item(row, 0)
            name = item.text().strip() if item is not None else obj.name
            sizes = tuple(self.table.cellWidget(row, c).value() for c in (1, 2, 3))  # type: ignore[attr-defined]
            count = self.table.cellWidget(row, 4).value()  # type: ignore[attr-defined]
            objects.append(replace(obj, name=name, size=sizes, count=count))
            renamed[obj.name] = name
        relations = tuple(
            Relation(r.kind, renamed.get(r.subject, r.subject), renamed.get(r.target, r.target))
            for r in self.plan.relations
        )
        self.picks = {renamed.get(k, k): v for k, v in self.picks.items()}
        self.plan = replace(self.plan, objects=tuple(objects), relations=relations)
        self.edited.emit(self.plan)

    # Asking

    def _ask(self) -> None:
        sentence = " ".join(self.sentence.text().split())
        if sentence:
            self.plan_requested.emit(sentence)

    def _make(self) -> None:
        if self.plan is not None:
            self.make_requested.emit(self.plan, {k: v[0] for k, v in self.picks.items()})

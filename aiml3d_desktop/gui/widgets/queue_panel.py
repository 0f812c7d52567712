"""The batch queue as a list: each picture or prompt with its state, and the buttons that act
on the selected ones. It shows what gui/batch_controller.py tells it, and asks it for the rest."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from aiml3d_desktop.core.generation.batch import (
    CANCELLED,
    DONE,
    FAILED,
    FINISHED,
    MAX_JOBS,
    PROMPT,
    RUNNING,
    WAITING,
    QueueItem,
)

STATUS_LOOK = {  # text, colour
    WAITING: ("Waiting", "#9aa3b2"),
    RUNNING: ("Running", "#8ec5ff"),
    DONE: ("Done", "#7fd18b"),
    FAILED: ("Failed", "#ff8a80"),
    CANCELLED: ("Cancelled", "#c0a060"),
}
ID_ROLE = Qt.ItemDataRole.UserRole


class QueuePanel(QWidget):
    retry_requested = Signal(list)  # item ids
    cancel_requested = Signal(list)
    remove_requested = Signal(list)
    clear_requested = Signal()
    open_requested = Signal(str)  # a library entry id
    jobs_changed = Signal(int)
    paused_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QTreeWidget()
        self.list.setHeaderLabels(["Picture or prompt", "Status", "Result"])
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.list.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(0, 260)
        header.resizeSection(1, 150)
        self.list.itemSelectionChanged.connect(self._selection_changed)
        self.list.itemDoubleClicked.connect(self._double_clicked)
        self.summary = QLabel()
        self.retry = self._button(
            "Retry", "Run the selected failed or cancelled items again", self.retry_requested
        )
        self.cancel = self._button("Cancel", "Stop the selected items", self.cancel_requested)
        self.remove = self._button(
            "Remove", "Take the selected items off the list", self.remove_requested
        )
        self.clear = QPushButton("Clear finished")
        self.clear.setToolTip("Take every done, failed and cancelled item off the list")
        self.clear.clicked.connect(self.clear_requested)
        self.jobs = QSpinBox()
        self.jobs.setRange(1, MAX_JOBS)
        self.jobs.setPrefix("At once: ")
        self.jobs.setToolTip(
            "How many models are made at the same time. They share the "
            "API's rate limit: when it says wait, all of them wait."
        )
        self.jobs.valueChanged.connect(self.jobs_changed)
        self.pause = QPushButton("Pause")
        self.pause.setCheckable(True)
        self.pause.setToolTip("Start no new item (running ones finish)")
        self.pause.toggled.connect(self._paused)
        buttons = QHBoxLayout()
        for widget in (self.retry, self.cancel, self.remove, self.clear):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.summary)
        buttons.addWidget(self.jobs)
        buttons.addWidget(self.pause)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.list, 1)
        self._selection_changed()

    def _button(self, text: str, tip: str, signal: SignalInstance) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(lambda: signal.emit(self.selected_ids()))
        return button

    def show_items(self, items: list[QueueItem], stages: dict[str, str]) -> None:
        """The whole list, in queue order; ``stages`` tells what each running item is doing."""
        rows = {row.data(0, ID_ROLE): row for row in self._rows()}
        wanted = {item.id for item in items}
        for item_id, gone in rows.items():
            if item_id not in wanted:
                self.list.takeTopLevelItem(self.list.indexOfTopLevelItem(gone))
        for index, item in enumerate(items):
            row = rows.get(item.id)
            if row is None:
                row = QTreeWidgetItem()
                row.setData(0, ID_ROLE, item.id)
                self.list.insertTopLevelItem(index, row)
            self._fill(row, item, stages.get(item.id, ""))
        counts = {s: sum(i.status == s for i in items) for s in STATUS_LOOK}
        self.summary.setText(
            "  ·  ".join(f"{n} {STATUS_LOOK[s][0].lower()}" for s, n in counts.items() if n)
        )
        self._selection_changed()

    def show_stage(self, item_id: str, text: str) -> None:
        """What a running item is doing now, in its status cell."""
        for row in self._rows():
            if row.data(0, ID_ROLE) == item_id:
                if row.data(1, ID_ROLE) == RUNNING:
                    row.setText(1, text)
                return

    def _rows(self) -> list[QTreeWidgetItem]:
        """The list's rows, top to bottom."""
        rows = (self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount()))
        return [row for row in rows if row is not None]

    def _fill(self, row: QTreeWidgetItem, item: QueueItem, stage: str) -> None:
        label = f"“{item.label}”" if item.kind == PROMPT else item.label
        text, colour = STATUS_LOOK[item.status]
        if item.status == RUNNING and stage:
            text = stage
        elif item.attempts > 1 and item.status != WAITING:
            text += f" (try {item.attempts})"
        row.setText(0, label)
        row.setToolTip(0, item.source)
        row.setText(1, text)
        row.setForeground(1, QBrush(QColor(colour)))
        row.setText(2, item.message)
        row.setToolTip(2, item.message)
        row.setData(1, ID_ROLE, item.status)
        row.setData(2, ID_ROLE, item.entry_id)

    def selected_ids(self) -> list[str]:
        return [row.data(0, ID_ROLE) for row in self.list.selectedItems()]

    def _selection_changed(self) -> None:
        statuses = {row.data(1, ID_ROLE) for row in self.list.selectedItems()}
        self.retry.setEnabled(bool(statuses & {FAILED, CANCELLED}))
        self.cancel.setEnabled(bool(statuses & {WAITING, RUNNING}))
        self.remove.setEnabled(bool(statuses))
        self.clear.setEnabled(any(row.data(1, ID_ROLE) in FINISHED for row in self._rows()))

    def _double_clicked(self, row: QTreeWidgetItem) -> None:
        if row.data(2, ID_ROLE):
            self.open_requested.emit(row.data(2, ID_ROLE))

    def _paused(self, paused: bool) -> None:
        self.pause.setText("Resume" if paused else "Pause")
        self.paused_changed.emit(paused)

    def set_paused(self, paused: bool) -> None:
        self.pause.setChecked(paused)

    def paused(self) -> bool:
        return self.pause.isChecked()

    def jobs_wanted(self) -> int:
        """How many items may run at once."""
        return self.jobs.value()

    def set_jobs(self, count: int) -> None:
        self.jobs.setValue(count)

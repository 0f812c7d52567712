"""Two library entries side by side, in two viewers whose cameras move together."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from aiml3d_desktop import APP_NAME
from aiml3d_desktop.core.library import Entry
from aiml3d_desktop.gui import tasks
from aiml3d_desktop.gui.workers import Runner


class ComparePane(QWidget):
    def __init__(self, parent=None) -> None:
        from aiml3d_desktop.gui.widgets.viewer import Viewer

        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.viewer = Viewer()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.viewer, 1)

    def show_entry(self, entry: Entry, loading: bool) -> None:
        stats = entry.stats or {}
        detail = "loading…" if loading else f"{stats.get('triangles') or 0:,} triangles"
        self.caption.setText(f"<b>{entry.title}</b> &nbsp; {entry.format.upper()}, {detail}")


class CompareWindow(QWidget):
    def __init__(self, runner: Runner, up_axis: str, parent=None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("compareWindow")
        self.runner = runner
        self.panes = (ComparePane(), ComparePane())
        self.entries: list[Entry | None] = [None, None]
        self.linked = QCheckBox("Move the cameras together")
        self.linked.setChecked(True)
        row = QHBoxLayout()
        for pane in self.panes:
            pane.viewer.set_up_axis(up_axis)
            row.addWidget(pane, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.linked)
        self.panes[0].viewer.camera_moved.connect(self._left_moved)
        self.panes[1].viewer.camera_moved.connect(self._right_moved)
        self.resize(1200, 640)

    def compare(self, first: Entry, second: Entry) -> None:
        self.setWindowTitle(f"{first.title} and {second.title} — {APP_NAME}")
        for side, (pane, entry) in enumerate(zip(self.panes, (first, second), strict=True)):
            self.entries[side] = entry
            pane.show_entry(entry, loading=True)
            pane.viewer.show_mesh(None)
            done, failed = ((self._left_loaded, self._left_failed) if side == 0
                            else (self._right_loaded, self._right_failed))  # fmt: skip
            self.runner.start(tasks.drawable_mesh, entry.mesh_path, succeeded=done,
                              failed=failed)  # fmt: skip

    @Slot(object)
    def _left_loaded(self, arrays) -> None:
        self._loaded(0, arrays)

    @Slot(object)
    def _right_loaded(self, arrays) -> None:
        self._loaded(1, arrays)

    def _loaded(self, side: int, arrays) -> None:
        pane = self.panes[side]
        pane.viewer.show_mesh(arrays)
        pane.show_entry(self.entries[side], loading=False)
        other = self.panes[1 - side].viewer
        if other.arrays is not None:  # both shown: the same camera for both
            pane.viewer.set_camera(other.camera())

    @Slot(object)
    def _left_failed(self, error) -> None:
        self._failed(0, error)

    @Slot(object)
    def _right_failed(self, error) -> None:
        self._failed(1, error)

    def _failed(self, side: int, error) -> None:
        title = self.entries[side].title
        self.panes[side].caption.setText(f"<b>{title}</b> &nbsp; could not be read: "
                                         f"{error.message}")  # fmt: skip

    @Slot()
    def _left_moved(self) -> None:
        self._follow(0)

    @Slot()
    def _right_moved(self) -> None:
        self._follow(1)

    def _follow(self, side: int) -> None:
        if self.linked.isChecked():
            self.panes[1 - side].viewer.set_camera(self.panes[side].viewer.camera())

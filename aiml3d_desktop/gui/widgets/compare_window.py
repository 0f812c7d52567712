"""Two library entries side by side, in two viewers whose cameras move together.

Each is framed to its own size (a model in centimetres beside one in metres would otherwise
be a speck or fill the view); the captions give the real sizes, in the unit chosen in
Settings."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from aiml3d_desktop import APP_NAME
from aiml3d_desktop.core.library.store import Entry
from aiml3d_desktop.gui import tasks
from aiml3d_desktop.gui.widgets.labels import width_from_layout
from aiml3d_desktop.gui.widgets.stats_panel import dimensions
from aiml3d_desktop.gui.workers import Runner

if TYPE_CHECKING:
    from aiml3d_desktop.core.common.errors import Aiml3DError
    from aiml3d_desktop.core.meshes.scene import Scene
    from aiml3d_desktop.gui.widgets.viewer import Viewer


class ComparePane(QWidget):
    """One side: an entry's name and its mesh, loaded on a worker."""

    shown = Signal()  # the mesh is on screen

    def __init__(self, runner: Runner, parent: QWidget | None = None) -> None:
        from aiml3d_desktop.gui.widgets.viewer import Viewer

        super().__init__(parent)
        self.runner = runner
        self.entry: Entry | None = None
        self.size_unit = "file"  # sizes in the caption are shown in it (stats_panel.dimensions)
        self.caption = width_from_layout(QLabel())
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.viewer = Viewer()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.viewer, 1)

    def load(self, entry: Entry) -> None:
        self.entry = entry
        self._caption("loading…")
        self.viewer.show_scene(None)
        self.runner.start(
            tasks.drawable_mesh, entry.mesh_path, succeeded=self._loaded, failed=self._failed
        )

    @Slot(object)
    def _loaded(self, scene: Scene) -> None:
        assert self.entry is not None  # set by load()
        self.viewer.show_scene(scene)
        stats = self.entry.stats or {}
        extent = stats.get("size") or (scene.bounds[1] - scene.bounds[0]).tolist()
        size = dimensions(extent, scene.unit, self.size_unit) if len(extent) == 3 else ""
        self._caption(f"{stats.get('triangles') or 0:,} triangles" + (f", {size}" if size else ""))
        self.shown.emit()

    @Slot(object)
    def _failed(self, error: Aiml3DError) -> None:
        self._caption(f"could not be read: {error.message}")

    def _caption(self, detail: str) -> None:
        """Title in bold, then ``detail``; the whole text in the tooltip, as a long title
        is clipped to the pane's width."""
        entry = self.entry
        assert entry is not None  # set by load()
        plain = f"{entry.format.upper()}, {detail}"
        self.caption.setText(f"<b>{html.escape(entry.title)}</b> &nbsp; {html.escape(plain)}")
        self.caption.setToolTip(f"{entry.title}  {plain}")


class CompareWindow(QWidget):
    def __init__(self, runner: Runner, up_axis: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("compareWindow")
        self.panes = (ComparePane(runner), ComparePane(runner))
        self.linked = QCheckBox("Move the cameras together")
        self.linked.setChecked(True)
        row = QHBoxLayout()
        for pane in self.panes:
            pane.viewer.set_up_axis(up_axis)
            pane.viewer.camera_moved.connect(self._follow)
            pane.shown.connect(self._pane_shown)
            row.addWidget(pane, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.linked)
        self.resize(1200, 640)
        for key in ("Esc", "Ctrl+W"):  # closed as other windows are
            QShortcut(QKeySequence(key), self, self.close)

    def compare(self, first: Entry, second: Entry, size_unit: str = "file") -> None:
        """``size_unit``: the captions' sizes are shown in it (settings.SIZE_UNITS)."""
        self.setWindowTitle(f"{first.title} and {second.title} — {APP_NAME}")
        for pane, entry in zip(self.panes, (first, second), strict=True):
            pane.size_unit = size_unit
            pane.load(entry)

    def _other(self, viewer: Viewer) -> Viewer:
        left, right = (pane.viewer for pane in self.panes)
        return right if viewer is left else left

    @Slot()
    def _pane_shown(self) -> None:
        viewer = cast(ComparePane, self.sender()).viewer
        other = self._other(viewer)
        if other.scene is not None:  # both shown: seen the same way
            viewer.set_framing(other.framing())

    @Slot()
    def _follow(self) -> None:
        if self.linked.isChecked():
            moved = cast("Viewer", self.sender())
            self._other(moved).set_framing(moved.framing())

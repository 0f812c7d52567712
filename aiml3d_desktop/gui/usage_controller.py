"""View > Usage: the ledger read on a worker, shown in the usage window, exported as CSV."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QFileDialog

from aiml3d_desktop.core.common.errors import LibraryError
from aiml3d_desktop.core.spending import usage
from aiml3d_desktop.gui import tasks
from aiml3d_desktop.gui.context import Context

if TYPE_CHECKING:
    from pathlib import Path

    from aiml3d_desktop.gui.widgets.usage_window import UsageWindow


class UsageController(QObject):
    status = Signal(str)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx.parent)
        self.ctx = ctx
        self.view: UsageWindow | None = None

    @Slot()
    def show(self) -> None:
        if self.ctx.session.library is None:
            self.ctx.report_error(
                LibraryError("The library is not open, and the usage is kept in it"),
                "No usage to show",
            )
            return
        if self.view is None:
            from aiml3d_desktop.gui.widgets.usage_window import UsageWindow  # on first use

            self.view = UsageWindow(self.ctx.parent)
            self.view.refresh_requested.connect(self.refresh)
            self.view.export_requested.connect(self.export)
        self.view.show()
        self.view.raise_()
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        library = self.ctx.session.library
        if library is not None:
            self.ctx.runner.start(tasks.read_usage, library, succeeded=self._read)

    @Slot()
    def refresh_if_shown(self) -> None:
        """A call was made or failed: the view, if open, shows it."""
        if self.view is not None and self.view.isVisible():
            self.refresh()

    @Slot(object)
    def _read(self, read: tuple[list, list]) -> None:
        if self.view is not None:
            self.view.set_calls(*read)

    @Slot(list)
    def export(self, calls: list) -> None:
        folder = self.ctx.session.conf.output_path
        path, _ = QFileDialog.getSaveFileName(
            self.view, "Export usage", str(folder / "aiml3d-usage.csv"), "CSV (*.csv)"
        )
        if path:
            rows = list(usage.iter_csv(calls))
            self.ctx.runner.start(tasks.write_csv, rows, path, succeeded=self._saved)

    @Slot(object)
    def _saved(self, path: Path) -> None:
        self.status.emit(f"Saved {path}")

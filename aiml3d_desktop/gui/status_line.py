"""The status bar's staged progress: the stage in words, the seconds of a generation, and a
bar only where there is a fraction to show."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from aiml3d_desktop.core.common.stages import RetryNote, Stage, describe
from aiml3d_desktop.gui.widgets.labels import width_from_layout
from aiml3d_desktop.gui.workers import Worker


class StatusLine(QObject):
    def __init__(self, bar: QStatusBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.owner: Worker | None = None  # while set, only this job's news show
        self.stage: Stage | RetryNote | None = None
        self._stage_started = 0.0
        self.label = width_from_layout(QLabel("Ready"))
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(240)
        self.bar.setTextVisible(False)
        self.bar.hide()
        bar.addWidget(self.label, 1)
        bar.addPermanentWidget(self.bar)
        self._clock = QTimer(self)
        self._clock.setInterval(500)
        self._clock.timeout.connect(self._tick)

    @Slot(object, object, object)
    def progress(self, stage: Stage | RetryNote, done: int | None, total: int | None) -> None:
        sender = self.sender()
        if self.owner is not None and isinstance(sender, Worker) and sender is not self.owner:
            return  # while a generation runs, the status bar is its own
        if stage != self.stage:
            self.stage, self._stage_started = stage, time.monotonic()
        if stage is Stage.GENERATING or isinstance(stage, RetryNote):  # seconds, a countdown
            self._clock.start()
        else:
            self._clock.stop()
        # No busy animation: it recomposes the window (viewer included) 60 times a second,
        # which costs a core under software GL; the words and the seconds say work goes on.
        self.bar.setVisible(bool(total))
        if total:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * (done or 0) / total))
        self._tick(done, total)

    @Slot()
    def _tick(self, done: int | None = None, total: int | None = None) -> None:
        if self.stage is not None:
            seconds = time.monotonic() - self._stage_started
            self.label.setText(describe(self.stage, seconds, done, total))

    @Slot(str)
    def show(self, text: str) -> None:
        self.label.setText(text)
        self.label.setToolTip(text)

    def idle(self) -> None:
        """No job runs any more: no seconds, no bar."""
        self._clock.stop()
        self.bar.hide()
        self.stage = None

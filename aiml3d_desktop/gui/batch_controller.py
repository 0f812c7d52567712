"""Runs the batch queue in the window: up to N items at once, each on a worker of the window's
runner, results into the library. The queue itself (core/generation/batch.py) lives in the library
folder, so pending items survive a restart; they come back paused, so that nothing is spent
before the user says so."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from aiml3d_desktop.core import settings as settings_mod
from aiml3d_desktop.core.common.errors import Aiml3DError
from aiml3d_desktop.core.common.fileio import Claim
from aiml3d_desktop.core.common.stages import Stage, describe
from aiml3d_desktop.core.generation import batch
from aiml3d_desktop.gui import tasks
from aiml3d_desktop.gui.widgets.queue_panel import QueuePanel

if TYPE_CHECKING:
    from aiml3d_desktop.core.common.stages import RetryNote
    from aiml3d_desktop.core.library.entry import Entry
    from aiml3d_desktop.core.library.store import Library
    from aiml3d_desktop.core.session import Session
    from aiml3d_desktop.gui.workers import Runner, Worker


def _stage_text(stage: Stage | RetryNote, since: float, done: int | None, total: int | None) -> str:
    return describe(stage, time.monotonic() - since, done, total, short=True)


class BatchController(QObject):
    entry_made = Signal(object)  # a library Entry
    scene_model_made = Signal(object, object)  # the QueueItem, tagged with its scene; the Entry
    item_done = Signal()  # an item finished, made or failed
    open_requested = Signal(str)  # an entry id
    status = Signal(str)
    error = Signal(object, str)  # an Aiml3DError that stops the whole queue, and a title

    def __init__(
        self, session: Session, runner: Runner, panel: QueuePanel, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.session, self.runner, self.panel = session, runner, panel
        self.conf = session.conf
        panel.set_jobs(self.conf.batch_jobs)
        self.queue: batch.BatchQueue | None = None  # once the library is open
        self.library: Library | None = None
        self._queue_claim: Claim | None = None  # this window keeps the library's queue
        self._waiting_adds: list[tuple[list[str], str, dict]] = []  # before the library opened
        self._workers: dict[Worker, str] = {}  # running worker -> item id
        # By item id: a running item's stage, since when, and how much of it is done.
        self._stages: dict[str, tuple[Stage | RetryNote, float, int | None, int | None]] = {}
        self._remove_when_stopped: set[str] = set()
        # Items that finished in an earlier run: kept in queue.json (Clear finished drops
        # them), not listed; the list shows this run's work and what still waits.
        self._earlier: set[str] = set()
        self._closing = False
        self._clock = QTimer(self)  # the seconds of a running generation tick on
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._show_stages)
        panel.jobs_changed.connect(self._set_jobs)
        panel.paused_changed.connect(self.pump)
        panel.retry_requested.connect(self.retry_items)
        panel.cancel_requested.connect(self.cancel_items)
        panel.remove_requested.connect(self.remove_items)
        panel.clear_requested.connect(self.clear_finished)
        panel.open_requested.connect(self.open_requested)

    def set_library(self, library: Library) -> None:
        self.library = library
        # One window keeps the library's queue; a second one (--new-window) keeps its own
        # in memory, rather than both rewriting queue.json under each other.
        self._queue_claim = Claim.take(library.root / ".queue.lock")
        if self._queue_claim is None:
            self.queue = batch.BatchQueue()
            self.status.emit(
                "Another window uses this library's batch queue: what is queued "
                "here is not kept after this window closes"
            )
        else:
            self.queue = batch.BatchQueue(library.root / batch.QUEUE_FILE)
        for warning in self.queue.warnings:
            self.status.emit(warning)
        self._earlier = {i.id for i in self.queue.items() if i.status in batch.FINISHED}
        left = self.queue.count(batch.WAITING)
        if left:
            self.panel.set_paused(True)
            self.status.emit(
                f"{left} item{'s' * (left > 1)} wait in the queue from last time: "
                "press Resume in the queue to make them"
            )
        for sources, kind, settings in self._waiting_adds:
            self.add(sources, kind, settings)
        self._waiting_adds.clear()
        self._refresh()

    def add(self, sources: list[str], kind: str, settings: dict) -> int:
        """Queue pictures or prompts with ``settings`` (QueueItem fields); starts them."""
        if self.queue is None:
            self._waiting_adds.append((sources, kind, settings))
            return len(sources)
        self.queue.add(sources, kind, **settings)
        self._refresh()
        self.pump()
        return len(sources)

    @property
    def paused(self) -> bool:
        return self.panel.paused()

    @property
    def active(self) -> bool:
        return bool(self._workers)

    def has_work(self) -> bool:
        """Whether items wait or run: then the queue is worth showing at start."""
        return self.queue is not None and self.queue.count(batch.WAITING, batch.RUNNING) > 0

    def _listed(self) -> list[batch.QueueItem]:
        assert self.queue is not None
        return [item for item in self.queue.items() if item.id not in self._earlier]

    @Slot()
    def pump(self) -> None:
        """Start waiting items while there is room."""
        while (
            self.queue is not None
            and not self.paused
            and not self._closing
            and len(self._workers) < self.panel.jobs_wanted()
        ):
            item = self.queue.take()
            if item is None:
                break
            worker = self.runner.start(
                tasks.generate_item,
                self.session,
                self.library,
                item,
                succeeded=self._item_done,
                failed=self._item_failed,
                progress=self._item_progress,
            )
            self._workers[worker] = item.id
            self._stages[item.id] = (Stage.PREPARING, time.monotonic(), None, None)
        if self._workers:
            self._clock.start()
        else:
            self._clock.stop()
        self._refresh()

    @Slot()
    def _show_stages(self) -> None:
        """Only the running rows change each second (a download reports many times more)."""
        for item_id, stage in self._stages.items():
            self.panel.show_stage(item_id, _stage_text(*stage))

    def _refresh(self) -> None:
        if self.queue is not None:
            texts = {item_id: _stage_text(*stage) for item_id, stage in self._stages.items()}
            self.panel.show_items(self._listed(), texts)

    def _finished_item(self) -> str | None:
        item_id = self._workers.pop(cast("Worker", self.sender()), None)
        if item_id is not None:
            self._stages.pop(item_id, None)
        return item_id

    @Slot(object, object, object)
    def _item_progress(self, stage: Stage | RetryNote, done: int | None, total: int | None) -> None:
        item_id = self._workers.get(cast("Worker", self.sender()))
        if item_id is None:
            return
        previous = self._stages.get(item_id)
        since = previous[1] if previous and previous[0] == stage else time.monotonic()
        self._stages[item_id] = (stage, since, done, total)
        self.panel.show_stage(item_id, _stage_text(*self._stages[item_id]))

    @Slot(object)
    def _item_done(self, entry: Entry) -> None:
        item_id = self._finished_item()
        if item_id is not None and self.queue is not None:
            self.queue.finish(item_id, batch.DONE, f"In the library as {entry.title}", entry.id)
            self.entry_made.emit(entry)
            item = self.queue.get(item_id)
            if item is not None and item.scene:
                self.scene_model_made.emit(item, entry)
        self.item_done.emit()
        self.pump()
        self._say_when_idle()

    @Slot(object)
    def _item_failed(self, error: Aiml3DError) -> None:
        item_id = self._finished_item()
        if item_id is not None and self.queue is not None and not self._closing:
            if item_id in self._remove_when_stopped:
                self._remove_when_stopped.discard(item_id)
                self.queue.remove([item_id])
            elif self.queue.settle(item_id, error) and not self.paused:
                # No key, a wrong key, no credits: paused, with one message (not one per
                # running item).
                self.panel.set_paused(True)
                self.error.emit(error, "The queue is paused")
        self.item_done.emit()
        self.pump()
        self._say_when_idle()

    def _say_when_idle(self) -> None:
        if self.queue is not None and not self._workers and not self.queue.count(batch.WAITING):
            statuses = [item.status for item in self._listed()]  # this run's, as listed
            done, failed = statuses.count(batch.DONE), statuses.count(batch.FAILED)
            self.status.emit(
                f"Queue finished: {done} done"
                + (f", {failed} failed (select and Retry)" if failed else "")
            )

    @Slot(list)
    def retry_items(self, ids: list[str]) -> None:
        if self.queue is None:  # nothing is listed before the library opens
            return
        for item_id in ids:
            item = self.queue.get(item_id)
            if item is not None and item.status in (batch.FAILED, batch.CANCELLED):
                self.queue.requeue(item_id)
        self.pump()

    @Slot(list)
    def cancel_items(self, ids: list[str]) -> None:
        if self.queue is None:
            return
        for item_id in ids:
            if not self.queue.cancel_waiting(item_id):
                for worker, running in self._workers.items():
                    if running == item_id:
                        worker.cancel()
                        self._stages[item_id] = (Stage.CANCELLING, time.monotonic(), None, None)
        self._refresh()

    @Slot(list)
    def remove_items(self, ids: list[str]) -> None:
        self.cancel_items(ids)
        self._remove_when_stopped.update(set(ids) & set(self._workers.values()))  # once stopped
        if self.queue is not None:
            self.queue.remove(ids)
        self._refresh()

    @Slot()
    def clear_finished(self) -> None:
        if self.queue is not None:
            self.queue.clear_finished()
        self._refresh()

    @Slot(int)
    def _set_jobs(self, jobs: int) -> None:
        self.conf.batch_jobs = jobs
        with contextlib.suppress(OSError):
            settings_mod.save(self.conf)
        self.pump()

    def shutdown(self) -> None:
        """Before the runner stops the workers: what runs now goes back to waiting, so it
        runs again after a restart (its half-made library draft is cleared)."""
        self._closing = True
        if self.queue is not None:
            for item_id in self._workers.values():
                self.queue.requeue(item_id)
        if self._queue_claim is not None:
            self._queue_claim.release(remove=False)

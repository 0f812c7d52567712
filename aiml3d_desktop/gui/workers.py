"""The one way the GUI runs background work: a QObject worker moved to its own QThread.

A job is a plain function ``fn(*args, progress=..., cancel=...)`` from core/ (or a thin
wrapper of one). The worker never touches a widget: it reports through signals only, which
Qt delivers on the GUI thread. Failures all arrive as ``Aiml3DError`` through ``failed``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from aiml3d_desktop.core.common.cancel import CancelToken
from aiml3d_desktop.core.common.errors import Aiml3DError, Cancelled, as_error
from aiml3d_desktop.core.common.stages import RetryNote, Stage

log = logging.getLogger(__name__)
T = TypeVar("T")
# Within a stage, progress reaches the GUI at most this often: each report repaints the
# status bar (a whole-window recomposition under software OpenGL, 15 to 20 ms), and a fast
# download reports hundreds of times a second. A new stage, and a stage's end, always pass.
PROGRESS_INTERVAL = 0.1  # seconds


class Worker(QObject):
    progress = Signal(object, object, object)  # a Stage (or a RetryNote), done, total
    succeeded = Signal(object)
    failed = Signal(object)  # an Aiml3DError; Cancelled when the user cancelled
    finished = Signal()

    def __init__(self, fn: Callable[..., object], *args: object, **kwargs: object) -> None:
        super().__init__()
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.cancel_token = CancelToken()
        self._last_report: tuple[Stage | RetryNote | None, float] = (None, 0.0)  # stage, when

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn(
                *self.args, progress=self._report, cancel=self.cancel_token, **self.kwargs
            )
        except Aiml3DError as exc:
            self.failed.emit(exc)
        except Exception as exc:  # a bug must reach the user, not kill the thread
            log.exception("unexpected error in a background job")
            self.failed.emit(as_error(exc))
        else:
            if self.cancel_token.cancelled:
                self.failed.emit(Cancelled())
            else:
                self.succeeded.emit(result)
        finally:
            self.finished.emit()

    def _report(
        self, stage: Stage | RetryNote, done: int | None = None, total: int | None = None
    ) -> None:
        now = time.monotonic()
        last_stage, last_time = self._last_report
        news = stage != last_stage or (total is not None and done == total)
        if not news and now - last_time < PROGRESS_INTERVAL:
            return
        self._last_report = (stage, now)
        self.progress.emit(stage, done, total)

    def cancel(self) -> None:
        self.cancel_token.cancel()


class Runner(QObject):
    """Starts workers on threads, keeps them alive while they run, and stops them on exit.
    A job's failure goes to ``report``, the one error route, unless the job names its own
    handler: an error cannot be dropped by forgetting to ask for it."""

    idle = Signal()  # the last running job has finished

    def __init__(
        self,
        report: Callable[[Aiml3DError], object],
        progress: Callable[[Stage | RetryNote, int | None, int | None], object] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._report, self._progress = report, progress  # the defaults for every job
        self._running: dict[Worker, QThread] = {}
        # After shutdown nothing starts: a queued slot (a last thread's finish making the
        # runner idle, which opens the library) may still run while the application quits,
        # and a thread started then would be destroyed running, which aborts the process.
        self._closed = False

    def start(
        self,
        fn: Callable[..., T],
        *args: object,
        succeeded: Callable[[T], object] | None = None,
        failed: Callable[[Aiml3DError], object] | None = None,
        progress: Callable[[Stage | RetryNote, int | None, int | None], object] | None = None,
        **kwargs: object,
    ) -> Worker:
        """Run ``fn`` on a new thread; the callbacks (bound slots of GUI objects) get its
        result, its failure (the error route by default) and its progress (the runner's
        progress sink, the status bar, by default)."""
        worker = Worker(fn, *args, **kwargs)
        if self._closed:
            log.debug("not started after shutdown: %s", getattr(fn, "__name__", "job"))
            return worker
        thread = QThread()
        thread.setObjectName(getattr(fn, "__name__", "job"))
        worker.moveToThread(thread)
        worker.failed.connect(failed or self._report)
        progress = progress or self._progress
        for signal, slot in ((worker.succeeded, succeeded), (worker.progress, progress)):
            if slot is not None:
                signal.connect(slot)
        thread.started.connect(worker.run)
        # Direct: QThread.quit is thread-safe, and the QThread object lives on the GUI thread,
        # which may be blocked in shutdown()'s wait(); a queued quit would never arrive.
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        # No worker.deleteLater: the worker must outlive the thread until the GUI thread has
        # handled its last signals (their slots ask sender() which job spoke). It is Python's,
        # and goes when the last reference (ours, dropped in _forget, or a caller's) does.
        thread.finished.connect(self._forget)
        self._running[worker] = thread
        thread.start()
        return worker

    @Slot()
    def _forget(self) -> None:
        finished = self.sender()
        for worker, thread in list(self._running.items()):
            if thread is finished:
                del self._running[worker]
                thread.wait()  # finished is emitted just before the thread really ends
                thread.deleteLater()
        if not self._running and not self._closed:
            self.idle.emit()

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def cancel_all(self) -> None:
        for worker in list(self._running):
            worker.cancel()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Cancel every job and wait for its thread; True if all stopped in time.

        Network jobs stop at once on cancel; CPU-bound ones (statistics of a huge mesh) run
        to the end of their step, a few seconds at most.
        """
        self._closed = True
        self.cancel_all()
        for worker, thread in list(self._running.items()):
            if thread.wait(timeout_ms):
                del self._running[worker]
        return not self._running

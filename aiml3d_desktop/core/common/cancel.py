"""A cancel token shared by a job and whatever blocks inside it."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from aiml3d_desktop.core.common.errors import Cancelled


class CancelToken:
    """Set from any thread; checked between steps, and able to break a blocking call.

    Code that blocks on something other than this token (a socket read) registers a
    closer with :meth:`on_cancel`, so cancelling interrupts it at once instead of at the
    next timeout.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._closers: list[Callable[[], None]] = []

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            closers, self._closers = self._closers, []
        for close in closers:
            with contextlib.suppress(Exception):  # one failing closer must not stop the others
                close()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, seconds: float) -> None:
        """Sleep, waking early (and raising ``Cancelled``) if cancelled meanwhile."""
        if self._event.wait(max(0.0, seconds)):
            raise Cancelled()

    def on_cancel(self, close: Callable[[], None]) -> None:
        with self._lock:
            if not self._event.is_set():
                self._closers.append(close)
                return
        close()

"""QApplication set-up: the OpenGL surface format, logging, the theme, the excepthook, and
what makes a window safe to run (garbage collected on the GUI thread, closed on SIGINT and
SIGTERM).
The entry point that uses it is gui/app.py."""

from __future__ import annotations

import contextlib
import gc
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QPalette, QSurfaceFormat
from PySide6.QtWidgets import QApplication, QWidget

from aiml3d_desktop import APP_ID, APP_NAME, __version__, logfile, paths
from aiml3d_desktop.core.common.errors import Aiml3DError, as_error

log = logging.getLogger(__name__)


def _quicker_feature_check() -> None:
    """PySide6 asks of every module imported after it whether its source holds the word
    "PySide6" (for its ``__feature__`` switches), through inspect.getsource: each file
    tokenised, its lines kept in linecache, 40 ms and 15 MB at start for 600 modules. The
    same question asked of the file's bytes (and PySide6's own way where there is no file)."""
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if original is None or getattr(original, "quicker", False):
        return

    def uses_pyside(module: object) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            with contextlib.suppress(OSError), open(path, "rb") as source:
                return b"PySide6" in source.read()
        return bool(original(module))

    uses_pyside.quicker = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[union-attr]


_quicker_feature_check()


def setup_surface_format() -> None:
    """A depth and a stencil buffer (the sun's shadow) for every GL widget, and one pool of
    GL resources shared by all of them (pyqtgraph caches shader programs across views).
    Must run before the QApplication exists. Multisampling is the viewer's own (see
    Viewer): asked for here, it applies to the window's compositing context too and costs
    0.3 s at start on software GL."""
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    fmt = QSurfaceFormat()
    fmt.setDepthBufferSize(24)
    fmt.setStencilBufferSize(8)  # the sun's shadow darkens each pixel of the floor once
    QSurfaceFormat.setDefaultFormat(fmt)


def apply_dark_theme(app: QApplication) -> None:
    """Fusion with a dark palette: the viewer and pictures read best on a dark frame."""
    app.setStyle("Fusion")
    palette = QPalette()
    role = QPalette.ColorRole
    for r, color in (
        (role.Window, "#2b2f36"),
        (role.WindowText, "#e4e6eb"),
        (role.Base, "#1f2228"),
        (role.AlternateBase, "#2b2f36"),
        (role.ToolTipBase, "#1f2228"),
        (role.ToolTipText, "#e4e6eb"),
        (role.Text, "#e4e6eb"),
        (role.Button, "#363b44"),
        (role.ButtonText, "#e4e6eb"),
        (role.Highlight, "#4a90e2"),
        (role.HighlightedText, "#ffffff"),
        (role.Link, "#8ec5ff"),
        (role.PlaceholderText, "#8a909c"),
    ):
        palette.setColor(r, QColor(color))
    for r in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, r, QColor("#6b717d"))
    app.setPalette(palette)


def create_app(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        # No import on another thread here: pyqtgraph imported beside the window's own
        # modules made PySide6 build its enums in two threads at once, which crashed about
        # one start in seven (SIGSEGV in shiboken, before the window was up).
        setup_surface_format()
        app = QApplication(argv or sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_ID)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(paths.resource("aiml3d.svg"))))
    apply_dark_theme(app)
    logfile.setup()
    return app


_collector = None


def collect_garbage_on_gui_thread() -> None:
    """Python's cyclic garbage collector runs on whichever thread allocates; when that is a
    worker and the garbage holds Qt widgets, Qt aborts the process. pyqtgraph's collector
    turns automatic collection off and collects on a GUI-thread timer instead."""
    global _collector
    if _collector is None:
        from aiml3d_desktop.gui.pyqtgraph_lean import GarbageCollector

        _collector = GarbageCollector(interval=1.0)
    else:  # again, after collect_garbage_automatically()
        gc.disable()
        _collector.timer.start()


def collect_garbage_automatically() -> None:
    """Python's own collection back, once no window is left (tests, between windows)."""
    if _collector is not None:
        _collector.timer.stop()
    gc.enable()


class ReportsErrors(Protocol):
    """What the excepthook needs of the window: its error route."""

    def report_error(self, error: Aiml3DError, /) -> object: ...


def install_excepthook(window: ReportsErrors) -> None:
    """An exception nobody caught on the GUI thread goes through the error route, not a crash."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        log.error("uncaught exception", exc_info=(kind, value, tb))
        window.report_error(as_error(value))

    sys.excepthook = hook


class SignalCloser(QObject):
    """SIGINT (Ctrl+C in the terminal that started the app) and SIGTERM (a session ending,
    ``kill``) close the window as its Quit action does: layout saved, running queue items
    back to waiting; then the application quits, whatever other window is open.

    Python runs a signal's handler only when the interpreter next runs, which Qt's event
    loop alone never makes it do: the signal's byte, written to a socket by
    ``signal.set_wakeup_fd``, wakes a QSocketNotifier, whose slot is Python. The handler
    may run inside any slot, a paint included, so the close waits for the event loop.
    A second Ctrl+C ends the process at once, as in any terminal program."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.closes = window  # what a signal closes
        self.interrupted = False  # closed by SIGINT: the exit status says so (130)
        self._previous: dict[int, Callable | int | None] = {}
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._old_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        for number in _CLOSING_SIGNALS:
            # Started with Ctrl+C ignored (nohup, a shell's background job): it stays so.
            if number == signal.SIGINT and signal.getsignal(number) is signal.SIG_IGN:
                continue
            self._previous[number] = signal.signal(number, self._received)

    def _drain(self) -> None:
        """Python has run the handlers by the time this slot runs: only empty the socket."""
        with contextlib.suppress(OSError):
            self._reader.recv(512)

    def _received(self, number: int, frame: FrameType | None) -> None:
        if number == signal.SIGINT:
            self.interrupted = True
            signal.signal(number, signal.SIG_DFL)  # the next Ctrl+C ends it at once
        log.info("closing the window on signal %d", number)
        QTimer.singleShot(0, self._close)

    def _close(self) -> None:
        if self.closes.close():
            QApplication.quit()  # the usage and compare windows too
        elif self.interrupted:  # the close was refused: Ctrl+C is ours again
            self.interrupted = False
            signal.signal(signal.SIGINT, self._received)

    def restore(self) -> None:
        """The handlers and wakeup descriptor from before (a test's, pytest's)."""
        for number, previous in self._previous.items():
            signal.signal(number, previous if previous is not None else signal.SIG_DFL)
        signal.set_wakeup_fd(self._old_fd)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()


_CLOSING_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM") if hasattr(signal, n))


def close_on_signals(window: QWidget) -> SignalCloser | None:
    """A SignalCloser for ``window``; None off the main thread, where Python takes no
    signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return SignalCloser(window)

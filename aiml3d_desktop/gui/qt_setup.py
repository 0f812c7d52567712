"""QApplication set-up: the OpenGL surface format, logging, the theme, the excepthook, and
what makes a window safe to run (garbage collected on the GUI thread, closed on SIGTERM).
The entry point that uses it is gui/app.py."""

from __future__ import annotations

import gc
import importlib
import logging
import signal
import sys
import threading
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QPalette, QSurfaceFormat
from PySide6.QtWidgets import QApplication

from aiml3d_desktop import APP_ID, APP_NAME, __version__, logfile, paths
from aiml3d_desktop.core.errors import as_error

log = logging.getLogger(__name__)


def setup_surface_format() -> None:
    """A depth buffer for every GL widget, and one pool of GL resources shared by all of them
    (pyqtgraph caches shader programs across views). Must run before the QApplication
    exists. Multisampling is the viewer's own (see Viewer): asked for here, it applies to
    the window's compositing context too and costs 0.3 s at start on software GL."""
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    fmt = QSurfaceFormat()
    fmt.setDepthBufferSize(24)
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
        # The viewer's modules (pyqtgraph, PyOpenGL: 0.3 s) start importing now, beside the
        # application's set-up, whose C++ parts let them run: the window is up 50 ms sooner.
        threading.Thread(
            target=importlib.import_module,
            args=("pyqtgraph.opengl",),
            name="import-viewer",
            daemon=True,
        ).start()
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
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _collector = GarbageCollector(interval=1.0)
    else:  # again, after collect_garbage_automatically()
        gc.disable()
        _collector.timer.start()


def collect_garbage_automatically() -> None:
    """Python's own collection back, once no window is left (tests, between windows)."""
    if _collector is not None:
        _collector.timer.stop()
    gc.enable()


def install_excepthook(window) -> None:
    """An exception nobody caught on the GUI thread goes through the error route, not a crash."""

    def hook(kind, value, tb):
        log.error("uncaught exception", exc_info=(kind, value, tb))
        window.report_error(as_error(value))

    sys.excepthook = hook


def close_on_terminate(window) -> signal.Handlers | int | Callable | None:
    """SIGTERM (a session ending, ``kill``) closes the window as its close button would:
    layout saved, running queue items back to waiting. Python sees a signal only when it
    runs, hence the timer that lets it run while Qt waits; and the handler may run inside
    any Python slot, a paint included, so the close waits for the event loop.
    Returns the handler it replaced, for restore_terminate()."""
    if not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        return None
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)
    return signal.signal(signal.SIGTERM, lambda signum, frame: QTimer.singleShot(0, window.close))


def restore_terminate(previous: signal.Handlers | int | Callable | None) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)

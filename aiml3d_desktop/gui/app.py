"""The desktop app's entry point: ``aiml3d-desktop [FILE...]``, and what ``aiml3d`` runs
without a command or with files. Importing this module loads no Qt: when a window of this
user already runs, the files go to it (gui/instance.py) and this process ends in a few tens
of milliseconds, without ever loading Qt."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from aiml3d_desktop import APP_NAME, __version__

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger(__name__)
EXIT_INTERRUPTED = 130  # closed by Ctrl+C, as the command line's commands say it too
M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)
MALLOC_ARENAS = 2


def run(files: list[str], new_window: bool = False) -> int:
    """Open ``files`` (pictures, meshes, folders, links) in this user's window: the running
    one if there is one, else a new one."""
    from aiml3d_desktop.gui import instance

    if not new_window and instance.hand_over(files):
        return 0
    return start_window(files)


def start_window(files: list[str]) -> int:
    lean_process()
    from aiml3d_desktop.gui import qt_setup

    app = qt_setup.create_app()
    from aiml3d_desktop.gui.instance_server import InstanceServer
    from aiml3d_desktop.gui.main_window import MainWindow

    # What is alive now is the modules and classes imported, without collecting (see
    # lean_process): set aside from collection for good rather than scanned by the window's
    # first timed collection (a 30 ms stall); a full collection finds under 1% of it unreachable.
    # Before the window starts a worker, whose objects must stay collectable.
    gc.freeze()
    window = MainWindow(files)
    qt_setup.install_excepthook(window)
    app.aboutToQuit.connect(window.runner.shutdown)
    closer = qt_setup.close_on_signals(window)
    server = InstanceServer(window)
    server.sources_received.connect(window.open_sources)
    server.listen()
    window.show()
    log.info("started %s %s", APP_NAME, __version__)
    try:
        status = app.exec()
    finally:
        server.close()
        if closer is not None:
            closer.restore()
    return EXIT_INTERRUPTED if closer is not None and closer.interrupted else status


def lean_process() -> None:
    """What the window's process is told before numpy loads and any thread starts (where the
    user has not said otherwise), for its first frame and its memory (issue 28):
    - no automatic garbage collection: while the window's modules import, Python's collector
      ran some 140 times, 30 to 40 ms of the first frame, and found next to nothing; what
      they made is then set aside (start_window), and the window's own collector
      (qt_setup.collect_garbage_on_gui_thread) collects the rest on a GUI-thread timer;
    - one thread for numpy's BLAS: the window's own workers keep the cores busy, and starting
      a pool of BLAS threads as numpy loads cost 12 ms of the first frame;
    - on Linux, at most MALLOC_ARENAS heaps for glibc's malloc: by default each thread that
      allocates gets one of its own (up to 8 a core), and each keeps what it once held, 10 MB
      more for the window's threads (workers, Qt's, the software rasteriser's)."""
    gc.disable()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return
    import ctypes

    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # glibc's and musl's (a no-op)
    if mallopt is not None:
        mallopt(M_ARENA_MAX, MALLOC_ARENAS)


def render(*args: Any, **kwargs: Any) -> Path:
    """``aiml3d render``: see gui/render.py (the command line reaches Qt through here)."""
    from aiml3d_desktop.gui.render import render_file

    return render_file(*args, **kwargs)


def check_display(command: str) -> None:
    """InputError when there is no display to draw on (see gui/render.py)."""
    from aiml3d_desktop.gui.render import _check_display

    _check_display(command)


def render_pngs(*args: Any, **kwargs: Any) -> dict[str, bytes]:
    """``aiml3d check-likeness``: see gui/render.py."""
    from aiml3d_desktop.gui.render import render_pngs as drawn

    return drawn(*args, **kwargs)


def turntable(*args: Any, **kwargs: Any) -> Path:
    """``aiml3d turntable``: see gui/render.py."""
    from aiml3d_desktop.gui.render import turntable_file

    return turntable_file(*args, **kwargs)


def main(argv: list[str] | None = None) -> int:
    """``aiml3d-desktop``: the windowed app's own entry point, and what a double-click on a
    model file runs (with the file as its argument)."""
    parser = argparse.ArgumentParser(
        prog="aiml3d-desktop",
        description=f"{APP_NAME}: the desktop app. Files given are opened (models, pictures, "
        "folders of pictures, links); if the app is already running, they open in its window.",
    )
    parser.add_argument("files", nargs="*", metavar="FILE")
    parser.add_argument(
        "--new-window", action="store_true", help="start a window of its own even if one is running"
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check that this installation works, then exit 0 (or 1)",
    )
    parser.add_argument("--version", action="version", version=f"aiml3d-desktop {__version__}")
    args = parser.parse_args(argv)
    if args.self_test:
        from aiml3d_desktop.gui import selftest

        return selftest.run()
    try:
        return run(args.files, args.new_window)
    except KeyboardInterrupt:  # Ctrl+C before the window was up to close on it
        return EXIT_INTERRUPTED

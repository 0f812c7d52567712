"""One window per user (and per library home): a second ``aiml3d-desktop FILE`` (a
double-click in the file manager while the app runs) hands FILE to the running window and
exits, instead of starting a second process on the same library.

This module is what the second process runs before anything else, so it imports no Qt on
POSIX: it speaks to the window's QLocalServer (gui/instance_server.py) through the Unix
socket behind it. Windows uses Qt's own client for the named pipe.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
from pathlib import Path

from aiml3d_desktop import paths
from aiml3d_desktop.core.net.policy import is_url

TIMEOUT = 5.0  # seconds for the running window to take the files (it answers at once)
MAX_MESSAGE = 1 << 20


def address() -> str:
    """The running window's address: a socket path in the user's private runtime folder (the
    temporary folder where there is none), or a pipe name on Windows. One per config folder,
    so that a portable copy (AIML3D_HOME) or a test has its own."""
    key = hashlib.sha256(str(paths.config_dir().resolve()).encode()).hexdigest()[:16]
    name = f"aiml3d-desktop-{key}"
    if os.name == "nt":
        return name
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    path = os.path.join(base, name)
    return path if len(path) < 100 else os.path.join(tempfile.gettempdir(), name)  # sun_path


def message(sources: list[str]) -> bytes:
    """What is sent: the sources, local ones as absolute paths (the two processes' working
    folders differ)."""
    absolute = [s if is_url(s) else _absolute(s) for s in sources]
    return json.dumps({"sources": absolute}).encode("utf-8") + b"\n"


def _absolute(path: str) -> str:
    try:
        return str(Path(path).absolute())
    except (OSError, ValueError):  # the working folder is gone; the window will say so
        return path


def hand_over(sources: list[str]) -> bool:
    """True if a running window took ``sources`` (and was raised); False if none runs, or it
    did not answer in time: then this process starts its own (which leaves the running
    window's socket alone, see InstanceServer.listen)."""
    if os.name == "nt":
        return _hand_over_qt(message(sources))
    path = address()
    try:
        if os.stat(path).st_uid != os.getuid():
            return False  # not ours: someone else's socket in a shared folder
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(TIMEOUT)
            sock.connect(path)
            sock.sendall(message(sources))
            return sock.recv(16).startswith(b"ok")
    except OSError:  # no socket, a stale one (refused), or no answer
        return False


def _hand_over_qt(data: bytes) -> bool:
    from PySide6.QtNetwork import QLocalSocket

    sock = QLocalSocket()
    sock.connectToServer(address())
    if not sock.waitForConnected(int(TIMEOUT * 1000)):
        return False
    sock.write(data)
    sock.waitForBytesWritten(int(TIMEOUT * 1000))
    answered = sock.waitForReadyRead(int(TIMEOUT * 1000))
    ok = answered and bytes(sock.readAll().data()).startswith(b"ok")
    sock.disconnectFromServer()
    return ok


def parse(data: bytes) -> list[str] | None:
    """The sources in a message, or None if it is not one (whoever sent it)."""
    try:
        sources = json.loads(data)["sources"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        return None
    return sources[:1000]

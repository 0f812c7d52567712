"""The running window's side of gui/instance.py: takes what later copies of the app were
given, and opens it here."""

from __future__ import annotations

import logging
from typing import cast

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from aiml3d_desktop.gui import instance

log = logging.getLogger(__name__)
MAX_CLIENTS = 16  # connections being read at once; more are turned away
READ_MS = 5000  # a connection that has not said its piece by then is closed


class InstanceServer(QObject):
    sources_received = Signal(list)  # paths and links a later copy was given (maybe none)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._buffers: dict[QLocalSocket, bytearray] = {}
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._connected)

    def listen(self) -> bool:
        name = instance.address()
        if _answers(name):  # a live window that was too busy to take our files: its socket
            log.warning(
                "another window of this library is running; this one will not take "
                "files from later copies"
            )
            return False
        if not self.server.listen(name):
            QLocalServer.removeServer(name)  # what a copy that crashed left behind
            if not self.server.listen(name):
                log.warning("cannot take files from other copies: %s", self.server.errorString())
                return False
        return True

    def close(self) -> None:
        self.server.close()

    @Slot()
    def _connected(self) -> None:
        while (sock := self.server.nextPendingConnection()) is not None:
            sock.disconnected.connect(self._gone)
            if len(self._buffers) >= MAX_CLIENTS:
                sock.abort()
                continue
            self._buffers[sock] = bytearray()
            sock.readyRead.connect(self._read)
            QTimer.singleShot(READ_MS, sock, sock.abort)  # no idle connection lingers

    @Slot()
    def _read(self) -> None:
        sock = cast(QLocalSocket, self.sender())
        buffer = self._buffers.get(sock)
        if buffer is None:
            return
        buffer += bytes(sock.readAll().data())
        if b"\n" not in buffer and len(buffer) <= instance.MAX_MESSAGE:
            return
        sources = instance.parse(bytes(buffer).split(b"\n", 1)[0])
        del self._buffers[sock]
        sock.write(b"ok\n" if sources is not None else b"no\n")
        sock.flush()
        sock.disconnectFromServer()
        if sources is None:
            log.warning("a message that is not from a copy of the app was ignored")
            return
        log.info("another copy handed over %d item(s)", len(sources))
        self.sources_received.emit(sources)

    @Slot()
    def _gone(self) -> None:
        sock = cast(QLocalSocket, self.sender())
        self._buffers.pop(sock, None)
        sock.deleteLater()


def _answers(name: str) -> bool:
    """Whether a window listens at ``name`` (a crashed one's socket refuses)."""
    probe = QLocalSocket()
    probe.connectToServer(name)
    alive = probe.waitForConnected(200)
    probe.abort()
    return alive

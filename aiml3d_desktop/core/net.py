"""HTTP plumbing shared by the API client and the downloaders: retries and cancellable
sockets on a requests session. The policies it applies live in netpolicy.py."""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import weakref

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from aiml3d_desktop import __version__
from aiml3d_desktop.core.cancel import CancelToken
from aiml3d_desktop.core.netpolicy import RateGate, RetryPolicy

USER_AGENT = f"aiml3d-desktop/{__version__}"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_WAIT = 60.0  # never sleep longer than this on a server's Retry-After


class _Retry(Retry):
    """urllib3's retry policy, with exponential backoff plus jitter from the first retry on,
    and a sleep that a cancel token can cut short."""

    cancel: CancelToken | None = None
    base_backoff: float = 1.0
    gate: RateGate | None = None

    def new(self, **kw):
        retry = super().new(**kw)
        retry.cancel, retry.base_backoff, retry.gate = self.cancel, self.base_backoff, self.gate
        return retry

    def increment(
        self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None
    ):
        if self.cancel is not None:
            self.cancel.check()  # a cancel shuts the socket: that is no error to retry
        # A generation that timed out once will time out again, and every try costs credits.
        if isinstance(error, ReadTimeoutError) and method == "POST":
            raise error
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def sleep(self, response=None) -> None:
        delay = self.base_backoff * 2 ** max(0, len(self.history) - 1)
        delay += random.random() * self.backoff_jitter
        if response is not None:
            delay = max(delay, self.get_retry_after(response) or 0.0)
        delay = min(delay, MAX_RETRY_WAIT)
        cancel = self.cancel or CancelToken()
        if self.gate is not None and response is not None and response.status == 429:
            self.gate.hold(delay)  # the other jobs wait too
        cancel.wait(delay)
        if self.gate is not None:
            self.gate.wait(cancel)


class _Sockets:
    """The sockets a session has opened, so that a cancel can shut them mid-read.

    ``Session.close()`` only closes idle connections; a request blocked in ``recv`` for a
    minute-long generation would go on waiting. Shutting its socket wakes it at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socks: weakref.WeakSet = weakref.WeakSet()

    def add(self, sock) -> None:
        with self._lock:
            self._socks.add(sock)

    def shutdown(self) -> None:
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _pool_classes(sockets: _Sockets) -> dict:
    def tracked(connection_cls):
        class Tracked(connection_cls):
            def connect(self):
                super().connect()
                sockets.add(self.sock)  # after TLS wrapping, for https

        return Tracked

    class Pool(HTTPConnectionPool):
        ConnectionCls = tracked(HTTPConnection)

    class TlsPool(HTTPSConnectionPool):
        ConnectionCls = tracked(HTTPSConnection)

    return {"http": Pool, "https": TlsPool}


class _Adapter(HTTPAdapter):
    def __init__(self, sockets: _Sockets, **kw) -> None:
        self._sockets = sockets
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw) -> None:
        super().init_poolmanager(*args, **kw)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self._sockets)


def make_session(policy: RetryPolicy, cancel: CancelToken, *, retry_post: bool) -> requests.Session:
    """A session whose every request retries by ``policy``; cancelling shuts its sockets."""
    retry = _Retry(
        total=policy.attempts,
        connect=policy.attempts,
        read=policy.attempts,
        status=policy.attempts,
        other=0,
        allowed_methods=frozenset({"GET", "POST"} if retry_post else {"GET"}),
        status_forcelist=RETRY_STATUSES,
        backoff_jitter=policy.jitter,
        respect_retry_after_header=True,
        retry_after_max=MAX_RETRY_WAIT,
        raise_on_status=False,  # hand the last error response back, to read its message
        raise_on_redirect=False,
    )
    retry.cancel, retry.base_backoff, retry.gate = cancel, policy.backoff, policy.gate
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    sockets = _Sockets()
    adapter = _Adapter(sockets, max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    cancel.on_cancel(sockets.shutdown)
    return session

"""HTTP plumbing shared by the API client and the downloaders: retries, cancellable
sockets, limits a socket timeout cannot give (a whole answer's deadline, a stalled
download), redirects checked hop by hop, and answers read with a cap. The policies it
applies live in netpolicy.py.

Every request goes through a session made by make_session(); every address it connects
to is checked once connected (address_refusal), so a DNS answer cannot lead where a link
may not."""

from __future__ import annotations

import contextlib
import errno
import logging
import random
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import MaxRetryError, NameResolutionError, ReadTimeoutError
from urllib3.util.retry import Retry

from aiml3d_desktop import __version__
from aiml3d_desktop.core.common.cancel import CancelToken
from aiml3d_desktop.core.common.errors import ConfigError, NetworkError
from aiml3d_desktop.core.common.stages import RetryNote
from aiml3d_desktop.core.net.policy import (
    ERROR_BODY_LIMIT,
    MAX_REDIRECTS,
    STALL_BYTES,
    RateGate,
    RetryPolicy,
    address_refusal,
    check_url,
)

log = logging.getLogger(__name__)

USER_AGENT = f"aiml3d-desktop/{__version__}"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_WAIT = 60.0  # never sleep longer than this on a server's Retry-After


class _Retry(Retry):
    """urllib3's retry policy, with exponential backoff plus jitter from the first retry on,
    and a sleep that a cancel token can cut short."""

    cancel: CancelToken | None = None
    base_backoff: float = 1.0
    gate: RateGate | None = None
    watched: _Watched | None = None
    notify: Callable[[RetryNote], object] | None = None
    attempts: int = 0
    why: tuple[str, str] = ("No answer from", "the server")  # what the next wait is for

    def new(self, **kw):
        retry = super().new(**kw)
        retry.cancel, retry.base_backoff, retry.gate = self.cancel, self.base_backoff, self.gate
        retry.watched, retry.notify, retry.attempts = self.watched, self.notify, self.attempts
        return retry

    def increment(
        self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None
    ):
        if self.cancel is not None:
            self.cancel.check()  # a cancel shuts the socket: that is no error to retry
        if self.watched is not None and self.watched.watch and self.watched.watch.expired:
            raise error or ReadTimeoutError(_pool, url, "the answer took too long")
        # A generation that timed out once will time out again, and every try costs credits.
        if isinstance(error, ReadTimeoutError) and method == "POST":
            raise error
        # No route at all (no network): no retry can help, so the answer comes at once. A
        # name that cannot be looked up gets one more try (a resolver's hiccup).
        if no_route(error) or (isinstance(error, NameResolutionError) and self.history):
            raise MaxRetryError(_pool, url, error)
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        retry.why = _why(response, error, _pool, url)
        # A retry follows: urllib3 would read this answer's body whole to reuse the
        # connection, whatever its size. Not a big or endless one.
        if response is not None and _large_or_unknown(response):
            response.close()
        log.info(
            "retrying %s %s after %s",
            method,
            _short(url),
            error.__class__.__name__ if error else f"HTTP {response.status}",
        )
        return retry

    def parse_retry_after(self, retry_after: str) -> float:
        """A server's Retry-After, or no wait at all for one that makes no sense (a date in
        the year 99999, a negative number): the usual backoff applies then."""
        try:
            return max(0.0, super().parse_retry_after(retry_after))
        except (urllib3.exceptions.InvalidHeader, ValueError, OverflowError):
            return 0.0

    def sleep(self, response=None) -> None:
        delay = self.base_backoff * 2 ** max(0, len(self.history) - 1)
        delay += random.random() * self.backoff_jitter
        if response is not None:
            delay = max(delay, self.get_retry_after(response) or 0.0)
        delay = min(delay, MAX_RETRY_WAIT)
        cancel = self.cancel or CancelToken()
        if self.gate is not None and response is not None and response.status == 429:
            self.gate.hold(delay)  # the other jobs wait too
        watch = self.watched.watch if self.watched is not None else None
        if self.notify is not None and (watch is None or watch.remaining() >= delay):
            reason, host = self.why
            self.notify(RetryNote(host, reason, delay, len(self.history), self.attempts))
        if watch is not None and watch.remaining() < delay:
            # The answer is due before this wait would end: waiting is pointless.
            cancel.wait(watch.remaining())
            watch.expired = "total"
            raise requests.exceptions.ReadTimeout("no time left for a retry")
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


def _pool_classes(sockets: _Sockets, local_ok: bool) -> dict:
    def tracked(connection_cls: Any) -> Any:  # HTTP or HTTPS: the same checks on both
        class Tracked(connection_cls):
            def _new_conn(self):
                sock = super()._new_conn()
                # The name was checked; what it resolved to is checked here, before a TLS
                # handshake or a request goes out.
                refusal = address_refusal(sock.getpeername()[0], local_ok)
                if refusal:
                    sock.close()
                    raise ConfigError(
                        f"The connection to {self.host} was refused: {refusal}",
                        hint="Nothing was sent there.",
                    )
                return sock

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
    def __init__(self, sockets: _Sockets, local_ok: bool, **kw) -> None:
        self._sockets, self._local_ok = sockets, local_ok
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw) -> None:
        super().init_poolmanager(*args, **kw)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self._sockets, self._local_ok)


class _Watched:
    """The Watch a session is under, if any (its retries must not outlive it)."""

    watch: Watch | None = None


class Session(requests.Session):
    sockets: _Sockets
    watched: _Watched


def make_session(
    policy: RetryPolicy, cancel: CancelToken, *, retry_post: bool, local_ok: bool = True
) -> Session:
    """A session whose every request retries by ``policy``; cancelling shuts its sockets.
    ``local_ok=False``: it may not connect into this machine or its network (for links
    a server gave)."""
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
        retry_after_max=int(MAX_RETRY_WAIT),
        raise_on_status=False,  # hand the last error response back, to read its message
        raise_on_redirect=False,
    )
    retry.cancel, retry.base_backoff, retry.gate = cancel, policy.backoff, policy.gate
    retry.watched, retry.notify, retry.attempts = _Watched(), policy.notify, policy.attempts
    session = Session()
    session.headers["User-Agent"] = USER_AGENT
    session.sockets, session.watched = _Sockets(), retry.watched
    adapter = _Adapter(session.sockets, local_ok, max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    cancel.on_cancel(session.sockets.shutdown)
    return session


class Watch:
    """Limits on one exchange that socket timeouts cannot set: the whole of it within
    ``total`` seconds, and at least STALL_BYTES every ``stall`` seconds of reading (counted
    by chunks()). When one is passed, the session's sockets are shut, which wakes a blocked
    read at once, and ``expired`` says which: "total" or "stall"."""

    TICK = 0.25  # seconds between checks

    def __init__(
        self, session: Session, *, total: float | None = None, stall: float | None = None
    ) -> None:
        self.session, self.total, self.stall = session, total, stall
        self.expired: str | None = None
        self.received = 0
        self._stop = threading.Event()
        self._started = time.monotonic()

    def __enter__(self) -> Watch:
        self._started = time.monotonic()
        self.session.watched.watch = self
        threading.Thread(target=self._run, name="net-watch", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.session.watched.watch = None

    def got(self, count: int) -> None:
        self.received += count

    def remaining(self) -> float:
        """Seconds until the whole exchange is due (infinite without a total)."""
        if self.total is None:
            return float("inf")
        return max(0.0, self.total - (time.monotonic() - self._started))

    def _run(self) -> None:
        started = mark_time = self._started
        mark_bytes = 0
        while not self._stop.wait(self.TICK):
            now = time.monotonic()
            if self.received - mark_bytes >= STALL_BYTES:
                mark_time, mark_bytes = now, self.received
            if self.total is not None and now - started > self.total:
                self.expired = "total"
            elif self.stall is not None and now - mark_time > self.stall:
                self.expired = "stall"  # headers that drip count as no progress too
            if self.expired:
                log.info(
                    "%s limit passed after %.1f s, %d bytes",
                    self.expired,
                    now - started,
                    self.received,
                )
                self.session.sockets.shutdown()
                return


def get(
    session: Session, url: str, what: str, *, timeout: tuple[float, float], local_ok: bool = True
) -> requests.Response:
    """A streamed GET that follows redirects itself, checking each address before anything
    is sent to it (requests would follow first and let us check after)."""
    for _ in range(MAX_REDIRECTS + 1):
        check_url(url, what, local_ok)
        started = time.monotonic()
        response = session.get(url, stream=True, timeout=timeout, allow_redirects=False)
        log.info(
            "GET %s: HTTP %s in %.2f s",
            _short(url),
            response.status_code,
            time.monotonic() - started,
        )
        if not response.is_redirect:
            return response
        response.close()
        try:
            url = urljoin(url, response.headers["location"])
        except ValueError:
            raise ConfigError(
                f"The {what} redirected to an address that is not valid",
                hint="The link may be broken: try it in a browser.",
            ) from None
    raise NetworkError(
        f"The {what} redirected more than {MAX_REDIRECTS} times",
        hint="The link may be broken: try it in a browser.",
    )


def chunks(response: requests.Response, size: int, watch: Watch | None = None) -> Iterator[bytes]:
    """The body as it arrives (whatever the socket has, up to ``size``), so that progress
    and a Watch see bytes when they come, not when a whole chunk is full. Transport
    failures come out as requests.ConnectionError."""
    raw = response.raw
    while True:
        try:
            chunk = raw.read1(size, decode_content=True)
        except urllib3.exceptions.ProtocolError as exc:  # cut short, or a garbled chunk
            raise requests.exceptions.ChunkedEncodingError(exc) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise requests.ConnectionError(exc) from exc
        if not chunk:
            return
        if watch is not None:
            watch.got(len(chunk))
        yield chunk


def read_capped(
    response: requests.Response, limit: int, watch: Watch | None = None, *, truncate: bool = False
) -> bytes:
    """The whole body, or TooLarge past ``limit`` bytes (read that far, and no further);
    with ``truncate``, its first ``limit`` bytes instead (an error's message is at the
    start)."""
    body = bytearray()
    for chunk in chunks(response, 64 * 1024, watch):
        body += chunk
        if len(body) > limit:
            response.close()
            if truncate:
                return bytes(body[:limit])
            raise TooLarge(len(body))
    return bytes(body)


class TooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"more than {size:,} bytes")
        self.size = size


def root_cause(exc: BaseException) -> str:
    """The innermost cause of a failed request, in its own words (connection refused, name
    not found), on one line."""
    seen = exc
    while (inner := seen.__cause__ or seen.__context__) is not None:
        seen = inner
    text = " ".join(str(seen).split())
    return text.split(": ", 1)[-1][:160] or type(seen).__name__


def no_route(error: BaseException | None) -> bool:
    """A connection that failed because this computer has no way there at all."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return True
        error = error.__cause__ or error.__context__
    return False


def _why(response, error, pool, url: str | None) -> tuple[str, str]:
    """(what happened, at which host) for a retry's note."""
    host = getattr(pool, "host", None) or urlsplit(url or "").hostname or "the server"
    if isinstance(error, NameResolutionError):
        return "Cannot look up", host
    if isinstance(getattr(error, "__cause__", None), ConnectionRefusedError):
        return "Connection refused by", host
    if response is None:
        return "No answer from", host
    if response.status == 429:
        return "Too many requests, said", host
    return f"Server error {response.status} at", host


def _large_or_unknown(response) -> bool:
    try:
        return int(response.headers.get("Content-Length", "")) > ERROR_BODY_LIMIT
    except ValueError:
        return True


def _short(url: str | None) -> str:
    """A URL for the log: no query string (signed CDN links carry tokens there)."""
    return (url or "").split("?", 1)[0][:200]

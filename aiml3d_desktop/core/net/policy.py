"""Network policy with no network library: which URLs are allowed, timeouts, retry counts.

Kept apart from net.py so that the GUI can use it without importing requests at start-up.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from aiml3d_desktop.core.common.errors import ConfigError
from aiml3d_desktop.core.common.stages import Progress, RetryNote


@dataclass(frozen=True)
class Timeouts:
    """Seconds. Generation is synchronous and can take a minute, hence the long read.

    ``read`` bounds the API's whole answer, not just the wait for each byte (a server that
    sends one byte every ten seconds never trips a socket timeout); a download fails when
    fewer than ``STALL_BYTES`` arrive in ``stall`` seconds."""

    connect: float = 10.0
    read: float = 180.0
    download_read: float = 60.0
    stall: float = 30.0


STALL_BYTES = 16 * 1024  # a download slower than this per stall period has stalled
API_ANSWER_LIMIT = 8 * 2**20  # the API answers with a few hundred bytes of JSON
ERROR_BODY_LIMIT = 64 * 1024  # of an error answer, this much is read (for its message)
MAX_REDIRECTS = 5


class RateGate:
    """One rate-limit backoff shared by every job that holds it: when the API answers 429 to
    one of them, none sends its next request before the wait is over (parallel jobs that
    each backed off alone would keep the limit tripped)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0  # time.monotonic() before which nobody sends

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)

    def remaining(self) -> float:
        with self._lock:
            return max(0.0, self._until - time.monotonic())

    def wait(self, cancel) -> None:
        """Until the gate opens; ``cancel`` (a CancelToken) cuts the wait short."""
        while (left := self.remaining()) > 0:
            cancel.wait(left)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # retries after the first try
    backoff: float = 1.0  # seconds; doubles with each retry
    jitter: float = 0.5  # up to this many seconds added at random
    # Shared by every request made under this policy (the GUI's jobs, a CLI batch).
    gate: RateGate = field(default_factory=RateGate, compare=False, repr=False)
    # Who hears of each wait before a retry (a job's progress hook: see heard_by()).
    notify: Callable[[RetryNote], object] | None = field(default=None, compare=False, repr=False)

    def heard_by(self, progress: Progress) -> RetryPolicy:
        """This policy (its rate gate shared), with each retry told to ``progress``."""
        return replace(self, notify=lambda note: progress(note, None, None))


def is_url(text: str) -> bool:
    """Whether ``text`` is meant as a web link (it may still be a broken one: check_url
    says so)."""
    return text[:8].lower().startswith(("http://", "https://"))


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# Link-local addresses and the cloud providers' metadata services: a request there from a
# cloud machine can hand out its credentials, so no link, redirect or DNS answer may lead
# there, even over https.
_FORBIDDEN_NETS = tuple(
    ipaddress.ip_network(n)
    for n in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32")
)
_FORBIDDEN_NAMES = frozenset({"metadata", "metadata.google.internal", "instance-data"})


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def address_refusal(host: str | None, local_ok: bool = True) -> str | None:
    """Why a request to ``host`` (a name or an address) must not be made, or None.

    ``local_ok=False`` is for links a server hands us (the mesh, a drawn picture): those
    may not lead into this machine or its network, unless the API itself is local (the
    test server)."""
    if not host:
        return "it has no host"
    host = host.lower().rstrip(".")
    address = _address(host)
    if host in _FORBIDDEN_NAMES or (address and any(address in n for n in _FORBIDDEN_NETS)):
        return "it points at a link-local or cloud metadata address"
    if not local_ok and (host == "localhost" or (address and not address.is_global)):
        return "it points into this machine or its local network"
    return None


def check_url(url: str, what: str, local_ok: bool = True) -> str:
    """https anywhere; plain http only to this machine (the test server); never a
    link-local or metadata address (see address_refusal()). Returns the URL."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError as exc:
        raise ConfigError(f"The {what} {url[:120]!r} is not a valid address ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and parts.hostname:
        refusal = address_refusal(parts.hostname, local_ok)
        if refusal:
            raise ConfigError(
                f"The {what} {url[:120]!r} was refused: {refusal}",
                hint="Nothing was sent there. Check the link, or the API base URL in Settings.",
            )
    if scheme == "https" and parts.hostname:
        return url
    if scheme == "http" and is_loopback(parts.hostname):
        return url
    if scheme == "http":
        raise ConfigError(
            f"The {what} {url!r} uses plain http",
            hint="Only https is allowed, except for addresses on this machine.",
        )
    raise ConfigError(f"The {what} {url!r} is not an http(s) address")

"""Network policy with no network library: which URLs are allowed, timeouts, retry counts.

Kept apart from net.py so that the GUI can use it without importing requests at start-up.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiml3d_desktop.core.errors import ConfigError


@dataclass(frozen=True)
class Timeouts:
    """Seconds. Generation is synchronous and can take a minute, hence the long read."""

    connect: float = 10.0
    read: float = 180.0
    download_read: float = 60.0


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


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, what: str) -> str:
    """https anywhere; plain http only to this machine (the test server). Returns the URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
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

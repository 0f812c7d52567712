"""Network policy with no network library: which URLs are allowed, timeouts, retry counts.

Kept apart from net.py so that the GUI can use it without importing requests at start-up.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiml3d_desktop.core.errors import ConfigError


@dataclass(frozen=True)
class Timeouts:
    """Seconds. Generation is synchronous and can take a minute, hence the long read."""

    connect: float = 10.0
    read: float = 180.0
    download_read: float = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # retries after the first try
    backoff: float = 1.0  # seconds; doubles with each retry
    jitter: float = 0.5  # up to this many seconds added at random


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

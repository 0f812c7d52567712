"""One API call as it went, and how the usage ledger and the library write it down: the
record the client makes of every call (core/spending/usage.py keeps them)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo

from aiml3d_desktop.core.api import models
from aiml3d_desktop.core.common.errors import (
    Aiml3DError,
    ApiError,
    BadResponseError,
    ConfigError,
    DownloadError,
    NetworkError,
)

KINDS = ("key", "credits", "rate limit", "timeout", "bad answer", "network", "server", "other")


@dataclass
class Call:
    """One API call: made (``ok``) or failed (``kind`` says how)."""

    at: str  # ISO 8601, UTC
    model: str
    ok: bool
    kind: str = ""
    credits: float | None = None
    usd: float | None = None
    seconds: float | None = None
    entry_id: str | None = None  # only for calls filled in from an existing entry
    params: str = ""  # params_key() of the parameter values
    message: str = ""  # a failure's one line (the key was blanked out of it already)
    request_id: str | None = None

    def local_day(self, tz: tzinfo | None = None) -> date:
        """The day it was made on in ``tz`` (default: this computer's time zone)."""
        return parse(self.at).astimezone(tz).date()


def params_key(model: str, values: dict) -> str:
    """The parameters as the ledger compares them: with the model's defaults filled in, so
    that values left at their default and values set to it are the same."""
    with contextlib.suppress(Aiml3DError):
        values = {**models.get(model).defaults(), **values}
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)


def kind_of(error: BaseException) -> str:
    """The kind of failure an error is, as the usage view counts it."""
    if isinstance(error, ConfigError) or (isinstance(error, ApiError) and error.status == 401):
        return "key"
    if isinstance(error, ApiError):
        if error.status == 403:
            return "credits"
        if error.status == 429:
            return "rate limit"
        if error.status == 504:
            return "timeout"
        return "server" if (error.status or 0) >= 500 else "other"
    if isinstance(error, NetworkError):
        return "timeout" if "did not answer within" in error.message else "network"
    if isinstance(error, BadResponseError | DownloadError):
        return "bad answer"
    return "other"


def now() -> str:
    """The time as the library writes it: ISO 8601, UTC, to the millisecond."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def canonical(at: str) -> str:
    """One way of writing a moment (UTC, to the millisecond), so that text order is time
    order for the ledger's range queries."""
    return parse(at).astimezone(timezone.utc).isoformat(timespec="milliseconds")


def parse(at: str) -> datetime:
    stamp = datetime.fromisoformat(at.replace("Z", "+00:00"))
    if not 1 < stamp.year < 9999:  # a day that no time zone can be moved into or out of
        raise ValueError(f"{at!r} is out of range")
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)

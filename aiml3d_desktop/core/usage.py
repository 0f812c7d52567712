"""What the API calls cost and how they went: a ledger (``usage.sqlite``, beside the library
index) of every call the library saw, made or failed, with what the API reported it cost.

Unlike the index it is not a cache of the folders: a deleted model's spend stays spent. It
holds no key and no picture, only the model, the parameters, the outcome, what the answer
said it cost and how long it took. Made anew (and filled from the entries) when missing or
damaged. The numbers for plots, the command line and estimates are read from here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import statistics
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path

from aiml3d_desktop.core import models
from aiml3d_desktop.core.errors import (
    Aiml3DError,
    ApiError,
    BadResponseError,
    ConfigError,
    DownloadError,
    NetworkError,
)

log = logging.getLogger(__name__)
LEDGER_FILE = "usage.sqlite"
SCHEMA = 1
# What a failed call is counted as: the kinds a person acts on differently.
KINDS = ("key", "credits", "rate limit", "timeout", "bad answer", "network", "server", "other")
RECENT = 10  # calls of the same model and parameters an estimate is made from
MESSAGE_LIMIT = 300

_COLUMNS = """
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, model TEXT NOT NULL, ok INTEGER NOT NULL,
    kind TEXT NOT NULL, credits REAL, usd REAL, seconds REAL, entry_id TEXT,
    params TEXT NOT NULL, message TEXT NOT NULL
"""


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
    entry_id: str | None = None
    params: str = ""  # canonical JSON of the parameter values
    message: str = ""  # a failure's one line (the key was blanked out of it already)

    def local_day(self, tz: tzinfo | None = None) -> date:
        """The day it was made on in ``tz`` (default: this computer's time zone)."""
        return _parse(self.at).astimezone(tz).date()


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
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self.fresh = False  # made anew when opened: the caller fills it from the entries
        self.warning: str | None = None
        try:
            self._open()
        except sqlite3.DatabaseError as exc:
            # A damaged ledger is moved aside (not deleted) and started again.
            self.close()
            aside = path.with_name(path.name + ".damaged")
            with contextlib.suppress(OSError):
                path.replace(aside)
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(OSError):
                    Path(f"{path}{suffix}").unlink()
            self.warning = f"The usage ledger was damaged ({exc}); kept it as {aside.name}."
            self._open()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db = db
        return db

    def _open(self) -> None:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")  # two processes opening a new library make it once
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA:
                db.execute("DROP TABLE IF EXISTS calls")
                db.execute(f"CREATE TABLE calls ({_COLUMNS})")
                db.execute("CREATE INDEX calls_at ON calls (at)")
                db.execute("CREATE INDEX calls_entry ON calls (entry_id)")
                db.execute(f"PRAGMA user_version={SCHEMA}")
                self.fresh = True
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def add(self, calls: Iterable[Call]) -> None:
        """Keep ``calls``; a made call of an entry already kept (the ledger was just filled
        from the entries, by this process or another) is not counted twice."""
        rows = [
            (_canonical(c.at), c.model, int(c.ok), c.kind, c.credits, c.usd, c.seconds, c.entry_id,
             c.params, c.message[:MESSAGE_LIMIT])
            for c in calls
        ]  # fmt: skip
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            kept = "SELECT 1 FROM calls WHERE ok = 1 AND entry_id = ? AND model = ?"
            for row in rows:
                if row[2] and row[7] and db.execute(kept, (row[7], row[1])).fetchone():
                    continue
                db.execute(
                    "INSERT INTO calls (at, model, ok, kind, credits, usd, seconds, entry_id,"
                    " params, message) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    row,
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def calls(
        self, since: str | None = None, until: str | None = None, model: str | None = None
    ) -> list[Call]:
        """Calls from ``since`` up to (not including) ``until`` (UTC ISO), oldest first."""
        where, args = [], []
        for clause, value in (("at >= ?", since), ("at < ?", until), ("model = ?", model)):
            if value is not None:
                where.append(clause)
                args.append(value)
        sql = "SELECT at, model, ok, kind, credits, usd, seconds, entry_id, params, message"
        sql += " FROM calls" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY at"
        rows = self._db().execute(sql, args).fetchall()
        return [Call(r[0], r[1], bool(r[2]), *r[3:]) for r in rows]

    def recent(self, model: str, params: str, limit: int = RECENT) -> list[Call]:
        """The latest made calls of ``model`` (with ``params`` first, if there are any)."""
        sql = (
            "SELECT at, model, ok, kind, credits, usd, seconds, entry_id, params, message"
            " FROM calls WHERE ok = 1 AND model = ? {} ORDER BY at DESC LIMIT ?"
        )
        db = self._db()
        rows = db.execute(sql.format("AND params = ?"), (model, params, limit)).fetchall()
        if not rows:
            rows = db.execute(sql.format(""), (model, limit)).fetchall()
        return [Call(r[0], r[1], bool(r[2]), *r[3:]) for r in rows]


def from_entry(entry) -> list[Call]:
    """The calls an existing library entry stands for (the ledger filled from the library):
    its model's, and the drawing's of text to 3D."""
    if not entry.model or entry.model == "local-relief":
        return []
    extra = entry.extra or {}
    usd = extra.get("usd_spent")
    calls = [
        Call(
            at=entry.created,
            model=entry.model,
            ok=True,
            credits=entry.credits,
            usd=usd if isinstance(usd, int | float) and not isinstance(usd, bool) else None,
            seconds=_number(extra.get("elapsed_s")),
            entry_id=entry.id,
            params=params_key(entry.model, entry.params or {}),
        )
    ]
    drawn = extra.get("text_to_image")
    if isinstance(drawn, dict) and isinstance(drawn.get("model"), str):
        calls.append(
            Call(entry.created, drawn["model"], True, credits=_number(drawn.get("credits_used")))
        )
    return calls


def _number(value: object) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _canonical(at: str) -> str:
    """One way of writing a moment (UTC, to the millisecond), so that text order is time
    order for the ledger's range queries."""
    return _parse(at).astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _parse(at: str) -> datetime:
    stamp = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


# ---- the numbers ------------------------------------------------------------------------


@dataclass
class Estimate:
    """What a batch will probably cost, and what that is based on."""

    items: int
    credits: float | None  # for all items; None when nothing is known
    usd: float | None
    basis: str  # "recent" (N calls like it), "docs" (the docs' figure) or "unknown"
    samples: int = 0
    per_model: dict = field(default_factory=dict)  # model -> credits per item

    def above(self, credits: float, usd: float) -> bool:
        """Whether it is above a limit (0: no limit)."""
        return bool(
            (credits and self.credits is not None and self.credits > credits)
            or (usd and self.usd is not None and self.usd > usd)
        )

    @property
    def text(self) -> str:
        if self.credits is None and self.usd is None:
            return f"{self.items} item{'s' * (self.items != 1)}: no cost known yet"
        parts = []
        if self.credits is not None:
            parts.append(f"{self.credits:,.0f} credits")
        if self.usd is not None:
            parts.append(f"US${self.usd:,.2f}")
        basis = {
            "recent": f"from the last {self.samples} like it",
            "docs": "from the docs' figure",
        }.get(self.basis, "some of it not known yet")
        return f"{self.items} item{'s' * (self.items != 1)}: about {' + '.join(parts)} ({basis})"


def estimate(ledger: Ledger | None, jobs: list[tuple[str, dict, str | None]]) -> Estimate:
    """The cost of ``jobs`` (model, parameter values, and the picture model of a prompt or
    None): each call from the median of the recent calls of the same model and parameters,
    else of the model, else the docs' figure."""
    credits = usd = 0.0
    known_credits = known_usd = False
    bases: set[str] = set()
    samples, per_model = 0, {}
    known: dict[tuple[str, str], tuple] = {}  # a folder of 10,000 asks a few questions
    for model, values, drawer in jobs:
        for name, params in ((model, values), (drawer, {})):
            if not name:
                continue
            key = (name, params_key(name, params))
            if key not in known:
                known[key] = _one(ledger, name, params)
            (c, u), basis, count = known[key]
            per_model[name] = {"credits": c, "usd": u, "basis": basis}
            bases.add(basis)
            samples = max(samples, count)
            if c is not None:
                credits, known_credits = credits + c, True
            if u is not None:
                usd, known_usd = usd + u, True
    basis = (
        "unknown" if "unknown" in bases or not bases else "docs" if "docs" in bases else "recent"
    )
    return Estimate(
        len(jobs),
        credits if known_credits else None,
        usd if known_usd else None,
        basis,
        samples,
        per_model,
    )


def _one(
    ledger: Ledger | None, model: str, values: dict | None
) -> tuple[tuple[float | None, float | None], str, int]:
    recent = ledger.recent(model, params_key(model, values or {})) if ledger is not None else []
    paid = [c for c in recent if c.credits is not None or c.usd is not None]
    if paid:
        c = [x.credits for x in paid if x.credits is not None]
        u = [x.usd for x in paid if x.usd is not None]
        cost = (statistics.median(c) if c else None, statistics.median(u) if u else None)
        return cost, "recent", len(paid)
    with contextlib.suppress(Aiml3DError):
        spec = models.get(model)
        if spec.doc_cost is not None:
            doc = spec.doc_cost
            return ((doc, None) if spec.reports == models.CREDITS else (None, doc)), "docs", 0
    return (None, None), "unknown", 0


@dataclass
class Row:
    """One line of a usage summary: a day or a model."""

    key: str
    calls: int = 0
    made: int = 0
    failed: int = 0
    credits: float = 0.0
    usd: float = 0.0
    seconds: list[float] = field(default_factory=list)
    failures: dict = field(default_factory=dict)  # kind -> count

    def as_dict(self) -> dict:
        data = asdict(self)
        data["median_seconds"] = statistics.median(self.seconds) if self.seconds else None
        del data["seconds"]
        return data


def summarise(calls: Iterable[Call], by: str = "day", tz: tzinfo | None = None) -> list[Row]:
    """Calls grouped by local day (in ``tz``), by model, or "all" in one row, in order."""
    rows: dict[str, Row] = {}
    for call in calls:
        key = "total"
        if by == "day":
            key = call.local_day(tz).isoformat()
        elif by == "model":
            key = call.model
        row = rows.setdefault(key, Row(key))
        row.calls += 1
        if call.ok:
            row.made += 1
            row.credits += call.credits or 0
            row.usd += call.usd or 0
            if call.seconds is not None:
                row.seconds.append(call.seconds)
        else:
            row.failed += 1
            row.failures[call.kind] = row.failures.get(call.kind, 0) + 1
    return [rows[k] for k in sorted(rows)]


def per_day(
    calls: list[Call], days: list[date], first: date, last: date, value: str
) -> tuple[list[date], dict[str, list[float]]]:
    """Every day from ``first`` to ``last``, and per model (``value`` "credits" or "usd")
    or per failure kind (``value`` "failures") the day's total: what the stacked plots draw.
    ``days`` are the calls' local days (Call.local_day), worked out once by the caller."""
    span = [first + timedelta(days=n) for n in range(max(0, (last - first).days) + 1)]
    where = {day: n for n, day in enumerate(span)}
    series: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(span))
    for call, day in zip(calls, days, strict=True):
        if day not in where:
            continue
        if value == "failures":
            if not call.ok:
                series[call.kind][where[day]] += 1
        elif call.ok and getattr(call, value) is not None:
            series[call.model][where[day]] += getattr(call, value)
    return span, dict(sorted(series.items()))


def day_bounds(first: date | None, last: date | None, tz: tzinfo | None = None) -> tuple:
    """UTC ISO bounds for the local days ``first`` to ``last`` (both included)."""

    def start(day: date) -> str:
        midnight = datetime(day.year, day.month, day.day)
        local = midnight.replace(tzinfo=tz) if tz is not None else midnight.astimezone()
        return local.astimezone(timezone.utc).isoformat(timespec="milliseconds")

    return (
        start(first) if first else None,
        start(last + timedelta(days=1)) if last else None,
    )


def iter_csv(calls: list[Call]) -> Iterator[list]:
    yield ["at", "model", "ok", "kind", "credits", "usd", "seconds", "entry_id", "message"]
    for c in calls:
        yield [c.at, c.model, c.ok, c.kind, c.credits, c.usd, c.seconds, c.entry_id, c.message]

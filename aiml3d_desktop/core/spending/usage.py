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
import math
import os
import secrets
import sqlite3
import statistics
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path

from aiml3d_desktop.core.api import models
from aiml3d_desktop.core.api.calls import Call, canonical, params_key
from aiml3d_desktop.core.common.errors import (
    Aiml3DError,
)
from aiml3d_desktop.core.common.fileio import read_regular

log = logging.getLogger(__name__)
LEDGER_FILE = "usage.sqlite"
JOURNAL_FILE = "usage.journal"  # calls made while the ledger was held: see journal()
JOURNAL_LIMIT = 16 << 20  # bytes of a journal read: months of calls
SCHEMA = 2
# What a failed call is counted as: the kinds a person acts on differently.
RECENT = 10  # calls of the same model and parameters an estimate is made from
MESSAGE_LIMIT = 300
MOST = 1e15  # a cost above this is no cost anyone was charged: a damaged record

_NAMES = ("at", "model", "ok", "kind", "credits", "usd", "seconds", "entry_id", "params",
          "message", "request_id")  # fmt: skip
_COLUMNS = """
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, model TEXT NOT NULL, ok INTEGER NOT NULL,
    kind TEXT NOT NULL, credits REAL, usd REAL, seconds REAL, entry_id TEXT,
    params TEXT NOT NULL, message TEXT NOT NULL, request_id TEXT
"""


class Ledger:
    """``usage.sqlite``. Made with the calls ``fill()`` gives (the library's existing
    entries) in the same transaction, so that a fill that fails leaves no half ledger. A
    damaged file is set aside (``.damaged``) and made anew; a busy or locked one, or one of
    a newer version of the app, is left alone (LedgerError)."""

    def __init__(
        self, path: Path, fill: Callable[[], Iterable[Call]] = lambda: (), wait: float = 10.0
    ) -> None:
        """``wait``: seconds to wait for another process that holds the ledger."""
        self.path, self.wait = path, wait
        self._local = threading.local()
        self.warning: str | None = None
        try:
            self._open(fill)
        except sqlite3.DatabaseError as exc:
            if not _damaged(exc):
                self.close()
                raise
            self.close()
            aside = path.with_name(path.name + ".damaged")
            with contextlib.suppress(OSError):
                path.replace(aside)
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(OSError):
                    Path(f"{path}{suffix}").unlink()
            self.warning = f"The usage ledger was damaged ({exc}); kept it as {aside.name}."
            self._open(fill)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=self.wait, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db = db
        return db

    def _open(self, fill: Callable[[], Iterable[Call]]) -> None:
        db = self._db()
        if self._ready(db):
            return  # read without a write lock: another process writing does not stop it
        db.execute("BEGIN IMMEDIATE")  # two processes opening a new library make it once
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            names = tuple(r[1] for r in db.execute("PRAGMA table_info(calls)"))[1:]
            if version > SCHEMA:
                raise LedgerError("it was made by a newer version of the app")
            if version != SCHEMA or names != _NAMES:
                if names and version == SCHEMA:  # the right version, the wrong table
                    raise sqlite3.DatabaseError("file is not a database (the wrong table)")
                db.execute("DROP TABLE IF EXISTS calls")  # an older version's: made again
                db.execute(f"CREATE TABLE calls ({_COLUMNS})")
                db.execute("CREATE INDEX calls_at ON calls (at)")
                _insert(db, fill())
                db.execute(f"PRAGMA user_version={SCHEMA}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    @staticmethod
    def _ready(db: sqlite3.Connection) -> bool:
        """The ledger is there at this version, with its table as it should be."""
        version = db.execute("PRAGMA user_version").fetchone()[0]
        names = tuple(r[1] for r in db.execute("PRAGMA table_info(calls)"))[1:]
        return version == SCHEMA and names == _NAMES

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def add_one(self, call: Call) -> None:
        """One call, as a client's ``record`` hears it."""
        self.add([call])

    def add(self, calls: Iterable[Call]) -> None:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            _insert(db, calls)
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
        return self._select(" AND ".join(where) or "1", args, "at")

    def recent(self, model: str, params: str, limit: int = RECENT) -> list[Call]:
        """The latest made calls of ``model`` (with ``params`` first, if there are any)."""
        order = f"at DESC LIMIT {int(limit)}"
        return self._select("ok = 1 AND model = ? AND params = ?", [model, params], order) or (
            self._select("ok = 1 AND model = ?", [model], order)
        )

    def _select(self, where: str, args: list, order: str) -> list[Call]:
        sql = f"SELECT {', '.join(_NAMES)} FROM calls WHERE {where} ORDER BY {order}"
        return [c for c in map(_row_call, self._db().execute(sql, args)) if c is not None]

    def merge(self, folder: Path) -> int:
        """The calls kept in journals in ``folder`` (see journal()) added, each once, and
        the journals removed; returns how many were added. Each journal is claimed by a
        rename first, so that a call appended meanwhile goes to a new journal, not lost."""
        files = []
        for path in sorted(folder.glob(JOURNAL_FILE + "*")):
            if not path.is_file() or path.is_symlink():
                continue  # a pipe would hang the reading, a link lead anywhere
            if path.name == JOURNAL_FILE:
                claimed = path.with_name(f"{JOURNAL_FILE}.{secrets.token_hex(4)}")
                try:
                    os.rename(path, claimed)
                except FileNotFoundError:  # another process claimed it
                    continue
                path = claimed
            files.append(path)
        if not files:
            return 0  # nothing to merge: no write lock asked for (another may hold it)
        calls = [call for path in files for call in _journal_calls(path)]
        db = self._db()
        db.execute("BEGIN IMMEDIATE")  # one merger at a time: the check below holds
        try:
            new = [c for c in calls if not _recorded(db, c)]
            _insert(db, new)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        for path in files:
            with contextlib.suppress(OSError):
                path.unlink()
        return len(new)


def journal(folder: Path, calls: Iterable[Call]) -> Path:
    """The calls appended to ``folder``'s journal, one JSON line each, in one write: where a
    call goes while the ledger is held by another process (merged at the next open)."""
    path = folder / JOURNAL_FILE
    data = "".join(json.dumps(asdict(c)) + "\n" for c in calls).encode()
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)  # a pipe: fails, never waits
    fd = os.open(path, flags, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def _journal_calls(path: Path) -> list[Call]:
    """The calls in one journal; a line cut short or written by someone else is left out."""
    try:
        lines = read_regular(path, JOURNAL_LIMIT)[:JOURNAL_LIMIT].splitlines()
    except OSError:  # swapped for a link or a pipe since it was claimed, or too big
        return []
    calls = []
    for line in lines:
        try:
            data = json.loads(line)
            call = Call(**{k: data[k] for k in _NAMES if k in data})
            canonical(call.at)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError):
            continue
        if _usable(call):
            calls.append(call)
    return calls


def _usable(call: Call) -> bool:
    """Every field of the type the ledger stores, and text that SQLite can hold."""
    texts = [call.model, call.kind, call.params, call.message]
    optional = [call.entry_id, call.request_id]
    if not isinstance(call.ok, bool) or not all(isinstance(t, str) for t in texts):
        return False
    if not all(t is None or isinstance(t, str) for t in optional):
        return False
    try:
        "".join(t for t in texts + optional if t).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a \\ud800 escape
        return False
    return True


def _recorded(db: sqlite3.Connection, call: Call) -> bool:
    """Whether the ledger has this call already (a merge cut short after its commit)."""
    row = db.execute(
        "SELECT 1 FROM calls WHERE at = ? AND model = ? AND ok = ? AND kind = ? AND "
        "request_id IS ? LIMIT 1",
        (canonical(call.at), call.model, int(bool(call.ok)), call.kind, call.request_id),
    )
    return row.fetchone() is not None


class LedgerError(Exception):
    """A ledger this process must leave alone (busy, locked, or a newer version's)."""


def _insert(db: sqlite3.Connection, calls: Iterable[Call]) -> None:
    rows = []
    for c in calls:
        try:
            at = canonical(c.at)
        except (ValueError, TypeError, OverflowError):
            continue  # a call without a usable date (a hand-edited entry): not counted
        rows.append(
            (at, c.model, int(c.ok), c.kind, _cost(c.credits), _cost(c.usd), _cost(c.seconds),
             c.entry_id, c.params, c.message[:MESSAGE_LIMIT], c.request_id)
        )  # fmt: skip
    names = ", ".join(_NAMES)
    db.executemany(f"INSERT INTO calls ({names}) VALUES ({', '.join('?' * len(_NAMES))})", rows)


def _row_call(row: tuple) -> Call | None:
    """A row as a Call; a row another program wrote wrongly is left out, never a crash."""
    at, model, ok, kind, credits, usd, seconds, entry_id, params, message, request_id = row
    try:
        at = canonical(at)
    except (ValueError, TypeError, OverflowError):
        return None
    return Call(
        at, str(model), bool(ok), str(kind), _cost(credits), _cost(usd), _cost(seconds),
        entry_id if isinstance(entry_id, str) else None, str(params), str(message),
        request_id if isinstance(request_id, str) else None,
    )  # fmt: skip


def _cost(value: object) -> float | None:
    """A number that can be a cost, a price or a duration; else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and 0 <= value <= MOST else None


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    """Not a database, or a damaged one (not: busy, locked, a full disk)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in (11, 26):  # SQLITE_CORRUPT, SQLITE_NOTADB
        return True
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def from_entry(entry) -> list[Call]:
    """The calls an existing library entry stands for (the ledger filled from the library
    when it is made): its model's, the drawing's of text to 3D, and each split into parts."""
    extra = entry.extra or {}
    calls = []
    if entry.model and entry.model != "local-relief":
        calls.append(
            Call(
                at=entry.created,
                model=entry.model,
                ok=True,
                credits=_cost(entry.credits),
                usd=_cost(extra.get("usd_spent")),
                seconds=_cost(extra.get("elapsed_s")),
                entry_id=entry.id,
                params=params_key(entry.model, entry.params or {}),
                request_id=entry.request_id,
            )
        )
    drawn = extra.get("text_to_image")
    if isinstance(drawn, dict) and isinstance(drawn.get("model"), str):
        rid = drawn.get("request_id")
        calls.append(
            Call(entry.created, drawn["model"], True, credits=_cost(drawn.get("credits_used")),
                 request_id=rid if isinstance(rid, str) else None)
        )  # fmt: skip
    for version in entry.versions:
        split = version.get("recipe", {}).get("parts")
        if isinstance(split, dict):
            rid = split.get("request_id")
            calls.append(
                Call(version.get("created") or entry.created, models.HUNYUAN_PART.id, True,
                     credits=_cost(split.get("credits_used")), entry_id=entry.id,
                     request_id=rid if isinstance(rid, str) else None)
            )  # fmt: skip
    return calls


def from_entries(entries: Iterable) -> Iterator[Call]:
    """Every entry's calls, each request once (one drawing made several models)."""
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        for call in from_entry(entry):
            if call.request_id:
                if (call.model, call.request_id) in seen:
                    continue
                seen.add((call.model, call.request_id))
            yield call


# ---- the numbers ------------------------------------------------------------------------


Price = tuple[float | None, float | None]  # one call's (credits, US dollars); None: not known


@dataclass
class Estimate:
    """What a batch will probably cost, and what that is based on."""

    items: int
    credits: float | None  # for all items; None when nothing is known
    usd: float | None
    basis: str  # "recent" (N calls like it), "docs" (the docs' figure) or "unknown"
    samples: int = 0
    # One call of each model: a sum hides a model of unknown cost, or one billed in the
    # other unit, and the spending limits must see both (core/spending/budget.py).
    prices: dict[str, Price] = field(default_factory=dict)

    def plus(self, other: Estimate) -> Estimate:
        """Both batches together."""

        def add(a: float | None, b: float | None) -> float | None:
            return None if a is None and b is None else (a or 0) + (b or 0)

        prices = dict(self.prices)
        for model, price in other.prices.items():
            prices[model] = _worse(prices.get(model), price)
        return Estimate(
            self.items + other.items,
            add(self.credits, other.credits),
            add(self.usd, other.usd),
            _basis({self.basis, other.basis}),
            max(self.samples, other.samples),
            prices,
        )

    @property
    def amount(self) -> str:
        """What it will cost, and on what that is based."""
        if self.credits is None and self.usd is None:
            return "no cost known yet"
        parts = []
        if self.credits is not None:
            parts.append(f"{self.credits:,.0f} credits")
        if self.usd is not None:
            parts.append(f"US${self.usd:,.2f}")
        basis = {
            "recent": f"from the last {self.samples} like it",
            "docs": "from the docs' figure",
        }.get(self.basis, "some of it not known yet")
        return f"about {' + '.join(parts)} ({basis})"

    @property
    def text(self) -> str:
        return f"{self.items} item{'s' * (self.items != 1)}: {self.amount}"


def estimate(
    ledger: Ledger | None, jobs: list[tuple[str, dict, str | tuple[str, ...] | None]]
) -> Estimate:
    """The cost of ``jobs`` (model, parameter values, and the picture model of a prompt, or
    the models of the calls before the model's: a prompt's drawing, views drawn; or None):
    each call from the median of the recent calls of the same model and parameters, else of
    the model, else the docs' figure."""
    credits = usd = 0.0
    known_credits = known_usd = False
    bases: set[str] = set()
    samples = 0
    known: dict[tuple[str, str], tuple] = {}  # a folder of 10,000 asks a few questions
    prices: dict[str, Price] = {}
    for model, values, drawer in jobs:
        before = drawer if isinstance(drawer, tuple) else (drawer,)
        for name, params in ((model, values), *((d, {}) for d in before)):
            if not name:
                continue
            key = (name, params_key(name, params))
            if key not in known:
                known[key] = _one(ledger, name, params)
                prices[name] = _worse(prices.get(name), known[key][0])
            (c, u), basis, count = known[key]
            bases.add(basis)
            samples = max(samples, count)
            if c is not None:
                credits, known_credits = credits + c, True
            if u is not None:
                usd, known_usd = usd + u, True
    return Estimate(
        len(jobs),
        credits if known_credits else None,
        usd if known_usd else None,
        _basis(bases),
        samples,
        prices,
    )


def price(ledger: Ledger | None, model: str, values: dict | None) -> Price:
    """What one call of ``model`` will probably cost, as estimate() counts it."""
    return _one(ledger, model, values)[0]


def _basis(bases: set[str]) -> str:
    return "unknown" if "unknown" in bases or not bases else "docs" if "docs" in bases else "recent"


def _worse(a: Price | None, b: Price) -> Price:
    """Two prices of one model (other parameters) as one: unknown if either is, else the
    higher in each unit."""
    if a is None:
        return b
    if a == (None, None) or b == (None, None):
        return (None, None)
    return _higher(a[0], b[0]), _higher(a[1], b[1])


def _higher(x: float | None, y: float | None) -> float | None:
    return y if x is None else x if y is None else max(x, y)


def _one(ledger: Ledger | None, model: str, values: dict | None) -> tuple[Price, str, int]:
    key = params_key(model, values or {})
    recent = ledger.recent(model, key) if ledger is not None else []
    # A call said to cost nothing is no price: counting it so would let a limit through.
    paid = [c for c in recent if c.credits or c.usd]
    if paid:
        c = [x.credits for x in paid if x.credits]
        u = [x.usd for x in paid if x.usd]
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
    """UTC ISO bounds for the local days ``first`` to ``last`` (both included); None: that
    side is open. Any date a person can type gives a bound: one a datetime cannot hold (the
    start of 1 January of the year 1 east of Greenwich, the day after 31 December 9999) is
    the first or last moment there is, so every call is on the right side of it."""
    low = _day_start(first, tz) if first else None
    high = _day_start(last + timedelta(days=1), tz) if last and last < date.max else None
    return low, high


def _day_start(day: date, tz: tzinfo | None) -> str:
    """When the local ``day`` starts, as the ledger writes a moment."""
    try:
        midnight = datetime(day.year, day.month, day.day)
        local = midnight.replace(tzinfo=tz) if tz is not None else midnight.astimezone()
        moment = local.astimezone(timezone.utc)
        # Where the clocks jump forward at midnight, that midnight never happens: the day
        # starts at the first moment that is on it.
        while moment.astimezone(tz).date() < day:
            moment += timedelta(minutes=30)
    except (OverflowError, ValueError):  # the year 0 or 10000, in UTC or in local time
        moment = (datetime.max if day.year > 5000 else datetime.min).replace(tzinfo=timezone.utc)
    return moment.isoformat(timespec="milliseconds")


def iter_csv(calls: list[Call]) -> Iterator[list]:
    yield ["at", "model", "ok", "kind", "credits", "usd", "seconds", "entry_id", "message"]
    for c in calls:
        seconds = None if c.seconds is None else round(c.seconds, 3)
        yield [c.at, c.model, c.ok, c.kind, c.credits, c.usd, seconds, c.entry_id, c.message]

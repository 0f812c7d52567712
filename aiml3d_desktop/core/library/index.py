"""The library's index: ``index.sqlite`` (WAL), a cache of the entry folders for fast listing
and search, one row per entry holding its ``entry.json``. The folders are the truth
(core/library/store.py decides what goes in); this only stores, finds and sorts. Where the file
cannot be used (a full disk, a read-only medium), an index of this process lives in memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from aiml3d_desktop.core.common.errors import InputError, LibraryError, storage_errors
from aiml3d_desktop.core.library.entry import ENTRY_FILE, Entry

SCHEMA = 1
SORTS = {
    "created": "created",
    "title": "title COLLATE NOCASE",
    "triangles": "triangles",
    "size": "file_size",
}

_COLUMNS = """
    id TEXT PRIMARY KEY, created TEXT NOT NULL, title TEXT NOT NULL, source TEXT NOT NULL,
    format TEXT NOT NULL, triangles INTEGER, file_size INTEGER, favourite INTEGER NOT NULL,
    search TEXT NOT NULL, stamp INTEGER NOT NULL, doc TEXT NOT NULL
"""


class Index:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._memory: sqlite3.Connection | None = None  # see use_memory()
        self._memory_uri = ""

    def db(self) -> sqlite3.Connection:
        """One connection per thread (the GUI reads while a worker saves)."""
        db = getattr(self._local, "db", None)
        if db is None:
            if self._memory is not None:
                db = sqlite3.connect(self._memory_uri, uri=True, isolation_level=None)
            else:
                db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def open(self) -> str | None:
        """The file, checked and set up by one process at a time: None when it was there at
        this version, else why it was made anew, empty ("missing", "outdated", "damaged").
        Only a file SQLite calls corrupt is thrown away: a busy, locked or unwritable one is
        another process's, or a full disk's, and stays (LibraryError)."""
        with storage_errors("The library index cannot be opened"):
            try:
                db = self.db()
                ok = db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            except sqlite3.DatabaseError as exc:
                if not _corrupt(exc):
                    raise
                ok = False
            if ok:
                return self._create_schema(db)
            self.close()
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{self.path}{suffix}").unlink()
            self._create_schema(self.db())
            return "damaged"

    def use_memory(self) -> None:
        """From now on an empty index of this process only, in memory."""
        self.close()
        self._memory_uri = f"file:aiml3d-index-{id(self)}?mode=memory&cache=shared"
        self._memory = sqlite3.connect(self._memory_uri, uri=True, isolation_level=None)
        self._create_schema(self._memory)  # kept open: the database lives as long as it

    def _create_schema(self, db: sqlite3.Connection) -> str | None:
        """Make the table unless it is there at this version (checked inside the
        transaction, so that two processes opening a new library do it once): "missing"
        or "outdated" when it was made, None when it was there."""
        with _transaction(db):
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == SCHEMA:
                return None
            db.execute("DROP TABLE IF EXISTS entries")
            db.execute(f"CREATE TABLE entries ({_COLUMNS})")
            db.execute("CREATE INDEX entries_created ON entries (created)")
            db.execute(f"PRAGMA user_version={SCHEMA}")
        return "missing" if version == 0 else "outdated"

    # Writing

    def put(self, entry: Entry) -> None:
        problem = _put(self.db(), entry)
        if problem:
            raise LibraryError(f"{entry.title} cannot be indexed: {problem}")

    def remove(self, entry_id: str) -> None:
        self.db().execute("DELETE FROM entries WHERE id = ?", (entry_id,))

    def replace_all(self, entries: Iterable[Entry]) -> tuple[int, dict[str, str]]:
        """The index holds ``entries`` and nothing else. Returns how many, and the entries
        that could not be indexed, with why (id: problem)."""
        db = self.db()
        with _transaction(db):
            db.execute("DELETE FROM entries")
            skipped = _put_all(db, entries)
        return self.count(), skipped

    def update(self, entries: Iterable[Entry], gone: Iterable[str]) -> dict[str, str]:
        """In one transaction: ``entries`` (re)indexed, the ids ``gone`` removed. Returns
        the entries that could not be indexed (id: problem); those are out of the index."""
        db = self.db()
        with _transaction(db):
            db.executemany("DELETE FROM entries WHERE id = ?", [(i,) for i in gone])
            return _put_all(db, entries)

    # Reading

    def stamps(self) -> dict[str, int]:
        """Each indexed id, with the stamp() of its entry.json when it was indexed."""
        return dict(self.db().execute("SELECT id, stamp FROM entries"))

    def count(self) -> int:
        return self.db().execute("SELECT count(*) FROM entries").fetchone()[0]

    def select(self, column: str, query: str = "", **filters) -> list[str]:
        """``column`` ("id" or "doc") of the entries matching every word of ``query`` and the
        filters: ``favourite``, ``fmt``, ``since`` and ``until`` (ISO dates or times), ``sort``
        (a key of SORTS), ``descending``, ``limit``."""
        sql, args = _select(column, query, **filters)
        return [row[0] for row in self.db().execute(sql, args)]

    def find(self, entry_id: str) -> list[str]:
        """The doc of the entry ``entry_id``, or of the entries whose ids start with it (at
        most two: enough to tell one from many)."""
        db = self.db()
        row = db.execute("SELECT doc FROM entries WHERE id = ?", (entry_id,)).fetchone()
        if row is not None:
            return [row[0]]
        if not entry_id.strip():
            return []
        # Compared as text: no LIKE wildcards to smuggle in.
        rows = db.execute(
            "SELECT doc FROM entries WHERE substr(id, 1, ?) = ? LIMIT 2", (len(entry_id), entry_id)
        )
        return [doc for (doc,) in rows]


def stamp(folder: str | Path) -> int:
    """When ``entry.json`` last changed: tells the index that it is out of date."""
    try:
        return os.stat(os.path.join(folder, ENTRY_FILE)).st_mtime_ns
    except OSError:
        return -1


def _put_all(db: sqlite3.Connection, entries: Iterable[Entry]) -> dict[str, str]:
    skipped = {}
    for entry in entries:
        problem = _put(db, entry)
        if problem:
            db.execute("DELETE FROM entries WHERE id = ?", (entry.id,))  # not an old copy
            skipped[entry.id] = problem
    return skipped


def _put(db: sqlite3.Connection, entry: Entry) -> str | None:
    """The entry into the index, or why it cannot go there. Entries are checked when read
    (core/library/entry.py); this is the last guard, so that one odd value found there skips its
    entry rather than stopping the whole library."""
    stats = entry.stats or {}
    search = "\n".join([entry.title, " ".join(entry.tags), entry.notes, entry.source]).lower()
    try:
        db.execute(
            "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.id,
                entry.created,
                entry.title,
                entry.source,
                entry.format,
                stats.get("triangles"),
                stats.get("file_size"),
                int(entry.favourite),
                search,
                stamp(entry.folder),
                json.dumps(entry.to_json()),
            ),
        )
    except RecursionError:
        return "it is nested too deeply"
    except (OverflowError, ValueError, TypeError, sqlite3.InterfaceError) as exc:
        return f"a value SQLite cannot hold ({exc})"  # UnicodeEncodeError is a ValueError
    return None


def _corrupt(exc: sqlite3.DatabaseError) -> bool:
    """SQLite says the file is not a database, or a damaged one (not: busy, locked, full)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB (named in 3.11)
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def _select(
    columns: str,
    query: str = "",
    *,
    favourite: bool | None = None,
    fmt: str | None = None,
    since: str | None = None,
    until: str | None = None,
    sort: str = "created",
    descending: bool = True,
    limit: int | None = None,
) -> tuple[str, list]:
    where: list[str] = []
    args: list[object] = []
    for word in query.lower().split():
        where.append("instr(search, ?) > 0")
        args.append(word)
    for test, value in (
        ("favourite = ?", None if favourite is None else int(favourite)),
        ("format = ?", fmt.lower().lstrip(".") if fmt else None),
        ("created >= ?", since),
        ("created < ?", until),
    ):
        if value is not None:
            where.append(test)
            args.append(value)
    if sort not in SORTS:
        raise InputError(f"Cannot sort by {sort!r}", hint=f"Use one of {', '.join(SORTS)}.")
    sql = f"SELECT {columns} FROM entries"
    if where:
        sql += " WHERE " + " AND ".join(where)
    order = "DESC" if descending else "ASC"
    sql += f" ORDER BY {SORTS[sort]} {order}, id {order}"  # ties (same millisecond) by id
    if limit:
        sql += f" LIMIT {int(limit)}"
    return sql, args


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")

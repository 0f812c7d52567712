"""The library: every model kept on disk, one folder per entry, with an SQLite index.

The folders are the truth. Each holds the mesh, the pictures (as given and as uploaded), a
thumbnail once one is made, and ``entry.json``. ``index.sqlite`` (WAL) is a cache of those
files for fast listing and search; it is checked against the folders on every open and can
be rebuilt from them at any time.

An entry appears whole or not at all: it is assembled in ``.staging/`` and moved into
``entries/`` by one directory rename, and its ``entry.json`` is only ever replaced
atomically. Deleting moves the folder to ``.trash/``, from where it can be restored.

Several processes may use one library at once (the window, a command-line batch): each
draft is claimed by its process (``fileio.Claim``), and only drafts whose process has gone
are cleared when a library is opened.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from aiml3d_desktop import paths
from aiml3d_desktop.core.api.calls import Call, now
from aiml3d_desktop.core.common.errors import InputError, LibraryError, storage_errors
from aiml3d_desktop.core.common.fileio import (
    Claim,
    path_kind,
    read_regular,
    reclaim,
    safe_filename,
    safe_stem,
    sweep_partials,
    write_bytes,
    write_json,
)
from aiml3d_desktop.core.common.nesting import deeper_than
from aiml3d_desktop.core.library.draft import Draft
from aiml3d_desktop.core.library.entry import (
    ENTRY_FILE,
    VERSIONS,
    Entry,
    EntryError,
    Version,
    without_surrogates,
)
from aiml3d_desktop.core.library.index import Index, stamp
from aiml3d_desktop.core.spending.usage import (
    JOURNAL_FILE,
    LEDGER_FILE,
    Ledger,
    LedgerError,
    from_entries,
    journal,
)

if TYPE_CHECKING:
    pass

MAX_ENTRY_JSON = 4 << 20  # bytes: versions and answers keep an entry.json to a few kB
ENTRY_LOCK = ".entry.lock"  # in each entry folder: see _entry_lock
log = logging.getLogger(__name__)

ENV_VAR = "AIML3D_LIBRARY"
TRASH_DAYS = 30
DELETED = ".deleted"  # in a trash folder: when it was deleted


def default_root() -> Path:
    override = os.environ.get(ENV_VAR)
    return Path(override).expanduser() if override else paths.data_dir() / "library"


def own_paths(root: Path) -> list[Path]:
    """What in a library folder the library alone writes: its entry folders, drafts, trash,
    index, ledger and queue. (A library folder may be a broad one, such as a home folder:
    what else is in it is the user's.)"""
    files = ["index.sqlite", LEDGER_FILE, JOURNAL_FILE, "queue.json"]
    files += [f"{name}{end}" for name in ("index.sqlite", LEDGER_FILE) for end in ("-wal", "-shm")]
    return [root / name for name in ("entries", ".staging", ".trash", *files)]


class Library:
    ledger_wait = 10.0  # seconds to wait for another process that holds the usage ledger

    def __init__(self, root: Path | None = None) -> None:
        """Open (or create) the library at ``root``; ``warnings`` says what had to be
        repaired. A missing, damaged or outdated index is rebuilt from the folders."""
        self.root = Path(root) if root else default_root()
        self.entries_dir = self.root / "entries"
        self.staging_dir = self.root / ".staging"
        self.trash_dir = self.root / ".trash"
        self.index = Index(self.root / "index.sqlite")
        self.warnings: list[str] = []
        self._ledger: Ledger | None = None
        self._ledger_failed = False
        self._ledger_lock = threading.Lock()
        with storage_errors(f"The library at {self.root} cannot be opened"):
            for folder in (self.entries_dir, self.staging_dir, self.trash_dir):
                if not folder.is_dir():
                    folder.mkdir(parents=True, exist_ok=True)
        # Housekeeping: on a full disk or a read-only folder it waits for a better day.
        with contextlib.suppress(OSError):
            self._sweep_staging()
            self._purge_trash()
            sweep_partials(self.root)  # a queue.json write that was killed
        try:
            self._open_index()
        except LibraryError as exc:
            self._warn(
                f"The library index cannot be used ({exc.message}); the library is read "
                "from its folders for now."
            )
            self._index_in_memory()

    # The index: kept in line with the folders

    @property
    def index_path(self) -> Path:
        return self.index.path

    def close(self) -> None:
        self.index.close()
        if self._ledger is not None:
            self._ledger.close()

    @property
    def usage(self) -> Ledger | None:
        """The usage ledger beside the index, opened on first use and filled from the
        entries when it is new, with the calls journalled while it was held merged in;
        None where it cannot be kept (a read-only library) or is held for now."""
        with self._ledger_lock:
            if self._ledger is None and not self._ledger_failed:
                try:
                    ledger = Ledger(
                        self.root / LEDGER_FILE,
                        lambda: from_entries(self.list()),
                        self.ledger_wait,
                    )
                except (sqlite3.Error, OSError, LedgerError) as exc:
                    # Busy or locked by another process: tried again at the next call, and
                    # record() keeps the calls meanwhile.
                    self._ledger_failed = not isinstance(exc, sqlite3.OperationalError)
                    if self._ledger_failed:
                        self._warn(f"The usage ledger cannot be kept ({exc}).")
                    return None
                if ledger.warning:
                    self._warn(ledger.warning)
                self._ledger = ledger
                self._merge_journal()
            return self._ledger

    def record(self, *calls: Call) -> str | None:
        """API calls into the ledger. A ledger held by another process past ``ledger_wait``
        (or that cannot be written) never loses a call: it goes to a journal beside it,
        merged at the next open. Returns what a person should hear of that, if anything."""
        ledger = self.usage
        if ledger is not None:
            try:
                ledger.add(calls)
            except sqlite3.Error as exc:
                problem = str(exc)
            else:
                if any((f / JOURNAL_FILE).exists() for f in self._journal_folders()):
                    with self._ledger_lock:
                        self._merge_journal()
                return None
        else:
            problem = "it is held by another program" if not self._ledger_failed else "it failed"
        what = ", ".join(_cost_text(c) for c in calls)
        message = f"The call ({what}) could not be recorded"
        for folder in self._journal_folders():  # beside the ledger, else on another disk
            try:
                folder.mkdir(parents=True, exist_ok=True)
                kept = journal(folder, calls)
            except OSError as exc:
                message += f"; {folder}: {exc.strerror or exc}"
                continue
            message = (
                f"The usage ledger cannot be written now ({problem}): the call ({what}) is kept "
                f"in {kept} and added to the ledger the next time it can be"
            )
            break
        self._warn(message)
        return message

    def _journal_folders(self) -> list[Path]:
        """Where calls wait for the ledger: beside it, or (its disk full) in the app's data
        folder, under a name of this library's own."""
        name = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:16]
        return [self.root, paths.data_dir() / "usage-journals" / name]

    def _merge_journal(self) -> None:
        """Calls journalled while the ledger was held, into it (under _ledger_lock)."""
        if self._ledger is None:
            return
        try:
            added = sum(self._ledger.merge(folder) for folder in self._journal_folders())
        except (sqlite3.Error, OSError) as exc:  # still held: the journal stays for later
            log.info("usage journal not merged yet: %s", exc)
            return
        if added:
            log.info("usage journal: %d call(s) added to the ledger", added)

    def _open_index(self) -> None:
        """The index, synced with the folders, or rebuilt from them if it had to be made anew."""
        reason = self.index.open()
        if reason is None:
            self._sync()
            return
        count = self.rebuild()
        if reason != "missing" or count:
            self._warn(f"The library index was {reason}; rebuilt it from {count} folder(s).")

    def _index_in_memory(self) -> None:
        """An index of this process only, in memory, built from the folders: what lets a
        library on a full disk or a read-only medium (or with an index SQLite cannot open)
        be browsed, searched and opened all the same."""
        self.index.use_memory()
        self.rebuild()

    def rebuild(self) -> int:
        """Recreate the index from the folders; returns how many entries it holds."""
        folders = (self._read_folder(Path(folder.path)) for folder in self._folders())
        with storage_errors("Could not rebuild the library index"):
            count, skipped = self.index.replace_all(e for e in folders if e is not None)
        self._skipped(skipped)
        return count

    def _sync(self) -> None:
        """Bring the index in line with the folders: entries added, changed or removed while
        the index did not see it (a crash between the two writes, or a hand edit)."""
        with storage_errors("Could not read the library index"):
            indexed = self.index.stamps()
        on_disk = {folder.name: stamp(folder.path) for folder in self._folders()}
        stale = [i for i, when in on_disk.items() if indexed.get(i) != when]
        gone = [i for i in indexed if i not in on_disk]
        if not stale and not gone:
            return
        entries = []
        for entry_id in stale:
            entry = self._read_folder(self.entries_dir / entry_id)
            if entry is not None:
                entries.append(entry)
            else:
                gone.append(entry_id)
        with storage_errors("Could not update the library index"):
            self._skipped(self.index.update(entries, gone))
        log.info("library index synced: %d updated, %d removed", len(stale), len(gone))

    def _folders(self) -> Iterator[os.DirEntry]:
        with os.scandir(self.entries_dir) as it:
            for item in it:
                # A link is listed (check reports it), never followed: see Entry.links().
                if item.is_dir() and not item.name.startswith("."):
                    yield item

    def _skipped(self, unindexed: dict[str, str]) -> None:
        for entry_id, problem in unindexed.items():
            self._warn(
                f"Skipped library folder {entry_id}: it cannot be indexed ({problem}). "
                "`aiml3d library check` lists what is wrong."
            )

    def _read_folder(self, folder: Path) -> Entry | None:
        """The entry a folder holds, or None (with a warning) when it holds none; fields
        that had to fall back to defaults are warned about too."""
        entry, problem = _entry_in(folder)
        if entry is None:
            self._warn(
                f"Skipped library folder {folder.name}: {problem}. "
                "`aiml3d library check` lists what is wrong."
            )
        elif entry.problems:
            self._warn(
                f"Library folder {folder.name}: {'; '.join(entry.problems)} (shown with "
                "defaults; `aiml3d library check --repair` rewrites it)."
            )
        return entry

    def check(self, repair: bool = False) -> list[tuple[str, str, list[str]]]:
        """Every entry folder with something wrong: (folder name, "skipped", "repaired",
        "repairable" or "missing mesh", what is wrong). With ``repair``, entries whose
        fields fell back to defaults are written back that way (the old file is kept as
        ``entry.json.before-repair``) and the index is rebuilt."""
        found = []
        for item in self._folders():
            folder = Path(item.path)
            entry, problem = _entry_in(folder)
            if entry is None:
                found.append((item.name, "skipped", [problem]))
            elif entry.problems:
                state = "repairable"
                if repair:
                    with storage_errors(f"Could not repair {item.name}"):
                        shutil.copyfile(folder / ENTRY_FILE, folder / f"{ENTRY_FILE}.before-repair")
                        write_json(folder / ENTRY_FILE, entry.to_json())
                    state = "repaired"
                found.append((item.name, state, entry.problems))
            elif entry.missing:
                found.append((item.name, "missing mesh", [f"{entry.mesh_file} is not there"]))
        if repair and any(state == "repaired" for _, state, _ in found):
            self.rebuild()
        return found

    # Reading

    def list(self, query: str = "", **filters) -> list[Entry]:
        """Entries matching every word of ``query`` (in title, tags, notes or source) and the
        filters of ``ids()``, in that order."""
        root = f"{self.entries_dir}{os.sep}"
        return [_from_index(doc, root) for doc in self.index.select("doc", query, **filters)]

    def ids(self, query: str = "", **filters) -> builtins.list[str]:
        """Just the ids of list(): what a browser holding the entries needs to filter them
        (milliseconds for 10,000 entries). Filters: ``favourite``, ``fmt``, ``since`` and
        ``until`` (ISO dates or times), ``sort`` (a key of library_index.SORTS), ``descending``,
        ``limit``."""
        return self.index.select("id", query, **filters)

    def count(self) -> int:
        return self.index.count()

    def get(self, entry_id: str) -> Entry:
        """The entry ``entry_id``, or the one entry whose id starts with it."""
        entry = self._find(entry_id)
        links = entry.links()  # made since it was indexed: its files are not used
        if links:
            raise InputError(
                f"{entry.title} cannot be used: {_links_problem(links)}",
                hint="`aiml3d library check` lists such entries.",
            )
        return entry

    def _find(self, entry_id: str) -> Entry:
        found = self.index.find(entry_id)
        if len(found) != 1:
            raise InputError(
                f"No library entry {entry_id!r}", hint="`aiml3d library list` shows the ids."
            )
        return _from_index(found[0], f"{self.entries_dir}{os.sep}")

    # Writing

    @contextlib.contextmanager
    def draft(self) -> Iterator[Draft]:
        """A staging folder for a new entry. Call ``commit()`` inside the block; on an error,
        or without a commit, the folder and everything in it goes."""
        with storage_errors("Could not start a new library entry"):
            while True:  # sortable by time, unique by chance, checked against both folders
                entry_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}"
                if (self.entries_dir / entry_id).exists():
                    continue
                try:  # claimed before the folder exists: see _sweep_staging()
                    claim = Claim(self.staging_dir / f"{entry_id}.lock", exclusive_create=True)
                except FileExistsError:
                    continue
                folder = self.staging_dir / entry_id
                try:
                    folder.mkdir()
                except BaseException:
                    claim.release()
                    raise
                break
        draft = Draft(self.entries_dir, self.index, folder, entry_id)
        try:
            yield draft
        finally:
            if draft.entry is None:
                shutil.rmtree(folder, ignore_errors=True)
            claim.release()

    def update(self, entry_id: str, **changes) -> Entry:
        """Change title, tags, notes or favourite: ``entry.json`` first, then the index."""
        allowed = {"title", "tags", "notes", "favourite"}
        if set(changes) - allowed:
            raise InputError(f"Cannot change {', '.join(sorted(set(changes) - allowed))}")
        entry = self.get(entry_id)
        if "tags" in changes:
            changes["tags"] = _clean_tags(changes["tags"])
        changes = without_surrogates(changes)  # a command line's undecodable bytes
        if "title" in changes and not str(changes["title"]).strip():
            raise InputError("A title cannot be empty")

        def change(entry: Entry) -> None:
            for name, value in changes.items():
                setattr(entry, name, value)

        return self._change(entry, change)

    def keep(self, entry_id: str, key: str, value: object) -> Entry:
        """A finding about an entry (its likeness to its photo, a verdict) kept with it, in
        its ``extra`` under ``key``: a JSON value."""
        return self._change(self.get(entry_id), lambda entry: entry.extra.__setitem__(key, value))

    def _change(self, entry: Entry, change: Callable[[Entry], None]) -> Entry:
        """``change`` made to the entry as it is on disk now (another process may have
        added a version), ``entry.json`` written first, then the index."""
        with storage_errors(f"Could not change {entry.title}"), _entry_lock(entry.folder):
            sweep_partials(entry.folder)  # what a killed earlier write left
            current, _ = _entry_in(entry.folder)
            entry = current or entry
            change(entry)
            # Not made anew if another process deleted the entry meanwhile: that fails.
            write_json(entry.folder / ENTRY_FILE, entry.to_json(), make_parents=False)
            self.index.put(entry)
        return entry

    def add_version(
        self,
        entry_id: str,
        write: Callable[[Path], builtins.list[Path]],
        label: str,
        *,
        triangles: int | None = None,
        report: builtins.list[str] | None = None,
        recipe: dict | None = None,
        finish: Callable[[Version], None] | None = None,
    ) -> Version:
        """A new version of an entry: ``write(folder)`` puts its files in a staging folder
        (the first GLB among them is the one shown), which moves into the entry's
        ``versions/`` in one rename; then ``entry.json`` lists it. The original mesh is
        never touched; on any failure nothing of the version is left. ``finish(version)``
        may complete the record from what ``write`` learnt, before it is listed."""
        entry = self.get(entry_id)
        with self.draft() as draft:
            with storage_errors("Could not save the new version"):
                names = [Path(f).name for f in write(draft.folder)]
            if not names:
                raise InputError("Nothing was written for the new version")
            version = Version(
                id=draft.id,
                created=now(),
                label=label,
                mesh_file=next((n for n in names if n.endswith(".glb")), names[0]),
                files=names,
                triangles=triangles,
                report=list(report or []),
                recipe=recipe or {},
                folder=entry.folder / VERSIONS / draft.id,
            )
            if finish is not None:
                finish(version)
            with (
                storage_errors(f"Could not add a version to {entry.title}"),
                _entry_lock(entry.folder),
            ):
                version.folder.parent.mkdir(exist_ok=True)
                os.rename(draft.folder, version.folder)
                try:
                    current, problem = _entry_in(entry.folder)
                    if current is None:
                        raise InputError(f"{entry.title} cannot be read: {problem}")
                    current.versions.append(version.as_json())
                    write_json(entry.folder / ENTRY_FILE, current.to_json(), make_parents=False)
                except BaseException:
                    shutil.rmtree(version.folder, ignore_errors=True)
                    raise
                self.index.put(current)
        return version

    def save_thumbnail(self, entry: Entry, png: bytes) -> None:
        with storage_errors(f"Could not save the thumbnail of {entry.title}"):
            sweep_partials(entry.folder)
            write_bytes(entry.thumbnail_path, png, make_parents=False)

    def delete(self, entry_id: str) -> Entry:
        """Move the entry to the trash (restore() brings it back for 30 days); one holding
        a link too (the folder moves, nothing is followed)."""
        entry = self._find(entry_id)
        dest = self.trash_dir / entry.id
        marker = entry.folder / DELETED
        with storage_errors(f"Could not delete {entry.title}"):
            if dest.exists():
                shutil.rmtree(dest)
            # Marked first: a folder in the trash always says since when (see _purge_trash).
            marker.write_text(now())
            try:
                os.rename(entry.folder, dest)
            except OSError:
                marker.unlink(missing_ok=True)
                raise
            self.index.remove(entry.id)
        entry.folder = dest
        return entry

    def restore(self, entry_id: str) -> Entry:
        folder = self.trash_dir / entry_id
        if not folder.is_dir():
            raise InputError(f"{entry_id!r} is not in the library's trash")
        final = self.entries_dir / entry_id
        with storage_errors(f"Could not restore {entry_id}"):
            with contextlib.suppress(FileNotFoundError):
                (folder / DELETED).unlink()
            os.rename(folder, final)
            entry = self._read_folder(final)
            if entry is None:
                raise InputError(f"{entry_id!r} could not be restored: its {ENTRY_FILE} is damaged")
            self.index.put(entry)
        return entry

    def import_mesh(self, path: str | Path, title: str | None = None) -> Entry:
        """Copy a mesh file into the library (checked first: a broken file is refused)."""
        from aiml3d_desktop.core.meshes import mesh

        path = Path(path)
        loaded = mesh.load(path)
        stats = loaded.stats.as_dict()
        with self.draft() as draft:
            if path.suffix.lower() in (".obj", ".gltf"):
                # These refer to side files (materials, textures, buffers): kept as one GLB.
                name = mesh.export(loaded, draft.folder / f"{safe_stem(path.stem)}.glb").name
            else:
                name = draft.copy_file(path, safe_filename(path.name, path.suffix.lower()[1:]))
            return draft.commit(
                title=title or path.stem,
                mesh_file=name,
                source_kind="import",
                source=str(path.resolve()),
                stats=stats,
            )

    # Housekeeping

    def _sweep_staging(self) -> None:
        """Drafts whose process has gone (killed mid-generation) were never committed: they
        go. A draft whose claim is held belongs to a live process (a batch running beside
        this one) and stays. The claim is taken before the folder is made, so a folder
        without one is a leftover too."""
        for item in list(self.staging_dir.iterdir()):
            if item.suffix == ".lock":
                if not item.with_suffix("").exists():
                    reclaim(item)  # a claim whose folder went: only if its owner is gone
            elif reclaim(item.with_name(item.name + ".lock")):
                shutil.rmtree(item, ignore_errors=True)

    def _purge_trash(self) -> None:
        """Entries deleted more than TRASH_DAYS ago go for good. One without its mark (moved
        there by hand, or by an older version) is marked now, never purged unmarked."""
        limit = time.time() - TRASH_DAYS * 86400
        for item in self.trash_dir.iterdir():
            marker = item / DELETED
            if path_kind(marker) != "file":
                marker.write_text(now())
            elif marker.stat().st_mtime < limit:
                shutil.rmtree(item, ignore_errors=True)

    def _warn(self, message: str) -> None:
        log.warning(message)
        self.warnings.append(message)


@contextlib.contextmanager
def _entry_lock(folder: Path) -> Iterator[None]:
    """One writer of an entry's entry.json at a time, across processes: a version being
    added and a title being changed must both land."""
    claim = Claim(folder / ENTRY_LOCK)
    try:
        yield
    finally:
        claim.release(remove=False)  # removing it would let a third writer lock a new file


def _entry_in(folder: Path) -> tuple[Entry | None, str]:
    """(the entry in a folder, "") or (None, why there is none)."""
    try:
        text = _read_entry_json(folder / ENTRY_FILE)
        data = json.loads(text)
        if deeper_than(data):
            raise RecursionError  # read, it could not be written or indexed
        if "\\ud" in text.lower():  # a surrogate escape: maybe a lone one no file can hold
            cleaned = without_surrogates(data)
            data, changed = cleaned, cleaned != data
        else:
            changed = False
        entry = Entry.from_json(data, folder)
    except FileNotFoundError:
        return None, f"it has no {ENTRY_FILE}"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"its {ENTRY_FILE} cannot be read ({getattr(exc, 'strerror', None) or exc})"
    except RecursionError:
        return None, f"its {ENTRY_FILE} is nested too deeply"
    except ValueError as exc:  # JSONDecodeError and EntryError
        kind = "unusable" if isinstance(exc, EntryError) else "not valid JSON"
        return None, f"its {ENTRY_FILE} is {kind} ({exc})"
    if entry.id != folder.name:
        return None, f"its {ENTRY_FILE} names another entry ({entry.id!r})"
    links = entry.links()
    if links:
        return None, f"{_links_problem(links)}"
    if changed:
        entry.problems.append("some text held characters no file can store (now \ufffd)")
    return entry, ""


def _read_entry_json(path: Path) -> str:
    """The text of an entry.json: never through a link, and never more than MAX_ENTRY_JSON
    (a 100 MB file would cost half a gigabyte at each listing)."""
    return read_regular(path, MAX_ENTRY_JSON)[:MAX_ENTRY_JSON].decode("utf-8")


def _links_problem(links: list[str]) -> str:
    return (
        f"it holds a symbolic link ({', '.join(links[:3])}), which the library never follows; "
        "put the file itself there"
    )


def _from_index(doc: str, root: str) -> Entry:
    """An entry from the index, which holds only entries checked on the way in: no need to
    check them again (that would be most of the time it takes to list 10,000 entries)."""
    entry = Entry(**json.loads(doc))
    entry.folder = root + entry.id
    return entry


def _cost_text(call: Call) -> str:
    cost = [f"{call.credits:,.0f} credits" if call.credits is not None else "",
            f"US${call.usd:,.2f}" if call.usd is not None else ""]  # fmt: skip
    return " ".join([call.model, *filter(None, cost)])


def _clean_tags(tags) -> list[str]:
    if isinstance(tags, str):
        tags = tags.replace(",", " ").split()
    seen: dict[str, None] = {}
    for tag in tags:
        tag = str(tag).strip().lower()
        if tag:
            seen.setdefault(tag, None)
    return list(seen)

"""Atomic file writes (a reader sees the old file or the whole new one, never half of it),
and files owned by a live process, so that leftovers of a killed one can be told apart
from the work in progress of another.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

if sys.platform == "win32":
    fcntl = None
else:
    import fcntl

PARTIAL = re.compile(r"^\..+\.[0-9a-f]{8}\.part$")  # atomic_path's temporary files


class Claim:
    """A file held by this process for as long as the claim lives (an OS lock on POSIX; on
    Windows an open handle, which stops anyone deleting the file). The OS drops it when the
    process dies, however it dies: that is what ``reclaim()`` looks for."""

    def __init__(self, path: Path, exclusive_create: bool = False, wait: bool = True) -> None:
        """Raises FileExistsError (``exclusive_create``) or, without ``wait``,
        BlockingIOError when another process holds the claim."""
        self.path = path
        flags = os.O_RDWR | os.O_CREAT | (os.O_EXCL if exclusive_create else 0)
        while True:
            self._fd = os.open(path, flags, 0o644)
            if fcntl is None:
                return
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except OSError:
                os.close(self._fd)
                raise BlockingIOError(f"{path} is held by another process") from None
            # A sweeper may have removed the file between our open and our lock: then we
            # hold a lock on nothing, and start again on a fresh file.
            with contextlib.suppress(FileNotFoundError):
                if os.fstat(self._fd).st_ino == os.stat(path).st_ino:
                    return
            os.close(self._fd)
            flags &= ~os.O_EXCL

    @classmethod
    def take(cls, path: Path) -> Claim | None:
        """A claim on ``path`` if no live process holds one, else None (without waiting)."""
        if fcntl is not None:
            try:
                return cls(path, wait=False)
            except BlockingIOError:
                return None
        for _ in range(2):  # Windows: a file held open cannot be deleted
            try:
                return cls(path, exclusive_create=True)
            except FileExistsError:
                if not reclaim(path):
                    return None
        return None

    def release(self, remove: bool = True) -> None:
        if self._fd < 0:
            return
        if remove and fcntl is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()  # while still locked: no one can claim it in between
        os.close(self._fd)
        self._fd = -1
        if remove and fcntl is None:
            with contextlib.suppress(OSError):
                self.path.unlink()


def reclaim(path: Path) -> bool:
    """Remove ``path`` if no live process holds a Claim on it; True if it is gone now."""
    if fcntl is None:
        try:
            path.unlink()
        except FileNotFoundError:
            return True
        except OSError:  # held open by its owner
            return False
        return True
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    os.close(fd)
    return True


def sweep_partials(folder: Path, older_than: float = 0.0) -> int:
    """Remove atomic_path's temporary files in ``folder`` whose writer is gone (killed before
    it could clean up); returns how many went."""
    try:
        names = [name for name in os.listdir(folder) if PARTIAL.match(name)]
    except OSError:
        return 0
    limit, swept = time.time() - older_than, 0
    for name in names:
        path = Path(folder) / name
        with contextlib.suppress(OSError):
            if path.stat().st_mtime <= limit and reclaim(path):
                swept += 1
    return swept


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike, make_parents: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; on success it replaces ``dest``, on error it goes.

    The temporary file lives in the same folder so that ``os.replace`` is a rename on one
    file system, and it is hidden (leading dot) so that a crash leaves nothing that looks
    like a result.
    """
    dest = Path(dest)
    if make_parents:
        dest.parent.mkdir(parents=True, exist_ok=True)
    while True:  # not mkstemp: its files are private (0600); ours get the user's umask
        tmp_path = dest.parent / f".{dest.name}.{secrets.token_hex(4)}.part"
        try:
            claim = Claim(tmp_path, exclusive_create=True)  # see sweep_partials()
            break
        except FileExistsError:
            continue
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        claim.release(remove=False)  # Windows renames no file that is held open
        os.replace(tmp_path, dest)
    finally:
        claim.release()
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def copy_atomic(src: str | os.PathLike, dest: str | os.PathLike) -> None:
    """A copy of ``src`` at ``dest``, whole or not at all."""
    with atomic_path(dest) as tmp:
        shutil.copyfile(src, tmp)


def path_kind(path: str | os.PathLike) -> str | None:
    """ "file", "dir", or None for nothing there, or for a name no file can have (too long,
    a NUL in it): what a person typed or a server sent must not raise."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    return "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else None


def read_regular(path: str | os.PathLike, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes of a file the app keeps for itself (an entry.json, a
    usage journal): never through a symbolic link, never from a pipe (which would hang the
    reading), never anything but a regular file. OSError otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(exc.errno, "it is a symbolic link, which is never followed") from exc
        raise
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "it is not a file")
        if info.st_size > limit:
            raise OSError(
                errno.EFBIG,
                f"it is {info.st_size / 2**20:,.0f} MB, more than the {limit / 2**20:g} MB allowed",
            )
        return file.read(limit + 1)  # (a file growing meanwhile: cut, then not whole)


MIN_FREE = 64 << 20  # bytes: what a model's files may need (Meshy's run to tens of MB)


def space_problem(folder: Path, need: int | None = None) -> str | None:
    """Why ``folder``'s disk cannot take ``need`` more bytes (default MIN_FREE), or None
    (also when it cannot be told). Asked before a paid call: a full disk must not cost a
    model it cannot keep."""
    need = MIN_FREE if need is None else need
    try:
        free = shutil.disk_usage(folder).free
    except (OSError, ValueError):
        return None
    if free >= need:
        return None
    return (
        f"its disk has {free / 2**20:,.1f} MB free, and a new model needs up to {need / 2**20:g} MB"
    )


def writable(folder: Path) -> str | None:
    """None if files can be written in ``folder`` (made if need be), else why not; asked
    before anything costly (a paid generation) is done for a file to go there."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except (OSError, ValueError) as exc:
        return getattr(exc, "strerror", None) or str(exc)
    return None


def write_bytes(dest: str | os.PathLike, data: bytes, make_parents: bool = True) -> None:
    with atomic_path(dest, make_parents) as tmp:
        tmp.write_bytes(data)


def write_json(dest: str | os.PathLike, obj: object, make_parents: bool = True) -> None:
    data = json.dumps(obj, indent=2, sort_keys=True).encode("utf-8") + b"\n"
    write_bytes(dest, data, make_parents)


def unique_path(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/stem.suffix``, or ``stem-2.suffix`` and so on if that exists: never overwrite."""
    candidate = folder / f"{stem}{suffix}"
    n = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{n}{suffix}"
        n += 1
    return candidate


def safe_stem(name: str | None, fallback: str = "model") -> str:
    """A server- or user-given name made harmless: no folders, no extension, no dots up
    front, plain characters only."""
    base = re.split(r"[\\/]", name or "")[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", stem).strip(" ._-")[:80]
    return stem or fallback


def safe_filename(name: str | None, fmt: str) -> str:
    """``safe_stem`` with the extension of the format actually asked for."""
    return f"{safe_stem(name)}.{fmt}"


def same_or_inside(path: str | os.PathLike, others: Iterable[str | os.PathLike]) -> Path | None:
    """The first of ``others`` that ``path`` is (the same file, through symbolic or hard links
    too) or lies inside (a folder, its links resolved), else None. Neither need exist: asked
    of an output before it is written, so that it cannot replace its own input or a file the
    library keeps."""
    target = _real(path)
    for other in others:
        real = _real(other)
        if target is not None and real is not None and target.is_relative_to(real):
            return Path(other)  # the same path, or one inside it
        with contextlib.suppress(OSError, ValueError):
            if os.path.samefile(path, other):  # a hard link has a name of its own
                return Path(other)
    return None


def _real(path: str | os.PathLike) -> Path | None:
    """``path`` with every link resolved, in the file system's case; None if it is no name
    a file can have."""
    try:
        return Path(os.path.normcase(os.path.realpath(path)))
    except (OSError, ValueError):
        return None

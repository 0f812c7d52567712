"""Atomic file writes: a reader sees the old file or the whole new one, never half of it."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; on success it replaces ``dest``, on error it goes.

    The temporary file lives in the same folder so that ``os.replace`` is a rename on one
    file system, and it is hidden (leading dot) so that a crash leaves nothing that looks
    like a result.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    while True:  # not mkstemp: its files are private (0600); ours get the user's umask
        tmp_path = dest.parent / f".{dest.name}.{secrets.token_hex(4)}.part"
        try:
            tmp_path.open("xb").close()
            break
        except FileExistsError:
            continue
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def write_bytes(dest: str | os.PathLike, data: bytes) -> None:
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)


def write_json(dest: str | os.PathLike, obj: object) -> None:
    write_bytes(dest, json.dumps(obj, indent=2, sort_keys=True).encode("utf-8") + b"\n")


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

"""Fetch the generated mesh from the CDN: streamed, capped, checked, and atomic."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import requests

from aiml3d_desktop.core.api.answers import FileLink, MeshLink
from aiml3d_desktop.core.common.cancel import CancelToken
from aiml3d_desktop.core.common.errors import Aiml3DError, Cancelled, DownloadError, LibraryError
from aiml3d_desktop.core.common.fileio import atomic_path, unique_path
from aiml3d_desktop.core.meshes import meshcheck
from aiml3d_desktop.core.net.http import Watch, chunks, get, make_session, root_cause
from aiml3d_desktop.core.net.policy import STALL_BYTES, RetryPolicy, Timeouts

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
CHUNK = 256 * 1024
T = TypeVar("T")
log = logging.getLogger(__name__)


def fetch(
    link: MeshLink,
    dest: Path,
    fmt: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Callable[[int, int | None], None] = lambda done, total: None,
    cancel: CancelToken | None = None,
    timeouts: Timeouts = Timeouts(),
    retry: RetryPolicy = RetryPolicy(),
    check: Callable[[Path], T],
    local_ok: bool = False,
) -> tuple[int, T]:
    """Write the mesh to ``dest``, all of it or nothing.

    ``check(tmp_path)`` runs on the complete temporary file before it is renamed into place
    (the job loads the mesh there: a file that does not load is not kept); its result is
    returned with the byte count.
    ``local_ok``: the link may lead into this machine's network (only when the API is local).
    """
    cancel = cancel or CancelToken()
    with atomic_path(dest) as tmp:
        if link.inline is not None:
            if len(link.inline) > max_bytes:
                raise _too_big(len(link.inline), max_bytes)
            tmp.write_bytes(link.inline)
            size = len(link.inline)
            progress(size, size)
        else:
            size = _stream(
                link.url or "", tmp, max_bytes, progress, cancel, timeouts, retry, local_ok
            )
        _check_header(tmp, fmt, size)
        result = check(tmp)
        cancel.check()
    return size, result


def fetch_files(
    files: Iterable[FileLink], beside: Path, **fetching
) -> tuple[list[dict], list[str]]:
    """The further files an answer lists, each fetched as the mesh is (capped, checked,
    atomic, no key) and named after ``beside`` and its role, never after what the server
    says. Returns what was kept ({role, file, size}) and a note for each file that was not:
    a missing extra never costs the model. Cancel stops it, and removes what it kept."""
    kept: list[dict] = []
    notes: list[str] = []
    files = list(files)
    if len(files) > MAX_FILES:
        notes.append(
            f"{len(files) - MAX_FILES} more files were listed; the first {MAX_FILES} were kept"
        )
        files = files[:MAX_FILES]
    budget = MAX_FILES_TOTAL
    try:
        for link in files:
            if budget <= 0:
                notes.append(f"{link.role}: not kept. The files so far fill the space allowed")
                continue
            fmt = _extension(link)
            stem = beside.stem if link.role == fmt else f"{beside.stem}.{_slug(link.role)}"
            dest = unique_path(beside.parent, stem, f".{fmt}")
            try:
                size, _ = fetch(
                    MeshLink(link.url, None, None, None, None, None),
                    dest,
                    fmt,
                    check=lambda tmp: None,
                    **{**fetching, "max_bytes": min(fetching.get("max_bytes", budget), budget)},
                )
            except Cancelled:
                raise
            except Aiml3DError as exc:  # a bad link, a refused address, a short file...
                # fetch() speaks of "the mesh"; this is one of the files beside it
                said = exc.message.replace("The mesh", "The file").replace("mesh", "file")
                notes.append(f"{link.role}: not kept. {said}")
                continue
            budget -= size
            kept.append(
                {"role": link.role, "file": dest.name, "size": size, "server_name": link.file_name}
            )
    except BaseException:
        for done in kept:
            (beside.parent / done["file"]).unlink(missing_ok=True)
        raise
    return kept, notes


_PICTURES = ("png", "jpg", "webp")
MAX_FILES = 32  # further files of one answer (Meshy lists 14)
MAX_FILES_TOTAL = 2 * 2**30  # bytes of further files of one answer


def _extension(link: FileLink) -> str:
    """The kind a further file is kept as: its role says for the model formats; a picture or
    a part mesh goes by the extension of its name (or link)."""
    if link.role in SIGNATURES or link.role in _MESHES:
        return link.role
    named = (link.file_name or urlsplit(link.url).path).rsplit(".", 1)[-1].lower()
    named = "jpg" if named == "jpeg" else named
    if link.role.startswith(("texture", "thumbnail")):
        return named if named in _PICTURES else "png"
    return named if named in ("glb", "obj") else "glb"


def _slug(role: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "-", role.lower()).strip("-") or "file"


def _stream(url, tmp: Path, max_bytes, progress, cancel, timeouts, retry, local_ok) -> int:
    # A session of its own, with no Authorization header: the key never leaves for the CDN.
    session = make_session(retry, cancel, retry_post=False, local_ok=local_ok)
    done, total, started = 0, None, time.monotonic()
    watch = Watch(session, stall=timeouts.stall)
    try:
        with (
            watch,
            get(
                session,
                url,
                "mesh download address",
                timeout=(timeouts.connect, timeouts.download_read),
                local_ok=local_ok,
            ) as r,
        ):
            if r.status_code != 200:
                raise DownloadError(
                    f"The mesh download failed (HTTP {r.status_code})",
                    hint="Download links expire after a while: generate again.",
                    status=r.status_code,
                )
            ctype = r.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if ctype.startswith("text/html"):
                raise DownloadError(
                    "The download address sent a web page instead of a mesh",
                    hint="Generate again; if it persists, the service may be down.",
                )
            total = _content_length(r)
            if total is not None and total > max_bytes:
                raise _too_big(total, max_bytes)
            progress(0, total)
            with open(tmp, "wb") as out:
                for chunk in chunks(r, CHUNK, watch):
                    cancel.check()
                    done += len(chunk)
                    if done > max_bytes:
                        raise _too_big(done, max_bytes)
                    _write(out, chunk, tmp)
                    progress(done, total)
            if watch.expired:  # shut mid-headers, a reply can still look whole and empty
                raise requests.exceptions.ReadTimeout("stalled")
            if total is not None and done != total:
                raise _truncated(done, total)
            log.info("downloaded %s bytes in %.2f s", f"{done:,}", time.monotonic() - started)
    except requests.RequestException as exc:
        cancel.check()
        if watch.expired:
            raise DownloadError(
                f"The mesh download stalled: less than {STALL_BYTES // 1024} KiB arrived in "
                f"{timeouts.stall:.0f} seconds ({done:,} bytes in all)",
                hint="The connection or the file host is too slow right now: generate again later.",
            ) from None
        if done or isinstance(exc, requests.exceptions.ChunkedEncodingError):
            raise _truncated(done, total) from None
        raise DownloadError(
            f"The mesh download failed: {root_cause(exc)}",
            hint="Check your connection and try again.",
        ) from None
    except OSError as exc:  # opening the file to write
        cancel.check()
        raise _cannot_write(tmp, exc) from None
    finally:
        session.close()
    if cancel.cancelled:
        raise Cancelled()
    return done


def _write(out, chunk: bytes, tmp: Path) -> None:
    try:
        out.write(chunk)
    except OSError as exc:  # a full disk, not the network
        raise _cannot_write(tmp, exc) from None


def _cannot_write(tmp: Path, exc: OSError) -> LibraryError:
    """A storage error (it stops a batch: the next paid call could not be kept either)."""
    return LibraryError(
        f"Could not write the mesh to {tmp.parent}: {exc.strerror or exc}",
        hint="Free some disk space or choose another output folder.",
    )


def _content_length(response: requests.Response) -> int | None:
    try:
        value = int(response.headers.get("Content-Length", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _too_big(size: int, limit: int) -> DownloadError:
    return DownloadError(
        f"The mesh is larger than the {limit / 2**20:.0f} MiB limit ({size / 2**20:.1f} MiB "
        "so far)",
        hint="Raise the download limit in Settings, or lower the marching-cubes resolution.",
    )


def _truncated(done: int, total: int | None) -> DownloadError:
    got = f" ({done:,} of {total:,} bytes)" if total else ""
    return DownloadError(
        f"The mesh download broke off before it was complete{got}",
        hint="Check your connection and generate again.",
    )


def _check_header(path: Path, fmt: str, size: int) -> None:
    """Prove the bytes are the format asked for before they are given a mesh's name."""
    with open(path, "rb") as fh:
        head = fh.read(meshcheck.HEAD_BYTES)
    if meshcheck.looks_like(fmt, head, size) and (
        fmt not in SIGNATURES or any(sign(head) for sign in SIGNATURES[fmt])
    ):
        return
    if fmt == "glb":
        raise DownloadError(
            "The server sent something that is not a whole GLB file",
            hint="Generate again; if it persists, try output format OBJ.",
        )
    if fmt == "obj":
        raise DownloadError(
            "The server sent something that is not an OBJ file",
            hint="Generate again; if it persists, try output format GLB.",
        )
    raise DownloadError(
        f"The server sent something that is not a {fmt.upper()} file",
        hint="Generate again; if it persists, the service may be having trouble.",
    )


def _starts(*magic: bytes) -> Callable[[bytes], bool]:
    return lambda head: head.startswith(magic)


# The first bytes of each further file a model may list (core/api/answers.py): a file that does
# not start as its kind does (a sign-in page, an error) is not kept under that kind's name.
SIGNATURES: dict[str, tuple[Callable[[bytes], bool], ...]] = {
    "png": (_starts(b"\x89PNG\r\n\x1a\n"),),
    "jpg": (_starts(b"\xff\xd8\xff"),),
    "webp": (lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",),
    "usdz": (_starts(b"PK\x03\x04"),),  # a zip
    "fbx": (_starts(b"Kaydara FBX Binary"), _starts(b"; FBX")),
    "blend": (_starts(b"BLENDER"),),
}
# Mesh formats kept under their role's name; meshcheck.looks_like() checks their structure.
_MESHES = ("obj", "glb", "stl")

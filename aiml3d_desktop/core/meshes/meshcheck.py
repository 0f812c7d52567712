"""What a mesh file must pass before, and after, it is read: mesh files come from anywhere,
and a small one can claim gigabytes (a zip bomb in a 3MF, a texture of 13,000 pixels
square, a header that promises a billion triangles). Each check says in a person's words
what is wrong; mesh.load() runs them."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import struct
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import numpy as np

from aiml3d_desktop.core.common.errors import MeshLoadError
from aiml3d_desktop.core.meshes import glb

MAX_FILE_BYTES = 2 * 2**30  # a mesh file larger than this is not opened
MAX_UNPACKED_BYTES = 2**30  # what a 3MF (a zip) may unpack to
MAX_TRIANGLES = 50_000_000  # TripoSR at its finest makes about 6 million
MAX_COORDINATE = 1e12  # beyond this, float32 drawing and measuring break down
DAMAGED_HINT = "Export or download it again."
# An OBJ face line naming fewer than three vertices: trimesh drops it silently, we refuse.
_SHORT_OBJ_FACE = re.compile(rb"^f[ \t]+\S+(?:[ \t]+\S+)?[ \t]*\r?$", re.M)


def damaged(name: str, what: str) -> MeshLoadError:
    return MeshLoadError(f"{name} is damaged: {what}", hint=DAMAGED_HINT)


def before_reading(path: Path, file_type: str, name: str, size: int) -> None:
    """Refuse what cannot be read safely, before any reader sees it."""
    if size > MAX_FILE_BYTES:
        raise MeshLoadError(
            f"{name} is {size / 2**30:.1f} GB; the largest mesh file opened "
            f"here is {MAX_FILE_BYTES // 2**30} GB"
        )
    check = {"obj": _obj, "stl": _stl, "3mf": _3mf, "gltf": _gltf}.get(file_type)
    if check is not None:
        check(path, name, size)


def _obj(path: Path, name: str, size: int) -> None:
    if _SHORT_OBJ_FACE.search(path.read_bytes()):
        raise MeshLoadError(
            f"{name} is damaged: it has a face with fewer than three vertices",
            hint="Re-export it from the program that made it.",
        )


def _stl(path: Path, name: str, size: int) -> None:
    """A binary STL's triangle count must fit its size; an ASCII one starts with "solid";
    text that does not (a web page) is said to be text."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    if len(head) >= 84 and 84 + 50 * struct.unpack_from("<I", head, 80)[0] == size:
        return  # binary, and whole (some binary files start with "solid" too)
    if head.removeprefix(_BOM).lstrip()[:5].lower() == b"solid":
        return  # ASCII: read as text
    if b"\0" not in head:  # a binary STL's numbers hold zero bytes; text, a web page, none
        raise damaged(name, 'it is text, but not an STL file (those start with "solid")')
    if len(head) < 84:
        raise damaged(name, "it is too short to be an STL file")
    count = struct.unpack_from("<I", head, 80)[0]
    raise damaged(
        name,
        f"its header says {count:,} triangles, but the file has room for "
        f"{max(0, size - 84) // 50:,}",
    )


def _3mf(path: Path, name: str, size: int) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise damaged(name, "it is not a 3MF package (a zip file)") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise MeshLoadError(
            f"{name} unpacks to {unpacked / 2**30:.1f} GB; at most "
            f"{MAX_UNPACKED_BYTES // 2**30} GB is unpacked here",
            hint="It may be made to exhaust memory: it is not opened.",
        )


def _gltf(path: Path, name: str, size: int) -> None:
    """A .gltf names its buffers and pictures by file: each must be beside it (or below),
    and there."""
    try:
        doc = json.loads(path.read_bytes())
    except RecursionError:
        raise damaged(name, "its JSON is nested too deeply") from None
    except ValueError as exc:
        raise damaged(name, f"its JSON is invalid ({exc})") from None
    if not isinstance(doc, dict):
        raise damaged(name, "its JSON is not an object")
    folder = path.parent.resolve()
    total = size
    for key in ("buffers", "images"):
        items = doc.get(key, [])
        for item in items if isinstance(items, list) else []:
            uri = item.get("uri") if isinstance(item, dict) else None
            if not isinstance(uri, str) or uri.startswith("data:"):
                continue
            if "\0" in unquote(uri):
                raise damaged(name, "a file name in it holds a NUL character")
            target = (folder / unquote(uri)).resolve()
            if not target.is_relative_to(folder):
                raise MeshLoadError(
                    f"{name} refers to {uri[:80]!r}, outside its folder",
                    hint="Files outside a model's folder are not read: keep them beside it.",
                )
            if not target.is_file():
                raise MeshLoadError(
                    f"{name} refers to {uri[:80]!r}, which is not beside it",
                    hint="Copy the model with all its files.",
                )
            total += target.stat().st_size
    try:
        glb.check_accessors(doc, [], total)
    except (glb.GlbError, KeyError, TypeError, AttributeError) as exc:
        raise damaged(name, str(exc)) from None


@contextlib.contextmanager
def pictures_refused_past_bomb_size() -> Iterator[None]:
    """A texture past Pillow's decompression-bomb size (about 9,400 pixels square) is an
    error, not a warning and gigabytes of memory."""
    from PIL import Image

    _without_postscript()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


@functools.cache
def _without_postscript() -> None:
    """Pillow opens EPS by running Ghostscript on it: a picture inside a model (an OBJ's
    texture, which trimesh opens) must never run a program."""
    from PIL import Image

    Image.init()
    Image.OPEN.pop("EPS", None)
    if "EPS" in Image.ID:
        Image.ID.remove("EPS")


def after_reading(positions: np.ndarray, indices: np.ndarray, name: str) -> None:
    """What was read must be drawable and measurable."""
    finite = np.isfinite(positions).all(axis=1)
    if not finite.all():
        bad = int((~finite).sum())
        what = "1 vertex" if bad == 1 else f"{bad:,} vertices"
        raise damaged(name, f"{what} with invalid (NaN or infinite) coordinates")
    if len(positions) and float(np.abs(positions).max()) > MAX_COORDINATE:
        raise damaged(name, f"it has coordinates as large as {float(np.abs(positions).max()):.3g}")
    if len(indices) > MAX_TRIANGLES:
        raise MeshLoadError(
            f"{name} has {len(indices):,} triangles; at most {MAX_TRIANGLES:,} are opened here"
        )


def reason(exc: BaseException) -> str:
    """A reader's failure, in words: trimesh's own where it has some; its bare assertions
    mean inconsistent counts or offsets inside the file."""
    text = " ".join(str(exc).split())[:160]
    if isinstance(exc, AssertionError | IndexError) and not text.strip(" .!"):
        return "its counts or offsets do not fit its data"
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    if "unexpected length" in text:
        return "its size does not match the counts in its header"
    if "DecompressionBomb" in type(exc).__name__ or "decompression bomb" in text:
        return "its texture is too large to decode safely"
    if "truncated" in text:
        return "a picture inside it is cut short"
    if isinstance(exc, TypeError | KeyError | IndexError | AttributeError):
        return f"its contents are malformed ({type(exc).__name__}: {text})"
    return text or type(exc).__name__


# What the sniffers read of a file: its first bytes (all of a small file).
HEAD_BYTES = 4096
_OBJ_LINE = re.compile(rb"^[ \t]*(v|vt|vn|f|o|g|s|mtllib|usemtl)[ \t]", re.M)
_BOM = b"\xef\xbb\xbf"


def looks_like(fmt: str, head: bytes, size: int) -> bool:
    """Whether a file of ``size`` bytes that starts with ``head`` (its first HEAD_BYTES) has
    the structure of a ``fmt`` file, not only a first byte that could be one (a sign-in page
    was once kept as chair.stl). True for formats not sniffed here; never raises."""
    sniff = _SNIFFERS.get(fmt)
    return sniff is None or sniff(head, size)


def _sniff_glb(head: bytes, size: int) -> bool:
    """The magic, version 2, and the file's own length (what is inside, the reader checks
    and words better: gltf.py)."""
    if len(head) < 12 or head[:4] != b"glTF":
        return False
    version, length = struct.unpack_from("<II", head, 4)
    return version == 2 and length == size


def _sniff_stl(head: bytes, size: int) -> bool:
    """Binary: 84 bytes, then 50 for each triangle the header counts, exactly (trimesh reads
    no other size, and padding is not a thing writers do). ASCII: ``solid`` first, then
    facets of vertices; a file read whole must end with ``endsolid``."""
    if len(head) >= 84 and size == 84 + 50 * struct.unpack_from("<I", head, 80)[0] > 84:
        return True  # binary (some start with "solid" too)
    text = head.removeprefix(_BOM).lstrip().lower()
    if not text.startswith(b"solid") or b"\0" in head:
        return False
    if len(head) < size:  # a part: facets and vertices must be in it
        return b"facet" in text and b"vertex" in text
    ends = text.rfind(b"endsolid") > max(text.rfind(b"endfacet"), 0)  # after the last facet
    return ends and (b"facet" not in text or b"vertex" in text)


def _sniff_obj(head: bytes, size: int) -> bool:
    """Text with lines an OBJ has (v, f, o, usemtl...), not a web page or a JSON error."""
    text = head.removeprefix(_BOM).lstrip()
    return b"\0" not in head and text[:1] not in (b"<", b"{") and bool(_OBJ_LINE.search(head))


def _sniff_ply(head: bytes, size: int) -> bool:
    """``ply`` on a line of its own, then a format line (the header says how the rest reads)."""
    return head.startswith((b"ply\n", b"ply\r\n")) and bool(
        re.search(rb"^format (ascii|binary_little_endian|binary_big_endian) ", head, re.M)
    )


_SNIFFERS = {"glb": _sniff_glb, "stl": _sniff_stl, "obj": _sniff_obj, "ply": _sniff_ply}


def ply_counts(path: Path) -> tuple[int, int]:
    """How many vertices and faces a PLY file's header promises (0 where it cannot tell)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    vertices, faces = (
        re.search(rb"^element %s (\d+)" % kind, head, re.M) for kind in (b"vertex", b"face")
    )
    return (int(vertices.group(1)) if vertices else 0, int(faces.group(1)) if faces else 0)


def plural(count: int, word: str) -> str:
    plurals = {"vertex": "vertices"}
    return f"{count:,} {word if count == 1 else plurals.get(word, word + 's')}"

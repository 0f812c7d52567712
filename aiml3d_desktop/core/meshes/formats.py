"""Every mesh file format the app reads or writes, one record each: its extensions, its name,
its reader (``readers.py``) and writer (``writers.py``), its unit and up axis, and its text in
a file dialog. Everything that lists formats takes them from here: the open and save dialogs,
the Prepare asset panel, the library's format filter, recipes, the command line's choices and
help, the model parameters. A format is added by adding its record to ``FORMATS``.

``write`` is where a scene is written, in the format its file name asks for; ``mesh.load``
reads a file with its format's reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.meshes import readers, writers
from aiml3d_desktop.core.meshes.scene import Scene

METRES = 1.0
MILLIMETRES = 0.001


@dataclass(frozen=True)
class MeshFormat:
    """One file format. ``key`` (the first extension without its dot: "glb") is what recipes,
    the library's index and the command line call it."""

    extensions: tuple[str, ...]  # with their dots, lower case; the first is the one written
    name: str  # as people say it: "glTF binary", "Wavefront OBJ"
    label: str  # in a file dialog, before its patterns: "GLB (binary glTF)"; its first word short
    read: Callable[[Path, MeshFormat, str], Scene] | None = None  # (path, this, name shown)
    write: Callable[[Scene, Path], list[Path]] | None = None  # every file written, main last
    unit: float = METRES  # of the file written (and read, unless the file says), in metres
    up: Literal["y", "z"] = "y"  # the file's up axis (the scene is +Y up)

    @property
    def key(self) -> str:
        return self.extensions[0].lstrip(".")

    @property
    def short(self) -> str:
        """ "GLB", "glTF", "3MF": the label's first word."""
        return self.label.split(" (")[0]

    @property
    def patterns(self) -> str:
        return " ".join(f"*{ext}" for ext in self.extensions)

    @property
    def filter(self) -> str:
        """Its line in a file dialog's list of filters: "STL (millimetres) (*.stl)"."""
        return f"{self.label} ({self.patterns})"


GLB = MeshFormat(
    (".glb",), "glTF binary", "GLB (binary glTF)", readers.read_gltf, writers.write_glb
)
GLTF = MeshFormat(
    (".gltf",), "glTF", "glTF (+ .bin and textures)", readers.read_gltf, writers.write_gltf
)
OBJ = MeshFormat(
    (".obj",),
    "Wavefront OBJ",
    "OBJ (+ .mtl and textures)",
    readers.read_with_trimesh,
    writers.write_obj,
)
STL = MeshFormat(
    (".stl",),
    "STL",
    "STL (millimetres)",
    readers.read_with_trimesh,
    writers.write_stl,
    unit=MILLIMETRES,
    up="z",
)
PLY = MeshFormat((".ply",), "Stanford PLY", "PLY", readers.read_with_trimesh, writers.write_ply)
OFF = MeshFormat((".off",), "Object File Format", "OFF", readers.read_with_trimesh)
THREE_MF = MeshFormat(
    (".3mf",),
    "3D Manufacturing Format",
    "3MF (millimetres)",
    readers.read_with_trimesh,
    writers.write_3mf,
    unit=MILLIMETRES,
    up="z",
)
USDZ = MeshFormat((".usdz",), "USDZ", "USDZ (AR Quick Look)", write=writers.write_usdz)

# In the order they are offered.
FORMATS: tuple[MeshFormat, ...] = (GLB, GLTF, OBJ, STL, PLY, OFF, THREE_MF, USDZ)


def readable() -> tuple[MeshFormat, ...]:
    return tuple(f for f in FORMATS if f.read is not None)


def writable() -> tuple[MeshFormat, ...]:
    return tuple(f for f in FORMATS if f.write is not None)


def by_extension(path_or_ext: str | Path) -> MeshFormat | None:
    """The format of a file name ("model.GLB"), or of an extension (".glb" or "glb"); None if
    there is none."""
    text = str(path_or_ext)
    ext = (Path(text).suffix or "." + text.lstrip(".")).lower()
    return next((f for f in FORMATS if ext in f.extensions), None)


def by_key(key: str) -> MeshFormat | None:
    return next((f for f in FORMATS if f.key == key), None)


def names(formats: Iterable[MeshFormat], last: str = "or", millimetres: bool = False) -> str:
    """ "GLB, glTF, OBJ or STL"; with ``millimetres``, "STL (mm)"."""
    words = [f.short + (" (mm)" if millimetres and f.unit == MILLIMETRES else "") for f in formats]
    return f"{', '.join(words[:-1])} {last} {words[-1]}" if len(words) > 1 else "".join(words)


def dialog_filter(kind: Literal["open", "save"]) -> str:
    """A file dialog's filter: one for every format read ("open"), or one line per format
    written ("save"; see ``extension_for_filter``)."""
    if kind == "open":
        return f"3D models ({' '.join(f.patterns for f in readable())})"
    return ";;".join(f.filter for f in writable())


def extension_for_filter(selected_filter: str, name: str) -> str:
    """``name`` as a save dialog's answer should be written: as it is if its extension is a
    format's, else with the extension of the filter chosen (``selected_filter``, a line of
    ``dialog_filter("save")``, or any "Text (*.ext ...)"), else of the first format written.

    "Duck v1.2" with "STL (millimetres) (*.stl)" chosen is "Duck v1.2.stl"."""
    suffix = Path(name).suffix
    if suffix and by_extension(suffix) is not None:
        return name
    found = re.search(r"\*(\.[^\s()*]+)", selected_filter)
    ext = found.group(1).lower() if found else writable()[0].extensions[0]
    return name + ext


def for_writing(dest: str | Path) -> MeshFormat:
    """The format a file name asks for, or InputError naming the ones there are."""
    fmt = by_extension(Path(dest).suffix) if Path(dest).suffix else None
    if fmt is None or fmt.write is None:
        raise InputError(
            f"Cannot write {Path(dest).suffix or 'a file without extension'}",
            hint=f"Use one of: {', '.join(f.extensions[0] for f in writable())}.",
        )
    return fmt


def write(scene: Scene, dest: str | Path) -> list[Path]:
    """Write ``scene`` in the format of ``dest``'s extension, atomically; every file written,
    the main one last."""
    dest = Path(dest)
    writer = for_writing(dest).write
    assert writer is not None  # for_writing gives formats that are written
    try:
        return writer(scene, dest)
    except OSError as exc:
        raise InputError(f"Could not write {dest}: {exc.strerror or exc}") from None

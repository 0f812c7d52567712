"""Mesh files in, plain numpy arrays out (ready for a GPU), plus statistics and export."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from aiml3d_desktop.core.errors import InputError, MeshLoadError
from aiml3d_desktop.core.fileio import atomic_path, write_bytes

READ_FORMATS = {
    ".glb": "glb",
    ".gltf": "gltf",
    ".obj": "obj",
    ".ply": "ply",
    ".stl": "stl",
    ".off": "off",
    ".3mf": "3mf",
}
EXPORT_FORMATS = ("glb", "obj", "stl", "ply")
# An OBJ face line naming fewer than three vertices: trimesh drops it silently, we refuse.
_SHORT_OBJ_FACE = re.compile(rb"^f[ \t]+\S+(?:[ \t]+\S+)?[ \t]*\r?$", re.M)


@dataclass
class MeshArrays:
    """What a renderer needs, as contiguous arrays."""

    positions: np.ndarray  # (N, 3) float32
    indices: np.ndarray  # (M, 3) uint32
    normals: np.ndarray  # (N, 3) float32, unit length
    colors: np.ndarray | None = None  # (N, 4) float32 in 0..1
    uvs: np.ndarray | None = None  # (N, 2) float32, OpenGL convention (v up)
    texture: np.ndarray | None = None  # (H, W, 4) uint8, first row is v = 0 as OpenGL samples

    @property
    def bounds(self) -> np.ndarray:
        """(2, 3): the lowest and highest corner."""
        return np.stack([self.positions.min(axis=0), self.positions.max(axis=0)])

    @functools.cached_property
    def interleaved(self) -> np.ndarray:
        """One (N, 8 or 10) float32 block per vertex: position, normal, then UV or RGBA.

        A renderer uploads it as a single buffer; building it takes tens of milliseconds on a
        large mesh, so a worker thread touches this before the GUI thread needs it.
        """
        extra = self.uvs if self.uvs is not None else self.colors
        parts = [self.positions, self.normals] + ([extra] if extra is not None else [])
        return np.ascontiguousarray(np.hstack(parts), dtype=np.float32)


@dataclass(frozen=True)
class MeshStats:
    vertices: int
    triangles: int
    size: tuple[float, float, float]
    watertight: bool
    parts: int
    file_size: int | None = None

    def as_dict(self) -> dict:
        return {
            "vertices": self.vertices,
            "triangles": self.triangles,
            "size": list(self.size),
            "watertight": self.watertight,
            "parts": self.parts,
            "file_size": self.file_size,
        }


@dataclass
class LoadedMesh:
    path: Path
    mesh: trimesh.Trimesh  # one mesh, every part of the file with its transform applied
    arrays: MeshArrays
    stats: MeshStats


def file_type_of(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in READ_FORMATS:
        raise MeshLoadError(
            f"{Path(path).name} is not a mesh file we can open",
            hint="Open a GLB, glTF, OBJ, PLY, STL, OFF or 3MF file.",
        )
    return READ_FORMATS[suffix]


def load(path: str | Path, file_type: str | None = None) -> LoadedMesh:
    """Read any format in ``READ_FORMATS``; a broken or empty file raises ``MeshLoadError``."""
    path = Path(path)
    file_type = file_type or file_type_of(path)
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MeshLoadError(f"Cannot open {name}: {exc.strerror or exc}") from None
    if size == 0:
        raise MeshLoadError(f"{name} is empty (0 bytes)")
    if file_type == "obj" and _SHORT_OBJ_FACE.search(path.read_bytes()):
        raise MeshLoadError(
            f"{name} is damaged: it has a face with fewer than three vertices",
            hint="Re-export it from the program that made it.",
        )
    try:
        tm = _flatten(trimesh.load(str(path), file_type=file_type), name)
    except MeshLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - trimesh raises anything at a broken file
        raise MeshLoadError(
            f"{name} could not be read as {file_type.upper()}: {_reason(exc)}",
            hint="The file may be damaged or incomplete.",
        ) from None
    if not np.isfinite(tm.vertices).all():
        raise MeshLoadError(f"{name} has vertices with invalid (NaN or infinite) coordinates")
    return LoadedMesh(path, tm, to_arrays(tm), mesh_stats(tm, size))


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())[:160]
    return text or type(exc).__name__


def _flatten(loaded: object, name: str) -> trimesh.Trimesh:
    """One mesh from whatever trimesh returned, with every part's transform applied."""
    if isinstance(loaded, trimesh.Scene):
        parts = [g for g in loaded.dump() if isinstance(g, trimesh.Trimesh) and len(g.faces)]
        if len(parts) > 1:
            return trimesh.util.concatenate(parts)
        loaded = parts[0] if parts else None
    if isinstance(loaded, trimesh.Trimesh) and len(loaded.faces):
        return loaded
    raise MeshLoadError(f"{name} contains no triangles", hint="Open a file with a surface mesh.")


def vertex_normals(positions: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals, vectorised (bincount is many times faster than a loop)."""
    tri = positions[indices]
    face_n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])  # length = 2 * area
    flat = indices.ravel()
    n = len(positions)
    normals = np.empty((n, 3), dtype=np.float64)
    for axis in range(3):
        normals[:, axis] = np.bincount(flat, weights=np.repeat(face_n[:, axis], 3), minlength=n)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    # A vertex used by no face (or only degenerate ones) gets a harmless up normal.
    np.divide(normals, length, out=normals, where=length > 0)
    normals[length[:, 0] == 0] = (0.0, 0.0, 1.0)
    return normals.astype(np.float32)


def to_arrays(tm: trimesh.Trimesh) -> MeshArrays:
    positions = np.ascontiguousarray(tm.vertices, dtype=np.float32)
    indices = np.ascontiguousarray(tm.faces, dtype=np.uint32)
    visual = tm.visual
    colors = uvs = texture = None
    kind = visual.kind
    if kind == "face":
        # Flat colours per face: give each corner its own vertex so colours do not bleed.
        positions = np.ascontiguousarray(positions[indices].reshape(-1, 3))
        colors = np.repeat(np.asarray(visual.face_colors, dtype=np.float32) / 255.0, 3, axis=0)
        indices = np.arange(len(positions), dtype=np.uint32).reshape(-1, 3)
    elif kind == "vertex":
        colors = np.asarray(visual.vertex_colors, dtype=np.float32) / 255.0
    elif kind == "texture":
        image = _texture_image(visual.material)
        uv = getattr(visual, "uv", None)
        if image is not None and uv is not None and len(uv) == len(positions):
            uvs = np.ascontiguousarray(uv, dtype=np.float32)
            texture = np.ascontiguousarray(np.asarray(image.convert("RGBA"))[::-1])
        else:
            color = np.asarray(visual.material.main_color, dtype=np.float32) / 255.0
            colors = np.broadcast_to(color, (len(positions), 4))
    if colors is not None:
        colors = np.ascontiguousarray(colors, dtype=np.float32)
    return MeshArrays(positions, indices, vertex_normals(positions, indices), colors, uvs, texture)


def _texture_image(material):
    for attr in ("baseColorTexture", "image"):
        image = getattr(material, attr, None)
        if image is not None:
            return image
    return None


def mesh_stats(tm: trimesh.Trimesh, file_size: int | None = None) -> MeshStats:
    # Texture seams split vertices that share a position; judge the shape on positions alone,
    # or a textured box would count as six loose parts with holes.
    shape = trimesh.Trimesh(tm.vertices, tm.faces, process=True, validate=False)
    return MeshStats(
        vertices=len(tm.vertices),
        triangles=len(tm.faces),
        size=tuple(round(float(x), 6) for x in tm.extents),
        watertight=bool(shape.is_watertight),
        parts=int(shape.body_count),
        file_size=file_size,
    )


def export(tm: trimesh.Trimesh, dest: str | Path) -> Path:
    """Write ``tm`` in the format of ``dest``'s extension (GLB, OBJ, STL or PLY), atomically.

    OBJ keeps its texture: the .mtl and image are written beside it.
    """
    dest = Path(dest)
    fmt = dest.suffix.lower().lstrip(".")
    if fmt not in EXPORT_FORMATS:
        raise InputError(
            f"Cannot export to {dest.suffix or 'a file without extension'}",
            hint=f"Use one of: {', '.join('.' + f for f in EXPORT_FORMATS)}.",
        )
    try:
        if fmt == "obj":
            text, extra = trimesh.exchange.obj.export_obj(
                tm, include_texture=True, return_texture=True, mtl_name=f"{dest.stem}.mtl"
            )
            for name, data in extra.items():
                write_bytes(dest.parent / Path(name).name, data)
            data = text.encode("utf-8")
        else:
            data = tm.export(file_type=fmt)
        with atomic_path(dest) as tmp:
            tmp.write_bytes(data if isinstance(data, bytes) else str(data).encode("utf-8"))
    except OSError as exc:
        raise InputError(f"Could not write {dest}: {exc.strerror or exc}") from None
    return dest

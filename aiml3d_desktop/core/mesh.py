"""Mesh files in, plain numpy arrays out (ready for a GPU), plus statistics and export.

trimesh is imported where it is used, not at the top: it takes over half a second to import,
and the app's window should not wait for it (loading runs on a worker thread).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from aiml3d_desktop.core import glb, meshcheck
from aiml3d_desktop.core.errors import InputError, MeshLoadError
from aiml3d_desktop.core.fileio import atomic_path, write_bytes

if TYPE_CHECKING:
    import trimesh

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


# Up to this size, prepare() computes smooth normals at once (under 50 ms); a bigger mesh is
# drawn flat-shaded first and its normals follow from smooth_normals() on a worker.
SMOOTH_AT_ONCE = 300_000  # triangles


@dataclass
class MeshArrays:
    """What a renderer needs, as contiguous arrays."""

    positions: np.ndarray  # (N, 3) float32
    indices: np.ndarray  # (M, 3) uint32
    colors: np.ndarray | None = None  # (N, 4) float32 in 0..1
    uvs: np.ndarray | None = None  # (N, 2) float32, OpenGL convention (v up)
    texture: np.ndarray | None = None  # (H, W, 4) uint8, first row is v = 0 as OpenGL samples
    normals: np.ndarray | None = None  # (N, 3) float32, unit length; see smooth_normals()

    @functools.cached_property
    def bounds(self) -> np.ndarray:
        """(2, 3): the lowest and highest corner (tens of ms on a big mesh: cached)."""
        return np.stack([self.positions.min(axis=0), self.positions.max(axis=0)])

    def prepare(self) -> MeshArrays:
        """Compute, ahead of drawing (on a worker thread), what a renderer will ask for."""
        self.interleaved  # noqa: B018
        self.bounds  # noqa: B018
        if len(self.indices) <= SMOOTH_AT_ONCE:
            self.smooth_normals()
        return self

    def smooth_normals(self) -> np.ndarray:
        """Area-weighted vertex normals, computed once (a third of a second at 1.4M
        triangles, hence not before the first frame of a big mesh)."""
        if self.normals is None:
            self.normals = vertex_normals(self.positions, self.indices)
        return self.normals

    @functools.cached_property
    def interleaved(self) -> np.ndarray:
        """One (N, 3, 5 or 7) float32 block per vertex: position, then UV or RGBA, if any.

        A renderer uploads it as a single buffer (normals go in a second one, as they may
        come later); building it takes tens of milliseconds on a large mesh, hence prepare().
        """
        extra = self.uvs if self.uvs is not None else self.colors
        parts = [self.positions] + ([extra] if extra is not None else [])
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
    arrays: MeshArrays
    file_size: int
    _mesh: trimesh.Trimesh | None = field(default=None, repr=False)

    @property
    def mesh(self) -> trimesh.Trimesh:
        """One trimesh mesh, every part of the file with its transform applied: for statistics
        and export. Made from the arrays when the fast GLB path skipped trimesh."""
        if self._mesh is None:
            import trimesh

            arrays = self.arrays
            colours = None
            if arrays.colors is not None:
                colours = np.round(arrays.colors * 255).astype(np.uint8)
            self._mesh = trimesh.Trimesh(
                arrays.positions, arrays.indices, vertex_colors=colours, process=False
            )
        return self._mesh

    @property
    def has_stats(self) -> bool:
        return "stats" in self.__dict__

    @functools.cached_property
    def stats(self) -> MeshStats:
        """Computed on first use (half a second at 1.4M triangles): a viewer can draw first."""
        vertices = len(self._mesh.vertices) if self._mesh is not None else None
        return mesh_stats(self.arrays.positions, self.arrays.indices, vertices, self.file_size)


def file_type_of(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in READ_FORMATS:
        raise MeshLoadError(
            f"{Path(path).name} is not a mesh file we can open",
            hint="Open a GLB, glTF, OBJ, PLY, STL, OFF or 3MF file.",
        )
    return READ_FORMATS[suffix]


def load(path: str | Path, file_type: str | None = None, name: str | None = None) -> LoadedMesh:
    """Read any format in ``READ_FORMATS``; a broken, empty, hostile or absurd file raises
    ``MeshLoadError`` that calls the file ``name`` (a download's temporary file has a name
    nobody knows)."""
    path = Path(path)
    file_type = file_type or file_type_of(path)
    name = name or path.name
    try:
        if path.is_dir():
            raise MeshLoadError(f"{name} is a folder, not a mesh file")
        size = path.stat().st_size
    except OSError as exc:
        raise MeshLoadError(f"Cannot open {name}: {exc.strerror or exc}") from None
    if size == 0:
        raise MeshLoadError(f"{name} is empty (0 bytes)")
    try:
        meshcheck.before_reading(path, file_type, name, size)
        simple = glb.read_simple(path) if file_type == "glb" else None
        if simple is not None:
            loaded = LoadedMesh(path, MeshArrays(*simple), size)
        else:
            tm, arrays = _load_with_trimesh(path, file_type, name)
            loaded = LoadedMesh(path, arrays, size, tm)
    except glb.GlbError as exc:
        raise meshcheck.damaged(name, str(exc)) from None
    except OSError as exc:
        raise MeshLoadError(f"Cannot read {name}: {exc.strerror or exc}") from None
    except MemoryError:
        raise MeshLoadError(
            f"There is not enough memory to open {name} ({size / 2**20:,.0f} MB)",
            hint="Close other programs, or open a smaller file.",
        ) from None
    arrays = loaded.arrays
    meshcheck.after_reading(arrays.positions, arrays.indices, name)
    if not len(arrays.indices):
        raise MeshLoadError(
            f"{name} contains no triangles", hint="Open a file with a surface mesh."
        )
    return loaded


def _load_with_trimesh(path: Path, file_type: str, name: str) -> tuple[trimesh.Trimesh, MeshArrays]:
    """trimesh's reading, with its failures turned into messages that say what is wrong.

    Read unprocessed first: processing silently drops faces with NaN corners, and a file
    holding those is damaged, not smaller."""
    import trimesh

    try:
        with meshcheck.pictures_refused_past_bomb_size():
            loaded = trimesh.load(str(path), file_type=file_type, process=False)
            geometries = loaded.geometry.values() if isinstance(loaded, trimesh.Scene) else [loaded]
            for geometry in geometries:
                if isinstance(geometry, trimesh.Trimesh):
                    meshcheck.after_reading(geometry.vertices, geometry.faces, name)
                    geometry.process()
            tm = _flatten(loaded, name)
            return tm, to_arrays(tm)  # textures are decoded here
    except MeshLoadError as exc:
        if "no triangles" in exc.message and file_type == "ply":
            vertices, faces = meshcheck.ply_counts(path)
            if faces:
                raise meshcheck.damaged(
                    name,
                    f"its header promises "
                    f"{meshcheck.plural(vertices, 'vertex')} and "
                    f"{meshcheck.plural(faces, 'face')}, which could not "
                    "be read",
                ) from None
        raise
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - trimesh raises anything at a broken file
        raise MeshLoadError(
            f"{name} could not be read as {file_type.upper()}: {meshcheck.reason(exc)}",
            hint="The file may be damaged or incomplete: " + meshcheck.DAMAGED_HINT.lower(),
        ) from None


def _flatten(loaded: object, name: str) -> trimesh.Trimesh:
    """One mesh from whatever trimesh returned, with every part's transform applied."""
    import trimesh

    if isinstance(loaded, trimesh.Scene):
        nodes = loaded.graph.nodes_geometry
        if len(nodes) == 1:  # the common case, TripoSR's included: skip dump()'s full copy
            transform, geometry_name = loaded.graph[nodes[0]]
            single = loaded.geometry[geometry_name]
            if isinstance(single, trimesh.Trimesh) and not np.allclose(transform, np.eye(4)):
                single = single.copy()
                single.apply_transform(transform)
            parts = [single] if isinstance(single, trimesh.Trimesh) and len(single.faces) else []
        else:
            parts = [g for g in loaded.dump() if isinstance(g, trimesh.Trimesh) and len(g.faces)]
        if len(parts) > 1:
            joined = trimesh.util.concatenate(parts)
            if isinstance(joined, trimesh.Trimesh):
                return joined
        loaded = parts[0] if parts else None
    if isinstance(loaded, trimesh.Trimesh) and len(loaded.faces):
        return loaded
    raise MeshLoadError(f"{name} contains no triangles", hint="Open a file with a surface mesh.")


def vertex_normals(positions: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals, vectorised: about 0.1 s for 1.4M triangles, where
    pyqtgraph's MeshData loop takes seconds."""
    v0, v1, v2 = (positions[indices[:, i]] for i in range(3))
    e1, e2 = v1 - v0, v2 - v0
    # The cross product written out: np.cross is several times slower on (N, 3) float32.
    face_n = np.empty_like(e1)  # length = twice the triangle's area
    face_n[:, 0] = e1[:, 1] * e2[:, 2] - e1[:, 2] * e2[:, 1]
    face_n[:, 1] = e1[:, 2] * e2[:, 0] - e1[:, 0] * e2[:, 2]
    face_n[:, 2] = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    n = len(positions)
    normals = np.empty((n, 3), dtype=np.float64)
    for axis in range(3):
        weights = face_n[:, axis]
        normals[:, axis] = sum(np.bincount(indices[:, i], weights, n) for i in range(3))
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    # A vertex used by no face (or only degenerate ones) gets a harmless up normal.
    np.divide(normals, length, out=normals, where=length > 0)
    normals[length[:, 0] == 0] = (0.0, 0.0, 1.0)
    return normals.astype(np.float32)


def lighter(arrays: MeshArrays, cells: int, above: int) -> MeshArrays:
    """For a small picture of a big mesh: vertices merged on a grid of ``cells`` along the
    longest side (vertex clustering), with smooth normals. A mesh of at most ``above``
    triangles comes back as it is, with its normals.

    Each merged vertex sits at the mean of its cluster and keeps the colour and UV of one of
    them: invisible at thumbnail size, and a 1.4M-triangle mesh draws ten times faster."""
    if len(arrays.indices) <= above:
        arrays.smooth_normals()
        return arrays
    low, high = arrays.bounds
    scale = cells / max(float((high - low).max()), 1e-12)
    grid = np.minimum(((arrays.positions - low) * scale).astype(np.int64), cells)
    keys = (grid[:, 0] * (cells + 1) + grid[:, 1]) * (cells + 1) + grid[:, 2]
    _, first, cluster = np.unique(keys, return_index=True, return_inverse=True)
    count = len(first)
    sizes = np.bincount(cluster, minlength=count)
    positions = np.column_stack(
        [np.bincount(cluster, arrays.positions[:, axis], count) / sizes for axis in range(3)]
    ).astype(np.float32)
    faces = cluster.reshape(-1)[arrays.indices]
    a, b, c = faces.T
    faces = np.ascontiguousarray(faces[(a != b) & (b != c) & (a != c)], dtype=np.uint32)

    def pick(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else np.ascontiguousarray(values[first])

    result = MeshArrays(positions, faces, pick(arrays.colors), pick(arrays.uvs), arrays.texture)
    result.smooth_normals()
    return result


def to_arrays(tm: trimesh.Trimesh) -> MeshArrays:
    positions = np.ascontiguousarray(tm.vertices, dtype=np.float32)
    indices = np.ascontiguousarray(tm.faces, dtype=np.uint32)
    from trimesh.visual import ColorVisuals, TextureVisuals

    visual = tm.visual
    colors = uvs = texture = None
    if isinstance(visual, ColorVisuals) and visual.kind == "face":
        # Flat colours per face: give each corner its own vertex so colours do not bleed.
        positions = np.ascontiguousarray(positions[indices].reshape(-1, 3))
        colors = np.repeat(np.asarray(visual.face_colors, dtype=np.float32) / 255.0, 3, axis=0)
        indices = np.arange(len(positions), dtype=np.uint32).reshape(-1, 3)
    elif isinstance(visual, ColorVisuals) and visual.kind == "vertex":
        colors = np.asarray(visual.vertex_colors, dtype=np.float32) / 255.0
    elif isinstance(visual, TextureVisuals):
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
    return MeshArrays(positions, indices, colors, uvs, texture)


def _texture_image(material):
    for attr in ("baseColorTexture", "image"):
        image = getattr(material, attr, None)
        if image is not None:
            return image
    return None


def mesh_stats(
    positions: np.ndarray,
    indices: np.ndarray,
    vertices: int | None = None,
    file_size: int | None = None,
) -> MeshStats:
    """Counts, size, watertightness and connected parts, with numpy alone.

    Judged on positions alone: texture seams split vertices that share a position, and a
    textured box must not count as six loose parts with holes. trimesh's equivalents take
    longer (1.9 s at 1.4M triangles), and they and scipy's connected_components hold the
    GIL for 100 ms and more at a time, which stalls the GUI thread while a worker computes
    them. Every step here is a short numpy call.
    """
    merged, inverse = _merge_by_position(positions)
    faces = inverse[indices]
    a, b = faces.ravel(), np.roll(faces, -1, axis=1).ravel()
    edges = np.minimum(a, b).astype(np.int64) * merged + np.maximum(a, b)
    edges.sort()
    starts = np.flatnonzero(np.concatenate(([True], edges[1:] != edges[:-1])))
    counts = np.diff(np.append(starts, len(edges)))  # how many faces share each edge
    labels = _components(merged, faces[:, :2].ravel(), faces[:, 1:].ravel())
    width, height, depth = (
        round(float(x), 6) for x in positions.max(axis=0) - positions.min(axis=0)
    )
    return MeshStats(
        vertices=len(positions) if vertices is None else vertices,
        triangles=len(indices),
        size=(width, height, depth),
        watertight=bool(len(counts) and (counts == 2).all()),
        parts=len(np.unique(labels[faces.ravel()])),
        file_size=file_size,
    )


def _components(count: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Connected components of the graph with edges (u, v): each vertex's root label.

    Union-find done wholesale: hook every edge's larger root onto its smaller one, then jump
    pointers until each vertex points at its root; repeat until no edge joins two roots.
    """
    parent = np.arange(count)
    while True:
        pu, pv = parent[u], parent[v]
        differ = pu != pv
        if not differ.any():
            return parent
        u, v, pu, pv = u[differ], v[differ], pu[differ], pv[differ]
        np.minimum.at(parent, np.maximum(pu, pv), np.minimum(pu, pv))
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand


def _merge_by_position(positions: np.ndarray) -> tuple[int, np.ndarray]:
    """(number of distinct positions, index of each vertex's distinct position)."""
    bits = np.ascontiguousarray(positions, dtype=np.float32).view(np.uint32).astype(np.uint64)
    key = (
        (bits[:, 0] * np.uint64(0x9E3779B97F4A7C15))
        ^ (bits[:, 1] * np.uint64(0xC2B2AE3D27D4EB4F))
        ^ (bits[:, 2] * np.uint64(0x165667B19E3779F9))
    )
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if not np.array_equal(positions[first][inverse], positions):  # a hash collision: be exact
        rows = np.ascontiguousarray(positions, dtype=np.float32).view(np.dtype((np.void, 12)))
        _, first, inverse = np.unique(rows.ravel(), return_index=True, return_inverse=True)
    return len(first), inverse.ravel()


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
    import trimesh

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

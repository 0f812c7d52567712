"""Mesh files in, plain numpy arrays out (ready for a GPU), plus statistics and export.

trimesh is imported where it is used, not at the top: it takes over half a second to import,
and the app's window should not wait for it (loading runs on a worker thread).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from aiml3d_desktop.core.common.errors import InputError, MeshLoadError
from aiml3d_desktop.core.common.fileio import write_bytes
from aiml3d_desktop.core.meshes import formats, glb, meshcheck
from aiml3d_desktop.core.meshes.mesh_arrays import (
    SMOOTH_AT_ONCE,
    MeshArrays,
    distinct_rows,
)
from aiml3d_desktop.core.meshes.scene import Primitive, Scene


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
    scene: Scene
    file_size: int
    vertices: int | None = None  # as the file has them (drawing may split some)

    @property
    def arrays(self) -> MeshArrays:
        """The whole shape as one mesh (the only primitive, for TripoSR's files)."""
        return self.scene.merged

    @property
    def has_stats(self) -> bool:
        return "stats" in self.__dict__

    @functools.cached_property
    def stats(self) -> MeshStats:
        """Computed on first use (half a second at 1.4M triangles): a viewer can draw first."""
        arrays = self.arrays
        return mesh_stats(arrays.positions, arrays.indices, self.vertices, self.file_size)


def file_type_of(path: str | Path) -> str:
    """The key of the format ``path`` is read as (formats.py), or MeshLoadError."""
    fmt = formats.by_extension(Path(path).suffix) if Path(path).suffix else None
    if fmt is None or fmt.read is None:
        raise MeshLoadError(
            f"{Path(path).name} is not a mesh file we can open",
            hint=f"Open a {formats.names(formats.readable())} file.",
        )
    return fmt.key


def load(path: str | Path, file_type: str | None = None, name: str | None = None) -> LoadedMesh:
    """Read any format ``formats.readable()`` lists; a broken, empty, hostile or absurd file raises
    ``MeshLoadError`` that calls the file ``name`` (a download's temporary file has a name
    nobody knows)."""
    path = Path(path)
    file_type = file_type or file_type_of(path)
    name = name or path.name
    fmt = formats.by_key(file_type)
    if fmt is None or fmt.read is None:
        raise MeshLoadError(f"{name} cannot be read as {file_type.upper()}")
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
        scene = fmt.read(path, fmt, name)
    except glb.GlbError as exc:
        raise meshcheck.damaged(name, str(exc)) from None
    except OSError as exc:
        raise MeshLoadError(f"Cannot read {name}: {exc.strerror or exc}") from None
    except MemoryError:
        raise MeshLoadError(
            f"There is not enough memory to open {name} ({size / 2**20:,.0f} MB)",
            hint="Close other programs, or open a smaller file.",
        ) from None
    for primitive in scene.primitives:
        meshcheck.after_reading(primitive.arrays.positions, primitive.arrays.indices, name)
    scene.primitives = [p for p in scene.primitives if len(p.arrays.indices)]
    vertices = scene.vertices
    for primitive in scene.primitives:
        # Without normals, glTF asks for flat shading; scans and generated surfaces (TripoSR's)
        # look right smooth, while a box or a CAD part (STL's facets are the design) keeps
        # its edges crisp.
        arrays = primitive.arrays
        if file_type == "stl" or (
            arrays.normals is None and len(arrays.indices) <= SMOOTH_AT_ONCE and arrays.hard_edged()
        ):
            primitive.arrays = arrays.faceted()
    if not scene.primitives:
        raise MeshLoadError(
            f"{name} contains no triangles", hint="Open a file with a surface mesh."
        )
    return LoadedMesh(path, scene, size, vertices)


def lighter(scene: Scene, cells: int, above: int) -> Scene:
    """For a small picture of a big scene: vertices merged on a grid of ``cells`` along the
    scene's longest side (vertex clustering), with smooth normals. A scene of at most
    ``above`` triangles comes back as it is, with its normals.

    Each merged vertex sits at the mean of its cluster and keeps the colour and UV of one of
    them: invisible at thumbnail size, and a 1.4M-triangle mesh draws ten times faster."""
    if scene.triangles <= above:
        scene.smooth_normals()
        return scene
    low, high = scene.bounds
    scale = cells / max(float((high - low).max()), 1e-12)
    primitives = [
        Primitive(_clustered(p.arrays, low, scale, cells), p.material, p.node)
        for p in scene.primitives
    ]
    return replace(scene, primitives=[p for p in primitives if len(p.arrays.indices)])


def _clustered(arrays: MeshArrays, low: np.ndarray, scale: float, cells: int) -> MeshArrays:
    grid = np.clip(((arrays.positions - low) * scale).astype(np.int64), 0, cells)
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

    result = MeshArrays(positions, faces, pick(arrays.colors), pick(arrays.uvs))
    result.uvs1 = pick(arrays.uvs1)
    result.smooth_normals()
    return result


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
    first, inverse = distinct_rows(positions)
    merged = len(first)
    # 32-bit vertex numbers and arithmetic in place: at 1.4M triangles the temporaries
    # of this function are most of the viewer's memory after its first frame.
    faces = inverse.astype(np.int32)[indices]
    del inverse
    a, b = faces.ravel(), np.roll(faces, -1, axis=1).ravel()
    edges = np.minimum(a, b).astype(np.int64)
    edges *= merged
    edges += np.maximum(a, b)
    del b
    edges.sort()
    new = np.empty(len(edges), dtype=bool)
    new[:1] = True
    np.not_equal(edges[1:], edges[:-1], out=new[1:])
    del edges
    starts = np.flatnonzero(new)
    del new
    counts = np.diff(np.append(starts, len(a)))  # how many faces share each edge
    watertight = bool(len(counts) and (counts == 2).all())
    del starts, counts
    labels = components(merged, faces[:, :2].ravel(), faces[:, 1:].ravel())
    width, height, depth = (
        round(float(x), 6) for x in positions.max(axis=0) - positions.min(axis=0)
    )
    return MeshStats(
        vertices=len(positions) if vertices is None else vertices,
        triangles=len(indices),
        size=(width, height, depth),
        watertight=watertight,
        parts=len(np.unique(labels[faces.ravel()])),
        file_size=file_size,
    )


def components(count: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Connected components of the graph with edges (u, v): each vertex's root label.

    Union-find done wholesale: hook every edge's larger root onto its smaller one, then jump
    pointers until each vertex points at its root; repeat until no edge joins two roots.
    """
    parent = np.arange(count, dtype=u.dtype)  # 32-bit when the vertex numbers are
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


def export(loaded: LoadedMesh, dest: str | Path) -> Path:
    """Write ``loaded`` in the format of ``dest``'s extension (``formats.write``), atomically.
    A GLB to GLB is copied byte for byte: nothing of the file is lost."""
    dest = Path(dest)
    fmt = formats.for_writing(dest)
    if fmt is formats.GLB and formats.by_extension(loaded.path.suffix) is fmt:
        try:
            write_bytes(dest, loaded.path.read_bytes())
        except OSError as exc:
            raise InputError(f"Could not write {dest}: {exc.strerror or exc}") from None
        return dest
    return formats.write(loaded.scene, dest)[-1]

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
    del first
    # 32-bit vertex numbers, and every step on a third of the edges at a time or in place:
    # at 1.4M triangles this function's temporaries are the viewer's peak after its first
    # frame (110 MB whole; 60 MB so).
    # A mesh without seams (TripoSR's) is counted on its own triangles: no copy.
    faces = indices if merged == len(positions) else inverse.astype(np.int32)[indices]
    del inverse
    watertight = _closed(faces, merged)
    labels = components(merged, faces)
    used = np.zeros(merged, dtype=bool)
    used[faces.ravel()] = True
    del faces
    width, height, depth = (
        round(float(x), 6) for x in positions.max(axis=0) - positions.min(axis=0)
    )
    return MeshStats(
        vertices=len(positions) if vertices is None else vertices,
        triangles=len(indices),
        size=(width, height, depth),
        watertight=watertight,
        parts=int(np.count_nonzero(used & (labels == np.arange(merged, dtype=labels.dtype)))),
        file_size=file_size,
    )


def _closed(faces: np.ndarray, merged: int) -> bool:
    """Every edge shared by exactly two faces. Each edge is a key, low * merged + high;
    sorted, closed means the keys come in equal pairs, each pair unlike the next. The keys
    of one range of low vertices at a time (half a million edges or so): an edge's pair has
    the same low vertex, and all the keys at once were 33 MB at 1.4M triangles."""
    if not len(faces):
        return False
    passes = max(1, (3 * len(faces)) >> 19)
    bounds = np.linspace(0, merged, passes + 1).astype(np.int64)
    for low_end, high_end in zip(bounds[:-1], bounds[1:], strict=True):
        keys = []
        for corner in range(3):
            a, b = faces[:, corner], faces[:, (corner + 1) % 3]
            low = np.minimum(a, b)
            inside = (low >= low_end) & (low < high_end)
            key = low[inside].astype(np.int64)
            key *= merged
            key += np.maximum(a, b)[inside]
            keys.append(key)
        edges = np.concatenate(keys)
        del keys
        edges.sort()
        if len(edges) % 2 or not (
            np.array_equal(edges[0::2], edges[1::2]) and not (edges[1:-1:2] == edges[2::2]).any()
        ):
            return False
    return True


def components(count: int, faces: np.ndarray) -> np.ndarray:
    """Connected components of ``count`` vertices joined by the (M, 3) ``faces``: each
    vertex's root label (the smallest vertex of its component).

    Union-find done wholesale: hook every edge's larger root onto its smaller one, then jump
    pointers until each vertex points at its root; repeat until no edge joins two roots.
    Edges a million at a time, as views of ``faces``: all at once, the copies were 70 MB
    at 1.4M triangles.
    """
    parent = np.arange(count, dtype=faces.dtype)  # 32-bit when the vertex numbers are
    step = COMPONENT_EDGES
    pending = [
        (faces[start : start + step, i], faces[start : start + step, i + 1])
        for i in (0, 1)  # edges 0-1 and 1-2 reach every corner
        for start in range(0, len(faces), step)
    ]
    while pending:
        left = []
        for u, v in pending:
            pu, pv = parent[u], parent[v]
            differ = pu != pv
            if not differ.any():
                continue
            pu, pv = pu[differ], pv[differ]
            np.minimum.at(parent, np.maximum(pu, pv), np.minimum(pu, pv))
            # Checked again once the roots are known: only the edges still joining two
            # roots, when few are (copies of most edges were 20 MB at 1.4M triangles).
            left.append((u[differ], v[differ]) if differ.mean() < 0.25 else (u, v))
            del pu, pv, differ
            while True:  # every vertex to its root, before the next edges are hooked
                grand = parent[parent]
                if np.array_equal(grand, parent):
                    break
                parent = grand
        pending = left
    return parent


COMPONENT_EDGES = 1 << 20


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

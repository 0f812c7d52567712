"""Cleaning a raw mesh: duplicate vertices merged, degenerate and repeated triangles removed,
floating bits (TripoSR's specks) dropped, small holes filled. Per primitive; texture seams
(vertices at one place with different UVs) are kept apart."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.meshes.mesh_arrays import MeshArrays, distinct_rows
from aiml3d_desktop.core.meshes.scene import Primitive, Scene

FLOATERS = 0.01  # parts with less than this share of the surface are dropped
HOLE_EDGES = 32  # holes with up to this many edges are filled; None: every hole
TRIANGLE_CHUNK = 262_144  # triangles measured per vectorised step: about 60 MB of temporaries


@dataclass
class Cleaned:
    """What cleaning changed, for the report."""

    merged: int = 0  # vertices merged into another
    degenerate: int = 0  # triangles removed: no area, or a repeat of another
    floaters: int = 0  # parts dropped
    holes: int = 0  # holes filled
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"{self.merged:,} duplicate vertices merged",
            f"{self.degenerate:,} degenerate or repeated triangles removed",
            f"{self.floaters:,} floating parts dropped",
            f"{self.holes:,} holes filled",
        ]


def clean(
    scene: Scene,
    floaters: float = FLOATERS,
    hole_edges: int | None = HOLE_EDGES,
    report: Cleaned | None = None,
) -> Scene:
    """``scene`` cleaned (see the module); ``report`` collects what changed."""
    report = report if report is not None else Cleaned()
    total_area = sum(_areas(p.arrays).sum() for p in scene.primitives)
    primitives = []
    for primitive in scene.primitives:
        arrays = drop_degenerate(_merge(primitive.arrays, report), report)
        if not len(arrays.indices):
            continue  # nothing but degenerate triangles: the primitive goes
        # Merged on position alone (no UVs), every position is one vertex: welding again
        # would find nothing (and takes a second on a TripoSR mesh).
        weld = welded if arrays.uvs is not None or arrays.uvs1 is not None else _as_welded
        if floaters > 0:
            arrays = _drop_floaters(arrays, floaters * total_area, report, weld)
        arrays = compact(arrays)
        if hole_edges is None or hole_edges >= 3:
            arrays = fill_holes(arrays, hole_edges, report, weld)
        primitives.append(Primitive(arrays, primitive.material, primitive.node))
    if not primitives:
        raise InputError(
            "Nothing is left after cleaning: every triangle has no area",
            hint="The model is flat or broken; open another one.",
        )
    return replace(scene, primitives=primitives, notes=list(scene.notes))


def _areas(arrays: MeshArrays) -> np.ndarray:
    """Each triangle's area, in float64 (a degenerate one must come out as none), a chunk at
    a time: the whole mesh's corners in float64 would be 72 bytes a triangle, and more again
    for the products."""
    areas = np.empty(len(arrays.indices))
    for start in range(0, len(arrays.indices), TRIANGLE_CHUNK):
        faces = arrays.indices[start : start + TRIANGLE_CHUNK]
        v0, v1, v2 = (arrays.positions[faces[:, i]].astype(np.float64) for i in range(3))
        areas[start : start + len(faces)] = np.linalg.norm(np.cross(v1 - v0, v2 - v0), axis=1) / 2
    return areas


def _merge(arrays: MeshArrays, report: Cleaned) -> MeshArrays:
    """Vertices with the same position (and UVs, where there are) become one."""
    keys = [arrays.positions] + [a for a in (arrays.uvs, arrays.uvs1) if a is not None]
    first, inverse = distinct_rows(np.hstack(keys).astype(np.float32))
    if len(first) == len(arrays.positions):
        return arrays
    report.merged += len(arrays.positions) - len(first)
    return _subset(arrays, first, inverse[arrays.indices])


def drop_degenerate(arrays: MeshArrays, report: Cleaned) -> MeshArrays:
    """Triangles with a repeated corner or no area, and repeats of a triangle (in any
    rotation; one facing the other way is a different triangle)."""
    faces = arrays.indices
    a, b, c = faces.T
    size = float(np.linalg.norm(np.ptp(arrays.positions, axis=0))) or 1.0
    keep = (a != b) & (b != c) & (a != c) & (_areas(arrays) > (1e-10 * size) ** 2)
    start = np.argmin(faces, axis=1)[:, None]
    canonical = faces[np.arange(len(faces))[:, None], (start + np.arange(3)) % 3]
    first, _ = distinct_rows(canonical.astype(np.uint32))
    unique = np.zeros(len(faces), dtype=bool)
    unique[first] = True
    keep &= unique
    if keep.all():
        return arrays
    report.degenerate += int((~keep).sum())
    return replace(arrays, indices=np.ascontiguousarray(faces[keep]))


def welded(arrays: MeshArrays) -> tuple[np.ndarray, np.ndarray]:
    """The triangles with vertices at one place as one (across texture seams): (welded
    triangles, an original vertex for each welded one)."""
    first, inverse = distinct_rows(arrays.positions.astype(np.float32))
    return inverse[arrays.indices], first


def _as_welded(arrays: MeshArrays) -> tuple[np.ndarray, np.ndarray]:
    return arrays.indices, np.arange(len(arrays.positions))


def _drop_floaters(
    arrays: MeshArrays, least_area: float, report: Cleaned, weld=welded
) -> MeshArrays:
    """Parts (triangles joined by a shared position) smaller than ``least_area``, beside a
    part that is not: floaters are specks around a main body. A primitive of small parts
    only (a pair of eyes, buttons) is kept whole."""
    faces, first = weld(arrays)
    n = len(first)
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]]])
    graph = coo_matrix((np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), (n, n))
    count, labels = connected_components(graph, directed=False)
    if count == 1:
        return arrays
    part = labels[faces[:, 0]]
    area = np.bincount(part, _areas(arrays), count)
    keep_parts = area >= least_area
    if not keep_parts.any():
        return arrays
    used = np.unique(part)
    report.floaters += int((~keep_parts[used]).sum())
    return replace(arrays, indices=np.ascontiguousarray(arrays.indices[keep_parts[part]]))


def fill_holes(
    arrays: MeshArrays, max_edges: int | None, report: Cleaned, weld=welded
) -> MeshArrays:
    """Each hole (a loop of edges used by one triangle) of up to ``max_edges`` edges closed
    by a fan around a new vertex at its centre, with the loop's mean colour and UV, wound
    like its neighbours."""
    faces, first = weld(arrays)
    loops = [
        first[loop].tolist()
        for loop in boundary_loops(faces)
        if max_edges is None or len(loop) <= max_edges
    ]
    if not loops:
        return arrays
    base = len(arrays.positions)
    fans, centres = [], []
    for k, loop in enumerate(loops):
        ring = np.asarray(loop)
        # A boundary edge a->b belongs to a triangle wound a->b; the fan runs b->a.
        fans.append(np.column_stack([np.roll(ring, -1), ring, np.full(len(ring), base + k)]))
        centres.append(ring)
    report.holes += len(loops)

    def extended(values: np.ndarray | None) -> np.ndarray | None:
        if values is None:
            return None
        extra = np.stack([values[ring].mean(axis=0) for ring in centres]).astype(values.dtype)
        return np.ascontiguousarray(np.concatenate([values, extra]))

    out = MeshArrays(
        np.concatenate(
            [arrays.positions, [arrays.positions[r].mean(axis=0) for r in centres]]
        ).astype(np.float32),
        np.ascontiguousarray(np.concatenate([arrays.indices, *fans]), dtype=np.uint32),
        extended(arrays.colors),
        extended(arrays.uvs),
        None,
        extended(arrays.uvs1),
    )
    if arrays.normals is not None:
        out.smooth_normals()
    return out


def boundary_loops(indices: np.ndarray) -> list[list[int]]:
    """The closed loops of edges used by a single triangle, each in its triangles' direction.
    A vertex where several holes meet (not a simple loop) leaves its loops out."""
    directed = np.concatenate([indices[:, [0, 1]], indices[:, [1, 2]], indices[:, [2, 0]]])
    count = int(indices.max()) + 1 if len(indices) else 0
    undirected = np.minimum(directed[:, 0], directed[:, 1]).astype(np.int64) * count
    undirected += np.maximum(directed[:, 0], directed[:, 1])
    # Edges met once, found in the sorted keys (np.unique's inverse and counts would hold
    # three more arrays of every edge).
    order = np.argsort(undirected, kind="stable")
    ordered = undirected[order]
    del undirected
    once = np.ones(len(ordered), dtype=bool)
    repeated = ordered[1:] == ordered[:-1]
    once[1:] &= ~repeated
    once[:-1] &= ~repeated
    open_edges = directed[np.sort(order[once])].astype(np.int64)  # in the triangles' order
    if not len(open_edges):
        return []
    starts, ends = open_edges[:, 0], open_edges[:, 1]
    following: dict[int, int] = {}
    crowded = set()
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if a in following:
            crowded.add(a)
        following[a] = b
    loops, seen = [], set()
    for start in following:
        if start in seen:
            continue
        loop, at = [], start
        while at in following and at not in seen:
            seen.add(at)
            loop.append(at)
            at = following[at]
        if at == start and len(loop) >= 3 and not crowded.intersection(loop):
            loops.append(loop)
    return loops


def compact(arrays: MeshArrays) -> MeshArrays:
    """Without the vertices no triangle uses (left by dropped triangles: they would still
    count in the bounds)."""
    count = len(arrays.positions)
    used = np.bincount(arrays.indices.ravel(), minlength=count) > 0
    if used.all():
        return arrays
    renumber = np.cumsum(used) - 1
    return _subset(arrays, np.flatnonzero(used), renumber[arrays.indices])


def _subset(arrays: MeshArrays, keep: np.ndarray, faces: np.ndarray) -> MeshArrays:
    def pick(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else np.ascontiguousarray(values[keep])

    return MeshArrays(
        np.ascontiguousarray(arrays.positions[keep]),
        np.ascontiguousarray(faces, dtype=np.uint32),
        pick(arrays.colors),
        pick(arrays.uvs),
        pick(arrays.normals),
        pick(arrays.uvs1),
        pick(arrays.tangents),
    )

"""What a renderer needs of one mesh, as plain contiguous numpy arrays."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

# Up to this size, prepare() computes smooth normals at once (under 50 ms); a bigger mesh is
# drawn flat-shaded first and its normals follow from smooth_normals() on a worker.
SMOOTH_AT_ONCE = 300_000  # triangles


@dataclass
class MeshArrays:
    """What a renderer needs, as contiguous arrays."""

    positions: np.ndarray  # (N, 3) float32
    indices: np.ndarray  # (M, 3) uint32
    colors: np.ndarray | None = None  # (N, 4) float32 in 0..1
    uvs: np.ndarray | None = None  # (N, 2) float32, glTF convention (v down)
    normals: np.ndarray | None = None  # (N, 3) float32, unit length; see smooth_normals()
    uvs1: np.ndarray | None = None  # (N, 2) float32: a second UV set, for some textures
    tangents: np.ndarray | None = None  # (N, 4) float32: xyz and handedness, from the file

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

    def hard_edged(self, angle: float = 40.0) -> bool:
        """Whether smooth normals would round off what is meant to be sharp: many corners
        whose face turns more than ``angle`` degrees from the smoothed normal (a box, a CAD
        part), unlike a scan or a generated surface. Keeps the smooth normals it computed."""
        normals = self.smooth_normals()
        faces = face_normals(self.positions, self.indices)
        turn = np.einsum("fj,fcj->fc", faces, normals[self.indices])
        return bool((turn < np.cos(np.radians(angle))).mean() > 0.1)

    def faceted(self) -> MeshArrays:
        """Each triangle with corners of its own and its face's normal: how a CAD or print
        file (STL) is meant to look, its edges crisp, where smooth normals would smear them."""
        corners = self.indices.reshape(-1)

        def split(values: np.ndarray | None) -> np.ndarray | None:
            return None if values is None else np.ascontiguousarray(values[corners])

        faces = face_normals(self.positions, self.indices)
        normals = np.ascontiguousarray(np.repeat(faces, 3, axis=0), dtype=np.float32)
        indices = np.arange(len(corners), dtype=np.uint32).reshape(-1, 3)
        return MeshArrays(
            np.ascontiguousarray(self.positions[corners]),
            indices,
            split(self.colors),
            split(self.uvs),
            normals,
            split(self.uvs1),
        )

    def transformed(self, matrix: np.ndarray) -> MeshArrays:
        """These arrays moved by the 4x4 ``matrix``: positions, normals (by the inverse
        transpose; pinv, as a node scaled to zero is allowed) and tangents; a mirroring
        matrix also turns the triangles, so that they face out."""
        linear = matrix[:3, :3]
        mirror = np.linalg.det(linear) < 0
        positions = self.positions.astype(np.float64) @ linear.T + matrix[:3, 3]
        normals = tangents = None
        if self.normals is not None:
            normals = unit_rows(self.normals.astype(np.float64) @ np.linalg.pinv(linear))
        if self.tangents is not None:
            tangents = self.tangents.copy()
            tangents[:, :3] = unit_rows(self.tangents[:, :3].astype(np.float64) @ linear.T)
            if mirror:
                tangents[:, 3] *= -1
        return MeshArrays(
            np.ascontiguousarray(positions, dtype=np.float32),
            np.ascontiguousarray(self.indices[:, ::-1]) if mirror else self.indices,
            self.colors,
            self.uvs,
            None if normals is None else np.ascontiguousarray(normals, dtype=np.float32),
            self.uvs1,
            None if tangents is None else np.ascontiguousarray(tangents, dtype=np.float32),
        )

    @property
    def layout(self) -> list[tuple[str, int, int]]:
        """(attribute, floats, offset in floats) of each part of ``interleaved``."""
        parts, offset = [], 0
        for name, values in (
            ("position", self.positions),
            ("color", self.colors),
            ("uv", self.uvs),
            ("uv1", self.uvs1),
            ("tangent", self.tangents),
        ):
            if values is not None:
                parts.append((name, values.shape[1], offset))
                offset += values.shape[1]
        return parts

    @functools.cached_property
    def interleaved(self) -> np.ndarray:
        """One float32 row per vertex: position, then RGBA, UVs and tangent where present.

        A renderer uploads it as a single buffer (normals go in a second one, as they may
        come later); building it takes tens of milliseconds on a large mesh, hence prepare().
        """
        parts = [
            values
            for values in (self.positions, self.colors, self.uvs, self.uvs1, self.tangents)
            if values is not None
        ]
        if len(parts) == 1:
            return np.ascontiguousarray(self.positions, dtype=np.float32)
        return np.ascontiguousarray(np.hstack(parts), dtype=np.float32)


def vertex_normals(positions: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals, vectorised: about 0.1 s for 1.4M triangles, where
    pyqtgraph's MeshData loop takes seconds."""
    n = len(positions)
    normals = np.zeros((n, 3), dtype=np.float64)
    # A quarter of a million triangles at a time: at 1.4M triangles the temporaries of the
    # whole were 60 MB more, at the viewer's peak (and the pieces are no slower).
    for start in range(0, len(indices), NORMALS_PIECE):
        faces = indices[start : start + NORMALS_PIECE]
        face_n = _area_normals(positions, faces)
        for axis in range(3):
            weights = face_n[:, axis]
            for corner in range(3):
                normals[:, axis] += np.bincount(faces[:, corner], weights, n)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    # A vertex used by no face (or only degenerate ones) gets a harmless up normal.
    np.divide(normals, length, out=normals, where=length > 0)
    normals[length[:, 0] == 0] = (0.0, 0.0, 1.0)
    return normals.astype(np.float32)


NORMALS_PIECE = 1 << 18  # triangles


def _area_normals(positions: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(M, 3): each triangle's normal, as long as twice its area."""
    v0 = positions[faces[:, 0]]
    e1 = positions[faces[:, 1]]
    e1 -= v0
    e2 = positions[faces[:, 2]]
    e2 -= v0
    del v0
    # The cross product written out: np.cross is several times slower on (N, 3) float32.
    face_n = np.empty_like(e1)
    face_n[:, 0] = e1[:, 1] * e2[:, 2] - e1[:, 2] * e2[:, 1]
    face_n[:, 1] = e1[:, 2] * e2[:, 0] - e1[:, 0] * e2[:, 2]
    face_n[:, 2] = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    return face_n


def unit_rows(values: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a row of zeros stays zeros)."""
    length = np.linalg.norm(values, axis=1, keepdims=True)
    return np.divide(values, length, out=np.zeros_like(values), where=length > 0)


def face_normals(positions: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """(M, 3) unit normal of each triangle (zeros for a degenerate one)."""
    v0, v1, v2 = (positions[indices[:, i]] for i in range(3))
    return unit_rows(np.cross(v1 - v0, v2 - v0))


_MIXERS = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0x27D4EB2F165667C5,
        0x85EBCA77C2B2AE63,
        0xFF51AFD7ED558CCD,
        0xC4CEB9FE1A85EC53,
    ],
    dtype=np.uint64,
)


def distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first index of each distinct row, the distinct row of every row), for rows of up to
    seven 4-byte values (float32 positions and UVs, uint32 triangles), bit for bit.

    Through a 64-bit hash of each row, several times faster than np.unique(axis=0) on a
    big mesh; a hash collision (checked for) falls back to the exact way."""
    rows = np.ascontiguousarray(rows)
    if not len(rows):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    bits = rows.view(np.uint32).reshape(len(rows), -1)
    key = np.zeros(len(rows), dtype=np.uint64)
    for column in range(bits.shape[1]):  # a column at a time: a third of the memory
        key ^= bits[:, column].astype(np.uint64) * _MIXERS[column]
    first, inverse = _groups(key)
    del key
    if not all(  # a column at a time, as above
        np.array_equal(bits[first, column][inverse], bits[:, column])
        for column in range(bits.shape[1])
    ):
        exact = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
        _, first, inverse = np.unique(exact, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
    return first, inverse


def _groups(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(key, return_index=True, return_inverse=True)'s two arrays, the same
    numbers, with half its memory at most (17 MB, not 40, for 700k keys): each temporary
    let go as soon as the next is made."""
    order = np.argsort(key, kind="stable")  # stable: a group's first member comes first
    ordered = key[order]
    new = np.empty(len(key), dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    del ordered
    first = order[new]
    group = np.cumsum(new, dtype=np.intp)
    group -= 1
    del new
    inverse = np.empty(len(key), dtype=np.intp)
    inverse[order] = group
    return first, inverse

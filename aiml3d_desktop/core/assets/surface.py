"""Colour on a surface: what a primitive's vertices look like, a texture sampled at UVs, and
the closest point of a mesh's surface to any point (for baking and for measuring a bake)."""

from __future__ import annotations

import numpy as np

from aiml3d_desktop.core.meshes.mesh_arrays import MeshArrays
from aiml3d_desktop.core.meshes.scene import Primitive, Scene

# Nearest triangles (by centre) searched for each point: the one holding a point's closest
# surface point is among them on any mesh whose neighbouring triangles are of similar size.
CANDIDATES = 6
CHUNK = 65_536  # points per vectorised step: about 100 MB of temporaries


def vertex_colours(scene: Scene, primitive: Primitive) -> np.ndarray:
    """(N, 4) float32 display (sRGB) values in 0..1: the vertex colours, else the base-colour
    texture at each vertex's UV, times the material's colour."""
    arrays, material = primitive.arrays, scene.material(primitive)
    factor = np.asarray(material.base_color, dtype=np.float32)
    if arrays.colors is not None:
        return (arrays.colors * factor).astype(np.float32)
    slot = material.base_color_texture
    if slot is not None and arrays.uvs is not None:
        uvs = arrays.uvs1 if slot.uv_set == 1 and arrays.uvs1 is not None else arrays.uvs
        return (sample_texture(scene.textures[slot.texture].image, uvs) * factor).astype(np.float32)
    return np.tile(factor, (len(arrays.positions), 1))


def sample_texture(image: np.ndarray, uvs: np.ndarray) -> np.ndarray:
    """(N, 4) float32 in 0..1: ``image`` (H, W, 4) read bilinearly at glTF UVs (origin at the
    top-left corner, texel centres at half-texels), repeating outside 0..1."""
    height, width = image.shape[:2]
    x = np.mod(uvs[:, 0].astype(np.float64), 1.0) * width - 0.5
    y = np.mod(uvs[:, 1].astype(np.float64), 1.0) * height - 0.5
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    x1, y1 = (x0 + 1) % width, (y0 + 1) % height
    x0, y0 = x0 % width, y0 % height

    def texel(y: np.ndarray, x: np.ndarray) -> np.ndarray:
        # Read, then made float: not the whole picture in floats (16 bytes a texel) per call.
        return image[y, x].astype(np.float32) / 255.0

    top = texel(y0, x0) * (1 - fx) + texel(y0, x1) * fx
    bottom = texel(y1, x0) * (1 - fx) + texel(y1, x1) * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


class Surface:
    """A mesh, ready for closest-point queries (the index over its triangles is built once)."""

    def __init__(self, arrays: MeshArrays) -> None:
        from scipy.spatial import cKDTree  # here: the window imports this module at start

        self.positions = arrays.positions.astype(np.float32)
        self.indices = arrays.indices.astype(np.uint32)  # 12 bytes a triangle, not 24
        # Summed corner by corner: no (T, 3, 3) array of every corner at once.
        self.centres = self.positions[self.indices[:, 0]]
        self.centres += self.positions[self.indices[:, 1]]
        self.centres += self.positions[self.indices[:, 2]]
        self.centres /= 3
        self.tree = cKDTree(self.centres, balanced_tree=False)  # built in half the time
        self.k = min(CANDIDATES, len(self.indices))

    def closest(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each point: the triangle holding its closest surface point, that point's
        barycentric weights (Q, 3), and its distance."""
        faces = np.empty(len(points), dtype=np.int64)
        weights = np.empty((len(points), 3), dtype=np.float32)
        distance = np.empty(len(points), dtype=np.float32)
        for start in range(0, len(points), CHUNK):
            part = slice(start, start + CHUNK)
            faces[part], weights[part], distance[part] = self._closest(points[part])
        return faces, weights, distance

    def interpolate(self, values: np.ndarray, faces: np.ndarray, weights: np.ndarray):
        """Per-vertex ``values`` blended at points given by (faces, weights)."""
        corners = values[self.indices[faces]]  # (Q, 3, C)
        return np.einsum("qc,qcj->qj", weights, corners).astype(values.dtype)

    def _closest(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """First the triangle with the nearest centre: it holds the point's projection for
        most points near the surface; the others search CANDIDATES triangles."""
        _, near = self.tree.query(points, k=1, workers=-1)
        faces, weights, gap, inside = self._best(points, near[:, None])
        again = np.flatnonzero(~inside)
        if len(again) and self.k > 1:
            _, more = self.tree.query(points[again], k=self.k, workers=-1)
            faces[again], weights[again], gap[again], _ = self._best(points[again], more)
        return faces, weights, gap

    def _best(self, points: np.ndarray, near: np.ndarray):
        """Of the candidate triangles ``near`` (Q, k), each point's closest one."""
        k = near.shape[1]
        p = np.repeat(points.astype(np.float32), k, axis=0)
        a, b, c = (self.positions[self.indices[near.ravel(), i]] for i in range(3))
        weights, spot, inside = _closest_on_triangles(p, a, b, c)
        offset = spot - p
        gap = np.sqrt(_dot(offset, offset)).reshape(len(points), k)
        best = np.argmin(gap, axis=1)
        rows = np.arange(len(points)) * k + best
        picked = np.arange(len(points))
        return near[picked, best], weights[rows], gap[picked, best], inside[rows]


def _closest_on_triangles(p, a, b, c) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Near-closest point of each triangle (a, b, c) to p, as barycentric weights and a
    point, and whether it is exact: the projection onto the triangle's plane (exact where it
    falls inside), else pulled inside by clamping its weights.
    Close enough to rank candidates (the exact edge search took twice as long)."""
    ab, ac, ap = b - a, c - a, p - a
    d00 = _dot(ab, ab)
    d01 = _dot(ab, ac)
    d11 = _dot(ac, ac)
    d20 = _dot(ap, ab)
    d21 = _dot(ap, ac)
    det = d00 * d11 - d01 * d01
    det[np.abs(det) <= 1e-30] = np.inf  # a degenerate triangle: its first corner
    v = (d11 * d20 - d01 * d21) / det
    w = (d00 * d21 - d01 * d20) / det
    weights = np.column_stack([1 - v - w, v, w])
    inside = weights.min(axis=1) >= 0
    np.clip(weights, 0, None, out=weights)
    weights /= weights.sum(axis=1, keepdims=True)
    spot = weights[:, :1] * a + weights[:, 1:2] * b + weights[:, 2:] * c
    return weights, spot, inside


def _dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return x[:, 0] * y[:, 0] + x[:, 1] * y[:, 1] + x[:, 2] * y[:, 2]

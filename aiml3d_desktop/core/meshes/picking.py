"""Where a ray first meets a scene: the point a click on the model picks."""

from __future__ import annotations

import numpy as np

from aiml3d_desktop.core.meshes.scene import Scene

CHUNK = 200_000  # triangles tested at once: bounds the memory of a big mesh's test


def first_hit(scene: Scene, origin: np.ndarray, direction: np.ndarray) -> np.ndarray | None:
    """The nearest point in front of ``origin`` along ``direction`` on any triangle of
    ``scene`` (Möller–Trumbore, both faces), or None when the ray misses."""
    origin = np.asarray(origin, dtype=np.float64)
    direction = np.asarray(direction, dtype=np.float64)
    direction = direction / max(float(np.linalg.norm(direction)), 1e-300)
    best = np.inf
    for primitive in scene.primitives:
        positions = primitive.arrays.positions.astype(np.float64)
        indices = primitive.arrays.indices
        for start in range(0, len(indices), CHUNK):
            corners = positions[indices[start : start + CHUNK]]
            best = min(best, _nearest(corners, origin, direction))
    return None if not np.isfinite(best) else origin + best * direction


def _nearest(corners: np.ndarray, origin: np.ndarray, direction: np.ndarray) -> float:
    a = corners[:, 0]
    edge1, edge2 = corners[:, 1] - a, corners[:, 2] - a
    p = np.cross(direction, edge2)
    det = np.einsum("ij,ij->i", edge1, p)
    ok = np.abs(det) > 1e-12
    inv = np.divide(1.0, det, out=np.zeros_like(det), where=ok)
    s = origin - a
    u = np.einsum("ij,ij->i", s, p) * inv
    q = np.cross(s, edge1)
    v = (q @ direction) * inv
    t = np.einsum("ij,ij->i", edge2, q) * inv
    hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 1e-9)
    return float(t[hit].min()) if hit.any() else np.inf

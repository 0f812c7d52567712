"""Where a ray first meets a scene: the point a click on the model picks."""

from __future__ import annotations

import numpy as np

from aiml3d_desktop.core.meshes.scene import Scene

CHUNK = 200_000  # triangles tested at once: bounds the memory of a big mesh's test


def first_hit(scene: Scene, origin: np.ndarray, direction: np.ndarray) -> np.ndarray | None:
    """The nearest point in front of ``origin`` along ``direction`` on any triangle of
    ``scene`` (Möller–Trumbore, both faces), or None when the ray misses."""
    hit = picked(scene, origin, direction)
    return None if hit is None else hit[1]


def picked(
    scene: Scene, origin: np.ndarray, direction: np.ndarray
) -> tuple[int, np.ndarray] | None:
    """(which of ``scene.placements()`` the ray first meets, the point it meets), or None.
    Each placement is tested in its own coordinates (the ray moved by its inverse matrix),
    after a test against its box: a composed scene of many models is tested model by model."""
    origin = np.asarray(origin, dtype=np.float64)
    direction = np.asarray(direction, dtype=np.float64)
    direction = direction / max(float(np.linalg.norm(direction)), 1e-300)
    best, chosen = np.inf, -1
    for number, placement in enumerate(scene.placements()):
        inverse = np.linalg.inv(placement.matrix)
        local_origin = inverse[:3, :3] @ origin + inverse[:3, 3]
        local_direction = inverse[:3, :3] @ direction  # not made unit: t stays the scene's
        for i in placement.primitives:
            arrays = scene.primitives[i].arrays
            if _box_distance(arrays.bounds, local_origin, local_direction) >= best:
                continue
            positions = arrays.positions.astype(np.float64)
            for start in range(0, len(arrays.indices), CHUNK):
                corners = positions[arrays.indices[start : start + CHUNK]]
                distance = _nearest(corners, local_origin, local_direction)
                if distance < best:
                    best, chosen = distance, number
    if chosen < 0:
        return None
    return chosen, origin + best * direction


def _box_distance(box: np.ndarray, origin: np.ndarray, direction: np.ndarray) -> float:
    """How far along the ray it enters ``box`` (0 from inside), inf when it misses."""
    with np.errstate(divide="ignore", invalid="ignore"):
        near = (box[0] - origin) / direction
        far = (box[1] - origin) / direction
    low = np.where(np.isnan(near), -np.inf, np.minimum(near, far))
    high = np.where(np.isnan(far), np.inf, np.maximum(near, far))
    enter, leave = float(low.max()), float(high.min())
    if leave < max(enter, 0.0):
        return np.inf
    return max(enter, 0.0)


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

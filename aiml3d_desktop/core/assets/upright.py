"""Automatic upright: the model turned to rest on the side of its convex hull it most likely
lands on when dropped (the largest solid angle seen from its centre of mass, among the faces
it can stand on), unless the side it rests on now is nearly as likely.

Sides are judged with their neighbours within SPREAD degrees, so that a round bottom (a
generated model's usual base: many small hull faces) counts as one side, and a ball keeps
the way it is turned."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.spatial import ConvexHull

from aiml3d_desktop.core.assets.clean import TRIANGLE_CHUNK
from aiml3d_desktop.core.assets.transform import transformed
from aiml3d_desktop.core.errors import InputError
from aiml3d_desktop.core.scene import Scene

HULL_POINTS = 50_000  # a sample is enough for the hull's large faces, in a fifth of a second
MERGE = 1e-3  # of the size: hull faces this close to a plane count as one face
KEEP = 0.75  # the current resting side is kept when it is this likely against the best
SPREAD = 15.0  # degrees: hull faces this close in direction count as one side
# A side less likely than this is no side to stand on: the model is round all over (a ball,
# a head), and any way up is as good as the one it came in.
LEAST_SIDE = 0.08
DOWN = np.array([0.0, -1.0, 0.0])


def upright(scene: Scene) -> Scene:
    """``scene`` turned (about its centre) to rest on its most stable face, with +Y up. A
    flat model (a plane, one triangle) has no side to stand on: it stays as it is."""
    try:
        normal = resting_face(scene)
    except InputError:
        return replace(scene, notes=[*scene.notes, "Stand upright left it as it was: it is flat."])
    return transformed(scene, _turning(normal, DOWN, scene.bounds.mean(axis=0)))


def resting_face(scene: Scene) -> np.ndarray:
    """The outward normal of the hull face the model should rest on."""
    positions = scene.merged.positions.astype(np.float64)
    if len(positions) > HULL_POINTS:
        rng = np.random.default_rng(0)
        positions = positions[rng.choice(len(positions), HULL_POINTS, replace=False)]
    size = float(np.linalg.norm(np.ptp(positions, axis=0)))
    try:
        hull = ConvexHull(positions, qhull_options=f"Qt C-{MERGE * size:.6g}")
    except Exception:  # qhull's own error for flat or degenerate input
        raise InputError(
            "The model is flat or too small to stand it up", hint="Turn it by hand instead."
        ) from None
    centre = _centre_of_mass(scene)
    faces, chances, stable = _faces(hull, centre)
    if not stable.any():
        stable[:] = True
    near = np.cos(np.radians(SPREAD))
    sides = (faces @ faces.T > near) @ chances  # each face with its neighbours
    best = int(np.argmax(np.where(stable, sides, 0.0)))
    now = float(chances[faces @ DOWN > near].sum())
    if now >= KEEP * sides[best] or sides[best] < LEAST_SIDE:
        return DOWN
    return faces[best]


def _faces(hull: ConvexHull, centre: np.ndarray):
    """Each merged hull face: (outward normals, solid angles from ``centre``, whether the
    centre's projection falls on it, i.e. the model can rest there)."""
    planes = np.round(hull.equations, 6)
    groups, owner = np.unique(planes, axis=0, return_inverse=True)
    owner = owner.ravel()
    corners = hull.points[hull.simplices] - centre  # (T, 3, 3)
    angles = _solid_angles(corners)
    chances = np.bincount(owner, angles, len(groups)) / (4 * np.pi)
    normals = groups[:, :3] / np.linalg.norm(groups[:, :3], axis=1, keepdims=True)
    # The centre projected on a triangle's plane lies inside it: the face can bear the weight.
    n = normals[owner]
    projected = -np.einsum("tj,tj->t", corners[:, 0], n)[:, None] * n  # the centre's foot
    inside = _inside(corners, projected, n)
    stable = np.bincount(owner, inside, len(groups)) > 0
    return normals, chances, stable


def _solid_angles(corners: np.ndarray) -> np.ndarray:
    """Solid angle of each triangle seen from the origin (Van Oosterom and Strackee)."""
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    la, lb, lc = (np.linalg.norm(v, axis=1) for v in (a, b, c))
    triple = np.abs(np.einsum("ij,ij->i", a, np.cross(b, c)))
    below = (
        la * lb * lc
        + np.einsum("ij,ij->i", a, b) * lc
        + np.einsum("ij,ij->i", a, c) * lb
        + np.einsum("ij,ij->i", b, c) * la
    )
    return 2 * np.arctan2(triple, below)


def _inside(corners: np.ndarray, point: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Whether ``point`` lies within each triangle (all in one plane with ``normal``)."""
    turns = [
        np.einsum(
            "ij,ij->i",
            np.cross(corners[:, (k + 1) % 3] - corners[:, k], point - corners[:, k]),
            normal,
        )
        for k in range(3)
    ]
    signs = np.stack(turns, axis=1)
    return np.asarray((signs >= 0).all(axis=1) | (signs <= 0).all(axis=1))


def _centre_of_mass(scene: Scene) -> np.ndarray:
    """The centre of the solid (signed tetrahedra from the origin); the centre of the bounds
    where the surface encloses no volume to speak of (an open or flat mesh)."""
    merged = scene.merged
    total, moment = 0.0, np.zeros(3)
    for start in range(0, len(merged.indices), TRIANGLE_CHUNK):  # float64 a chunk at a time
        faces = merged.indices[start : start + TRIANGLE_CHUNK]
        v0, v1, v2 = (merged.positions[faces[:, i]].astype(np.float64) for i in range(3))
        volumes = np.einsum("ij,ij->i", v0, np.cross(v1, v2)) / 6
        total += volumes.sum()
        moment += ((v0 + v1 + v2) / 4 * volumes[:, None]).sum(axis=0)
    low, high = scene.bounds.astype(np.float64)
    if abs(total) < 1e-6 * float(np.prod(np.maximum(high - low, 1e-12))):
        return (low + high) / 2
    return moment / total


def _turning(start: np.ndarray, end: np.ndarray, about: np.ndarray) -> np.ndarray:
    """The 4x4 shortest rotation taking direction ``start`` to ``end``, about point ``about``."""
    axis = np.cross(start, end)
    sin, cos = np.linalg.norm(axis), float(np.dot(start, end))
    if sin < 1e-9:
        rotation = np.eye(3) if cos > 0 else np.diag([1.0, -1.0, -1.0])  # half a turn about x
    else:
        k = axis / sin
        cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
        rotation = np.eye(3) + sin * cross + (1 - cos) * cross @ cross
    matrix = np.eye(4)
    matrix[:3, :3] = rotation
    matrix[:3, 3] = about - rotation @ about
    return matrix

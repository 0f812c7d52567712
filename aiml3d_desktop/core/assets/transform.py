"""Placing a model: quarter turns about an axis, "the file is Z-up", the pivot at the bottom
centre or the centre, and a real-world size. Each returns a new scene (the original is never
changed), positions in glTF's metres with +Y up."""

from __future__ import annotations

import numpy as np

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.meshes.scene import Scene, transformed

AXES = {"x": 0, "y": 1, "z": 2}
DIMENSIONS = {"width": 0, "height": 1, "depth": 2}  # along x, y and z
UNITS = {"mm": 0.001, "cm": 0.01, "m": 1.0, "in": 0.0254}  # in metres


def turn(scene: Scene, axis: str, quarters: int = 1) -> Scene:
    """Quarter turns about ``axis`` (x, y or z), counter-clockwise seen from its tip (the
    right-hand rule); -1 turns the other way."""
    if axis not in AXES:
        raise InputError(f"There is no axis {axis!r}", hint="Turn about x, y or z.")
    angle = np.pi / 2 * quarters
    c, s = round(np.cos(angle)), round(np.sin(angle))  # exact for quarter turns
    i, j = [k for k in range(3) if k != AXES[axis]]
    if axis == "y":  # the right-hand order about y is z to x
        i, j = j, i
    matrix = np.eye(4)
    matrix[i, i], matrix[i, j], matrix[j, i], matrix[j, j] = c, -s, s, c
    return transformed(scene, matrix)


def from_z_up(scene: Scene) -> Scene:
    """A model made with +Z up (CAD, 3D printing, Blender's own axes) with glTF's +Y up."""
    return turn(scene, "x", -1)


def pivot(scene: Scene, where: str = "bottom") -> Scene:
    """The origin at the bottom centre (the model resting on y = 0) or at the centre."""
    return transformed(scene, pivot_matrix(scene, where))


def pivot_matrix(scene: Scene, where: str = "bottom") -> np.ndarray:
    """The 4x4 move that ``pivot`` makes."""
    low, high = scene.bounds.astype(np.float64)
    centre = (low + high) / 2
    if where == "bottom":
        centre[1] = low[1]
    elif where != "center":
        raise InputError(f"There is no pivot {where!r}", hint="Use bottom or center.")
    matrix = np.eye(4)
    matrix[:3, 3] = -centre
    return matrix


def real_size(scene: Scene, length: float, unit: str = "mm", along: str = "height") -> Scene:
    """Scaled alike in every direction so that its ``along`` (width, height or depth) is
    ``length`` ``unit`` (mm, cm, m or in), in the scene's own unit (metres for glTF)."""
    return transformed(scene, size_matrix(scene, length, unit, along))


def size_matrix(scene: Scene, length: float, unit: str = "mm", along: str = "height"):
    """The 4x4 scaling that ``real_size`` makes (about the origin)."""
    if unit not in UNITS or along not in DIMENSIONS:
        raise InputError(
            f"Cannot size the {along} in {unit!r}",
            hint="Give the width, height or depth in mm, cm, m or in.",
        )
    if not np.isfinite(length) or length <= 0:
        raise InputError(f"A size of {length} {unit} is not a size", hint="Give a length above 0.")
    low, high = scene.bounds.astype(np.float64)
    now = float(high[DIMENSIONS[along]] - low[DIMENSIONS[along]])
    if now <= 0:
        raise InputError(f"The model is flat: it has no {along} to scale")
    factor = length * UNITS[unit] / (now * scene.unit)
    reach = float(np.abs(np.stack([low, high])).max()) * factor
    if not np.isfinite(factor) or reach > 1e30:  # float32 positions end at 3.4e38
        raise InputError(
            f"Cannot scale the model to {length:g} {unit}",
            hint="The numbers would be too large to store: move it near the origin, or ask "
            "for a smaller size.",
        )
    matrix = np.eye(4)
    matrix[:3, :3] *= factor
    return matrix

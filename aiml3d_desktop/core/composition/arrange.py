"""The geometry of placing models: a placement's matrix, its box in the world, resting it on
the ground, and the layouts that arrange a selection (a row, a grid, a circle) with a gap
between bounding boxes. Metres, +Y up, the ground at y = 0.

A model's ``outline`` is points of it whose extremes, however it is turned, are the model's:
the corners of its convex hull (assemble.Model.outline). Its box in the scene is theirs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from aiml3d_desktop.core.composition.document import Placement

LAYOUTS = ("row", "grid", "circle")


def quaternion_matrix(q: Sequence[float]) -> np.ndarray:
    """(3, 3) rotation of the unit quaternion (x, y, z, w)."""
    x, y, z, w = q
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def about(axis: int, degrees: float) -> tuple[float, float, float, float]:
    """The quaternion of a turn of ``degrees`` about +X, +Y or +Z (``axis`` 0, 1, 2),
    counter-clockwise seen from the axis' tip."""
    half = math.radians(degrees) / 2
    q = [0.0, 0.0, 0.0, math.cos(half)]
    q[axis] = math.sin(half)
    return (q[0], q[1], q[2], q[3])


def about_up(degrees: float) -> tuple[float, float, float, float]:
    """A turn about +Y (counter-clockwise seen from above)."""
    return about(1, degrees)


def times(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float, float]:
    """The rotation ``b`` then ``a`` (the Hamilton product a*b), normalised."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    q = (
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    )
    norm = math.sqrt(sum(v * v for v in q))
    return (q[0] / norm, q[1] / norm, q[2] / norm, q[3] / norm)


def matrix(placement: Placement) -> np.ndarray:
    """(4, 4): the model's own coordinates to the scene's (scale, then turn, then move)."""
    out = np.eye(4)
    out[:3, :3] = quaternion_matrix(placement.rotation) * placement.scale
    out[:3, 3] = placement.position
    return out


def world_box(placement: Placement, outline: np.ndarray) -> np.ndarray:
    """(2, 3): the placed model's box in the scene (lowest and highest corner)."""
    placed = np.asarray(outline, dtype=float) @ matrix(placement)[:3, :3].T + placement.position
    return np.stack([placed.min(axis=0), placed.max(axis=0)])


def moved(placement: Placement, delta: Sequence[float]) -> Placement:
    x, y, z = placement.position
    position = (float(x + delta[0]), float(y + delta[1]), float(z + delta[2]))
    return replace(placement, position=position)


def on_the_ground(
    origin: Sequence[float], direction: Sequence[float], height: float = 0.0
) -> tuple[float, ...] | None:
    """Where a ray (a click, the mouse dragging) meets the ground plane y = ``height``:
    (x, y, z), or None when it runs parallel to it or points away."""
    if abs(direction[1]) < 1e-9:
        return None
    t = (height - origin[1]) / direction[1]
    if t <= 0:
        return None
    return tuple(float(origin[i] + t * direction[i]) for i in range(3))


def snapped(value: float, step: float) -> float:
    """``value`` to the nearest multiple of ``step`` (0: as it is): a grid, or an angle."""
    return float(round(value / step) * step) if step > 0 else float(value)


def on_ground(placement: Placement, outline: np.ndarray) -> Placement:
    """Moved up or down so that its lowest point touches the ground."""
    return moved(placement, (0.0, -float(world_box(placement, outline)[0, 1]), 0.0))


def beside(
    placement: Placement, outline: np.ndarray, boxes: Sequence[np.ndarray], gap: float
) -> Placement:
    """Moved along X and Z to stand ``gap`` to the right of ``boxes`` (the scene's models),
    centred front to back on the origin (on it, when there are none); its height kept."""
    low, high = world_box(placement, outline)
    if boxes:
        right = max(float(box[1, 0]) for box in boxes)
        x = right + gap - float(low[0])
    else:
        x = -float(low[0] + high[0]) / 2
    return moved(placement, (x, 0.0, -float(low[2] + high[2]) / 2))


def layout(boxes: Sequence[np.ndarray], how: str, gap: float) -> list[np.ndarray]:
    """For each world box, the move (x, y, z) that puts it in its place in a ``how`` layout
    around the origin, resting on the ground, ``gap`` metres between neighbouring boxes.

    row: along +X, centred on the origin, the boxes' centres on z = 0. grid: as square as it
    can be, row by row (+X, then +Z), each column as wide as its widest box and each row as
    deep as its deepest. circle: about +Y, in order from -Z (the front) towards +X, the gap
    between the circles around neighbouring footprints."""
    if how not in LAYOUTS:
        raise ValueError(how)
    if not boxes:
        return []
    boxes = [np.asarray(b, dtype=float) for b in boxes]
    sizes = np.array([b[1] - b[0] for b in boxes])
    centres = np.array([(b[0] + b[1]) / 2 for b in boxes])
    if how == "row":
        slots = _row(sizes[:, 0], gap)
    elif how == "grid":
        slots = _grid(sizes, gap)
    else:
        slots = _circle(np.hypot(sizes[:, 0], sizes[:, 2]) / 2, gap)
    moves = []
    for box, centre, (x, z) in zip(boxes, centres, slots, strict=True):
        moves.append(np.array([x - centre[0], -box[0, 1], z - centre[2]]))
    return moves


def _row(widths: np.ndarray, gap: float) -> list[tuple[float, float]]:
    total = float(widths.sum() + gap * (len(widths) - 1))
    left = -total / 2
    slots = []
    for width in widths:
        slots.append((left + width / 2, 0.0))
        left += width + gap
    return slots


def _grid(sizes: np.ndarray, gap: float) -> list[tuple[float, float]]:
    count = len(sizes)
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    widths = np.zeros(columns)
    depths = np.zeros(rows)
    for i, size in enumerate(sizes):
        widths[i % columns] = max(widths[i % columns], size[0])
        depths[i // columns] = max(depths[i // columns], size[2])
    xs = _row(widths, gap)
    zs = _row(depths, gap)
    return [(xs[i % columns][0], zs[i // columns][0]) for i in range(count)]


def _circle(radii: np.ndarray, gap: float) -> list[tuple[float, float]]:
    """Centres on a circle whose chords between neighbours are their radii plus the gap:
    the circle's radius found by bisection (the chords' angles must close the turn)."""
    if len(radii) == 1:
        return [(0.0, 0.0)]
    chords = radii + np.roll(radii, -1) + gap
    low = high = float(chords.max()) / 2

    def turn(radius: float) -> float:
        return float((2 * np.arcsin(np.minimum(chords / (2 * radius), 1.0))).sum())

    while turn(high) > 2 * math.pi:
        high *= 2
    if turn(low) > 2 * math.pi:
        for _ in range(60):
            middle = (low + high) / 2
            low, high = (middle, high) if turn(middle) > 2 * math.pi else (low, middle)
    radius = high
    angles = 2 * np.arcsin(np.minimum(chords / (2 * radius), 1.0))
    # Two models (or one much bigger than the rest) leave some of the turn over: shared out.
    angles += (2 * math.pi - angles.sum()) / len(angles)
    slots, angle = [], 0.0
    for step in angles:
        slots.append((radius * math.sin(angle), -radius * math.cos(angle)))
        angle += float(step)
    return slots


def yaw(rotation: Sequence[float]) -> float:
    """Degrees the rotation turns the model's front (+Z) about up, as about_up counts them
    (-180..180): what the transform panel shows as its turn."""
    front = quaternion_matrix(rotation)[:3, 2]
    return math.degrees(math.atan2(float(front[0]), float(front[2])))

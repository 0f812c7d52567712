"""Handles on the chosen models (a gizmo), Qt-free: an arrow along each axis moves them along
it, a ring about each axis turns them about it, a knob beyond each arrow scales them; all
about the centre of their boxes, the way Blender's and most editors' transform gizmo works.
A handle's whole drag is one change to undo.

The handles stand at the ``pivot`` and are ``size`` metres long: the caller sizes them to a
share of the eye's distance (``size_for``), so they keep their size on screen at any zoom.
A ray takes the handle it passes nearest, within REACH of it. Rays come as for drag.py: an
origin and a direction in the scene's coordinates (metres, +Y up).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from aiml3d_desktop.core.composition import arrange
from aiml3d_desktop.core.composition.document import SCALES, Placement, SceneFileError
from aiml3d_desktop.core.composition.history import Composition, Outlines

KINDS = ("move", "turn", "scale")
AXES = np.eye(3)
MERGE = "handle"  # the merge key: the steps of one handle's drag fold into one change
SIZE = 0.16  # the handles' length, as a share of the eye's distance to them
REACH = 0.07  # how near (a share of their length) a ray must pass to take a handle
# Along the axis, in handle lengths: the arrow's shaft, the scale knob, the ring's radius.
SHAFT, KNOB, KNOB_SIZE, RING = (0.25, 1.0), 1.22, 0.09, 0.72
RING_SEGMENTS = 48
EDGE_ON = 0.12  # a ring or axis seen this nearly edge-on (or end-on) is not followed


@dataclass(frozen=True)
class Handle:
    kind: str  # one of KINDS
    axis: int  # 0, 1, 2: X, Y (up), Z

    @property
    def label(self) -> str:
        name = "XYZ"[self.axis]
        return {"move": f"Move along {name}", "turn": f"Turn about {name}"}.get(self.kind, "Scale")


HANDLES = tuple(Handle(kind, axis) for kind in KINDS for axis in range(3))


def size_for(pivot: np.ndarray, eye: np.ndarray) -> float:
    return max(SIZE * float(np.linalg.norm(np.asarray(eye) - pivot)), 1e-4)


def pivot(composition: Composition, ids: Sequence[str], outlines: Outlines) -> np.ndarray | None:
    """The centre of the boxes of ``ids`` that can be moved (shown, not locked), or None."""
    doc = composition.doc
    boxes = [
        arrange.world_box(p, outlines[p.source.key])
        for p in doc.placements
        if p.id in ids and p.source.key in outlines and doc.shown(p) and doc.editable(p)
    ]
    if not boxes:
        return None
    low = np.min([b[0] for b in boxes], axis=0)
    high = np.max([b[1] for b in boxes], axis=0)
    return (low + high) / 2


def segments(centre: np.ndarray, size: float) -> dict[Handle, np.ndarray]:
    """Each handle as line segments, (n, 2, 3): what is drawn and what a ray is tried on."""
    out: dict[Handle, np.ndarray] = {}
    for axis in range(3):
        a, b, c = AXES[axis], AXES[(axis + 1) % 3], AXES[(axis + 2) % 3]
        tip = centre + SHAFT[1] * size * a
        barbs = [tip - 0.12 * size * a + side * 0.05 * size for side in (b, -b, c, -c)]
        out[Handle("move", axis)] = np.array(
            [[centre + SHAFT[0] * size * a, tip]] + [[tip, barb] for barb in barbs]
        )
        knob = centre + KNOB * size * a
        out[Handle("scale", axis)] = box_edges(
            knob - KNOB_SIZE / 2 * size, knob + KNOB_SIZE / 2 * size
        )
        angles = np.linspace(0, 2 * math.pi, RING_SEGMENTS + 1)
        ring = centre + RING * size * (np.outer(np.cos(angles), b) + np.outer(np.sin(angles), c))
        out[Handle("turn", axis)] = np.stack([ring[:-1], ring[1:]], axis=1)
    return out


def box_edges(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """(12, 2, 3): the twelve edges of the box from ``low`` to ``high``, each a pair of points."""
    corners = np.array([[x, y, z] for x in (low[0], high[0]) for y in (low[1], high[1])
                        for z in (low[2], high[2])])  # fmt: skip
    pairs = [(m, n) for m in range(8) for n in range(m + 1, 8) if bin(m ^ n).count("1") == 1]
    return np.array([[corners[m], corners[n]] for m, n in pairs])


def ray_distances(origin: np.ndarray, direction: np.ndarray, segs: np.ndarray) -> np.ndarray:
    """The distance from the ray's line to each segment (n, 2, 3)."""
    u = np.asarray(direction, dtype=float) / np.linalg.norm(direction)
    w = segs[:, 0] - origin
    v = segs[:, 1] - segs[:, 0]
    w = w - np.outer(w @ u, u)  # both seen along the ray
    v = v - np.outer(v @ u, u)
    vv = np.einsum("ij,ij->i", v, v)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(vv > 1e-18, -np.einsum("ij,ij->i", w, v) / vv, 0.0)
    s = np.clip(s, 0.0, 1.0)
    return np.linalg.norm(w + s[:, None] * v, axis=1)


def usable(handle: Handle, direction: np.ndarray) -> bool:
    """Whether a handle can be followed seen along ``direction``: not a ring seen edge-on,
    nor an arrow or knob seen end-on (a line across the others that would only get in
    the way: it is not drawn)."""
    length = float(np.linalg.norm(direction))
    if not length > 1e-12:  # no direction (the eye on the handles), or not a number
        return False
    along = abs(float(AXES[handle.axis] @ direction) / length)
    if handle.kind == "turn":
        return along >= EDGE_ON
    return 1 - along >= EDGE_ON * EDGE_ON / 2


def pick(
    centre: np.ndarray, size: float, origin: np.ndarray, direction: np.ndarray
) -> Handle | None:
    """The usable handle the ray passes nearest, if within REACH of it."""
    best, nearest = None, REACH * size
    for handle, segs in segments(centre, size).items():
        if not usable(handle, direction):
            continue
        distance = float(ray_distances(origin, direction, segs).min())
        if distance < nearest:
            best, nearest = handle, distance
    return best


def along_axis(
    centre: np.ndarray, axis: int, origin: np.ndarray, direction: np.ndarray
) -> float | None:
    """Where along the axis line through ``centre`` the ray passes nearest it (metres from
    the centre), or None when the ray runs (nearly) along the axis."""
    a = AXES[axis]
    u = np.asarray(direction, dtype=float) / np.linalg.norm(direction)
    along = float(a @ u)
    if not usable(Handle("move", axis), u):
        return None
    w = np.asarray(origin, dtype=float) - centre
    return float((w @ a - along * (w @ u)) / (1 - along * along))


def angle_about(
    centre: np.ndarray, axis: int, origin: np.ndarray, direction: np.ndarray
) -> float | None:
    """The angle (degrees, counter-clockwise seen from the axis' tip) of where the ray
    meets the plane through ``centre`` across the axis, or None when it is seen edge-on."""
    a, b, c = AXES[axis], AXES[(axis + 1) % 3], AXES[(axis + 2) % 3]
    u = np.asarray(direction, dtype=float) / np.linalg.norm(direction)
    if not usable(Handle("turn", axis), u):
        return None
    t = float((centre - origin) @ a) / float(a @ u)
    r = np.asarray(origin, dtype=float) + t * u - centre
    if np.linalg.norm(r) < 1e-12:
        return None
    return math.degrees(math.atan2(float(r @ c), float(r @ b)))


class HandleDrag:
    """One drag of ``handle`` on the placements ``ids`` (their pivot ``centre``): each ``to``
    sets them where the handle now puts them, worked out from where they were when grabbed.
    Moves snap to ``step`` metres and turns to ``angle`` degrees (0: freely)."""

    def __init__(
        self,
        composition: Composition,
        ids: Sequence[str],
        handle: Handle,
        centre: np.ndarray,
        origin: np.ndarray,
        direction: np.ndarray,
        step: float = 0.0,
        angle: float = 0.0,
    ) -> None:
        self.composition, self.handle = composition, handle
        self.centre = np.asarray(centre, dtype=float)
        self.step, self.angle = step, angle
        doc = composition.doc
        # What pivot() measured: a hidden model stays where it is.
        self.before = [
            p for p in doc.placements if p.id in ids and doc.shown(p) and doc.editable(p)
        ]
        self.start = self._measure(origin, direction)
        self.applied: float | None = None
        composition.end_merge()  # an earlier drag's change is not this one's

    def _measure(self, origin: np.ndarray, direction: np.ndarray) -> float | None:
        if self.handle.kind == "turn":
            return angle_about(self.centre, self.handle.axis, origin, direction)
        return along_axis(self.centre, self.handle.axis, origin, direction)

    def to(self, origin: np.ndarray, direction: np.ndarray) -> None:
        value = self._measure(origin, direction)
        if value is None or self.start is None:
            return  # seen edge-on: they stay where they were
        kind = self.handle.kind
        if kind == "move":
            amount = arrange.snapped(value - self.start, self.step)
        elif kind == "turn":
            amount = arrange.snapped((value - self.start + 180) % 360 - 180, self.angle)
        else:  # the knob's distance from the centre, as a share of where it was grabbed
            if abs(self.start) < 1e-12:
                return
            amount = round(max(value / self.start, 0.01), 3)
        if amount == self.applied:
            return
        try:
            self.composition.place(self.handle.label, self._placed(amount), merge=MERGE)
        except SceneFileError:
            return  # out of reach (history._in_reach): they stay where they last could be
        self.applied = amount

    def _placed(self, amount: float) -> list[Placement]:
        axis, centre = self.handle.axis, self.centre
        out = []
        for p in self.before:
            position = np.asarray(p.position, dtype=float)
            if self.handle.kind == "move":
                out.append(arrange.moved(p, tuple(amount * AXES[axis])))
                continue
            if self.handle.kind == "turn":
                turn = arrange.about(axis, amount)
                position = centre + arrange.quaternion_matrix(turn) @ (position - centre)
                changed = replace(p, rotation=arrange.times(turn, p.rotation))
            else:
                scale = float(np.clip(p.scale * amount, *SCALES))
                position = centre + (scale / p.scale) * (position - centre)
                changed = replace(p, scale=scale)
            x, y, z = (float(v) for v in position)
            out.append(replace(changed, position=(x, y, z)))
        return out

    def end(self) -> None:
        self.composition.end_merge()

"""Moving placements with the mouse, Qt-free: a drag that starts on a chosen model's box
slides the chosen over the ground, in the horizontal plane through the point grabbed, the
way Blender's G and most scene editors move things. The whole drag is one change to undo.

Rays come as the viewer gives them: an origin and a direction in the scene's coordinates
(metres, +Y up).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aiml3d_desktop.core.composition import arrange
from aiml3d_desktop.core.composition.document import SceneFileError
from aiml3d_desktop.core.composition.history import Composition, Outlines

MERGE = "drag"  # the merge key: the moves of one drag fold into one change
# A ray that meets the plane more than this many times farther from the eye than the point
# grabbed grazes it: the mouse near the horizon would throw the model hundreds of metres.
FAR = 8.0


def ray_box(origin: np.ndarray, direction: np.ndarray, box: np.ndarray) -> float | None:
    """Where along the ray (as a multiple of ``direction``) it enters the (2, 3) box, or
    None when it misses it (the slab test; a ray starting inside meets it at 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        near = (box[0] - origin) / direction
        far = (box[1] - origin) / direction
    low, high = np.minimum(near, far), np.maximum(near, far)
    # An axis the ray runs along gives nan when the origin is on a face: no limit there.
    enter = float(np.nanmax(np.append(low, 0.0)))
    leave = float(np.nanmin(np.append(high, np.inf)))
    return enter if enter <= leave else None


def grabbed(
    composition: Composition,
    ids: Sequence[str],
    outlines: Outlines,
    origin: np.ndarray,
    direction: np.ndarray,
) -> np.ndarray | None:
    """The point where the ray first meets the box of one of ``ids`` that can be moved
    (shown, not locked), or None."""
    doc = composition.doc
    nearest: float | None = None
    for placement in doc.placements:
        if placement.id not in ids or placement.source.key not in outlines:
            continue
        if not (doc.shown(placement) and doc.editable(placement)):
            continue
        hit = ray_box(
            origin, direction, arrange.world_box(placement, outlines[placement.source.key])
        )
        if hit is not None and (nearest is None or hit < nearest):
            nearest = hit
    return None if nearest is None else origin + nearest * direction


class GroundDrag:
    """One drag of the placements ``ids`` from ``start`` (where the ray met them): each
    ``to`` moves them so that the start point follows the ray over its horizontal plane,
    in steps of ``step`` metres along X and Z when ``step`` is above 0."""

    def __init__(
        self, composition: Composition, ids: Sequence[str], start: np.ndarray, step: float = 0.0
    ) -> None:
        self.composition = composition
        doc = composition.doc
        self.ids = [p.id for p in doc.placements if p.id in ids and doc.shown(p)]  # as grabbed
        self.start = np.asarray(start, dtype=np.float64)
        self.step = step
        self.applied = np.zeros(3)  # the move made so far
        composition.end_merge()  # an earlier drag's change is not this one's

    def to(self, origin: np.ndarray, direction: np.ndarray) -> None:
        point = arrange.on_the_ground(list(origin), list(direction), float(self.start[1]))
        reach = FAR * float(np.linalg.norm(self.start - origin))
        if point is None or float(np.linalg.norm(np.subtract(point, origin))) > reach:
            return  # the plane out of sight, or near the horizon: they stay where they were
        delta = np.subtract(point, self.start)
        delta[1] = 0.0
        if self.step > 0:
            delta = np.array([arrange.snapped(float(d), self.step) for d in delta])
        if np.allclose(delta, self.applied):
            return
        try:
            self.composition.move(self.ids, tuple(delta - self.applied), merge=MERGE)
        except SceneFileError:
            return  # out of reach (history._in_reach): they stay where they last could be
        self.applied = delta

    def end(self) -> None:
        self.composition.end_merge()

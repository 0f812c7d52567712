"""Stand upright (issue 26): a model that already stands keeps its pose; one that does not is
turned to rest on a side it can stand on, and the decision says which turn and why.

The sides are found on the convex hull the way a dropped model settles: from each hull face
it topples across the edge its centre of mass leans over, until it reaches a face that holds
the centre of mass above it (a rest). Rests within SPREAD degrees of each other are one side
(a round base's many small faces), which it sits on where its centre of mass is lowest. On
each side: how far it leans before it tips over, how far its centre of mass rises for that,
and whether it rolls (a can on its side: it turns further than ROUND without rising).

The pose it came in is kept when the side under it does not roll and it leans at least
LEAST_TIP before it tips over. Otherwise it turns onto the best other side (``_ranked``). A
stable pose is kept even when it is not the way the model was meant to stand (a chair on its
back): nothing in the shape tells that from a board lying flat. The other sides are offered
as choices, with "keep as it was"."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import ConvexHull

from aiml3d_desktop.core.assets.clean import TRIANGLE_CHUNK
from aiml3d_desktop.core.assets.transform import transformed
from aiml3d_desktop.core.meshes.scene import Scene

HULL_POINTS = 50_000  # a sample is enough for the hull's large faces, in a fifth of a second
MERGE = 1e-3  # of the size: hull faces this close to a plane count as one face
SPREAD = 20.0  # degrees: rests this close in direction are one side
ROUND = 40.0  # degrees: a model that turns this far without rising rolls
ROLL = 0.005  # of the size: a rise this small does not stop it rolling (the hull's facets)
DROP = 0.001  # of the size: a fall this small is a facet's ripple, not tipping over
KEEP_TILT = 15.0  # degrees: a rest this near straight down is the side it stands on now
SNAP = 5.0  # degrees: a rest this near an axis lies on the axis (the rest is unevenness)
LEAST_TIP = 1.0  # degrees: a pose it tips out of when leaned less than this is no pose
FIRM_TIP = 3.0  # degrees: a side to turn it onto stands this firmly (a dent in a ball: no)
BEARINGS = 24  # directions it is leaned in to see how far it leans before it tips over
TILTS = np.arange(0.0, 90.5, 0.5)  # degrees: how far
TALL = 5  # a pose twice as tall counts as 2**5 times as firm
ALTERNATIVES = 4
DOWN = np.array([0.0, -1.0, 0.0])
AXIS_NAMES = "XYZ"
FLAT = "it is flat"
# Where the side it rested on points once it stands (glTF: +Z is the front), in words.
LYING = (
    ((0.0, 1.0, 0.0), "upside down"),
    ((0.0, 0.0, -1.0), "lying on its back"),
    ((0.0, 0.0, 1.0), "lying on its front"),
    ((1.0, 0.0, 0.0), "lying on its side"),
    ((-1.0, 0.0, 0.0), "lying on its side"),
    ((0.0, -1.0, 0.0), "leaning over"),
)
# Which way a side faces now, in the view's words.
FACING = (
    ((0.0, -1.0, 0.0), "down"),
    ((0.0, 1.0, 0.0), "up"),
    ((0.0, 0.0, 1.0), "the front"),
    ((0.0, 0.0, -1.0), "the back"),
    ((1.0, 0.0, 0.0), "the right"),
    ((-1.0, 0.0, 0.0), "the left"),
)
SHORT = ("bottom", "top", "front", "back", "right", "left")
SIDES = tuple((way, name) for (way, _), name in zip(FACING, SHORT, strict=True))  # the same


@dataclass(frozen=True)
class Turn:
    """One way to stand the model: ``angle`` degrees about ``axis`` (the right-hand rule),
    through the centre of its bounds, to rest on the side whose outward normal is ``rest``
    as the model is now; ``reason`` says why, ``tip`` how far it then leans before it falls
    over (degrees)."""

    axis: tuple[float, float, float]
    angle: float
    rest: tuple[float, float, float]
    reason: str
    tip: float = 0.0

    @property
    def kept(self) -> bool:
        return self.angle == 0

    def words(self) -> str:
        """'turned 90° about X', 'turned 37° about (0.60, 0.00, 0.80)', 'kept as it was'."""
        if self.kept:
            return "kept as it was"
        named = [AXIS_NAMES[i] for i in range(3) if self.axis[i] == 1.0]
        about = named[0] if named else "({:.2f}, {:.2f}, {:.2f})".format(*self.axis)
        return f"turned {self.angle:.0f}° about {about}"

    def quarter(self) -> str | None:
        """The same turn as ``aiml3d process --turn`` takes it (x90, z-90, x180), if it is one."""
        if self.kept or 1.0 not in self.axis or self.angle % 90:
            return None
        return f"{AXIS_NAMES[self.axis.index(1.0)].lower()}{self.angle:.0f}"

    def side(self) -> str:
        """The side it then rests on, as the model faces now: 'the side facing the back'."""
        return f"the side facing {_nearest(np.array(self.rest), FACING)}"

    def option(self) -> str:
        """The choice, short: 'Turn 90° about X: front side down', 'Keep as it was'."""
        if self.kept:
            return "Keep as it was"
        side = _nearest(np.array(self.rest), SIDES)
        return f"Turn{self.words().removeprefix('turned')}: {side} side down"

    def matrix(self, about: np.ndarray) -> np.ndarray:
        """The 4x4 turn about the point ``about``."""
        rotation = _rotation(np.array(self.axis), np.radians(self.angle))
        matrix = np.eye(4)
        matrix[:3, :3] = rotation
        matrix[:3, 3] = about - rotation @ about
        return matrix

    def as_dict(self) -> dict:
        return {
            "turn": self.words(),
            "axis": list(self.axis),
            "angle": self.angle,
            "rest": list(self.rest),
            "reason": self.reason,
            "tip": round(self.tip, 1),
            "as_turn": self.quarter(),
        }


@dataclass(frozen=True)
class Upright:
    """What Stand upright did (``turn``), and the ways it offers: the automatic choice first,
    then the alternatives, "keep as it was" among them."""

    turn: Turn
    choices: tuple[Turn, ...]

    def line(self) -> str:
        return f"Stand upright: {self.turn.words()}: {self.turn.reason}"

    def as_dict(self) -> dict:
        return {**self.turn.as_dict(), "choices": [c.as_dict() for c in self.choices]}


@dataclass(frozen=True)
class _Side:
    """A side it can settle on: its outward normal; how far it leans before it tips over
    (degrees) and how far its centre of mass rises for that; whether it rolls; and how tall
    it stands on it (the last two as shares of its size)."""

    normal: np.ndarray
    tip: float
    depth: float
    rolls: bool
    height: float


KEEP = Turn((1.0, 0.0, 0.0), 0.0, (0.0, -1.0, 0.0), "as chosen")


def upright(scene: Scene, rest: tuple[float, float, float] | None = None) -> Scene:
    """``scene`` stood upright (see ``decide``), with +Y up."""
    return apply(scene, decide(scene, rest))


def apply(scene: Scene, decision: Upright) -> Scene:
    """``scene`` turned as ``decision`` says (the same scene when it keeps the pose)."""
    if decision.turn.reason == FLAT:
        return replace(scene, notes=[*scene.notes, "Stand upright left it as it was: it is flat."])
    if decision.turn.kept:
        return scene
    return transformed(scene, decision.turn.matrix(scene.bounds.mean(axis=0).astype(np.float64)))


def decide(scene: Scene, rest: tuple[float, float, float] | None = None) -> Upright:
    """How to stand ``scene`` upright, and the other ways; ``rest`` (an outward normal as
    the model is now, one of the choices) picks one instead: (0, -1, 0) keeps it as it is."""
    hull = _hull(scene)
    if hull is None:
        kept = replace(KEEP, reason=FLAT)
        return Upright(kept, (kept,))
    sides, now = _sides(hull, _centre_of_mass(scene))
    automatic, others = _choose(sides, now)
    choices = (automatic, *others)
    if rest is None:
        return Upright(automatic, choices)
    wanted = np.asarray(rest, dtype=np.float64) / (np.linalg.norm(rest) or 1.0)
    for choice in choices:
        if float(np.dot(choice.rest, wanted)) > np.cos(np.radians(1.0)):
            return Upright(replace(choice, reason="as chosen"), choices)
    return Upright(_turn_to(wanted, "as chosen"), choices)


# Choosing


def _choose(sides: list[_Side], now: int | None) -> tuple[Turn, list[Turn]]:
    """The automatic turn, and up to ALTERNATIVES others then "keep as it was"."""
    current = sides[now] if now is not None else None
    cause = _cause(current)
    stands = current is not None and not cause
    others = [s for s in sides if not (stands and s is current)]  # a side it falls onto counts
    candidates = _ranked([s for s in others if not s.rolls and s.tip >= FIRM_TIP])
    turns = [_turn_to(s.normal, "", s.tip) for s in candidates]
    turns = [replace(t, reason=f"it rests on {t.side()}") for t in turns]
    if stands:
        assert current is not None
        why = f"it stands on a stable base (it leans {current.tip:.0f}° before it tips over)"
        return replace(KEEP, reason=why, tip=current.tip), turns[:ALTERNATIVES]
    if not turns:
        round_all_over = "it is round all over: " if cause == ROLLS else ""
        return replace(KEEP, reason=f"{round_all_over}no side stands better"), []
    why = f"it was {_lying(candidates[0].normal)}{cause}"
    keep = replace(KEEP, reason=f"as it came{cause}")
    return replace(turns[0], reason=why), [*turns[1 : ALTERNATIVES + 1], keep]


ROLLS, FALLS, TIPS = ", where it rolls", ", where it falls over", ", where a touch tips it over"


def _cause(current: _Side | None) -> str:
    """Why the pose it came in is no pose to keep ("" when it is)."""
    if current is not None and current.rolls:
        return ROLLS
    if current is None or _angle(current.normal, DOWN) > KEEP_TILT:
        return FALLS  # it settles on another side
    return TIPS if current.tip < LEAST_TIP else ""


def _ranked(sides: list[_Side]) -> list[_Side]:
    """``sides`` best first: those facing straight down, up or level (a quarter or half
    turn stands it: a model lying as it was made, in another axis convention) before the
    slanting ones; then by how firmly it stands (how far its centre of mass must rise for
    it to tip over) and how tall, height counting most (TALL: a chair on its feet rather
    than on its back, a mug on its base rather than on its side and handle)."""
    return sorted(sides, key=lambda s: (not _square(s.normal), -s.depth * s.height**TALL))


def _square(normal: np.ndarray) -> bool:
    """Whether ``normal`` is level or upright (within SNAP)."""
    return bool(abs(_snapped(normal)[1]) in (0.0, 1.0))


def _lying(normal: np.ndarray) -> str:
    """Where the side it lay on points once it stands on ``normal``, in words."""
    turn = _turn_to(normal, "")
    after = _rotation(np.array(turn.axis), np.radians(turn.angle)) @ DOWN
    return _nearest(after, LYING)


def _nearest(direction: np.ndarray, named) -> str:
    return max(named, key=lambda pair: float(np.dot(pair[0], direction)))[1]


def _turn_to(normal: np.ndarray, reason: str, tip: float = 0.0) -> Turn:
    """The shortest turn that puts the side facing ``normal`` down (a half turn about X
    when it faces straight up); snapped to an axis when it nearly is one."""
    normal = _snapped(normal)
    cross = np.cross(normal, DOWN)
    sin, cos = float(np.linalg.norm(cross)), float(np.dot(normal, DOWN))
    if sin < 1e-9:
        axis = np.array([1.0, 0.0, 0.0])
        angle = 0.0 if cos > 0 else 180.0
    else:
        axis, angle = cross / sin, float(np.degrees(np.arctan2(sin, cos)))
    axis = _snapped(axis)
    if axis.min() == -1.0:  # about -X is the other way about X
        axis, angle = -axis, -angle
    return Turn(_triple(axis), round(angle, 3), _triple(normal), reason, tip)


def _triple(vector: np.ndarray) -> tuple[float, float, float]:
    return float(vector[0]), float(vector[1]), float(vector[2])


def _snapped(direction: np.ndarray) -> np.ndarray:
    """``direction`` as the axis it is within SNAP degrees of; else made level if it is
    within SNAP of level (a lying model turned about Y); else as it is."""
    direction = np.asarray(direction, dtype=np.float64)
    i = int(np.argmax(np.abs(direction)))
    if abs(direction[i]) >= np.cos(np.radians(SNAP)):
        snapped = np.zeros(3)
        snapped[i] = np.sign(direction[i])
        return snapped
    if abs(direction[1]) <= np.sin(np.radians(SNAP)):
        direction = np.array([direction[0], 0.0, direction[2]])
    return direction / np.linalg.norm(direction)


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(np.dot(a, b), -1.0, 1.0))))


def _rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rodrigues: ``angle`` radians about the unit ``axis``."""
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


# The hull and where it settles


def _hull(scene: Scene) -> ConvexHull | None:
    """The convex hull of (a sample of) the model's points; None when it is flat."""
    positions = scene.merged.positions.astype(np.float64)
    if len(positions) > HULL_POINTS:
        rng = np.random.default_rng(0)
        positions = positions[rng.choice(len(positions), HULL_POINTS, replace=False)]
    size = float(np.linalg.norm(np.ptp(positions, axis=0)))
    try:
        return ConvexHull(positions, qhull_options=f"Qt C-{MERGE * size:.6g}")
    except Exception:  # qhull's own error for flat or degenerate input
        return None


def _sides(hull: ConvexHull, centre: np.ndarray) -> tuple[list[_Side], int | None]:
    """The sides it can settle on, and which of them it settles on from the pose it is in
    (None if that is none)."""
    heights = -(hull.equations @ np.append(centre, 1.0))  # the centre's height above each face
    planes = np.unique(np.round(hull.equations, 6), axis=0, return_inverse=True)[1].ravel()
    ends = planes[_settle(hull, centre, heights)]  # the face each triangle settles on
    chance = _solid_angles(hull.points[hull.simplices] - centre) / (4 * np.pi)
    shares = np.bincount(ends, chance, planes.max() + 1)
    rests = np.unique(ends)
    first = np.unique(planes, return_index=True)[1][rests]  # a triangle of each
    now_plane = ends[int(np.argmax(hull.equations[:, :3] @ DOWN))]
    size = float(np.linalg.norm(np.ptp(hull.points, axis=0)))
    points = hull.points[hull.vertices]
    sides: list[_Side] = []
    now: int | None = None
    for members in _groups(hull.equations[first, :3]):
        main = first[members[int(np.argmax(shares[rests[members]]))]]  # the likeliest rest
        normal = _settled(points, centre, hull.equations[main, :3])
        same = [i for i, side in enumerate(sides) if _same_way(side.normal, normal)]
        if now_plane in rests[members]:
            now = same[0] if same else len(sides)
        if same:
            continue  # two groups of rests that settle the same way
        tip, depth = _lean(points, centre, normal, DROP * size)
        under = int(np.argmax(hull.equations[:, :3] @ normal))  # the face it settles on
        rolls = _rolls(hull, heights, under, ROLL * size)
        height = float(np.ptp(points @ normal))
        sides.append(_Side(normal, tip, depth / size, rolls, height / size))
    return sides, now


def _same_way(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether resting on ``a`` and on ``b`` is the same turn (within a degree)."""
    return _angle(_snapped(a), _snapped(b)) < 1.0


def _settle(hull: ConvexHull, centre: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """For each hull triangle, the triangle the model comes to rest on when put down on it:
    a triangle that holds the centre of mass above it keeps it; another topples it across
    the edge the centre leans over (the edge the line from its middle to the centre's foot
    crosses), and so on."""
    foot = centre + heights[:, None] * hull.equations[:, :3]
    weights = _barycentric(hull.points[hull.simplices], foot)
    each = np.arange(len(foot))
    across = hull.neighbors[each, weights.argmin(axis=1)]  # the most negative weight's edge
    step = np.where(weights.min(axis=1) >= -1e-9, each, across)
    for _ in range(int(np.log2(len(step))) + 2):  # each pass doubles how far it has gone
        step = step[step]
    return step


def _barycentric(corners: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Each point's weights on the corners of its triangle (all >= 0 inside it)."""
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    v0, v1, v2 = b - a, c - a, points - a
    d00, d01, d11 = (np.einsum("ij,ij->i", x, y) for x, y in ((v0, v0), (v0, v1), (v1, v1)))
    d20, d21 = np.einsum("ij,ij->i", v2, v0), np.einsum("ij,ij->i", v2, v1)
    den = d00 * d11 - d01 * d01
    den = np.where(den == 0, 1e-300, den)
    v = (d11 * d20 - d01 * d21) / den
    w = (d00 * d21 - d01 * d20) / den
    return np.stack([1 - v - w, v, w], axis=1)


def _groups(normals: np.ndarray) -> list[np.ndarray]:
    """Rests joined where they are within SPREAD degrees, one to the next (so that a round
    side is one group however far it goes round)."""
    near = normals @ normals.T > np.cos(np.radians(SPREAD))
    count, label = connected_components(csr_matrix(near), directed=False)
    return [np.flatnonzero(label == g) for g in range(count)]


def _rolls(hull: ConvexHull, heights: np.ndarray, start: int, rise: float) -> bool:
    """Whether the model rolls from hull face ``start``: it goes from face to neighbouring
    face (less than SPREAD degrees apart) with its centre of mass never ``rise`` higher, and
    so turns further than ROUND (a can on its side; not a flat base, nor a round one whose
    centre of mass is low enough that rocking it lifts it)."""
    normals = hull.equations[:, :3]
    reachable = heights <= heights[start] + rise
    seen = np.zeros(len(heights), dtype=bool)
    seen[start] = True
    frontier = np.array([start])
    near = np.cos(np.radians(SPREAD))
    while len(frontier):
        if (normals[frontier] @ normals[start]).min() < np.cos(np.radians(ROUND)):
            return True
        pairs = np.stack([np.repeat(frontier, 3), hull.neighbors[frontier].ravel()], axis=1)
        step = np.einsum("ij,ij->i", normals[pairs[:, 0]], normals[pairs[:, 1]]) > near
        pairs = pairs[step & reachable[pairs[:, 1]] & ~seen[pairs[:, 1]]]
        frontier = np.unique(pairs[:, 1])
        seen[frontier] = True
    return False


def _lift(points: np.ndarray, centre: np.ndarray, downs: np.ndarray) -> np.ndarray:
    """The height of the centre of mass above the floor with each of ``downs`` (unit
    vectors, the last axis) pointing down: what the model lowers when it can."""
    flat = downs.reshape(-1, 3)
    return ((points @ flat.T).max(axis=0) - flat @ centre).reshape(downs.shape[:-1])


def _tilted(normal: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """``normal`` tilted by each of ``angles`` (radians) towards each of BEARINGS directions
    around it: (bearings, angles, 3)."""
    u = np.cross(normal, [1.0, 0.0, 0.0] if abs(normal[0]) < 0.9 else [0.0, 1.0, 0.0])
    u /= np.linalg.norm(u)
    turn = np.linspace(0, 2 * np.pi, BEARINGS, endpoint=False)[:, None, None]
    towards = np.cos(turn) * u + np.sin(turn) * np.cross(normal, u)
    angles = angles[None, :, None]
    return np.cos(angles) * normal + np.sin(angles) * towards


def _settled(points: np.ndarray, centre: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """The way down near ``normal`` where the centre of mass is lowest: where the model
    comes to rest on a round base (a hull face's normal is a few degrees from it)."""
    for step in (4.0, 2.0, 1.0, 0.5, 0.25):
        while True:
            around = _tilted(normal, np.radians([step]))[:, 0]
            lifts = _lift(points, centre, around)
            if lifts.min() >= _lift(points, centre, normal[None])[0] - 1e-12:
                break
            normal = around[int(np.argmin(lifts))]
    return normal / np.linalg.norm(normal)


def _lean(
    points: np.ndarray, centre: np.ndarray, normal: np.ndarray, drop: float
) -> tuple[float, float]:
    """Resting on ``normal``: how far (degrees) the model leans before it tips over, and
    how high its centre of mass must rise for that; the least, in any direction. It tips
    at the top of the rise before the centre of mass falls (by more than ``drop``: the
    ripples of a faceted round base are no fall)."""
    lifts = _lift(points, centre, _tilted(normal, np.radians(TILTS)))
    falls = lifts < np.maximum.accumulate(lifts, axis=1) - drop
    ends = np.where(falls.any(axis=1), falls.argmax(axis=1), len(TILTS))
    tops = [int(np.argmax(row[:end])) for row, end in zip(lifts, ends, strict=True)]
    rises = [row[top] - row[0] for row, top in zip(lifts, tops, strict=True)]
    return float(TILTS[tops].min()), float(min(rises))


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


def _centre_of_mass(scene: Scene) -> np.ndarray:
    """The centre of the solid (signed tetrahedra from the middle of the bounds); that
    middle where the surface encloses no volume to speak of (an open or flat mesh)."""
    merged = scene.merged
    low, high = scene.bounds.astype(np.float64)
    middle = (low + high) / 2
    total, moment = 0.0, np.zeros(3)
    for start in range(0, len(merged.indices), TRIANGLE_CHUNK):  # float64 a chunk at a time
        faces = merged.indices[start : start + TRIANGLE_CHUNK]
        v0, v1, v2 = (merged.positions[faces[:, i]].astype(np.float64) - middle for i in range(3))
        volumes = np.einsum("ij,ij->i", v0, np.cross(v1, v2)) / 6
        total += volumes.sum()
        moment += ((v0 + v1 + v2) / 4 * volumes[:, None]).sum(axis=0)
    if abs(total) < 1e-6 * float(np.prod(np.maximum(high - low, 1e-12))):
        return middle
    return middle + moment / total

"""Where each object of a plan (plan.py) stands, worked out in code, deterministically: the
same plan always gives the same placements. Metres, +Y up, the room's floor centred on the
origin, an object's front facing +Z at yaw 0.

Each object (each copy, for a count above one) is placed in an order where what others rest
on, or stand beside, comes first. Its relations then act in turn: against a wall or two (its
back to the wall, in the corner), on top of another (on its top, within its footprint),
centred on another (or the room), beside (along its wall, if any), in front of or behind
another (GAP between their boxes). Then it is settled before anything is placed against it:
within the room or on its support, and clear of what is already there (moved the least; a
PlanError when it does not fit). Last, objects turn to face what they face (not those with
their back to a wall). A box is an object's planned size, turned by its yaw; once a model
exists, its own size can be given in its place.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from aiml3d_desktop.core.composition.plan import (
    ROOM,
    Plan,
    PlanError,
    PlannedObject,
    Relation,
    copy_name,
)

GAP = 0.05  # metres between the boxes of things placed beside each other
FLAT = 0.05  # metres: a thing this low (a rug, a mat) is stood on, not kept clear of
FLOOR = ""  # the support of what stands on the floor
MAX_PUSHES = 200  # moves aside while settling one thing (then it does not fit)
WALL_YAW = {"back": 0.0, "front": 180.0, "left": 90.0, "right": -90.0}  # its back to the wall


@dataclass(frozen=True)
class Placed:
    name: str  # the object's name, then "name 2", "name 3" for its copies
    object: str  # the planned object's name
    size: tuple[float, float, float]  # width, depth, height before the yaw
    x: float = 0.0  # the centre of its footprint
    z: float = 0.0
    y: float = 0.0  # its bottom
    yaw: float = 0.0  # degrees about up
    support: str = FLOOR  # the name of what it stands on
    walls: tuple[str, ...] = ()  # the walls its back is against (two: a corner)
    copy: int = 0  # which copy of its object (0: the object itself)

    @property
    def half(self) -> tuple[float, float]:
        """Half its footprint along X and Z, turned by its yaw."""
        w, d = self.size[0], self.size[1]
        c, s = abs(math.cos(math.radians(self.yaw))), abs(math.sin(math.radians(self.yaw)))
        return (c * w + s * d) / 2, (s * w + c * d) / 2

    @property
    def top(self) -> float:
        return self.y + self.size[2]


Surface = Callable[[Placed, Placed], float | None]  # (support, what rests on it) -> height


def solve(
    plan: Plan,
    sizes: Mapping[str, tuple[float, float, float]] | None = None,
    surface: Surface | None = None,
) -> list[Placed]:
    """Every object of ``plan`` placed (copies included), in the plan's order; ``sizes``: an
    object's real size (its model's box), by object name, in place of the planned one;
    ``surface``: the height of a support's own surface under a thing's footprint, where the
    support's model is known (else None: the top of its box).
    PlanError when something does not fit where the plan puts it (the room, a support)."""
    sizes = sizes or {}
    copies = {o.name: _copies(o, sizes.get(o.name, o.size)) for o in plan.objects}
    first = {name: group[0].name for name, group in copies.items()}
    count = {name: len(group) for name, group in copies.items()}
    by_subject: dict[str, list[Relation]] = {}
    for relation in plan.relations:
        by_subject.setdefault(relation.subject, []).append(relation)
    placed: dict[str, Placed] = {}
    for name in _order(plan):
        for copy in copies[name]:
            # Settled before anything is placed against it: what rests on it, or stands
            # beside it, is placed where it stays.
            where = _place(copy, by_subject.get(name, []), placed, first, count, plan.room)
            settled = _settle(where, placed, plan.room)
            if settled.support and surface is not None:
                height = surface(placed[settled.support], settled)
                settled = settled if height is None else replace(settled, y=height)
            placed[settled.name] = settled
    for name in copies:  # facing last, towards where the target stands; a back to a wall stays
        for relation in by_subject.get(name, []):
            if relation.kind != "facing":
                continue
            for copy in copies[name]:
                me = placed[copy.name]
                if me.walls:
                    continue
                turned = _face(me, placed[first[relation.target]])
                others = {k: v for k, v in placed.items() if k != me.name}
                with contextlib.suppress(PlanError):  # turned, it would not fit: as it was
                    placed[me.name] = _settle(turned, others, plan.room)
    return [placed[c.name] for group in copies.values() for c in group]


def _copies(obj: PlannedObject, size: tuple[float, float, float]) -> list[Placed]:
    """An object's copies, side by side along X from its rough position."""
    out: list[Placed] = []
    for k in range(obj.count):
        copy = Placed(
            name=copy_name(obj.name, k),
            object=obj.name,
            size=size,
            x=obj.position[0],
            z=obj.position[1],
            yaw=obj.yaw,
            copy=k,
        )
        out.append(replace(copy, x=copy.x + k * (2 * copy.half[0] + GAP)))
    return out


def _order(plan: Plan) -> list[str]:
    """Object names, each after the objects its relations point at (plan.py refuses
    relations that go round in a circle; facing aside: it only turns); in the plan's order
    where nothing says otherwise."""
    after: dict[str, list[str]] = {o.name: [] for o in plan.objects}
    for relation in plan.relations:
        if relation.kind != "facing" and relation.target in after:
            after[relation.subject].append(relation.target)
    order: list[str] = []

    def visit(name: str) -> None:
        if name not in order:
            for target in after[name]:
                visit(target)
            order.append(name)

    for name in after:
        visit(name)
    return order


def _place(
    copy: Placed,
    relations: list[Relation],
    placed: Mapping[str, Placed],
    first: Mapping[str, str],
    count: Mapping[str, int],
    room: tuple[float, float],
) -> Placed:
    walls = tuple(dict.fromkeys(r.target for r in relations if r.kind == "against_wall"))
    if walls:  # its back to the first wall; two walls: a corner
        copy = replace(copy, yaw=WALL_YAW[walls[0]], walls=walls)
        for wall in walls:
            copy = _against(copy, wall, room)
    kinds = {r.kind: r for r in relations}
    if (on := kinds.get("on_top_of")) is not None:
        support = placed[first[on.target]]
        copy = replace(copy, y=support.top, support=support.name)
        if count[copy.object] > 1:  # copies in rows across the support, from its back left
            copy = _in_rows(copy, support)
        copy = _within(copy, support)
    if (centre := kinds.get("centred_on")) is not None:
        target = None if centre.target == ROOM else placed[first[centre.target]]
        copy = replace(copy, x=target.x if target else 0.0, z=target.z if target else 0.0)
    for kind in ("next_to", "in_front_of", "behind"):
        if (beside := kinds.get(kind)) is not None:
            copy = _beside(copy, kind, placed[first[beside.target]], placed, room)
    return copy


def _against(copy: Placed, wall: str, room: tuple[float, float]) -> Placed:
    hx, hz = copy.half
    width, depth = room
    if wall == "back":
        return replace(copy, z=-depth / 2 + hz)
    if wall == "front":
        return replace(copy, z=depth / 2 - hz)
    if wall == "left":
        return replace(copy, x=-width / 2 + hx)
    return replace(copy, x=width / 2 - hx)


def _beside(
    copy: Placed, kind: str, target: Placed, placed: Mapping[str, Placed], room: tuple[float, float]
) -> Placed:
    """Beside (along the wall it is against, if any), in front of or behind the target,
    GAP between their boxes; next_to on the side it roughly was, or the other if that one
    is out of its room or off its support."""
    hx, hz = copy.half
    tx, tz = target.half
    if kind != "next_to":
        side = 1.0 if kind == "in_front_of" else -1.0
        return replace(copy, x=target.x, z=target.z + side * (tz + GAP + hz))
    along_z = any(w in ("left", "right") for w in copy.walls)  # beside it along that wall
    rough, there = (copy.z, target.z) if along_z else (copy.x, target.x)
    reach = (tz + GAP + hz) if along_z else (tx + GAP + hx)
    sides = (-1.0, 1.0) if rough < there else (1.0, -1.0)
    options = []
    for side in sides:
        if along_z:
            option = replace(copy, z=target.z + side * reach)
        elif copy.walls:  # against the back or front: only along it
            option = replace(copy, x=target.x + side * reach)
        else:
            option = replace(copy, x=target.x + side * reach, z=target.z)
        options.append(option)
    fits = [o for o in options if _inside(o, placed, room) == o]
    return fits[0] if fits else options[0]


def _in_rows(copy: Placed, support: Placed) -> Placed:
    """Copy number ``copy.copy`` of an object, in rows across the support's top: as many
    side by side as fit, GAP apart, row after row from the back left."""
    hx, hz = copy.half
    sx, sz = support.half
    across = max(1, int((2 * sx + GAP) // (2 * hx + GAP)))
    row, column = divmod(copy.copy, across)
    return replace(
        copy,
        x=support.x - sx + hx + column * (2 * hx + GAP),
        z=support.z - sz + hz + row * (2 * hz + GAP),
    )


def _within(copy: Placed, support: Placed) -> Placed:
    """Moved the least so that its footprint lies on the support's (centred on it when it
    is the larger)."""
    hx, hz = copy.half
    sx, sz = support.half
    return replace(
        copy,
        x=_clamp(copy.x, support.x - sx + hx, support.x + sx - hx),
        z=_clamp(copy.z, support.z - sz + hz, support.z + sz - hz),
    )


def _inside(copy: Placed, placed: Mapping[str, Placed], room: tuple[float, float]) -> Placed:
    """Moved the least to stand within its support's footprint, or the room's floor."""
    if copy.support != FLOOR:
        return _within(copy, placed[copy.support])
    hx, hz = copy.half
    width, depth = room
    return replace(
        copy,
        x=_clamp(copy.x, -width / 2 + hx, width / 2 - hx),
        z=_clamp(copy.z, -depth / 2 + hz, depth / 2 - hz),
    )


def _clamp(value: float, low: float, high: float) -> float:
    if low > high:  # larger than where it must fit: centred there
        return (low + high) / 2
    return min(max(value, low), high)


def _overlap(a: Placed, b: Placed) -> tuple[float, float]:
    """How far ``a`` must move along X, or along Z, to stand GAP clear of ``b`` (either 0 or
    below when they are clear already)."""
    ax, az = a.half
    bx, bz = b.half
    return ax + bx + GAP - abs(a.x - b.x), az + bz + GAP - abs(a.z - b.z)


def _in_the_way(a: Placed, b: Placed) -> bool:
    return min(a.size[2], b.size[2]) > FLAT and min(_overlap(a, b)) > 1e-9


def _settle(me: Placed, placed: Mapping[str, Placed], room: tuple[float, float]) -> Placed:
    """``me`` kept within its room or support and moved clear of each thing already placed
    on the same support: the shortest move that clears it and stays within, away from it
    first, along a wall it is against only when nothing else clears it."""
    me = _inside(me, placed, room)
    for _ in range(MAX_PUSHES):
        blocking = next(
            (o for o in placed.values() if o.support == me.support and _in_the_way(me, o)),
            None,
        )
        if blocking is None:
            return me
        reach_x = me.half[0] + blocking.half[0] + GAP
        reach_z = me.half[1] + blocking.half[1] + GAP
        off_wall = {"x": any(w in ("left", "right") for w in me.walls),
                    "z": any(w in ("back", "front") for w in me.walls)}  # fmt: skip
        moves = []  # (leaves its wall, how far, the move)
        for side in (1.0, -1.0):
            x, z = blocking.x + side * reach_x, blocking.z + side * reach_z
            moves.append((off_wall["x"], abs(x - me.x), replace(me, x=x)))
            moves.append((off_wall["z"], abs(z - me.z), replace(me, z=z)))
        moves.sort(key=lambda move: move[:2])
        clear = [
            m for _, _, m in moves
            if _inside(m, placed, room) == m and min(_overlap(m, blocking)) <= 1e-9
        ]  # fmt: skip
        if not clear:
            break
        me = clear[0]
    where = f"on the {me.support}" if me.support != FLOOR else "in the room"
    raise PlanError(f"{me.name} does not fit {where} beside what is there already")


def _face(copy: Placed, target: Placed) -> Placed:
    """Turned about up so that its front (+Z at yaw 0) points at the target's centre."""
    dx, dz = target.x - copy.x, target.z - copy.z
    if abs(dx) < 1e-9 and abs(dz) < 1e-9:
        return copy
    return replace(copy, yaw=math.degrees(math.atan2(dx, dz)) + 0.0)

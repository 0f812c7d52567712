"""Where each object of a plan (plan.py) stands, worked out in code, deterministically: the
same plan always gives the same placements. Metres, +Y up, the room's floor centred on the
origin, an object's front facing +Z at yaw 0.

Each object (each copy, for a count above one) is placed in an order where what others rest
on, or stand beside, comes first. Its relations then act in turn: against a wall (its back to
the wall), on top of another (on its top, within its footprint), centred on another (or the
room), beside, in front of or behind another (GAP between their boxes), and last facing
another. Then nothing overlaps another on the same support (the later one moves aside), and
everything on the floor stays in the room. A box is an object's planned size, turned by its
yaw; once a model exists, its own size can be given in its place.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

from aiml3d_desktop.core.composition.plan import ROOM, Plan, PlannedObject, Relation

GAP = 0.05  # metres between the boxes of things placed beside each other
FLOOR = ""  # the support of what stands on the floor
MAX_PUSHES = 200  # moves aside while resolving overlaps (a bound, never reached in practice)
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

    @property
    def half(self) -> tuple[float, float]:
        """Half its footprint along X and Z, turned by its yaw."""
        w, d = self.size[0], self.size[1]
        c, s = abs(math.cos(math.radians(self.yaw))), abs(math.sin(math.radians(self.yaw)))
        return (c * w + s * d) / 2, (s * w + c * d) / 2

    @property
    def top(self) -> float:
        return self.y + self.size[2]


def solve(
    plan: Plan, sizes: Mapping[str, tuple[float, float, float]] | None = None
) -> list[Placed]:
    """Every object of ``plan`` placed (copies included), in the plan's order; ``sizes``: an
    object's real size (its model's box), by object name, in place of the planned one."""
    sizes = sizes or {}
    copies = {o.name: _copies(o, sizes.get(o.name, o.size)) for o in plan.objects}
    first = {name: group[0].name for name, group in copies.items()}
    by_subject: dict[str, list[Relation]] = {}
    for relation in plan.relations:
        by_subject.setdefault(relation.subject, []).append(relation)
    placed: dict[str, Placed] = {}
    for name in _order(plan):
        for copy in copies[name]:
            placed[copy.name] = _place(copy, by_subject.get(name, []), placed, first, plan.room)
    _resolve_overlaps(placed, plan.room)
    for name in copies:  # facing last: towards where the target ended up
        for relation in by_subject.get(name, []):
            if relation.kind == "facing":
                for copy in copies[name]:
                    placed[copy.name] = _face(placed[copy.name], placed[first[relation.target]])
    return [placed[c.name] for group in copies.values() for c in group]


def _copies(obj: PlannedObject, size: tuple[float, float, float]) -> list[Placed]:
    """An object's copies, side by side along X from its rough position."""
    out: list[Placed] = []
    for k in range(obj.count):
        copy = Placed(
            name=obj.name if k == 0 else f"{obj.name} {k + 1}",
            object=obj.name,
            size=size,
            x=obj.position[0],
            z=obj.position[1],
            yaw=obj.yaw,
        )
        out.append(replace(copy, x=copy.x + k * (2 * copy.half[0] + GAP)))
    return out


def _order(plan: Plan) -> list[str]:
    """Object names, each after the objects its relations point at (facing aside: it acts
    last); in the plan's order where nothing says otherwise, and where relations loop."""
    after: dict[str, set[str]] = {o.name: set() for o in plan.objects}
    for relation in plan.relations:
        if relation.kind != "facing" and relation.target in after:
            after[relation.subject].add(relation.target)
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order or name in visiting:
            return
        visiting.add(name)
        for target in sorted(after[name], key=list(after).index):
            visit(target)
        visiting.discard(name)
        order.append(name)

    for name in after:
        visit(name)
    return order


def _place(
    copy: Placed,
    relations: list[Relation],
    placed: Mapping[str, Placed],
    first: Mapping[str, str],
    room: tuple[float, float],
) -> Placed:
    kinds = {r.kind: r for r in relations}
    if (wall := kinds.get("against_wall")) is not None:
        copy = _against(replace(copy, yaw=WALL_YAW[wall.target]), wall.target, room)
    if (on := kinds.get("on_top_of")) is not None:
        support = placed[first[on.target]]
        copy = _within(replace(copy, y=support.top, support=support.name), support)
    if (centre := kinds.get("centred_on")) is not None:
        target = None if centre.target == ROOM else placed[first[centre.target]]
        copy = replace(copy, x=target.x if target else 0.0, z=target.z if target else 0.0)
    for kind in ("next_to", "in_front_of", "behind"):
        if (beside := kinds.get(kind)) is not None:
            copy = _beside(copy, kind, placed[first[beside.target]])
    if copy.support != FLOOR:
        copy = _within(copy, placed[copy.support])
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


def _beside(copy: Placed, kind: str, target: Placed) -> Placed:
    hx, hz = copy.half
    tx, tz = target.half
    if kind == "next_to":
        side = -1.0 if copy.x < target.x else 1.0  # the side it was roughly on; right if level
        return replace(copy, x=target.x + side * (tx + GAP + hx), z=target.z)
    side = 1.0 if kind == "in_front_of" else -1.0
    return replace(copy, x=target.x, z=target.z + side * (tz + GAP + hz))


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


def _in_room(copy: Placed, room: tuple[float, float]) -> Placed:
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


def _resolve_overlaps(placed: dict[str, Placed], room: tuple[float, float]) -> None:
    """Each thing, in order, moved aside from those before it on the same support: along the
    axis it has less to go, away from the other; then kept in the room, or on its support."""
    names = list(placed)
    for i, name in enumerate(names):
        for _ in range(MAX_PUSHES):
            me = placed[name]
            blocking = next(
                (
                    placed[other]
                    for other in names[:i]
                    if placed[other].support == me.support
                    and min(_overlap(me, placed[other])) > 1e-9
                ),
                None,
            )
            if blocking is None:
                break
            along_x, along_z = _overlap(me, blocking)
            if along_x <= along_z:
                side = -1.0 if me.x < blocking.x else 1.0
                me = replace(me, x=me.x + side * along_x)
            else:
                side = -1.0 if me.z < blocking.z else 1.0
                me = replace(me, z=me.z + side * along_z)
            placed[name] = me
        me = placed[name]
        placed[name] = _in_room(me, room) if me.support == FLOOR else me


def _face(copy: Placed, target: Placed) -> Placed:
    """Turned about up so that its front (+Z at yaw 0) points at the target's centre."""
    dx, dz = target.x - copy.x, target.z - copy.z
    if abs(dx) < 1e-9 and abs(dz) < 1e-9:
        return copy
    return replace(copy, yaw=math.degrees(math.atan2(dx, dz)))

"""A scene planned from a sentence (issue 30), Qt-free: what a language model is asked to give
(the JSON schema sent with the chat call) and how its answer is read. The model gives the
objects, their real sizes and how they relate; the geometry is done in code (solver.py), as
LayoutGPT and Holodeck found works best.

The answer is data from a server, so it is read as a hostile file is: a JSON object of the
schema's shape and no more (no field unknown or given twice), every number finite and within
its range, at most MAX_OBJECTS objects and MAX_PLACED placements in all, names of printable
characters and unique (after Unicode normalisation and case folding, and unlike any
object's copies, "mug 2"), each object's footprint within the room, relations of known kinds
between known objects, and none going round in a circle (a lamp on a desk that is next to
the lamp). Anything else raises ``PlanError`` naming what is wrong, in words that can be
quoted back to the model for its one retry.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

from aiml3d_desktop.core.common.errors import InputError

RELATIONS = (
    "on_top_of", "next_to", "in_front_of", "behind", "facing", "against_wall", "centred_on",
)  # fmt: skip
WALLS = ("back", "front", "left", "right")  # an against_wall's target: a wall of the room
ROOM = "room"  # a centred_on's target may be the room itself
# The planner's words for the light, and the app's lighting presets they stand for.
MOODS = {
    "studio": "studio", "daylight": "outdoor", "overcast": "overcast", "sunset": "sunset",
    "neutral": "neutral",
}  # fmt: skip
MAX_OBJECTS = 24
MAX_COUNT = 12  # of one object
MAX_PLACED = 48  # placements in all, counts included (a count's copies share one model)
MAX_RELATIONS = 96
SIZES = (0.01, 20.0)  # metres, an object's side
ROOMS = (0.5, 100.0)  # metres, the room's side
MAX_NAME, MAX_DESCRIPTION = 60, 600  # characters
MAX_PLAN_BYTES = 1024 * 1024  # a plan file read (--from-plan)


class PlanError(InputError):
    """The planner's answer cannot be used; the message says why (and is sent back to it)."""


@dataclass(frozen=True)
class PlannedObject:
    name: str
    description: str  # for text-to-image: one object on a plain background
    size: tuple[float, float, float]  # width (x), depth (z), height (y), metres
    count: int = 1
    position: tuple[float, float] = (0.0, 0.0)  # rough x, z on the ground, metres
    yaw: float = 0.0  # degrees about up; 0: its front faces +Z (the viewer)


@dataclass(frozen=True)
class Relation:
    kind: str  # one of RELATIONS
    subject: str  # an object's name
    target: str  # an object's name, a wall (against_wall) or "room" (centred_on)


@dataclass(frozen=True)
class Plan:
    objects: tuple[PlannedObject, ...]
    relations: tuple[Relation, ...] = ()
    room: tuple[float, float] = (4.0, 4.0)  # width (x), depth (z), metres
    mood: str = "studio"

    @property
    def preset(self) -> str:
        """The lighting preset the mood stands for."""
        return MOODS[self.mood]

    @property
    def placed(self) -> int:
        return sum(o.count for o in self.objects)

    def object(self, name: str) -> PlannedObject:
        """The object of that name (KeyError if none)."""
        found = [o for o in self.objects if o.name == name]
        if not found:
            raise KeyError(name)
        return found[0]


def _number(kind: str = "number") -> dict:
    return {"type": kind}


OBJECT_FIELDS = {
    "name": {"type": "string", "description": "short, unique in the scene"},
    "description": {
        "type": "string",
        "description": "a text-to-image prompt: this one object alone, whole, on a plain "
        "background, no scene around it",
    },
    "width": _number(),
    "depth": _number(),
    "height": _number(),
    "count": _number("integer"),
    "x": _number(),
    "z": _number(),
    "yaw": _number(),
}
TOP_FIELDS = ("room", "mood", "objects", "relations")
ROOM_FIELDS = ("width", "depth")
RELATION_FIELDS = ("kind", "subject", "target")
SCHEMA = {
    "type": "object",
    "properties": {
        "room": {
            "type": "object",
            "properties": {name: _number() for name in ROOM_FIELDS},
            "required": list(ROOM_FIELDS),
            "additionalProperties": False,
        },
        "mood": {"type": "string", "enum": list(MOODS)},
        "objects": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": OBJECT_FIELDS,
                "required": list(OBJECT_FIELDS),
                "additionalProperties": False,
            },
        },
        "relations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "enum": list(RELATIONS)},
                    "subject": {"type": "string"},
                    "target": {"type": "string"},
                },
                "required": list(RELATION_FIELDS),
                "additionalProperties": False,
            },
        },
    },
    "required": list(TOP_FIELDS),
    "additionalProperties": False,
}


def read_plan(text: str) -> Plan:
    """The planner's answer (its message's content) as a Plan, or PlanError saying why not."""
    try:
        data = json.loads(text, object_pairs_hook=_no_twice)
    except PlanError:
        raise
    except (ValueError, RecursionError) as exc:
        raise PlanError(f"The plan is not JSON ({type(exc).__name__})") from None
    top = _dict(data, "the plan", TOP_FIELDS)
    room = _dict(top.get("room"), "room", ROOM_FIELDS)
    width, depth = (_range(room.get(k), f"room {k}", *ROOMS) for k in ("width", "depth"))
    mood = top.get("mood")
    if mood not in MOODS:
        raise PlanError(f"mood is not one of {', '.join(MOODS)}")
    raw_objects = _list(top.get("objects"), "objects")
    if not raw_objects:
        raise PlanError("The plan has no objects")
    if len(raw_objects) > MAX_OBJECTS:
        raise PlanError(f"The plan has {len(raw_objects)} objects: at most {MAX_OBJECTS}")
    objects = tuple(_object(o, i, (width, depth)) for i, o in enumerate(raw_objects))
    placed = sum(o.count for o in objects)
    if placed > MAX_PLACED:
        raise PlanError(f"The plan places {placed} models in all: at most {MAX_PLACED}")
    names = [o.name.casefold() for o in objects]
    twice = next((o.name for o, n in zip(objects, names, strict=True) if names.count(n) > 1), None)
    if twice is not None:
        raise PlanError(f"Two objects are named {twice!r}: names must differ")
    copies = {copy_name(o.name, k).casefold(): o.name for o in objects for k in range(1, o.count)}
    clash = next((o.name for o in objects if o.name.casefold() in copies), None)
    if clash is not None:
        raise PlanError(
            f"An object is named {clash!r}, as a copy of {copies[clash.casefold()]!r} is: "
            "names must differ from the copies' (a count's copies are named so)"
        )
    raw_relations = _list(top.get("relations"), "relations")
    if len(raw_relations) > MAX_RELATIONS:
        raise PlanError(f"The plan has {len(raw_relations)} relations: at most {MAX_RELATIONS}")
    known = {o.name.casefold(): o.name for o in objects}
    relations = tuple(_relation(r, i, known) for i, r in enumerate(raw_relations))
    _refuse_loops(relations)
    _refuse_circles(relations)
    return Plan(objects, relations, (width, depth), str(mood))


def copy_name(name: str, index: int) -> str:
    """The name of an object's copy number ``index`` (0: the object itself)."""
    return name if index == 0 else f"{name} {index + 1}"


def _object(data: object, index: int, room: tuple[float, float]) -> PlannedObject:
    what = f"object {index + 1}"
    item = _dict(data, what, OBJECT_FIELDS)
    name = _text(item.get("name"), f"{what}'s name", MAX_NAME)
    what = f"the {name}"
    count = item.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COUNT:
        raise PlanError(f"{what}'s count is not a whole number from 1 to {MAX_COUNT}")
    size = tuple(_range(item.get(k), f"{what}'s {k}", *SIZES) for k in ("width", "depth", "height"))
    small, large = sorted(size[:2])
    if small > min(room) or large > max(room):
        raise PlanError(
            f"{what} ({size[0]:g} x {size[1]:g} m) does not fit in the {room[0]:g} x "
            f"{room[1]:g} m room"
        )
    x, z = (_range(item.get(k), f"{what}'s {k}", -ROOMS[1], ROOMS[1]) for k in ("x", "z"))
    return PlannedObject(
        name=name,
        description=_text(item.get("description"), f"{what}'s description", MAX_DESCRIPTION),
        size=(size[0], size[1], size[2]),
        count=count,
        position=(x, z),
        yaw=_range(item.get("yaw"), f"{what}'s yaw", -360.0, 360.0) + 0.0,  # never -0
    )


def _relation(data: object, index: int, known: dict[str, str]) -> Relation:
    """A relation, its names matched as the objects' are (normalised, case folded)."""
    what = f"relation {index + 1}"
    item = _dict(data, what, RELATION_FIELDS)
    kind = item.get("kind")
    if kind not in RELATIONS:
        raise PlanError(f"{what}'s kind is not one of {', '.join(RELATIONS)}")
    subject, target = (
        _normal(v).casefold() if isinstance(v, str) else ""
        for v in (item.get("subject"), item.get("target"))
    )
    if subject not in known:
        raise PlanError(f"{what} ({kind}) names {subject[:60]!r}, which is no object")
    targets = {w: w for w in WALLS} if kind == "against_wall" else dict(known)
    if kind == "centred_on":
        targets[ROOM] = ROOM
    if target not in targets:
        raise PlanError(
            f"{what} ({kind}) has {target[:60]!r} as its target, which is "
            + ("no wall (back, front, left, right)" if kind == "against_wall" else "no object")
        )
    if subject == target:
        raise PlanError(f"{what} ({kind}) relates {known[subject]!r} to itself")
    return Relation(str(kind), known[subject], targets[target])


def _refuse_loops(relations: tuple[Relation, ...]) -> None:
    """Each object rests on one support at most, and nothing rests on itself through others."""
    support: dict[str, str] = {}
    for relation in relations:
        if relation.kind != "on_top_of":
            continue
        if relation.subject in support:
            raise PlanError(f"{relation.subject!r} is on top of two things: one at most")
        support[relation.subject] = relation.target
    for start in support:
        seen, at = {start}, support[start]
        while at in support:
            if at in seen:
                raise PlanError(f"{start!r} rests on itself through what it is on top of")
            seen.add(at)
            at = support[at]


def _refuse_circles(relations: tuple[Relation, ...]) -> None:
    """Each object is placed after what its relations point at (facing aside: it only
    turns): relations that go round in a circle leave nothing to place first."""
    after: dict[str, set[str]] = {}
    for relation in relations:
        if relation.kind not in ("facing", "against_wall") and relation.target != ROOM:
            after.setdefault(relation.subject, set()).add(relation.target)
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in done:
            return
        if name in path:
            circle = " -> ".join([*path[path.index(name) :], name])
            raise PlanError(f"The relations go round in a circle ({circle}): one must go")
        for target in sorted(after.get(name, ())):
            visit(target, [*path, name])
        done.add(name)

    for name in sorted(after):
        visit(name, [])


def _no_twice(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object, refused when a key is given twice (which one would count?)."""
    keys = [k for k, _ in pairs]
    twice = next((k for k in keys if keys.count(k) > 1), None)
    if twice is not None:
        raise PlanError(f"{twice[:40]!r} is given twice in one object")
    return dict(pairs)


def _dict(value: object, what: str, fields: Collection[str]) -> dict:
    """A JSON object of the schema's ``fields`` and no others."""
    if not isinstance(value, dict):
        raise PlanError(f"{what} is not a JSON object")
    unknown = next((k for k in value if k not in fields), None)
    if unknown is not None:
        raise PlanError(f"{what} has a field the schema does not have: {unknown[:40]!r}")
    return value


def _list(value: object, what: str) -> list:
    if not isinstance(value, list):
        raise PlanError(f"{what} is not a list")
    return value


def _normal(text: str) -> str:
    """NFKC, its spaces single: "ｄｅｓｋ" and "desk" are one name."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _text(value: object, what: str, longest: int) -> str:
    if not isinstance(value, str):
        raise PlanError(f"{what} is not a text of 1 to {longest} characters")
    text = _normal(value)
    if not text or len(text) > longest:
        raise PlanError(f"{what} is not a text of 1 to {longest} characters")
    # Control, format (zero-width, bidirectional), private, surrogate and unassigned
    # characters: names that look alike but differ, a terminal's escape codes, and what a
    # scene file (document.py) would strip, so that its stand-ins would no longer match.
    if not text.isprintable():
        raise PlanError(f"{what} holds characters that are not printable")
    return text


def _range(value: object, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PlanError(f"{what} is not a number")
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise PlanError(f"{what} is not between {low:g} and {high:g}") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise PlanError(f"{what} ({number:g}) is not between {low:g} and {high:g}")
    return number

"""A composed scene as data: placed models (each a library entry, or one of its versions, or a
mesh file), groups, the ground, the lighting and the background. Kept as ``scene.json``.

Positions are in metres, +Y up (glTF's frame); the ground is the plane y = 0. A rotation is a
unit quaternion (x, y, z, w), as glTF writes it. Everything is immutable: an edit makes new
values (see history.py), so that a change can be undone by putting the old ones back.

Reading is strict about what it uses and careless of what it does not know: a field of the
wrong type, a number that is not finite or out of range, a group or a placement that is not
there, too many of anything, all raise ``SceneFileError`` saying where; unknown fields are
ignored (a newer app may add some), a newer schema version is refused.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.common.fileio import read_regular, write_bytes
from aiml3d_desktop.core.look.lighting import BACKGROUNDS, PRESETS

FORMAT = "aiml3d-scene"
VERSION = 1
MAX_BYTES = 16 * 1024 * 1024  # of scene.json
MAX_PLACEMENTS = 2000
MAX_GROUPS = 500
MAX_NAME = 200  # characters
MAX_COORDINATE = 1e5  # metres from the origin
SCALES = (1e-4, 1e4)
STAND_IN_SIDE = 100.0  # metres, at most
STAND_IN_SMALLEST = 1e-3  # metres: a model fitted in less would be scaled past SCALES
MAX_PROMPT = 2000  # characters of a stand-in's prompt
IDENTITY = (0.0, 0.0, 0.0, 1.0)
_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


class SceneFileError(InputError):
    """scene.json cannot be used as it is; the message says where and why."""


@dataclass(frozen=True)
class StandIn:
    """A box standing in for a model still to be made (a planned scene's object): its size
    in metres along X, Y (up) and Z, and the words it is to be made from."""

    size: tuple[float, float, float]
    prompt: str

    def as_json(self) -> dict:
        return {"size": list(self.size), "prompt": self.prompt}


@dataclass(frozen=True)
class Source:
    """What a placement shows: a library entry (its original mesh, or a version), a file
    (a path relative to scene.json's folder, or absolute), or a stand-in box."""

    entry: str | None = None
    version: str | None = None
    file: str | None = None
    stand_in: StandIn | None = None

    @property
    def key(self) -> str:
        """The same for two placements of one model: it is read and stored once."""
        if self.entry is not None:
            return f"entry:{self.entry}:{self.version or ''}"
        if self.stand_in is not None:
            size = "x".join(f"{v:g}" for v in self.stand_in.size)
            return f"stand-in:{size}:{self.stand_in.prompt}"
        return f"file:{os.path.normpath(self.file or '')}"  # a.glb and ./a.glb: one model

    def as_json(self) -> dict:
        if self.entry is not None:
            return {"entry": self.entry, **({"version": self.version} if self.version else {})}
        if self.stand_in is not None:
            return {"stand_in": self.stand_in.as_json()}
        return {"file": self.file}


@dataclass(frozen=True)
class Placement:
    id: str
    name: str
    source: Source
    position: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rotation: tuple[float, float, float, float] = IDENTITY
    scale: float = 1.0  # uniform
    visible: bool = True
    locked: bool = False  # not selected, moved or deleted by the editor until unlocked
    group: str | None = None

    def as_json(self) -> dict:
        data = {
            "id": self.id,
            "name": self.name,
            "source": self.source.as_json(),
            "position": list(self.position),
            "rotation": list(self.rotation),
            "scale": self.scale,
            "visible": self.visible,
            "locked": self.locked,
        }
        if self.group is not None:
            data["group"] = self.group
        return data


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    visible: bool = True
    locked: bool = False

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "visible": self.visible, "locked": self.locked}


@dataclass(frozen=True)
class Ground:
    visible: bool = True
    size: float = 0.0  # metres across; 0: as big as the scene needs

    def as_json(self) -> dict:
        return {"visible": self.visible, "size": self.size}


@dataclass(frozen=True)
class Light:
    """The lighting as core/look/lighting.py has it, with the sun's direction (degrees: its
    azimuth from -Z towards +X, its elevation above the ground) and whether it casts a
    shadow on the ground and on the other models."""

    preset: str = "studio"
    file: str | None = None  # an .hdr or .exr file, in place of the preset
    rotation: float = 0.0
    exposure: float = 0.0
    sun: bool = True
    sun_azimuth: float = 135.0  # front right, seen from the front (+Z)
    sun_elevation: float = 50.0
    shadow: bool = True

    def as_json(self) -> dict:
        data = {
            "preset": self.preset,
            "rotation": self.rotation,
            "exposure": self.exposure,
            "sun": {
                "on": self.sun,
                "azimuth": self.sun_azimuth,
                "elevation": self.sun_elevation,
                "shadow": self.shadow,
            },
        }
        if self.file is not None:
            data["file"] = self.file
        return data


@dataclass(frozen=True)
class Background:
    kind: str = "colour"  # or "environment" (the lighting, blurred) or "transparent"
    colour: str = "#2b2f36"

    def as_json(self) -> dict:
        return {"kind": self.kind, "colour": self.colour}


@dataclass(frozen=True)
class SceneDoc:
    name: str = "Scene"
    placements: tuple[Placement, ...] = ()
    groups: tuple[Group, ...] = ()
    ground: Ground = field(default_factory=Ground)
    light: Light = field(default_factory=Light)
    background: Background = field(default_factory=Background)

    def placement(self, placement_id: str) -> Placement:
        for placement in self.placements:
            if placement.id == placement_id:
                return placement
        raise KeyError(placement_id)

    def group(self, group_id: str) -> Group:
        for group in self.groups:
            if group.id == group_id:
                return group
        raise KeyError(group_id)

    def shown(self, placement: Placement) -> bool:
        """Visible, and so is its group."""
        return placement.visible and (
            placement.group is None or self.group(placement.group).visible
        )

    def editable(self, placement: Placement) -> bool:
        """Neither it nor its group is locked."""
        return not placement.locked and (
            placement.group is None or not self.group(placement.group).locked
        )

    def new_id(self, prefix: str = "p") -> str:
        taken = {p.id for p in self.placements} | {g.id for g in self.groups}
        number = len(taken) + 1
        while f"{prefix}{number}" in taken:
            number += 1
        return f"{prefix}{number}"

    def as_json(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "placements": [p.as_json() for p in self.placements],
            "groups": [g.as_json() for g in self.groups],
            "ground": self.ground.as_json(),
            "lighting": self.light.as_json(),
            "background": self.background.as_json(),
        }


def save(doc: SceneDoc, dest: str | Path, make_parents: bool = True) -> None:
    """scene.json, written atomically (never with a NaN: edits keep numbers finite); into
    a folder that must be there already unless ``make_parents``."""
    try:
        text = json.dumps(doc.as_json(), indent=2, allow_nan=False)
    except ValueError as exc:
        raise SceneFileError(f"The scene cannot be saved: {exc}") from None
    write_bytes(dest, text.encode("utf-8"), make_parents)


def load(path: str | Path) -> SceneDoc:
    """A scene.json, checked (see the module's docstring)."""
    path = Path(path)
    try:
        # A link to a scene is the user's to make (read_regular refuses links).
        data = read_regular(path.resolve(), MAX_BYTES)
    except OSError as exc:
        raise SceneFileError(f"Cannot read {path.name}: {exc.strerror or exc}") from None
    try:
        parsed = json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        raise SceneFileError(f"{path.name} is nested too deeply to be a scene") from None
    except ValueError as exc:  # UnicodeDecodeError too
        raise SceneFileError(f"{path.name} is not valid JSON ({exc})") from None
    try:
        return from_json(parsed)
    except SceneFileError as exc:
        raise SceneFileError(f"{path.name}: {exc}", hint=exc.hint) from None


def from_json(data: object) -> SceneDoc:
    top = _object(data, "the file")
    if top.get("format") != FORMAT:
        raise SceneFileError('it is not an AIML 3D Desktop scene (no "format": "aiml3d-scene")')
    version = top.get("version")
    if type(version) is not int or version < 1:
        raise SceneFileError(f"its version {version!r} is not a whole number")
    if version > VERSION:
        raise SceneFileError(
            f"it was made by a newer version of the app (scene version {version})",
            hint="Update AIML 3D Desktop to open it.",
        )
    groups = tuple(_group(g, i) for i, g in enumerate(_list(top, "groups", MAX_GROUPS)))
    _unique([g.id for g in groups], "group")
    known = {g.id for g in groups}
    placements = tuple(
        _placement(p, i, known) for i, p in enumerate(_list(top, "placements", MAX_PLACEMENTS))
    )
    _unique([p.id for p in placements] + [g.id for g in groups], "placement or group")
    return SceneDoc(
        name=_name(top.get("name", "Scene"), "the scene's name"),
        placements=placements,
        groups=groups,
        ground=_ground(top.get("ground", {})),
        light=_light(top.get("lighting", {})),
        background=_background(top.get("background", {})),
    )


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _object(value: object, what: str) -> dict:
    if not isinstance(value, dict):
        raise SceneFileError(f"{what} is not a JSON object")
    return value


def _list(top: dict, key: str, most: int) -> list:
    items = top.get(key, [])
    if not isinstance(items, list):
        raise SceneFileError(f"its {key} are not a list")
    if len(items) > most:
        raise SceneFileError(f"it has {len(items):,} {key}; at most {most:,} are allowed")
    return items


def _unique(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise SceneFileError(f"two of its parts have the {what} id {item!r}")
        seen.add(item)


def _id(value: object, what: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise SceneFileError(f"{what}'s id {value!r} is not 1 to 64 letters, digits, . _ or -")
    return value


def _name(value: object, what: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_NAME:
        raise SceneFileError(f"{what} is not a text of at most {MAX_NAME} characters")
    return clean_name(value)


def clean_name(text: str) -> str:
    """A name as shown: printable characters only, trimmed, at most MAX_NAME of them."""
    return "".join(c for c in text if c.isprintable()).strip()[:MAX_NAME] or "Untitled"


def _flag(data: dict, key: str, default: bool, what: str) -> bool:
    value = data.get(key, default)
    if type(value) is not bool:
        raise SceneFileError(f"{what}'s {key} is not true or false")
    return value


def _finite(value: object) -> float | None:
    """A JSON number as a finite float; None for anything else (an integer of 400 digits
    included, which float() cannot hold)."""
    if type(value) not in (int, float):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _number(data: dict, key: str, default: float, low: float, high: float, what: str) -> float:
    number = _finite(data.get(key, default))
    if number is None or not low <= number <= high:
        raise SceneFileError(f"{what}'s {key} is not a number from {low:g} to {high:g}")
    return number


def _numbers(value: object, size: int, limit: float, what: str) -> tuple[float, ...]:
    numbers = [_finite(v) for v in value] if isinstance(value, list) else []
    if len(numbers) != size or not all(n is not None and abs(n) <= limit for n in numbers):
        raise SceneFileError(f"{what} is not {size} numbers of at most {limit:g}")
    return tuple(numbers)  # type: ignore[arg-type]


def _path(value: object, what: str) -> str:
    """A file's path as written: text without control characters (which a terminal would
    act on when the path is printed in a message)."""
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= 4096
        or any(ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        raise SceneFileError(f"{what} is not a path")
    return value


def unit_quaternion(values: tuple[float, ...], what: str = "a rotation") -> tuple[float, ...]:
    norm = math.sqrt(sum(v * v for v in values))
    if not norm > 1e-9:
        raise SceneFileError(f"{what} is not a rotation (a quaternion of length 0)")
    return tuple(v / norm for v in values)


def read_source(value: object, what: str = "a placement") -> Source:
    """A source as Source.as_json() writes it (SceneFileError if it is not one)."""
    return _source(value, what)


def _source(value: object, what: str) -> Source:
    data = _object(value, f"{what}'s source")
    entry, file, stand_in = data.get("entry"), data.get("file"), data.get("stand_in")
    if sum(v is not None for v in (entry, file, stand_in)) != 1:
        raise SceneFileError(f"{what}'s source is not one entry, file or stand-in")
    if stand_in is not None:
        box = _object(stand_in, f"{what}'s stand-in")
        size = _numbers(box.get("size"), 3, STAND_IN_SIDE, f"{what}'s stand-in size")
        prompt = box.get("prompt")
        if isinstance(prompt, str) and len(prompt) <= MAX_PROMPT:
            prompt = "".join(c for c in prompt if c.isprintable()).strip()
        else:
            prompt = ""
        if not all(v >= STAND_IN_SMALLEST for v in size) or not prompt:
            raise SceneFileError(f"{what}'s stand-in is not a size and a prompt")
        return Source(stand_in=StandIn(size, prompt))  # type: ignore[arg-type]
    if entry is not None:
        version = data.get("version")
        return Source(
            entry=_id(entry, f"{what}'s entry"),
            version=None if version is None else _id(version, f"{what}'s version"),
        )
    return Source(file=_path(file, f"{what}'s file"))


def _placement(value: object, index: int, groups: set[str]) -> Placement:
    what = f"placement {index + 1}"
    data = _object(value, what)
    group = data.get("group")
    if group is not None and (not isinstance(group, str) or group not in groups):
        raise SceneFileError(f"{what} is in group {group!r}, which the scene does not have")
    return Placement(
        id=_id(data.get("id"), what),
        name=_name(data.get("name", ""), f"{what}'s name"),
        source=_source(data.get("source"), what),
        position=_numbers(data.get("position", [0, 0, 0]), 3, MAX_COORDINATE, f"{what}'s position"),  # type: ignore[arg-type]
        rotation=unit_quaternion(  # type: ignore[arg-type]
            _numbers(data.get("rotation", list(IDENTITY)), 4, 1e6, f"{what}'s rotation"),
            f"{what}'s rotation",
        ),
        scale=_number(data, "scale", 1.0, *SCALES, what),
        visible=_flag(data, "visible", True, what),
        locked=_flag(data, "locked", False, what),
        group=group,
    )


def _group(value: object, index: int) -> Group:
    what = f"group {index + 1}"
    data = _object(value, what)
    return Group(
        id=_id(data.get("id"), what),
        name=_name(data.get("name", ""), f"{what}'s name"),
        visible=_flag(data, "visible", True, what),
        locked=_flag(data, "locked", False, what),
    )


def _ground(value: object) -> Ground:
    data = _object(value, "the ground")
    return Ground(
        visible=_flag(data, "visible", True, "the ground"),
        size=_number(data, "size", 0.0, 0.0, 2 * MAX_COORDINATE, "the ground"),
    )


def _light(value: object) -> Light:
    data = _object(value, "the lighting")
    preset = data.get("preset", "studio")
    if preset not in PRESETS:
        raise SceneFileError(f"the lighting preset {preset!r} is not one of {', '.join(PRESETS)}")
    file = data.get("file")
    if file is not None:
        file = _path(file, "the lighting's file")
    sun = _object(data.get("sun", {}), "the sun")
    return Light(
        preset=preset,
        file=file,
        rotation=_number(data, "rotation", 0.0, -360.0, 360.0, "the lighting"),
        exposure=_number(data, "exposure", 0.0, -10.0, 10.0, "the lighting"),
        sun=_flag(sun, "on", True, "the sun"),
        sun_azimuth=_number(sun, "azimuth", 135.0, -360.0, 360.0, "the sun"),
        sun_elevation=_number(sun, "elevation", 50.0, 0.0, 90.0, "the sun"),
        shadow=_flag(sun, "shadow", True, "the sun"),
    )


def _background(value: object) -> Background:
    data = _object(value, "the background")
    kind, colour = data.get("kind", "colour"), data.get("colour", "#2b2f36")
    if kind not in BACKGROUNDS:
        raise SceneFileError(f"the background {kind!r} is not one of {', '.join(BACKGROUNDS)}")
    if not isinstance(colour, str) or not _COLOUR.fullmatch(colour):
        raise SceneFileError(f"the background colour {colour!r} is not #RRGGBB")
    return Background(kind, colour)

"""What to do to a raw mesh (a recipe), the built-in presets and the user's own, kept as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from aiml3d_desktop.core.assets.bake import SIZES
from aiml3d_desktop.core.assets.transform import AXES, DIMENSIONS, UNITS
from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.common.fileio import write_json
from aiml3d_desktop.core.meshes import formats as mesh_formats

TURNS = ("90", "-90", "180")
MAX_TRIANGLES = 10_000_000
MAX_METRES = 10_000.0  # the largest real size asked for


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _direction(value: object) -> bool:
    """Three finite numbers, not all 0."""
    if not isinstance(value, tuple) or len(value) != 3 or not all(map(_number, value)):
        return False
    return 0 < sum(v * v for v in value) < float("inf")


@dataclass(frozen=True)
class Recipe:
    """Steps run in this order: clean, repair, z_up, turns, upright; for each triangle
    budget (``lods``, else ``decimate``) decimate and bake; then size and pivot."""

    z_up: bool = False
    turns: tuple[str, ...] = ()  # "x90", "y-90", "z180" ...
    upright: bool = False
    # The side to stand it on, one of upright's choices for this model (the outward normal
    # as the model is after the turns); None lets upright choose, (0, -1, 0) keeps the pose.
    rest: tuple[float, float, float] | None = None
    clean: bool = False
    repair: bool = False  # one watertight solid, for printing
    size: tuple[float, str, str] | None = None  # (length, unit, along): (100, "mm", "height")
    pivot: str | None = None  # "bottom" or "center"
    decimate: int | None = None  # triangles
    bake: int | None = None  # texture size in pixels
    lods: tuple[int, ...] = ()  # several budgets at once; the first is the main result
    formats: tuple[str, ...] = ("glb",)
    check: bool = False  # attach the print report

    @property
    def budgets(self) -> tuple[int, ...]:
        return self.lods or ((self.decimate,) if self.decimate else ())

    def validated(self) -> Recipe:
        """This recipe, or InputError saying which value is wrong and what would do."""
        for turn in self.turns:
            if turn[:1] not in AXES or turn[1:] not in TURNS:
                raise InputError(
                    f"There is no turn {turn!r}", hint="Use x, y or z with 90, -90 or 180: y90."
                )
        if self.size is not None:
            length, unit, along = self.size
            sensible = _number(length) and 0 < length * UNITS.get(unit, 1.0) <= MAX_METRES
            if unit not in UNITS or along not in DIMENSIONS or not sensible:
                raise InputError(
                    f"Cannot size the model to {length} {unit} ({along})",
                    hint="Give a length above 0 (up to 10 km) in mm, cm, m or in, for width, "
                    "height or depth.",
                )
        if self.rest is not None and not _direction(self.rest):
            raise InputError(
                f"Cannot stand the model on {self.rest!r}", hint="Give a direction: 3 numbers."
            )
        if self.pivot not in (None, "bottom", "center"):
            raise InputError(f"There is no pivot {self.pivot!r}", hint="Use bottom or center.")
        for budget in self.budgets:
            if not _whole(budget) or not 4 <= budget <= MAX_TRIANGLES:
                raise InputError(
                    f"Cannot decimate to {budget:,} triangles",
                    hint=f"Ask for 4 to {MAX_TRIANGLES:,}.",
                )
        if self.bake is not None and (not _whole(self.bake) or self.bake not in SIZES):
            raise InputError(
                f"Cannot bake a {self.bake} px texture",
                hint=f"Use one of {', '.join(map(str, SIZES))}.",
            )
        if not all(
            isinstance(b, bool)
            for b in (self.z_up, self.upright, self.clean, self.repair, self.check)
        ):
            raise InputError("A step is neither on nor off", hint="Use true or false.")
        written = [f.key for f in mesh_formats.writable()]
        unknown = [f for f in self.formats if f not in written]
        if unknown or not self.formats:
            raise InputError(
                f"Cannot write {', '.join(unknown) or 'no format'}",
                hint=f"Use one or more of: {', '.join(written)}.",
            )
        return self

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Recipe:
        """A recipe from JSON (a saved preset): unknown keys are ignored, lists become
        tuples, and the values are checked."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for key in ("turns", "lods", "formats", "size", "rest"):
            if isinstance(values.get(key), list):
                values[key] = tuple(values[key])
        try:
            return cls(**values).validated()
        except (TypeError, ValueError) as exc:
            raise InputError(f"A saved preset cannot be used: {exc}") from None

    def describe(self) -> list[str]:
        """The steps in words, for the panel and the command line."""
        out = []
        if self.z_up:
            out.append("Z-up to Y-up")
        out += [f"Turn {t[1:]}° about {t[0].upper()}" for t in self.turns]
        if self.upright:
            out.append("Stand upright" + (" on the side chosen" if self.rest else ""))
        if self.clean:
            out.append("Clean (floaters, duplicates, degenerate triangles, small holes)")
        if self.repair:
            out.append("Repair to a watertight solid")
        if self.size:
            length, unit, along = self.size
            out.append(f"Scale to a {along} of {length:g} {unit}")
        if self.pivot:
            out.append(f"Pivot at the {self.pivot}")
        if self.budgets:
            out.append("Decimate to " + ", ".join(f"{b:,}" for b in self.budgets) + " triangles")
        if self.bake:
            out.append(f"Bake a {self.bake} px colour texture")
        out.append("Write " + ", ".join(f.upper() for f in self.formats))
        return out


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    recipe: Recipe
    builtin: bool = False
    summary: str = field(default="", compare=False)


BUILTIN = {
    "game": Preset(
        "game",
        "Game-ready",
        Recipe(upright=True, clean=True, pivot="bottom", decimate=20_000, bake=2048),
        True,
        "GLB, 20k triangles, 2K baked texture, upright, bottom pivot",
    ),
    "print": Preset(
        "print",
        "3D print",
        Recipe(
            upright=True,
            clean=True,
            repair=True,
            size=(100.0, "mm", "height"),
            pivot="bottom",
            formats=("stl", "3mf"),
            check=True,
        ),
        True,
        "watertight solid, 100 mm tall, STL and 3MF in millimetres, with a print report",
    ),
    "ar": Preset(
        "ar",
        "AR",
        Recipe(
            upright=True,
            clean=True,
            pivot="bottom",
            decimate=50_000,
            bake=2048,
            formats=("usdz",),
        ),
        True,
        "USDZ for AR Quick Look, 50k triangles, 2K baked texture",
    ),
}


class Presets:
    """The built-in presets and the user's own (a JSON file of name -> recipe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: dict[str, str] = {}  # saved presets that cannot be used, and why

    def all(self) -> dict[str, Preset]:
        return {**BUILTIN, **self._saved()}

    def get(self, name: str) -> Preset:
        presets = self.all()
        if name in self.problems:
            raise InputError(
                f"The preset {name!r} cannot be used: {self.problems[name]}",
                hint=f"Save it again from the window, or fix it in {self.path}.",
            )
        if name not in presets:
            raise InputError(
                f"There is no preset {name!r}", hint=f"Use one of: {', '.join(presets)}."
            )
        return presets[name]

    def save(self, name: str, recipe: Recipe) -> Preset:
        name = " ".join(name.split())
        if not name or name.lower() in BUILTIN:
            raise InputError(
                f"Cannot save a preset called {name!r}",
                hint="Give it a name of its own (game, print and ar are built in).",
            )
        recipe = replace(recipe, rest=None)  # a side chosen for one model is no step for all
        saved = {k: p.recipe.as_dict() for k, p in self._saved().items()}
        saved[name] = recipe.validated().as_dict()
        write_json(self.path, saved)
        return Preset(name, name, recipe)

    def delete(self, name: str) -> None:
        saved = {k: p.recipe.as_dict() for k, p in self._saved().items() if k != name}
        write_json(self.path, saved)

    def _saved(self) -> dict[str, Preset]:
        """The user's presets; a file that cannot be read, or an entry that no longer makes
        sense, is left out (the built-ins always work)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        out = {}
        self.problems = {}
        for name, values in data.items() if isinstance(data, dict) else ():
            try:
                if not isinstance(values, dict):
                    raise InputError("it is not a set of steps")
                out[str(name)] = Preset(str(name), str(name), Recipe.from_dict(values))
            except InputError as exc:
                self.problems[str(name)] = exc.message
        return out


def same_steps(a: Recipe | None, b: Recipe | None) -> bool:
    """Whether ``a`` and ``b`` are the same steps, whichever side each stands its model on
    (that is a choice for one model, not a step of a preset)."""
    if a is None or b is None:
        return a is b
    return replace(a, rest=None) == replace(b, rest=None)


def with_options(recipe: Recipe, **changes) -> Recipe:
    """``recipe`` with the given fields changed (None leaves a field as it is)."""
    return replace(recipe, **{k: v for k, v in changes.items() if v is not None}).validated()

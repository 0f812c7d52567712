"""A recipe run on a scene: the steps in order, with progress, cancel, timings and a report;
then the results written in the recipe's formats."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aiml3d_desktop.core.assets import bake, clean, decimate, printing, transform, upright
from aiml3d_desktop.core.assets.recipe import Recipe
from aiml3d_desktop.core.assets.upright import Upright
from aiml3d_desktop.core.common.cancel import CancelToken
from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.meshes.formats import write
from aiml3d_desktop.core.meshes.scene import Scene

# progress(what is being done, fraction of the whole recipe done)
StepProgress = Callable[[str, float], None]


@dataclass
class Prepared:
    """The results: the main scene first, then each further level of detail."""

    levels: list[Scene]
    budgets: list[int | None]
    timings: dict[str, float] = field(default_factory=dict)
    cleaned: clean.Cleaned | None = None
    fidelity: bake.Fidelity | None = None  # of the main level's bake
    print_report: printing.PrintReport | None = None
    upright: Upright | None = None  # how Stand upright turned it, and the other ways

    @property
    def scene(self) -> Scene:
        return self.levels[0]

    def lines(self) -> list[str]:
        """What was done, for a person: the print report first (what a printer's user came
        for), then how it was stood upright, counts, cleaning, bake fidelity and timings."""
        out = self.print_report.lines() if self.print_report else []
        if self.upright:
            out.append(self.upright.line())
        out += [
            f"{s.triangles:,} triangles, {s.vertices:,} vertices"
            + (f" (level {i})" if len(self.levels) > 1 else "")
            for i, s in enumerate(self.levels)
        ]
        if self.cleaned:
            out += self.cleaned.lines()
        if self.fidelity:
            out.append(
                f"Bake fidelity: {self.fidelity.mean:.1f} RGB levels on average,"
                f" {self.fidelity.p95:.1f} at the 95th percentile"
            )
        out.append("Times: " + ", ".join(f"{k} {v:.2f} s" for k, v in self.timings.items()))
        return out


# Peak memory of a recipe (README, From raw mesh to asset), measured with /usr/bin/time on
# icospheres of 82 thousand to 5.2 million vertex-coloured triangles read from PLY files, and
# rounded up: the app and its libraries, then bytes per input triangle by the heaviest step
# (reading and placing it; decimating: fast-simplification keeps its working copy, about 300
# bytes a triangle, until the process ends; repairing and checking for print: edge tables and
# trimesh's winding walk), per triangle unwrapped for a bake (xatlas) and per texel baked.
BASE_BYTES = 200 * 2**20
TRIANGLE_BYTES = {"place": 160, "decimate": 450, "print": 800}
UNWRAP_BYTES = 3_000
TEXEL_BYTES = 40


def memory_estimate(triangles: int, recipe: Recipe | None = None) -> int:
    """Bytes that running ``recipe`` on a mesh of ``triangles`` takes at its peak."""
    recipe = recipe or Recipe()
    step = "print" if recipe.repair or recipe.check else "decimate" if recipe.budgets else "place"
    need = BASE_BYTES + triangles * TRIANGLE_BYTES[step]
    if recipe.bake:
        unwrapped = min(max(recipe.budgets), triangles) if recipe.budgets else triangles
        need += unwrapped * UNWRAP_BYTES + recipe.bake**2 * TEXEL_BYTES
    return need


def available_memory() -> tuple[int, str] | None:
    """The most memory this process can have, and what sets it (words that follow "more
    than the N GB"): the computer's memory, a container's limit, or the process's own
    (ulimit); None where none can be read."""
    limits: list[tuple[int, str]] = []
    with contextlib.suppress(AttributeError, ValueError, OSError):  # no sysconf on Windows
        limits.append(
            (os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"), "this computer has")
        )
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        with contextlib.suppress(OSError, ValueError):  # "max", or no cgroup
            limits.append((int(Path(path).read_text().strip()), "this container may use"))
    with contextlib.suppress(ImportError, AttributeError, ValueError, OSError):
        import resource

        for kind, name in ((resource.RLIMIT_DATA, "-d"), (resource.RLIMIT_AS, "-v")):
            soft = resource.getrlimit(kind)[0]
            if soft != resource.RLIM_INFINITY:
                limits.append((soft, f"this process may use (ulimit {name})"))
    return min(limits) if limits else None


def check_memory(triangles: int, recipe: Recipe) -> None:
    """InputError before any work if ``recipe`` on ``triangles`` cannot fit in memory."""
    need, available = memory_estimate(triangles, recipe), available_memory()
    if available is None or need <= available[0]:
        return
    lighter = memory_estimate(triangles, Recipe(decimate=recipe.decimate or 100_000))
    raise InputError(
        f"Processing {triangles:,} triangles this way needs about {_gb(need)} of memory, "
        f"more than the {_gb(available[0])} {available[1]}",
        hint=f"Decimate it on its own first (about {_gb(lighter)}), then run the rest on the "
        "result; or use a computer with more memory."
        if lighter <= available[0] and lighter < need
        else "Use a computer with more memory, or a smaller model.",
    )


def _gb(size: int) -> str:
    return f"{size / 2**30:.1f} GB"


# Rough shares of the time each step takes, for a progress bar that moves evenly.
_WEIGHTS = {"place": 1, "clean": 2, "repair": 3, "decimate": 4, "bake": 12, "check": 2}


def prepare(
    source: Scene,
    recipe: Recipe,
    progress: StepProgress | None = None,
    cancel: CancelToken | None = None,
) -> Prepared:
    """Run ``recipe`` on ``source`` (which is left as it is)."""
    recipe.validated()
    check_memory(source.triangles, recipe)
    budgets: list[int | None] = list(recipe.budgets) or [None]
    plan = [s for s in ("clean", "repair") if getattr(recipe, s)] + ["place"]
    for budget in budgets:
        plan += (["decimate"] if budget else []) + (["bake"] if recipe.bake else [])
    if recipe.check or recipe.repair:
        plan.append("check")
    total = sum(_WEIGHTS[s] for s in plan)
    done = 0.0
    timings: dict[str, float] = {}

    def run(name: str, label: str, work: Callable[..., object], *args, **kwargs):
        nonlocal done
        if cancel:
            cancel.check()
        report = progress or (lambda label, fraction: None)
        report(label, done / total)
        start = time.perf_counter()
        if name == "bake":
            kwargs["progress"] = lambda f: report(label, (done + f * _WEIGHTS[name]) / total)
        result = work(*args, **kwargs)
        timings[label] = timings.get(label, 0.0) + time.perf_counter() - start
        done += _WEIGHTS[name]
        return result

    scene, cleaned = source, None
    if recipe.clean:  # first: floating specks would sway the upright pose and the bounds
        cleaned = clean.Cleaned()
        scene = run("clean", "Cleaning", clean.clean, scene, report=cleaned)
    if recipe.repair:
        scene = run("repair", "Repairing", printing.repair, scene)
    scene, turned = run("place", "Orienting", _orient, scene, recipe)
    levels, fidelity = [], None
    for level, budget in enumerate(budgets):
        low = scene
        if budget:
            low = run(
                "decimate",
                f"Decimating to {budget:,}",
                decimate.decimate,
                scene,
                budget,
                colours=not recipe.bake,  # the bake colours it from the original
            )
        if recipe.bake:
            size = max(bake.SIZES[0], recipe.bake >> level)  # each level half the last
            low = run("bake", f"Baking {size} px", bake.bake, low, scene, size=size, cancel=cancel)
            if level == 0:
                fidelity = bake.fidelity(low, scene)
        levels.append(low)
    levels = _placed(levels, recipe)
    report = None
    if recipe.check or recipe.repair:
        report = run("check", "Checking for print", printing.check, levels[0])
    if progress:
        progress("Done", 1.0)
    return Prepared(levels, budgets, timings, cleaned, fidelity, report, turned)


def _orient(scene: Scene, recipe: Recipe) -> tuple[Scene, Upright | None]:
    """The scene turned as ``recipe`` says, and how Stand upright did it (None: not asked)."""
    if recipe.z_up:
        scene = transform.from_z_up(scene)
    for turn in recipe.turns:
        scene = transform.turn(scene, turn[0], int(turn[1:]) // 90)
    if not recipe.upright:
        return scene, None
    decision = upright.decide(scene, recipe.rest)
    return upright.apply(scene, decision), decision


def _placed(levels: list[Scene], recipe: Recipe) -> list[Scene]:
    """Size and pivot, last (decimating moves the bounds a little): measured on the main
    level, so that it is exactly the size asked, and the same move for every level, so
    that they swap without a jump."""
    matrix = np.eye(4)
    if recipe.size:
        length, unit, along = recipe.size
        matrix = transform.size_matrix(levels[0], length, unit, along)
    if recipe.pivot:
        matrix = (
            transform.pivot_matrix(transform.transformed(levels[0], matrix), recipe.pivot) @ matrix
        )
    if np.array_equal(matrix, np.eye(4)):
        return levels
    return [transform.transformed(level, matrix) for level in levels]


def save(prepared: Prepared, dest: Path, formats: tuple[str, ...] | None = None) -> list[Path]:
    """Each level in each format: ``dest`` (its extension replaced by each format's) for the
    main level, ``<stem>_lod<N>`` beside it for the others. Every file written, in order."""
    files: list[Path] = []
    for level, scene in enumerate(prepared.levels):
        for path in destinations(dest, formats, level, level + 1):
            files += write(scene, path)
    return files


def destinations(
    dest: Path, formats: tuple[str, ...] | None, first: int = 0, end: int = 1
) -> list[Path]:
    """The files save() names for levels ``first`` to ``end`` (not included); a writer may
    add files beside each (an OBJ's materials and pictures)."""
    dest = Path(dest)
    formats = formats or (dest.suffix.lower().lstrip("."),)
    stems = [dest.stem if level == 0 else f"{dest.stem}_lod{level}" for level in range(first, end)]
    return [dest.with_name(f"{stem}.{fmt}") for stem in stems for fmt in formats]

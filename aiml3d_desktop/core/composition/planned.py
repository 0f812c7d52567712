"""A planned scene (plan.py, placed by solver.py) as an ordinary scene, and its models arriving.

Before any model is made, each placed object is a placement of a stand-in: a box of its
planned size, carrying the words it is to be made from. A model made for it is fitted inside
that box (its proportions kept) and shows in every placement of the stand-in (``arrive``):

- while the scene is as the solver left it, the solver places everything again, with the
  real sizes of the models made so far, and things rest on a model's own surface under their
  footprint (a desk's top, not the top of the box round a lamp);
- once the user has moved, added or removed something, the model takes its stand-in's place
  (turned as it was, its bottom centre where the box's was, scaled as the box was), and what
  rested on the box is set on the model's surface, moved in to stand on it if the model is
  narrower (``swap_in``); nothing else moves.
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from aiml3d_desktop.core.composition import arrange, solver
from aiml3d_desktop.core.composition import plan as plans
from aiml3d_desktop.core.composition.assemble import Model
from aiml3d_desktop.core.composition.document import (
    SCALES,
    Ground,
    Light,
    Placement,
    SceneDoc,
    Source,
    StandIn,
    clean_name,
)
from aiml3d_desktop.core.composition.plan import (
    ROOM,
    WALLS,
    Plan,
    PlanError,
    PlannedObject,
    copy_name,
)
from aiml3d_desktop.core.composition.planner import plan_json

RESTING = 2e-3  # metres: a bottom this close to a top rests on it
SURFACE_POINTS = 40_000  # of a model's points, at most, that things are set on


def stand_in_of(obj: PlannedObject) -> Source:
    """The stand-in of a planned object (its copies share it, and so share one model)."""
    width, depth, height = obj.size
    return Source(stand_in=StandIn((width, height, depth), obj.description))


def scene_of(plan: Plan, placed: list[solver.Placed], name: str) -> SceneDoc:
    """The plan as a scene of stand-ins, lit as its mood says, on a floor the room's size."""
    placements: list[Placement] = []
    for number, where in enumerate(placed, start=1):
        placements.append(
            Placement(
                id=f"p{number}",
                name=where.name,
                source=stand_in_of(plan.object(where.object)),
                position=(where.x, where.y, where.z),
                rotation=arrange.about_up(where.yaw),
            )
        )
    return SceneDoc(
        name=clean_name(name),
        placements=tuple(placements),
        ground=Ground(size=max(plan.room)),
        light=Light(preset=plan.preset),
    )


def fit(size: tuple[float, float, float], box: np.ndarray) -> float:
    """The scale that fits a model's ``box`` (2, 3) inside ``size`` (X, Y, Z), keeping its
    proportions; 1 for a model flat in every direction (it has no size to fit)."""
    extent = np.asarray(box[1], dtype=float) - np.asarray(box[0], dtype=float)
    ratios = [s / e for s, e in zip(size, extent, strict=True) if e > 1e-9]
    return float(min(ratios)) if ratios else 1.0


def waiting(doc: SceneDoc) -> list[Source]:
    """The stand-ins still in the scene, each once, in the scene's order."""
    found: dict[str, Source] = {}
    for placement in doc.placements:
        if placement.source.stand_in is not None:
            found.setdefault(placement.source.key, placement.source)
    return list(found.values())


@dataclass(frozen=True)
class _Fitted:
    """A made model fitted to its stand-in: its scale, the bottom centre of its box and its
    points, in its own coordinates."""

    source: Source
    scale: float
    bottom: np.ndarray
    points: np.ndarray

    @classmethod
    def of(cls, standing: Source, made: Source, model: Model) -> _Fitted:
        assert standing.stand_in is not None and model.scene is not None
        box = model.box
        bottom = np.array([(box[0, 0] + box[1, 0]) / 2, box[0, 1], (box[0, 2] + box[1, 2]) / 2])
        # Where things rest is read off a sample of the surface: a 1.4M-triangle model
        # is placed within a frame (the window does it on its GUI thread), as an 84k one.
        positions = [p.arrays.positions for p in model.scene.primitives]
        step = max(1, sum(map(len, positions)) // SURFACE_POINTS)
        points = np.concatenate([each[::step] for each in positions])
        return cls(made, fit(standing.stand_in.size, box), bottom, points.astype(float))

    def fitted_to(self, standing: Source) -> _Fitted:
        """The same model fitted to another stand-in (a size corrected)."""
        assert standing.stand_in is not None
        box = np.stack([self.points.min(axis=0), self.points.max(axis=0)])
        return replace(self, scale=fit(standing.stand_in.size, box))

    def placed(self, placement: Placement, scale: float, rotation: tuple, at) -> Placement:
        """``placement`` showing this model at ``scale``, turned by ``rotation``, the bottom
        centre of its box at ``at``."""
        scale = min(max(scale, SCALES[0]), SCALES[1])  # as a scene file allows
        turn = arrange.quaternion_matrix(rotation)
        position = np.asarray(at, dtype=float) - turn @ (scale * self.bottom)
        return replace(
            placement,
            source=self.source,
            scale=scale,
            rotation=rotation,
            position=(float(position[0]), float(position[1]), float(position[2])),
        )

    def surface(self, placement: Placement) -> np.ndarray:
        """Its points where ``placement`` puts them."""
        return self.points @ arrange.matrix(placement)[:3, :3].T + placement.position


def _height_under(surface: np.ndarray, low, high) -> float | None:
    """The highest of ``surface``'s points within the footprint [low, high] (x, z)."""
    inside = (
        (surface[:, 0] >= low[0]) & (surface[:, 0] <= high[0])
        & (surface[:, 2] >= low[1]) & (surface[:, 2] <= high[1])
    )  # fmt: skip
    return float(surface[inside, 1].max()) if inside.any() else None


@dataclass
class Layout:
    """A planned scene while its models are made: the plan, the placed object each
    placement is (by id), the placements as the solver last set them, and the objects'
    models once made."""

    plan: Plan
    names: dict[str, str]  # placement id -> its solver.Placed's name
    solved: dict[str, Placement]
    made: dict[str, _Fitted] = field(default_factory=dict)  # by object name
    reviews: int = 0  # rounds of Look again so far
    sentence: str = ""  # what the scene was planned from

    def untouched(self, doc: SceneDoc) -> bool:
        """Whether the scene is as the solver last set it (nothing moved, added or taken
        away by the user): then it may place everything again."""
        now = {p.id: p for p in doc.placements}
        return now.keys() == self.solved.keys() and all(
            _same_place(now[key], placement) for key, placement in self.solved.items()
        )


def _same_place(a: Placement, b: Placement) -> bool:
    """The same model in the same place (to a nanometre: a scene saved and read again
    normalises its rotations anew)."""
    mine = (*a.position, *a.rotation, a.scale)
    theirs = (*b.position, *b.rotation, b.scale)
    return a.source == b.source and all(
        math.isclose(x, y, abs_tol=1e-9) for x, y in zip(mine, theirs, strict=True)
    )


def start(plan: Plan, sentence: str) -> tuple[SceneDoc, Layout]:
    """The plan placed by the solver, as a scene of stand-ins named after the sentence, and
    its Layout."""
    placed = solver.solve(plan)
    doc = scene_of(plan, placed, " ".join(sentence.split())[:80] or "Planned scene")
    names = {p.id: where.name for p, where in zip(doc.placements, placed, strict=True)}
    return doc, Layout(plan, names, {p.id: p for p in doc.placements}, sentence=sentence)


def arrive(
    doc: SceneDoc,
    standing: Source,
    made: Source,
    model: Model,
    models: Mapping[str, Model],
    layout: Layout | None = None,
) -> SceneDoc:
    """``doc`` with the model ``made`` in place of the stand-in ``standing``. While the
    scene is as the solver left it, the solver places everything again with the real sizes
    of the models made so far (and their own surfaces to rest things on); otherwise (or
    when that does not fit) the model takes its stand-in's place, as swap_in()."""
    if layout is not None:  # its model, for every placing again from now on
        fitted = _Fitted.of(standing, made, model)
        objects = [o.name for o in layout.plan.objects if stand_in_of(o) == standing]
        layout.made.update(dict.fromkeys(objects, fitted))
        if layout.untouched(doc):
            with contextlib.suppress(PlanError):
                return _placed_again(doc, layout)
    return swap_in(doc, standing, made, model, models)


def _placed_again(doc: SceneDoc, layout: Layout) -> SceneDoc:
    made = layout.made
    sizes = {}
    for name, fitted in made.items():
        low, high = fitted.points.min(axis=0), fitted.points.max(axis=0)
        x, y, z = fitted.scale * (high - low)
        sizes[name] = (float(x), float(z), float(y))  # as a plan has them: width, depth, height

    def surface(support: solver.Placed, me: solver.Placed) -> float | None:
        fitted = made.get(support.object)
        if fitted is None:
            return None
        where = fitted.placed(_BARE, fitted.scale, arrange.about_up(support.yaw),
                              (support.x, support.y, support.z))  # fmt: skip
        half_x, half_z = me.half
        return _height_under(
            fitted.surface(where), (me.x - half_x, me.z - half_z), (me.x + half_x, me.z + half_z)
        )

    placed = solver.solve(layout.plan, sizes, surface)
    by_name = {p.name: p for p in placed}
    placements: list[Placement] = []
    names: dict[str, str] = {}
    for placement in doc.placements:
        known = layout.names.get(placement.id)
        if known is None:  # one the user added: as it is
            placements.append(placement)
        elif known in by_name:  # (a copy the plan no longer has is left out)
            placements.append(_put(placement, by_name[known], layout))
            names[placement.id] = known
    had = set(names.values())
    for where in placed:  # an object, or a copy, the plan has now: a stand-in, or its model
        if where.name not in had:
            taken = replace(doc, placements=tuple(placements))
            fresh = Placement(taken.new_id(), where.name, Source(file="-"))
            placements.append(_put(fresh, where, layout))
            names[fresh.id] = where.name
    layout.names = names
    layout.solved = {p.id: p for p in placements if p.id in names}
    return replace(doc, placements=tuple(placements))


def _put(placement: Placement, where: solver.Placed, layout: Layout) -> Placement:
    """``placement`` where the solver put its object: its model (fitted), or its stand-in."""
    turn = arrange.about_up(where.yaw)
    at = (where.x, where.y, where.z)
    model = layout.made.get(where.object)
    if model is None:
        standing = stand_in_of(layout.plan.object(where.object))
        return replace(placement, source=standing, scale=1.0, position=at, rotation=turn)
    return model.placed(placement, model.scale, turn, at)


def revise(doc: SceneDoc, layout: Layout, plan: Plan) -> SceneDoc:
    """``doc`` placed again by the solver after the plan was corrected (Look again): the
    objects of ``plan``, the models made fitted to their new sizes, copies added or left
    out as their counts say; an object the correction leaves out is kept, as planned before
    (its model was paid for); an object the user deleted stays deleted (as do copies, unless
    the correction changes the count); what the user added stays. Everything the plan has is
    placed by the solver again, moved by hand or not (one step to undo). PlanError when
    that does not fit."""
    left = Counter(layout.names[p.id] for p in doc.placements if p.id in layout.names)
    remaining = {o.name: sum(left[copy_name(o.name, k)] for k in range(o.count))
                 for o in layout.plan.objects}  # fmt: skip
    before = {o.name.casefold(): o for o in layout.plan.objects}
    objects = []
    for obj in plan.objects:
        old = before.get(obj.name.casefold())
        if old is not None:
            if not remaining[old.name]:
                continue  # deleted by the user
            count = remaining[old.name] if obj.count == old.count else obj.count
            obj = replace(obj, name=old.name, count=count)  # its name as the scene has it
        objects.append(obj)
    named = {o.name.casefold() for o in plan.objects}
    kept = [
        replace(o, count=remaining[o.name]) for o in layout.plan.objects
        if o.name.casefold() not in named and remaining[o.name]
    ]  # fmt: skip
    names = {o.name for o in (*objects, *kept)}
    spelled = {o.name.casefold(): o.name for o in (*objects, *kept)}
    relations = [
        replace(r, subject=spelled.get(r.subject.casefold(), r.subject),
                target=spelled.get(r.target.casefold(), r.target))
        for r in (*plan.relations, *layout.plan.relations)
    ]  # fmt: skip
    there = names | {ROOM} | set(WALLS)  # what a relation may point at
    relations = [r for r in dict.fromkeys(relations) if r.subject in names and r.target in there]
    merged = plans.read_plan(  # every rule a plan keeps, on the whole
        plan_json(replace(plan, objects=(*objects, *kept), relations=tuple(relations)))
    )
    made = {
        o.name: layout.made[o.name].fitted_to(stand_in_of(o)) for o in merged.objects
        if o.name in layout.made
    }  # fmt: skip
    revised = replace(layout, plan=merged, names=dict(layout.names), made=made)
    doc = _placed_again(doc, revised)
    layout.plan, layout.names, layout.solved, layout.made = (
        revised.plan, revised.names, revised.solved, revised.made
    )  # fmt: skip
    return doc


_BARE = Placement("", "", Source(file="-"))  # only to place points


def swap_in(
    doc: SceneDoc, standing: Source, made: Source, model: Model, models: Mapping[str, Model]
) -> SceneDoc:
    """``doc`` with every placement of the stand-in ``standing`` showing ``model`` (the
    model ``made``) where the stand-in stood, and what rested on them set on the model (see
    the module's docstring). ``models``: the scene's models by Source.key, for the boxes of
    what rests on them."""
    fitted = _Fitted.of(standing, made, model)
    old = {p.id: p for p in doc.placements}
    placements = dict(old)
    for placement in doc.placements:
        if placement.source != standing:
            continue
        swapped = fitted.placed(
            placement, fitted.scale * placement.scale, placement.rotation, placement.position
        )
        placements[swapped.id] = swapped
        surface = fitted.surface(swapped)
        footprint = surface[:, [0, 2]].min(axis=0), surface[:, [0, 2]].max(axis=0)
        for resting in _resting_on(placement.id, old, models):
            low, high = _box(old[resting], models)  # type: ignore[misc]
            # Kept within the model's footprint (it may be narrower than its box was),
            # then set on its surface under it.
            dx, dz = _into(low[[0, 2]], high[[0, 2]], *footprint)
            height = _height_under(
                surface, (low[0] + dx, low[2] + dz), (high[0] + dx, high[2] + dz)
            )
            if height is None:
                height = float(surface[:, 1].max())
            _carry(resting, (dx, height - float(low[1]), dz), placements, old, models)
    return replace(doc, placements=tuple(placements[p.id] for p in doc.placements))


def _box(placement: Placement, models: Mapping[str, Model]) -> np.ndarray | None:
    """A placement's box in the scene (a stand-in's from its size alone); None when its
    model cannot be read."""
    if placement.source.stand_in is not None:
        sx, sy, sz = placement.source.stand_in.size
        corners = [[x, y, z] for x in (-sx / 2, sx / 2) for y in (0, sy) for z in (-sz / 2, sz / 2)]
        return arrange.world_box(placement, np.array(corners, dtype=float))
    model = models.get(placement.source.key)
    if model is None or model.scene is None:
        return None
    return arrange.world_box(placement, model.outline)


def _resting_on(
    support: str, placements: Mapping[str, Placement], models: Mapping[str, Model]
) -> list[str]:
    """The placements whose bottom is at the ``support``'s top and whose footprint
    overlaps its: what stands on it."""
    below = _box(placements[support], models)
    found: list[str] = []
    if below is None:
        return found
    for other in placements.values():
        box = None if other.id == support else _box(other, models)
        if box is None:
            continue
        (low, high), top = box, below[1, 1]
        overlaps = (low[0] < below[1, 0] and high[0] > below[0, 0]) and (
            low[2] < below[1, 2] and high[2] > below[0, 2]
        )
        if overlaps and abs(low[1] - top) <= RESTING:
            found.append(other.id)
    return found


def _into(low: np.ndarray, high: np.ndarray, inner_low: np.ndarray, inner_high: np.ndarray):
    """The least move (x, z) that puts the footprint [low, high] within [inner_low,
    inner_high]; centred on it where it is wider."""
    shift = np.zeros(2)
    for axis in range(2):
        if high[axis] - low[axis] >= inner_high[axis] - inner_low[axis]:
            shift[axis] = (inner_low[axis] + inner_high[axis] - low[axis] - high[axis]) / 2
        else:
            shift[axis] = max(0.0, inner_low[axis] - low[axis]) - max(
                0.0, high[axis] - inner_high[axis]
            )
    return shift


def _carry(
    placement_id: str,
    move: tuple[float, float, float],
    placements: dict[str, Placement],
    old: Mapping[str, Placement],
    models: Mapping[str, Model],
) -> None:
    """Move a placement by ``move``, and what rests on it (however high the stack, each
    thing once, however many things it rests on)."""
    if max(map(abs, move)) < 1e-9:
        return
    moving, seen = [placement_id], {placement_id}
    while moving:
        current = moving.pop()
        placements[current] = arrange.moved(placements[current], move)
        for resting in _resting_on(current, old, models):
            if resting not in seen:
                seen.add(resting)
                moving.append(resting)

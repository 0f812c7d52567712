"""A planned scene as stand-ins, and its models arriving (core/composition/planned.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import trimesh

from aiml3d_desktop.core.composition import arrange, assemble, planned, solver
from aiml3d_desktop.core.composition import document as scene_doc
from aiml3d_desktop.core.composition import plan as plans
from aiml3d_desktop.core.composition.document import Source
from tests.conftest import corpus_file
from tests.core.test_scene_plan import DESK


def desk_scene():
    plan = plans.read_plan(json.dumps(DESK))
    return plan, planned.scene_of(plan, solver.solve(plan), "A desk")


def box(doc, models, name):
    placement = next(p for p in doc.placements if p.name == name)
    return arrange.world_box(placement, models[placement.source.key].outline)


def test_the_plan_becomes_stand_ins_of_its_planned_sizes_where_the_solver_put_them():
    plan, doc = desk_scene()
    models = assemble.read_models(doc, Path("."))
    for where in solver.solve(plan):
        low, high = box(doc, models, where.name)
        half_x, half_z = where.half
        assert low == pytest.approx([where.x - half_x, where.y, where.z - half_z], abs=1e-6)
        assert high[1] == pytest.approx(where.top)
    assert doc.light.preset == "outdoor" and doc.ground.size == 4
    assert [s.stand_in.prompt for s in planned.waiting(doc)] == [
        o.description for o in plan.objects
    ]


def test_a_stand_in_box_is_closed_with_its_faces_facing_out():
    scene = assemble.stand_in_box((0.4, 1.0, 0.2))
    arrays = scene.primitives[0].arrays
    np.testing.assert_allclose(arrays.bounds, [[-0.2, 0, -0.1], [0.2, 1.0, 0.1]], atol=1e-7)
    centres = arrays.positions[arrays.indices].mean(axis=1)
    outward = centres - np.array([0, 0.5, 0])
    assert (np.einsum("ij,ij->i", arrays.normals[arrays.indices[:, 0]], outward) > 0).all()
    assert trimesh.Trimesh(arrays.positions, arrays.indices).merge_vertices() is None
    assert scene.materials[0].alpha_mode == "BLEND"


def test_a_scene_of_stand_ins_is_saved_and_read_back_the_same(tmp_path):
    _, doc = desk_scene()
    scene_doc.save(doc, tmp_path / "scene.json")
    assert scene_doc.load(tmp_path / "scene.json") == doc


@pytest.mark.parametrize(
    "source",
    [
        {"stand_in": {"size": [1, 0, 1], "prompt": "a box"}},
        {"stand_in": {"size": [1, 1e-300, 1], "prompt": "a box"}},
        {"stand_in": {"size": [1, 1], "prompt": "a box"}},
        {"stand_in": {"size": [1, 1, 1], "prompt": ""}},
        {"stand_in": {"size": [1, 1, 1e9], "prompt": "a box"}},
        {"stand_in": {"size": [1, 1, 1], "prompt": "x" * 2001}},
        {"stand_in": {"size": [1, 1, 1], "prompt": "a box"}, "file": "a.glb"},
    ],
)
def test_a_stand_in_that_is_not_one_is_refused_saying_where(source):
    data = scene_doc.SceneDoc().as_json()
    data["placements"] = [{"id": "p1", "name": "x", "source": source}]
    with pytest.raises(scene_doc.SceneFileError, match="placement 1"):
        scene_doc.from_json(data)


def duck_model():
    scene = assemble.read_models(
        scene_doc.SceneDoc(placements=(scene_doc.Placement("x", "x", DUCK),)), Path(".")
    )
    return scene[DUCK.key]


DUCK = Source(file=str(corpus_file("meshes/Duck.glb")))


def test_a_model_made_takes_its_stand_in_s_place_fitted_in_its_box_and_what_rests_on_it_follows():
    plan, doc = desk_scene()
    models = assemble.read_models(doc, Path("."))
    desk = next(p for p in doc.placements if p.name == "desk")
    before = {name: box(doc, models, name) for name in ("desk", "lamp", "mug", "chair")}
    duck = duck_model()
    after = planned.swap_in(doc, desk.source, DUCK, duck, models)
    models[DUCK.key] = duck
    new_desk = box(after, models, "desk")
    size = new_desk[1] - new_desk[0]
    planned_size = np.array(desk.source.stand_in.size)
    # Fitted inside the planned box, touching it on one side at least, proportions kept.
    assert (size <= planned_size + 1e-9).all() and np.isclose(size, planned_size).any()
    own = duck.box[1] - duck.box[0]
    assert size / size[1] == pytest.approx(own / own[1], rel=1e-6)
    # Its bottom centre where the box's was.
    old = before["desk"]
    assert (new_desk[0] + new_desk[1])[[0, 2]] / 2 == pytest.approx((old[0] + old[1])[[0, 2]] / 2)
    assert new_desk[0, 1] == pytest.approx(0.0, abs=1e-6)
    # The lamp and the mug were on the desk's box; now on the duck's surface under them,
    # which is below the top of its box at their footprints, and above the floor.
    # They were moved in to stand within its footprint (narrower than the box was).
    for name in ("lamp", "mug"):
        low, high = box(after, models, name)
        assert 0 < low[1] <= new_desk[1, 1] + 1e-9
        assert (low[[0, 2]] >= new_desk[0, [0, 2]] - 1e-6).all()
        assert (high[[0, 2]] <= new_desk[1, [0, 2]] + 1e-6).all()
        assert high - low == pytest.approx(before[name][1] - before[name][0])
    # The chair stands on the floor, not the desk: untouched.
    assert box(after, models, "chair") == pytest.approx(before["chair"])
    assert planned.waiting(after) == [s for s in planned.waiting(doc) if s != desk.source]


def test_a_stand_in_the_user_moved_and_scaled_gets_its_model_where_it_is_now():
    _, doc = desk_scene()
    models = assemble.read_models(doc, Path("."))
    chair = next(p for p in doc.placements if p.name == "chair")
    moved = arrange.moved(chair, (0.5, 0.0, 0.3))
    moved = replace(moved, scale=2.0, rotation=arrange.about_up(30))
    doc = replace(doc, placements=tuple(moved if p.id == chair.id else p for p in doc.placements))
    duck = duck_model()
    after = planned.swap_in(doc, chair.source, DUCK, duck, models)
    made = after.placement(chair.id)
    assert made.rotation == moved.rotation
    assert made.scale == pytest.approx(2.0 * planned.fit(chair.source.stand_in.size, duck.box))
    models[DUCK.key] = duck
    low, high = box(after, models, "chair")
    # The duck's bottom centre (turned with it) is where the moved stand-in's was.
    bottom = np.array([(duck.box[0, 0] + duck.box[1, 0]) / 2, duck.box[0, 1],
                       (duck.box[0, 2] + duck.box[1, 2]) / 2])  # fmt: skip
    assert arrange.matrix(made)[:3, :3] @ bottom + made.position == pytest.approx(
        moved.position, abs=1e-6
    )
    assert low[1] == pytest.approx(0.0, abs=1e-6)


def boxes_on_the_desk(doc, models):
    return {n: box(doc, models, n) for n in ("lamp", "mug")}


def test_while_untouched_the_solver_places_everything_again_with_the_real_sizes():
    plan = plans.read_plan(json.dumps(DESK))
    doc, layout = planned.start(plan, "A desk")
    models = assemble.read_models(doc, Path("."))
    desk = next(p for p in doc.placements if p.name == "desk")
    duck = duck_model()
    after = planned.arrive(doc, desk.source, DUCK, duck, models, layout)
    models[DUCK.key] = duck
    made = box(after, models, "desk")
    # Against the back wall still (the room is 3 m deep), on the floor, in its planned box.
    assert made[0, 2] == pytest.approx(-1.5, abs=1e-6) and made[0, 1] == pytest.approx(0, abs=1e-6)
    on = boxes_on_the_desk(after, models)
    for low, high in on.values():  # on the duck's surface, within its footprint
        assert 0 < low[1] < made[1, 1]
        assert (low[[0, 2]] >= made[0, [0, 2]] - 1e-6).all()
        assert (high[[0, 2]] <= made[1, [0, 2]] + 1e-6).all()
    (a_low, a_high), (b_low, b_high) = on.values()
    assert (a_high[[0, 2]] <= b_low[[0, 2]]).any() or (b_high[[0, 2]] <= a_low[[0, 2]]).any()
    # The chair is in front of the desk as made: GAP from its front.
    chair = box(after, models, "chair")
    assert chair[0, 2] == pytest.approx(made[1, 2] + solver.GAP, abs=1e-6)
    assert layout.untouched(after)


def test_once_the_user_moved_something_a_model_only_takes_its_stand_in_s_place():
    plan = plans.read_plan(json.dumps(DESK))
    doc, layout = planned.start(plan, "A desk")
    models = assemble.read_models(doc, Path("."))
    chair = next(p for p in doc.placements if p.name == "chair")
    doc = replace(doc, placements=tuple(
        arrange.moved(p, (0.3, 0, 0)) if p.id == chair.id else p for p in doc.placements
    ))  # fmt: skip
    assert not layout.untouched(doc)
    desk = next(p for p in doc.placements if p.name == "desk")
    after = planned.arrive(doc, desk.source, DUCK, duck_model(), models, layout)
    assert after == planned.swap_in(doc, desk.source, DUCK, duck_model(), models)
    assert after.placement(chair.id) == doc.placement(chair.id)


def test_a_scene_saved_and_read_again_is_still_as_the_solver_left_it(tmp_path):
    plan = plans.read_plan(json.dumps(DESK))
    doc, layout = planned.start(plan, "A desk")
    turned = replace(doc.placements[0], rotation=arrange.about_up(33.3))
    layout.solved[turned.id] = turned
    doc = replace(doc, placements=(turned, *doc.placements[1:]))
    scene_doc.save(doc, tmp_path / "scene.json")
    assert layout.untouched(scene_doc.load(tmp_path / "scene.json"))
    assert not layout.untouched(replace(doc, placements=doc.placements[1:]))

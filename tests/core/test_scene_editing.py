"""Moving a composed scene's models (issue 29), Qt-free: a ray grabs the chosen model whose
box it meets first, a drag slides the chosen over the ground in grid steps as one change,
new models stand beside the scene, the turn shown for a rotation, and an edit that moves
models keeps the meshes a renderer has (nothing uploaded again)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from aiml3d_desktop.core.composition import arrange, assemble, drag
from aiml3d_desktop.core.composition.document import Placement
from tests.core.test_composition import BALL, BOX, composed


def test_a_ray_enters_a_box_where_the_slab_test_says():
    box = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    assert drag.ray_box(np.array([-2.0, 0.5, 0.5]), np.array([1.0, 0.0, 0.0]), box) == 2.0
    assert drag.ray_box(np.array([-2.0, 2.5, 0.5]), np.array([1.0, 0.0, 0.0]), box) is None
    assert drag.ray_box(np.array([2.0, 0.5, 0.5]), np.array([1.0, 0.0, 0.0]), box) is None
    assert drag.ray_box(np.array([0.5, 0.5, 0.5]), np.array([0.0, 0.0, 1.0]), box) == 0.0
    assert drag.ray_box(np.array([0.5, 3.0, 0.5]), np.array([0.0, -2.0, 0.0]), box) == 1.0


def test_the_grab_takes_the_nearest_chosen_model_that_can_move(folder):
    composition, ids, _, outlines = composed(folder)
    composition.arrange(ids, "row", 0.5, outlines)  # box, ball, ball along +X
    origin, along = np.array([-10.0, 0.4, 0.0]), np.array([1.0, 0.0, 0.0])
    hit = drag.grabbed(composition, ids[1:], outlines, origin, along)
    ball = arrange.world_box(composition.doc.placement(ids[1]), outlines[BALL.key])
    assert hit is not None and hit[0] == pytest.approx(ball[0, 0])  # the first ball's face
    composition.set_locked([ids[1]], True)
    hit = drag.grabbed(composition, ids[1:], outlines, origin, along)
    other = arrange.world_box(composition.doc.placement(ids[2]), outlines[BALL.key])
    assert hit is not None and hit[0] == pytest.approx(other[0, 0])  # the locked one skipped
    composition.set_visible([ids[2]], False)
    assert drag.grabbed(composition, ids[1:], outlines, origin, along) is None


def test_a_drag_slides_over_the_ground_in_grid_steps_as_one_change(folder):
    composition, ids, _, outlines = composed(folder)
    before = composition.doc
    start = np.array([0.0, 1.0, 0.0])  # grabbed 1 m up
    moving = drag.GroundDrag(composition, ids[:2], start, step=0.25)
    camera = np.array([0.0, 5.0, 8.0])
    for target in ([0.3, 1.0, 0.1], [0.9, 1.0, -0.4], [1.1, 1.0, -0.6]):
        moving.to(camera, np.subtract(target, camera))  # the ray through that point
    moving.end()
    for placement in composition.doc.placements[:2]:
        old = before.placement(placement.id).position
        assert np.subtract(placement.position, old) == pytest.approx((1.0, 0.0, -0.5))
    assert composition.doc.placements[2] == before.placements[2]
    assert composition.undo_label == "Move 2 models"
    moving.to(camera, np.array([0.0, 1.0, 0.0]))  # a ray pointing up: out of reach, no move
    composition.undo()
    assert composition.doc == before and composition.undo_label == "Add 3 models"
    # The next drag is a change of its own, even right after another.
    again = drag.GroundDrag(composition, ids[:1], start)
    again.to(camera, np.subtract([0.5, 1.0, 0.0], camera))
    again.end()
    second = drag.GroundDrag(composition, ids[:1], start)
    second.to(camera, np.subtract([0.2, 1.0, 0.0], camera))
    composition.undo()
    assert composition.doc.placement(ids[0]).position[0] == pytest.approx(0.5)


def test_a_drag_towards_the_horizon_stops_where_the_scene_can_still_be_saved(folder):
    composition, ids, _, _ = composed(folder)
    moving = drag.GroundDrag(composition, ids[:1], np.zeros(3))
    moving.to(np.array([0.0, 1.0, 0.0]), np.array([1.0, -1e-7, 0.0]))  # meets it 10,000 km off
    assert composition.doc.placement(ids[0]).position == (0.0, 0.0, 0.0)


def test_new_models_stand_beside_the_scene_on_the_ground(folder):
    composition, ids, models, outlines = composed(folder)
    composition.arrange(ids, "row", 0.2, outlines)
    added = composition.add([(BALL, "Another"), (BOX, "Last")], outlines)
    boxes = [arrange.world_box(p, outlines[p.source.key]) for p in composition.doc.placements]
    for left, right in zip(boxes[2:], boxes[3:], strict=False):
        assert right[0, 0] == pytest.approx(left[1, 0] + 0.1)
    for box in boxes[3:]:
        assert box[0, 1] == pytest.approx(0.0) and (box[0, 2] + box[1, 2]) == pytest.approx(0.0)
    assert composition.undo_label == "Add 2 models" and len(added) == 2
    lone = arrange.beside(Placement("p", "Box", BOX, (3.0, 0.0, 2.0)), outlines[BOX.key], [], 0.1)
    assert lone.position == pytest.approx((0.0, 0.0, 0.0))  # alone: on the origin


@pytest.mark.parametrize("degrees", [0.0, 30.0, -75.0, 179.0])
def test_the_turn_shown_is_the_turn_made(degrees):
    assert arrange.yaw(arrange.about_up(degrees)) == pytest.approx(degrees)
    tilted = arrange.times(arrange.about_up(degrees), (0.3826834, 0.0, 0.0, 0.9238795))
    assert arrange.yaw(tilted) == pytest.approx(degrees, abs=1e-5)  # a tilt does not turn it


def test_a_move_keeps_the_meshes_a_renderer_has_and_an_add_does_not(folder):
    composition, ids, models, outlines = composed(folder)
    first = assemble.drawable(composition.doc, models)
    composition.move(ids[:1], (1.0, 0.0, 0.0))
    composition.duplicate(ids[1:2], (0.0, 0.0, 2.0))
    moved = assemble.drawable(composition.doc, models, like=first)
    assert moved.same_meshes(first) and len(moved.instances) == 4
    fresh = assemble.drawable(composition.doc, models)
    assert not fresh.same_meshes(first)
    for a, b in zip(moved.instances, fresh.instances, strict=True):
        assert np.array_equal(a.matrix, b.matrix) and a.primitives == b.primitives
    assert np.allclose(moved.bounds, fresh.bounds)
    composition.remove(ids[:1])  # the box gone: its mesh no longer drawn
    fewer = assemble.drawable(composition.doc, models, like=moved)
    assert not fewer.same_meshes(moved) and len(fewer.primitives) == 1


def test_the_lighting_chosen_is_kept_with_the_sun_and_a_file_beside_the_scene(tmp_path):
    from aiml3d_desktop.core.composition.document import Light, SceneDoc
    from aiml3d_desktop.core.look.lighting import Lighting

    doc = SceneDoc(light=Light(sun_azimuth=120.0, sun_elevation=20.0, shadow=False))
    env = tmp_path / "hdr" / "yard.hdr"
    lit = Lighting(file=env, rotation=45.0, exposure=1.5, background="environment", sun=False)
    kept = assemble.with_lighting(doc, lit, tmp_path)
    assert kept.light.file == "hdr/yard.hdr"  # relative: the folder can move
    assert (kept.light.sun_azimuth, kept.light.sun_elevation, kept.light.shadow) == (
        120.0, 20.0, False,
    )  # fmt: skip
    assert kept.background.kind == "environment" and kept.background.colour == "#2b2f36"
    read = assemble.lighting(kept, tmp_path)  # read back as it was, with the scene's sun
    assert read == dataclasses.replace(lit, sun_direction=(120.0, 20.0))
    elsewhere = assemble.with_lighting(doc, lit, tmp_path / "other")
    assert elsewhere.light.file == str(env)  # not under the scene's folder: as it is


def test_a_drag_near_the_horizon_does_not_throw_the_models_away(folder):
    composition, ids, _, _ = composed(folder)
    camera, start = np.array([0.0, 5.0, 8.0]), np.array([0.0, 1.0, 0.0])
    moving = drag.GroundDrag(composition, ids[:1], start)
    moving.to(camera, np.subtract([0.0, 1.0, -300.0], camera))  # grazing: 300 m off
    assert composition.doc.placement(ids[0]).position == (0.0, 0.0, 0.0)
    moving.to(camera, np.subtract([0.0, 1.0, -20.0], camera))  # far, but within reach
    assert composition.doc.placement(ids[0]).position[2] == pytest.approx(-20.0)


def test_deleting_leaves_no_empty_group_and_copies_leave_a_locked_one(folder):
    composition, ids, _, _ = composed(folder)
    group = composition.group(ids[1:], "Balls")
    composition.change_group(group, locked=True)
    (copy,) = composition.duplicate(ids[1:2])
    assert composition.doc.placement(copy).group is None  # free to move
    composition.change_group(group, locked=False)
    composition.remove(ids[1:])
    assert composition.doc.groups == ()  # nothing left in it: gone with them
    composition.undo()
    assert [g.id for g in composition.doc.groups] == [group]

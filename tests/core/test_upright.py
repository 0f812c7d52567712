"""Stand upright (issue 26, item 3) on standing objects built here: a chair, a mug, a figure,
a lamp and a TripoSR-like blob. Standing, each keeps its pose in every axis convention the
app reads; lying or upside down, it is stood up with the turn and the reason said, or, where
the way it lies is itself a stable rest, kept with the standing pose offered first."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from trimesh.transformations import rotation_matrix

from aiml3d_desktop.core.assets import pipeline, upright
from aiml3d_desktop.core.assets.recipe import Presets, Recipe, same_steps
from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.meshes import mesh
from aiml3d_desktop.core.meshes.formats import write
from aiml3d_desktop.core.meshes.mesh_arrays import MeshArrays
from aiml3d_desktop.core.meshes.scene import Scene, single, transformed
from aiml3d_desktop.core.meshes.writers import Y_UP_TO_Z_UP

# Each object stands on y = 0 with +Y up and its front towards +Z, as glTF has it.


def _box(size, at) -> trimesh.Trimesh:
    box = trimesh.creation.box(size)
    box.apply_translation(at)
    return box


def _upright_axis(part: trimesh.Trimesh, at) -> trimesh.Trimesh:
    """``part`` made about +Z (trimesh's cylinders, cones, capsules) stood along +Y, at ``at``."""
    part.apply_transform(rotation_matrix(-np.pi / 2, (1, 0, 0)))
    part.apply_translation(at)
    return part


def chair() -> trimesh.Trimesh:
    """A seat on four thin legs, and a back at the rear: 0.45 m wide, 0.95 m tall."""
    legs = [
        _box((0.04, 0.45, 0.04), (x, 0.225, z)) for x in (-0.205, 0.205) for z in (-0.205, 0.205)
    ]
    seat = _box((0.45, 0.05, 0.45), (0, 0.475, 0))
    back = _box((0.45, 0.45, 0.04), (0, 0.725, -0.205))
    return trimesh.util.concatenate([seat, back, *legs])


def mug() -> trimesh.Trimesh:
    """An open cup (a wall and a bottom) with a ring handle at its right."""
    wall = _upright_axis(trimesh.creation.annulus(0.036, 0.04, 0.1, sections=48), (0, 0.05, 0))
    bottom = _upright_axis(trimesh.creation.cylinder(0.04, 0.008, sections=48), (0, 0.004, 0))
    handle = trimesh.creation.torus(0.025, 0.006)  # a ring in the XY plane: upright
    handle.apply_translation((0.05, 0.055, 0))
    return trimesh.util.concatenate([wall, bottom, handle])


def figure() -> trimesh.Trimesh:
    """Feet, legs, a body, arms and a head: 1.69 m tall on feet 0.26 m wide."""
    parts = []
    for x in (-0.08, 0.08):
        parts.append(_box((0.1, 0.05, 0.24), (x, 0.025, 0.04)))  # a foot
        parts.append(_upright_axis(trimesh.creation.capsule(0.7, 0.055), (x, 0.46, 0)))
        parts.append(_upright_axis(trimesh.creation.capsule(0.5, 0.04), (x * 2.8, 1.1, 0)))
    head = trimesh.creation.icosphere(3, 0.11)
    head.apply_translation((0, 1.58, 0))
    return trimesh.util.concatenate([*parts, _box((0.34, 0.6, 0.2), (0, 1.15, 0)), head])


def lamp() -> trimesh.Trimesh:
    """A wide base, a thin pole and a cone shade."""
    base = _upright_axis(trimesh.creation.cylinder(0.16, 0.03, sections=64), (0, 0.015, 0))
    pole = _upright_axis(trimesh.creation.cylinder(0.012, 0.5, sections=16), (0, 0.28, 0))
    shade = _upright_axis(trimesh.creation.cone(0.13, 0.2, sections=64), (0, 0.38, 0))
    return trimesh.util.concatenate([base, pole, shade])


def blob() -> trimesh.Trimesh:
    """What image-to-3D makes of a round object: a lumpy ball, squashed, flattened where it
    rests on the ground, 20,480 triangles."""
    ball = trimesh.creation.icosphere(5, 0.5)
    rng = np.random.default_rng(1)
    waves, phases = rng.normal(size=(6, 3)) * 3, rng.uniform(0, 2 * np.pi, 6)
    positions = (
        ball.vertices * (1 + 0.012 * np.sin(ball.vertices @ waves.T + phases).sum(1))[:, None]
    )
    positions[:, 1] *= 0.75
    under = positions[:, 1] < -0.28
    positions[under, 1] = -0.28 + (positions[under, 1] + 0.28) * 0.2
    return trimesh.Trimesh(positions, ball.faces)


OBJECTS = {"chair": chair, "mug": mug, "figure": figure, "lamp": lamp, "blob": blob}


def scene_of(shape: trimesh.Trimesh, pose: np.ndarray | None = None) -> Scene:
    if pose is not None:
        shape = shape.copy()
        shape.apply_transform(pose)
    return single(MeshArrays(shape.vertices.astype(np.float32), shape.faces.astype(np.uint32)))


def positions(scene: Scene) -> np.ndarray:
    return scene.merged.positions


def rotation(turn: upright.Turn) -> np.ndarray:
    return turn.matrix(np.zeros(3))[:3, :3]


# Standing: kept, in every axis convention the app reads


def _glb(scene, folder):
    write(scene, folder / "model.glb")
    return mesh.load(folder / "model.glb").scene, False


def _printer(fmt):
    """STL and 3MF are written and read +Z up, in millimetres (their records in
    core/meshes/formats.py)."""

    def convention(scene, folder):
        write(scene, folder / f"model.{fmt}")
        return mesh.load(folder / f"model.{fmt}").scene, False

    return convention


def _obj_z_up(scene, folder):
    """An OBJ from a Z-up tool: read as it is, it lies; the recipe's "the file is Z-up"
    (aiml3d process --z-up) stands it as made."""
    write(transformed(scene, Y_UP_TO_Z_UP), folder / "model.obj")
    return mesh.load(folder / "model.obj").scene, True


CONVENTIONS = {"glb y-up": _glb, "stl": _printer("stl"), "3mf": _printer("3mf"),
               "obj z-up": _obj_z_up}  # fmt: skip


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("name", OBJECTS)
def test_a_standing_object_keeps_its_pose_in_every_axis_convention(name, convention, tmp_path):
    read, z_up = CONVENTIONS[convention](scene_of(OBJECTS[name]()), tmp_path)
    as_made = pipeline.prepare(read, Recipe(z_up=z_up)).scene
    prepared = pipeline.prepare(read, Recipe(z_up=z_up, upright=True))
    turn = prepared.upright.turn
    assert turn.kept, prepared.upright.line()
    assert turn.reason.startswith("it stands on a stable base")
    assert np.array_equal(positions(prepared.scene), positions(as_made))
    assert prepared.lines()[0].startswith("Stand upright: kept as it was: it stands on")
    # Its other ways to stand are offered; none is "keep", which is what it does.
    assert 1 <= len(prepared.upright.choices) <= 1 + upright.ALTERNATIVES
    assert not any(c.kept for c in prepared.upright.choices[1:])


# Lying: stood up, and said why

BACK = rotation_matrix(-np.pi / 2, (1, 0, 0))  # its back down, its base to the front
FRONT = rotation_matrix(np.pi / 2, (1, 0, 0))
SIDE = rotation_matrix(np.pi / 2, (0, 0, 1))
OTHER_SIDE = rotation_matrix(-np.pi / 2, (0, 0, 1))
UPSIDE_DOWN = rotation_matrix(np.pi, (1, 0, 0))
POSES = {  # the pose, the turn back (as said, as --turn takes it) and why
    "on its back": (BACK, "turned 90° about X", "x90", "it was lying on its back"),
    "on its front": (FRONT, "turned -90° about X", "x-90", "it was lying on its front"),
    "on its side": (SIDE, "turned -90° about Z", "z-90", "it was lying on its side"),
    "on its other side": (OTHER_SIDE, "turned 90° about Z", "z90", "it was lying on its side"),
    "upside down": (UPSIDE_DOWN, "turned 180° about X", "x180", "it was upside down"),
}
# Where it lies as steadily as it would stand: nothing in its shape says it is lying (a chair
# on its back is a board lying flat, as far as the hull goes). It is kept, and standing is
# the first of the ways offered.
STEADY = {
    ("chair", "on its back"),
    ("chair", "on its side"),
    ("chair", "on its other side"),
    ("figure", "on its back"),
    ("figure", "on its front"),
    ("mug", "upside down"),  # on its rim, as mugs dry
    ("blob", "upside down"),  # on its round top, which holds it
}


@pytest.mark.parametrize("pose", POSES)
@pytest.mark.parametrize("name", OBJECTS)
def test_a_lying_object_is_stood_up_with_the_turn_and_the_reason(name, pose):
    matrix, words, quarter, reason = POSES[pose]
    decision = upright.decide(scene_of(OBJECTS[name](), matrix))
    if (name, pose) in STEADY:
        assert decision.turn.kept and decision.turn.reason.startswith("it stands on a stable")
        standing = decision.choices[1]
        assert np.allclose(rotation(standing) @ matrix[:3, :3], np.eye(3), atol=1e-9)
        assert standing.words() == words and standing.option().startswith("Turn")
        return
    turn = decision.turn
    assert turn.words() == words, decision.line()
    assert turn.reason.startswith(reason), decision.line()
    assert turn.quarter() == quarter
    assert np.allclose(rotation(turn) @ matrix[:3, :3], np.eye(3), atol=1e-9)  # as it stood
    assert decision.choices[-1].kept and decision.choices[-1].option() == "Keep as it was"


def test_the_stood_up_object_stands_where_it_lay():
    """The turn is about the middle of its bounds: the model stays where it was, turned."""
    lying = scene_of(lamp(), BACK)
    stood = upright.upright(lying)
    assert np.allclose(stood.bounds.mean(axis=0), lying.bounds.mean(axis=0), atol=1e-6)
    low, high = stood.bounds
    assert high[1] - low[1] == pytest.approx(0.58, abs=1e-4)  # its height, up again


def test_a_z_up_obj_read_as_it_is_lies_on_its_front_and_is_stood_up(tmp_path):
    """Without "the file is Z-up" a Z-up file's model comes in lying on its front (its
    top towards the viewer): Stand upright finds the turn the option would have made."""
    read, _ = _obj_z_up(scene_of(mug()), tmp_path)
    prepared = pipeline.prepare(read, Recipe(upright=True))
    assert prepared.upright.line().startswith(
        "Stand upright: turned -90° about X: it was lying on its front"
    )
    low, high = prepared.scene.bounds
    assert high[1] - low[1] == pytest.approx(0.1, abs=1e-4)


# The choices


def test_keep_as_it_was_keeps_the_pose_and_another_choice_takes_its_turn():
    lying = scene_of(mug(), SIDE)
    automatic = upright.decide(lying)
    assert not automatic.turn.kept
    kept = upright.decide(lying, rest=(0.0, -1.0, 0.0))
    assert kept.turn.kept and kept.turn.reason == "as chosen"
    assert kept.choices == automatic.choices  # the same list, whichever is taken
    assert upright.apply(lying, kept) is lying
    other = automatic.choices[1]
    chosen = upright.decide(lying, rest=other.rest)
    assert chosen.turn.words() == other.words() and chosen.line().endswith("as chosen")
    assert np.allclose(
        positions(upright.apply(lying, chosen)),
        positions(transformed(lying, other.matrix(lying.bounds.mean(axis=0).astype(float)))),
    )


def test_a_round_model_is_kept_and_says_so():
    ball = scene_of(trimesh.creation.icosphere(4, 0.5))
    decision = upright.decide(ball)
    assert decision.turn.kept and decision.choices == (decision.turn,)
    assert decision.line() == (
        "Stand upright: kept as it was: it is round all over: no side stands better"
    )


def test_the_decision_as_json():
    decision = upright.decide(scene_of(lamp(), BACK)).as_dict()
    assert decision["turn"] == "turned 90° about X" and decision["as_turn"] == "x90"
    assert decision["axis"] == [1.0, 0.0, 0.0] and decision["angle"] == 90.0
    assert decision["reason"] == "it was lying on its back, where it rolls"
    assert decision["choices"][0]["turn"] == decision["turn"]
    assert decision["choices"][-1]["turn"] == "kept as it was"


def test_the_chosen_side_is_part_of_the_recipe_but_not_of_its_preset(tmp_path):
    game = Recipe(upright=True, clean=True, pivot="bottom", decimate=20_000, bake=2048)
    chosen = Recipe.from_dict({**game.as_dict(), "rest": [0, 0, 1]})
    assert chosen.rest == (0, 0, 1) and chosen != game and same_steps(chosen, game)
    assert chosen.describe()[0] == "Stand upright on the side chosen"
    for wrong in ((0, 0, 0), (1, float("nan"), 0), (1, 2)):
        with pytest.raises(InputError, match="Cannot stand the model on"):
            Recipe(upright=True, rest=wrong).validated()  # type: ignore[arg-type]
    presets = Presets(tmp_path / "presets.json")
    assert presets.save("Mine", chosen).recipe.rest is None  # a side is one model's choice
    assert presets.get("Mine").recipe == game

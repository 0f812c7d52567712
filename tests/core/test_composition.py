"""Scene composition in core (issue 29): the scene document and its file (hostile ones
fuzzed), every kind of edit undone and redone, the layouts' gaps, and the exported scene
checked with trimesh, an independent reader: names, transforms, a model placed several times
stored once, materials and textures kept."""

from __future__ import annotations

import json
import math
import struct

import numpy as np
import pytest
import trimesh
from hypothesis import given, settings
from hypothesis import strategies as st

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.composition import arrange, assemble, history
from aiml3d_desktop.core.composition import document as doc_mod
from aiml3d_desktop.core.composition.document import (
    Background,
    Ground,
    Light,
    SceneDoc,
    SceneFileError,
    Source,
)

BOX, BALL = Source(file="box.glb"), Source(file="ball.glb")


def composed(folder, items=((BOX, "Box"), (BALL, "Ball"), (BALL, "Ball"))):
    composition = history.Composition()
    ids = composition.add(list(items))
    models = assemble.read_models(composition.doc, folder)
    outlines = {key: model.outline for key, model in models.items()}
    return composition, ids, models, outlines


# The document and its file


def test_a_scene_survives_saving_and_loading(folder):
    composition, ids, models, outlines = composed(folder)
    composition.arrange(ids, "grid", 0.3, outlines)
    composition.turn([ids[1]], 30)
    composition.group(ids[1:], "Balls")
    composition.set_light(Light(preset="outdoor", exposure=-1.0, sun_azimuth=120.0))
    composition.set_ground(Ground(visible=False, size=12.0))
    composition.set_background(Background("environment", "#112233"))
    doc_mod.save(composition.doc, folder / "scene.json")
    again = doc_mod.load(folder / "scene.json")
    assert again == composition.doc
    assert json.loads((folder / "scene.json").read_text())["version"] == doc_mod.VERSION


def valid() -> dict:
    return SceneDoc(
        placements=(doc_mod.Placement("p1", "Box", BOX, (1.0, 0.0, 2.0)),),
    ).as_json()


def broken(**changes) -> dict:
    data = valid()
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = data
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[last] = value
    return data


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([1, 2], "not a JSON object"),
        ({"format": "something else"}, "not an AIML 3D Desktop scene"),
        (broken(version=99), "newer version"),
        (broken(version="1"), "not a whole number"),
        (broken(placements__0__position=[0, 0]), "position is not 3 numbers"),
        (broken(placements__0__position=[1e300, 0, 0]), "position is not 3 numbers"),
        (broken(placements__0__rotation=[0, 0, 0, 0]), "length 0"),
        (broken(placements__0__scale=0), "scale is not a number"),
        (broken(placements__0__scale=True), "scale is not a number"),
        (broken(placements__0__visible="yes"), "visible is not true or false"),
        (broken(placements__0__id="../../etc"), "id"),
        (broken(placements__0__group="nowhere"), "does not have"),
        (broken(placements__0__source={"entry": "x", "file": "y"}), "not one entry, file"),
        (broken(placements__0__source={"file": 3}), "not a path"),
        (broken(placements__0__name="x" * 1000), "at most 200 characters"),
        (broken(placements=[valid()["placements"][0]] * 2), "two of its parts"),
        (broken(placements=[{}] * (doc_mod.MAX_PLACEMENTS + 1)), "at most 2,000"),
        (broken(lighting={"preset": "disco"}), "not one of"),
        (broken(lighting={"sun": {"elevation": -10}}), "elevation"),
        (broken(background={"colour": "red"}), "#RRGGBB"),
        (broken(placements="all of them"), "not a list"),
    ],
)
def test_a_broken_scene_file_says_what_is_wrong(tmp_path, data, words):
    path = tmp_path / "scene.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SceneFileError) as caught:
        doc_mod.load(path)
    assert words in str(caught.value) and str(caught.value).startswith("scene.json: ")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b'{"format": "aiml3d-scene", "version": 1, "placements": [{"scale": NaN}]}', "NaN"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_bytes_that_are_not_a_scene_get_one_message(tmp_path, content, words):
    path = tmp_path / "scene.json"
    path.write_bytes(content)
    with pytest.raises(SceneFileError, match=words):
        doc_mod.load(path)


def test_a_scene_file_that_is_not_a_file_or_too_big_is_refused(tmp_path):
    (tmp_path / "folder.json").mkdir()
    with pytest.raises(SceneFileError, match="Cannot read folder.json: Is a directory"):
        doc_mod.load(tmp_path / "folder.json")
    big = tmp_path / "big.json"
    with big.open("wb") as out:
        out.truncate(doc_mod.MAX_BYTES + 1)
    with pytest.raises(SceneFileError, match="more than the 16 MB allowed"):
        doc_mod.load(big)
    with pytest.raises(SceneFileError, match="Cannot read"):
        doc_mod.load(tmp_path / "nothing.json")


JSON = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)
PLACEMENT = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=10) | JSON,
        "name": JSON,
        "source": st.fixed_dictionaries(
            {}, optional={"entry": JSON, "file": JSON, "version": JSON}
        ),
        "position": st.lists(st.floats() | st.integers(), max_size=4) | JSON,
        "rotation": st.lists(st.floats() | st.integers(), max_size=5) | JSON,
        "scale": st.floats() | JSON,
        "visible": JSON,
        "group": JSON,
    },
)


@given(
    st.fixed_dictionaries(
        {"format": st.just("aiml3d-scene") | JSON, "version": st.just(1) | JSON},
        optional={
            "placements": st.lists(PLACEMENT, max_size=4) | JSON,
            "groups": st.lists(JSON, max_size=3) | JSON,
            "lighting": JSON,
            "ground": JSON,
            "background": JSON,
            "name": JSON,
        },
    )
)
@settings(max_examples=300, deadline=None)
def test_any_json_is_a_scene_or_one_clear_error(data):
    try:
        doc = doc_mod.from_json(data)
    except SceneFileError as exc:
        assert str(exc)
        return
    # What was accepted is whole: finite numbers, unit rotations, known groups.
    for placement in doc.placements:
        assert all(math.isfinite(v) for v in (*placement.position, placement.scale))
        assert abs(sum(v * v for v in placement.rotation) - 1) < 1e-9
        assert placement.group is None or doc.group(placement.group)
    assert doc_mod.from_json(json.loads(json.dumps(doc.as_json()))) == doc


# Edits, undone and redone


def edits(folder):
    """Every kind of change the editor makes, each a function of the composition."""
    _, _, _, outlines = composed(folder)
    return {
        "add": lambda c, ids: c.add([(BOX, "Another box")], outlines),
        "delete": lambda c, ids: c.remove([ids[0]]),
        "duplicate": lambda c, ids: c.duplicate(ids[:2], (0.5, 0, 0)),
        "move": lambda c, ids: c.move(ids, (1.0, 0.0, -2.0)),
        "turn": lambda c, ids: c.turn([ids[0]], 90),
        "transform": lambda c, ids: c.transform(ids[1], (3, 0, 3), arrange.about_up(45), 2.0),
        "rest": lambda c, ids: c.rest_on_ground(ids, outlines),
        "arrange": lambda c, ids: c.arrange(ids, "circle", 0.5, outlines),
        "rename": lambda c, ids: c.rename(ids[2], "Small ball"),
        "hide": lambda c, ids: c.set_visible([ids[0]], False),
        "lock": lambda c, ids: c.set_locked([ids[1]], True),
        "group": lambda c, ids: c.group(ids[1:], "Balls"),
        "light": lambda c, ids: c.set_light(Light(preset="sunset", shadow=False)),
        "ground": lambda c, ids: c.set_ground(Ground(size=4.0)),
        "background": lambda c, ids: c.set_background(Background("transparent")),
        "rename scene": lambda c, ids: c.rename_scene("Desk"),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "add", "delete", "duplicate", "move", "turn", "transform", "rest", "arrange",
        "rename", "hide", "lock", "group", "light", "ground", "background", "rename scene",
    ],
)  # fmt: skip
def test_each_kind_of_change_is_undone_and_redone(folder, kind):
    composition, ids, _, _ = composed(folder)
    composition.move(ids, (0.0, 3.0, 0.0))  # off the ground, so that resting changes them
    heard = []
    composition.listen(heard.append)
    before = composition.doc
    edits(folder)[kind](composition, ids)
    after = composition.doc
    assert after != before and composition.undo_label and heard[-1] is after
    assert composition.undo() and composition.doc == before and heard[-1] is before
    assert composition.redo_label == composition._undone[-1].label
    assert composition.redo() and composition.doc == after


def test_ungroup_and_a_groups_own_changes_are_undone(folder):
    composition, ids, _, _ = composed(folder)
    group = composition.group(ids, "All")
    assert group is not None
    composition.change_group(group, name="Everything", visible=False)
    assert not any(composition.doc.shown(p) for p in composition.doc.placements)
    composition.ungroup(group)
    assert composition.doc.groups == () and all(p.group is None for p in composition.doc.placements)
    composition.undo()
    assert composition.doc.group(group).name == "Everything"
    composition.undo()
    assert composition.doc.group(group).visible


def test_a_drag_is_one_change_and_the_next_drag_another(folder):
    composition, ids, _, _ = composed(folder)
    start = composition.doc
    for _ in range(10):
        composition.move([ids[0]], (0.1, 0, 0), merge="drag")
    composition.end_merge()
    composition.move([ids[0]], (0.1, 0, 0), merge="drag")
    moved = composition.doc.placement(ids[0]).position[0]
    assert moved == pytest.approx(start.placement(ids[0]).position[0] + 1.1)
    composition.undo()
    assert composition.doc.placement(ids[0]).position[0] == pytest.approx(
        start.placement(ids[0]).position[0] + 1.0
    )
    composition.undo()
    assert composition.doc == start


def test_locked_models_stay_put_but_can_be_shown_renamed_and_unlocked(folder):
    composition, ids, _, outlines = composed(folder)
    composition.set_locked([ids[0]], True)
    locked = composition.doc.placement(ids[0])
    composition.move(ids, (1, 0, 0))
    composition.turn(ids, 45)
    composition.remove(ids)
    composition.arrange(ids, "row", 0.1, outlines)
    assert composition.doc.placement(ids[0]) == locked  # still there, still in place
    assert [p.id for p in composition.doc.placements] == [ids[0]]
    composition.rename(ids[0], "Anchor")
    composition.set_visible([ids[0]], False)
    composition.set_locked([ids[0]], False)
    composition.move([ids[0]], (1, 0, 0))
    assert composition.doc.placement(ids[0]).position[0] == locked.position[0] + 1


def test_an_edit_that_changes_nothing_is_no_change_and_the_history_has_a_limit(folder):
    composition = history.Composition(limit=3)
    ids = composition.add([(BOX, "Box")])
    assert not composition.apply("Nothing", composition.doc)
    for _ in range(5):
        composition.move(ids, (1, 0, 0))
    undone = 0
    while composition.undo():
        undone += 1
    assert undone == 3 and composition.doc.placement(ids[0]).position[0] == 2.0
    assert composition.modified  # the document is not the one it started from


def test_too_many_models_are_refused_with_a_message():
    composition = history.Composition()
    with pytest.raises(SceneFileError, match="at most 2,000 models"):
        composition.add([(BOX, "Box")] * (doc_mod.MAX_PLACEMENTS + 1))
    assert composition.doc.placements == ()


# Arranging


def gaps_along(world: list[np.ndarray], axis: int) -> list[float]:
    ordered = sorted(world, key=lambda b: b[0, axis])
    return [b[0, axis] - a[1, axis] for a, b in zip(ordered, ordered[1:], strict=False)]


@pytest.mark.parametrize("gap", [0.0, 0.25])
def test_a_row_leaves_the_gap_between_boxes_and_rests_on_the_ground(folder, gap):
    composition, ids, _, outlines = composed(folder)
    composition.turn([ids[0]], 45)  # a turned box: its box in the scene is wider
    composition.arrange(ids, "row", gap, outlines)
    doc = composition.doc
    world = [arrange.world_box(p, outlines[p.source.key]) for p in doc.placements]
    assert gaps_along(world, 0) == pytest.approx([gap, gap])
    assert [b[0, 1] for b in world] == pytest.approx([0, 0, 0], abs=1e-9)
    low, high = np.min([b[0] for b in world], axis=0), np.max([b[1] for b in world], axis=0)
    assert (low[0] + high[0]) / 2 == pytest.approx(0, abs=1e-9)  # centred on the origin


def test_a_grid_is_square_and_gapped_and_a_circle_keeps_neighbours_apart(folder):
    items = [(BOX, "Box"), (BALL, "Ball")] * 3
    composition, ids, _, outlines = composed(folder, items)
    composition.arrange(ids, "grid", 0.5, outlines)
    world = [arrange.world_box(p, outlines[p.source.key]) for p in composition.doc.placements]
    rows = {round(b[0, 2] + b[1, 2], 6) for b in world}
    assert len(rows) == 2  # 6 models: 3 columns, 2 rows
    first_row = [b for b in world if round(b[0, 2] + b[1, 2], 6) == min(rows)]
    assert min(gaps_along(first_row, 0)) >= 0.5 - 1e-9
    composition.arrange(ids, "circle", 0.5, outlines)
    placements = composition.doc.placements
    centres = [np.array(p.position)[[0, 2]] for p in placements]
    radii = [np.hypot(*np.ptp(outlines[p.source.key], axis=0)[[0, 2]]) / 2 for p in placements]
    for i in range(len(placements)):
        j = (i + 1) % len(placements)
        distance = np.linalg.norm(centres[i] - centres[j])
        assert distance == pytest.approx(radii[i] + radii[j] + 0.5)


def test_turns_about_up_compose_and_keep_a_unit_rotation():
    quarter = arrange.about_up(90)
    half = arrange.times(quarter, quarter)
    assert np.allclose(arrange.quaternion_matrix(half) @ [1, 0, 0], [-1, 0, 0], atol=1e-12)
    assert np.allclose(arrange.quaternion_matrix(quarter) @ [1, 0, 0], [0, 0, -1], atol=1e-12)


# The scene exported, read back by trimesh


def glb_json(path) -> dict:
    data = path.read_bytes()
    length = struct.unpack_from("<I", data, 12)[0]
    return json.loads(data[20 : 20 + length])


def test_the_glb_has_a_node_per_placement_and_each_model_once(folder):
    composition, ids, models, outlines = composed(folder)
    composition.arrange(ids, "row", 0.2, outlines)
    composition.transform(ids[2], scale=0.5)
    composition.turn([ids[0]], 30)
    composition.rest_on_ground(ids, outlines)
    composition.rename(ids[2], "Small ball")
    out = folder / "scene.glb"
    assert assemble.write(composition.doc, models, out) == [out]
    gltf = glb_json(out)
    assert len(gltf["meshes"]) == 2  # the ball placed twice is stored once
    assert len(gltf["images"]) == 1  # and so is its texture
    loaded = trimesh.load(out)
    nodes = {name: loaded.graph[name] for name in loaded.graph.nodes_geometry}
    assert set(nodes) == {"Box", "Ball", "Small ball"}
    for placement in composition.doc.placements:
        transform, geometry = nodes[placement.name]
        assert np.allclose(transform, arrange.matrix(placement), atol=1e-6)
    assert nodes["Ball"][1] == nodes["Small ball"][1]  # one mesh for both
    assert loaded.bounds[0][1] == pytest.approx(0, abs=1e-5)  # everything on the ground
    ball = loaded.geometry[nodes["Ball"][1]]
    assert isinstance(ball.visual, trimesh.visual.TextureVisuals)
    colours = loaded.geometry[nodes["Box"][1]].visual.vertex_colors
    assert (colours[:, :3] == [200, 40, 40]).all()


def test_other_formats_hold_the_placements_merged(folder):
    composition, ids, models, outlines = composed(folder)
    composition.arrange(ids, "row", 0.2, outlines)
    composition.set_visible([ids[1]], False)  # a hidden model is left out
    written = assemble.write(composition.doc, models, folder / "plate.stl")
    mesh = trimesh.load(written[-1])
    assert len(mesh.faces) == 12 + models[BALL.key].triangles
    shown = [p for p in composition.doc.placements if p.visible]
    world = [arrange.world_box(p, outlines[p.source.key]) for p in shown]
    width = max(b[1, 0] for b in world) - min(b[0, 0] for b in world)
    assert mesh.extents[0] == pytest.approx(width * 1000, rel=1e-4)  # millimetres
    # A textured model placed twice: its texture written once, its own material untouched.
    ball = models[BALL.key].scene
    slots_before = [m.slots() for m in ball.materials]
    composition.set_visible([ids[1]], True)
    obj = assemble.write(composition.doc, models, folder / "plate.obj")
    assert len([p for p in obj if p.suffix == ".png"]) == 1
    assert [m.slots() for m in ball.materials] == slots_before
    again = trimesh.load(obj[-1])
    assert sum(isinstance(g.visual, trimesh.visual.TextureVisuals) for g in again.geometry.values())
    gltf = assemble.write(composition.doc, models, folder / "scene.gltf")
    assert gltf[-1].suffix == ".gltf" and all(p.exists() for p in gltf)
    assert set(trimesh.load(gltf[-1]).graph.nodes_geometry) == {"Box", "Ball", "Ball (2)"}


def test_a_missing_model_is_shown_missing_and_left_out(folder):
    composition, ids, _, outlines = composed(folder)
    composition.add([(Source(file="gone.glb"), "Gone"), (Source(entry="deleted1"), "Deleted")])
    (folder / "broken.glb").write_bytes(b"glTF\x02\x00\x00\x00garbage")
    composition.add([(Source(file="broken.glb"), "Broken")])
    models = assemble.read_models(composition.doc, folder, library=None)
    info = assemble.summary(composition.doc, models)
    rows = {row["name"]: row for row in info["placements"]}
    assert "gone.glb" in rows["Gone"]["missing"]
    assert "library" in rows["Deleted"]["missing"]
    assert rows["Broken"]["missing"] and (info["models"], info["missing"]) == (2, 3)
    assert info["triangles"] == 12 + 2 * models[BALL.key].triangles
    out = folder / "scene.glb"
    assemble.write(composition.doc, models, out)
    assert len(trimesh.load(out).graph.nodes_geometry) == 3


def test_a_scene_of_nothing_shown_is_refused(folder):
    composition, ids, models, _ = composed(folder)
    composition.set_visible(ids, False)
    with pytest.raises(InputError, match="no model to show"):
        assemble.write(composition.doc, models, folder / "scene.glb")
    with pytest.raises(InputError, match="no model to show"):
        assemble.write(composition.doc, models, folder / "scene.obj")


# Picking and dragging


def test_a_click_picks_the_placement_it_meets_first(folder):
    from aiml3d_desktop.core.meshes import picking

    composition, ids, models, outlines = composed(folder)
    composition.arrange(ids, "row", 0.5, outlines)
    composition.turn([ids[0]], 45)
    composition.transform(ids[2], scale=0.5)
    scene = assemble.drawable(composition.doc, models)
    for number, placement in enumerate(composition.doc.placements):
        low, high = arrange.world_box(placement, outlines[placement.source.key])
        centre = (low + high) / 2
        hit = picking.picked(scene, centre + [0, 0, 10], [0, 0, -1])  # from the front
        assert hit is not None and hit[0] == number
        # The ray meets the front of the model: on its surface, at most its box's depth away.
        assert low[2] - 1e-6 <= hit[1][2] <= high[2] + 1e-6
    # The ball scaled to half: a ray through where the full ball's edge would be misses it.
    small = composition.doc.placements[2]
    x, y, _ = small.position
    assert picking.picked(scene, [x + 0.4, y, 10], [0, 0, -1]) is None
    assert picking.picked(scene, [0, 50, 10], [0, 0, -1]) is None
    # Behind a model: the nearer one is picked.
    hit = picking.picked(scene, [composition.doc.placements[1].position[0], 0.5, -10], [0, 0, 1])
    assert hit is not None and hit[0] == 1


def test_a_drag_on_the_ground_and_snapping():
    assert arrange.on_the_ground([0, 2, 0], [0.5, -1, 0.25]) == (1.0, 0.0, 0.5)
    assert arrange.on_the_ground([0, 2, 0], [1, 0, 0]) is None  # parallel to the ground
    assert arrange.on_the_ground([0, 2, 0], [0, 1, 0]) is None  # looking up
    assert arrange.snapped(0.37, 0.25) == 0.25 and arrange.snapped(-0.13, 0.25) == -0.25
    assert arrange.snapped(52.0, 15.0) == 45.0 and arrange.snapped(0.37, 0) == 0.37


def test_an_edit_never_makes_a_scene_that_cannot_be_opened_again(folder, tmp_path):
    composition, ids, _, outlines = composed(folder, [(BOX, "Box")] * 300)
    start = composition.doc
    with pytest.raises(SceneFileError, match="more than 100 km"):
        composition.arrange(ids, "row", 1000.0, outlines)  # 300 km of outlines
    with pytest.raises(SceneFileError, match="more than 100 km"):
        composition.move(ids[:1], (float("nan"), 0, 0))
    assert composition.doc is start and composition.undo_label == "Add 300 models"
    with pytest.raises(ValueError):
        composition.change_group("g1", colour="red")
    doc_mod.save(composition.doc, tmp_path / "ok.json")
    assert doc_mod.load(tmp_path / "ok.json") == composition.doc


def test_a_hostile_number_or_path_is_refused_not_a_crash():
    data = valid()
    data["placements"][0]["scale"] = 10**400  # float() cannot hold it
    with pytest.raises(SceneFileError, match="scale"):
        doc_mod.from_json(data)
    data = valid()
    data["placements"][0]["source"] = {"file": "model\x1b]0;owned\x07.glb"}  # a terminal's
    with pytest.raises(SceneFileError, match="not a path"):
        doc_mod.from_json(data)
    assert Source(file="./box.glb").key == Source(file="box.glb").key  # one model


def test_a_turned_model_rests_on_the_ground_by_its_lowest_point(folder):
    """By its outline (the hull's corners), not its own box turned: a ball turned 45 degrees
    about X would float 0.2 m up on the box's turned corners."""
    composition, ids, _, outlines = composed(folder, [(BALL, "Ball")])
    tilt = (math.sin(math.pi / 8), 0.0, 0.0, math.cos(math.pi / 8))
    composition.transform(ids[0], position=(0, 3, 0), rotation=tilt)
    composition.rest_on_ground(ids, outlines)
    placement = composition.doc.placements[0]
    ball = trimesh.load(folder / "ball.glb", force="mesh")
    lowest = (ball.vertices @ arrange.matrix(placement)[:3, :3].T + placement.position)[:, 1]
    assert lowest.min() == pytest.approx(0, abs=1e-6)


def test_a_placement_of_any_name_or_many_parts_keeps_its_node(folder):
    """A placement named "world" (trimesh's root) keeps its own node and transform; a model
    of two parts is one node to move with the parts under it; a model shown nowhere is not
    in the file."""
    two = trimesh.Scene()
    two.add_geometry(trimesh.creation.box((1, 1, 1)), node_name="seat")
    two.add_geometry(trimesh.creation.box((0.2, 1, 0.2)), node_name="leg",
                     transform=trimesh.transformations.translation_matrix((0, -1, 0)))  # fmt: skip
    two.export(folder / "stool.glb")
    stool, hidden = Source(file="stool.glb"), Source(file="ball.glb")
    composition, ids, models, outlines = composed(
        folder, [(BOX, "world"), (stool, "Stool"), (hidden, "Hidden")]
    )
    composition.transform(ids[0], position=(1, 2, 3), rotation=arrange.about_up(60), scale=2)
    composition.move([ids[1]], (-3, 0, 0))
    composition.set_visible([ids[2]], False)
    out = folder / "scene.glb"
    assemble.write(composition.doc, models, out)
    gltf = glb_json(out)
    assert len(gltf["meshes"]) == 3  # the box and the stool's two parts; not the ball
    loaded = trimesh.load(out)
    named = {n: loaded.graph.get(n)[0] for n in loaded.graph.nodes if n != loaded.graph.base_frame}
    world_node = [n for n in named if n.startswith("world")]
    assert len(world_node) == 1
    box_placement = composition.doc.placements[0]
    assert np.allclose(named[world_node[0]], arrange.matrix(box_placement), atol=1e-6)
    stool_children = [n for n in loaded.graph.nodes_geometry if n.startswith("Stool · ")]
    assert len(stool_children) == 2
    assert loaded.graph.transforms.parents[stool_children[0]] == "Stool"
    assert np.allclose(named["Stool"], arrange.matrix(composition.doc.placements[1]), atol=1e-6)


def test_a_merged_export_too_big_to_hold_is_refused_before_it_is_made(folder, monkeypatch):
    composition, ids, models, _ = composed(folder, [(BALL, "Ball")] * 50)
    monkeypatch.setattr(assemble, "MAX_MERGED", 49 * models[BALL.key].triangles)
    with pytest.raises(InputError, match="Export it as GLB"):
        assemble.write(composition.doc, models, folder / "many.stl")
    assert not (folder / "many.stl").exists()
    assert assemble.write(composition.doc, models, folder / "many.glb")  # one ball, stored once

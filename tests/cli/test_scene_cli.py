"""``aiml3d scene new | build | show`` (issue 29, item 5) as a user runs them: files and library
entries laid out, the scene file, the exported GLB read back with trimesh, and one clear error
line for what cannot be used."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

from tests.cli.test_cli import one_error_line, run


@pytest.fixture
def meshes(tmp_path):
    box = trimesh.creation.box((1.0, 2.0, 1.0))
    box.export(tmp_path / "box.glb")
    trimesh.creation.icosphere(2, radius=0.5).export(tmp_path / "ball.stl")  # millimetres
    return tmp_path


def imported(path) -> str:
    result = run("library", "import", path, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)[0]["id"]


def test_a_scene_of_files_and_an_entry_laid_out_in_a_row(meshes):
    entry = imported(meshes / "box.glb")
    scene = meshes / "scene.json"
    result = run(
        "scene", "new", meshes / "box.glb", meshes / "ball.stl", entry,
        "--layout", "row", "--gap", "0.5", "--name", "Shelf", "-o", scene,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    saved = json.loads(scene.read_text())
    sources = [p["source"] for p in saved["placements"]]
    assert sources == [{"file": "box.glb"}, {"file": "ball.stl"}, {"entry": entry}]
    shown = run("scene", "show", scene, "--json")
    info = json.loads(shown.stdout)
    boxes = [np.array(p["bounds"]) for p in info["placements"]]
    assert [b[0, 1] for b in boxes] == pytest.approx([0, 0, 0], abs=1e-6)  # on the ground
    # The STL is in millimetres: a ball 1 m across is 1 mm here, as the file says.
    assert np.ptp(boxes[1], axis=0) == pytest.approx([0.001] * 3, rel=0.02)
    gaps = [b[0, 0] - a[1, 0] for a, b in zip(boxes, boxes[1:], strict=False)]
    assert gaps == pytest.approx([0.5, 0.5])
    assert info["name"] == "Shelf" and info["models"] == 3 and info["missing"] == 0
    lines = run("scene", "show", scene).stdout.splitlines()
    assert len(lines) == 3 and lines[0].startswith(
        "p1     box: 12 triangles, 1.000 x 2.000 x 1.000 m"
    )
    out = meshes / "shelf.glb"
    built = run("scene", "build", scene, "-o", out)
    assert built.returncode == 0, built.stderr
    loaded = trimesh.load(out)
    assert len(loaded.graph.nodes_geometry) == 3
    assert loaded.bounds[0][1] == pytest.approx(0, abs=1e-6)


def test_a_circle_built_straight_to_a_print_file(meshes):
    out = meshes / "plate.3mf"
    result = run(
        "scene", "new", meshes / "box.glb", meshes / "box.glb", meshes / "box.glb",
        "--layout", "circle", "--gap", "0.1", "-o", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    plate = trimesh.load(out, force="mesh")
    assert len(plate.faces) == 36  # three boxes merged into one model
    assert plate.bounds[0][2] == pytest.approx(0, abs=1e-3)  # Z up, on the plate


def test_what_cannot_be_used_is_one_error_line(meshes):
    missing = run("scene", "new", meshes / "nothing.glb", "-o", meshes / "s.json")
    assert missing.returncode == 1 and "nothing.glb: there is no such file" in one_error_line(
        missing
    )
    unknown = run("scene", "new", "zzzz", "-o", meshes / "s.json")
    assert "No library entry 'zzzz'" in one_error_line(unknown)
    gap = run("scene", "new", meshes / "box.glb", "--gap", "-1", "-o", meshes / "s.json")
    assert "gap" in one_error_line(gap)
    hostile = meshes / "hostile.json"
    hostile.write_text('{"format": "aiml3d-scene", "version": 1, "placements": [{"id": 5}]}')
    for action in (("build", hostile, "-o", meshes / "x.glb"), ("show", hostile)):
        result = run("scene", *action)
        assert result.returncode == 1
        assert "hostile.json: placement 1's id 5" in one_error_line(result)
    assert not (meshes / "x.glb").exists() and not (meshes / "s.json").exists()


def test_a_model_gone_from_the_library_is_left_out_with_a_warning(meshes):
    entry = imported(meshes / "box.glb")
    scene = meshes / "scene.json"
    run("scene", "new", meshes / "box.glb", entry, "-o", scene)
    assert run("library", "delete", entry).returncode == 0
    shown = json.loads(run("scene", "show", scene, "--json").stdout)
    assert "No library entry" in shown["placements"][1]["missing"]
    built = run("scene", "build", scene, "-o", meshes / "out.glb")
    assert built.returncode == 0 and "warning: left out: No library entry" in built.stderr
    assert len(trimesh.load(meshes / "out.glb").graph.nodes_geometry) == 1


def test_render_draws_a_scene_in_its_own_light(meshes):
    """``aiml3d render SCENE.json``: every placement drawn (two boxes apart in a row: two
    red shapes), lit as the scene says unless a flag says otherwise."""
    import subprocess

    from PIL import Image
    from scipy import ndimage

    from tests.conftest import aiml3d_command

    red = trimesh.creation.box((1.0, 1.0, 1.0))
    red.visual.vertex_colors = [220, 20, 20, 255]
    red.export(meshes / "red.glb")
    scene = meshes / "scene.json"
    run("scene", "new", meshes / "red.glb", meshes / "red.glb", "--gap", "1.5", "-o", scene)
    data = json.loads(scene.read_text())
    data["lighting"] = {"preset": "sunset", "exposure": 1.0}
    scene.write_text(json.dumps(data))
    pictures = {}
    for name, extra in (("own", ()), ("studio", ("--light", "studio", "--exposure", "0"))):
        out = meshes / f"{name}.png"
        done = subprocess.run(
            aiml3d_command("render", str(scene), "-o", str(out), "--size", "320x240",
                           "--view", "front", *extra),
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        pictures[name] = np.asarray(Image.open(out).convert("RGB")).astype(int)
    own = pictures["own"]
    reddish = (own[..., 0] > 90) & (own[..., 0] > 2 * own[..., 1]) & (own[..., 0] > 2 * own[..., 2])
    labels, count = ndimage.label(reddish)
    sizes = np.bincount(labels.ravel())[1:]
    assert (sizes > 500).sum() == 2  # two boxes (the red axis line is thin)
    assert np.abs(own - pictures["studio"]).mean() > 3  # the sunset, brighter, is not the studio


def test_the_command_offers_the_layouts_core_has():
    from aiml3d_desktop.cli import scene
    from aiml3d_desktop.core.composition import arrange

    assert scene.LAYOUTS == arrange.LAYOUTS  # kept apart so that `aiml3d --help` stays quick


def test_a_scene_taking_files_from_outside_its_folder_says_so(meshes, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    trimesh.creation.box().export(elsewhere / "private.glb")
    scene = meshes / "scene.json"
    run("scene", "new", meshes / "box.glb", elsewhere / "private.glb", "-o", scene)
    built = run("scene", "build", scene, "-o", meshes / "out.glb")
    assert built.returncode == 0
    assert "scene.json uses files outside its folder: " + str(elsewhere / "private.glb") in (
        built.stderr
    )
    data = json.loads(scene.read_text())
    data["placements"][1]["source"] = {"entry": imported(meshes / "box.glb")[:6]}  # a start
    scene.write_text(json.dumps(data))
    shown = json.loads(run("scene", "show", scene, "--json").stdout)
    assert "No library entry" in shown["placements"][1]["missing"]  # ids in files are whole


def test_a_turntable_of_a_whole_scene(meshes):
    import subprocess

    from PIL import Image

    from tests.conftest import aiml3d_command

    scene = meshes / "scene.json"
    run("scene", "new", meshes / "box.glb", meshes / "box.glb", "--gap", "1", "-o", scene)
    out = meshes / "turn.gif"
    done = subprocess.run(
        aiml3d_command("turntable", str(scene), "-o", str(out), "--frames", "4",
                       "--size", "96x96"),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with Image.open(out) as gif:
        assert gif.n_frames == 4 and gif.size == (96, 96)
        frames = []
        for index in range(4):
            gif.seek(index)
            frames.append(np.asarray(gif.convert("RGB")).astype(int))
    assert np.abs(frames[0] - frames[1]).mean() > 1  # the scene turns


def test_a_sentence_becomes_a_plan_written_and_shown(tmp_path, fake_api):
    """``aiml3d scene compose SENTENCE --plan-only`` (issue 30) against the fake API: the plan
    written (and read back the same), each object where the solver puts it, the planner's
    call in the usage ledger; a planner that refuses twice is one clear error line."""
    from aiml3d_desktop.core.composition.plan import read_plan

    env = {"AIML_API_BASE": fake_api.base_url}
    out = tmp_path / "plan.json"
    result = run(
        "scene", "compose", "A writing desk with a brass lamp", "--plan-only", out, "--json",
        key=fake_api.KEY, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    lamp = next(row for row in shown["placed"] if row["name"] == "lamp")
    assert lamp["on"] == "desk" and lamp["position"][1] == pytest.approx(0.75)
    making = shown["making"]
    assert (making["pictures"], making["models"], making["refused"]) == (2, 2, None)
    assert [o.name for o in read_plan(out.read_text()).objects] == ["desk", "lamp"]
    usage = run("usage", "--by", "model", "--json", env=env)
    assert usage.returncode == 0, usage.stderr
    assert "openai/gpt-4o" in usage.stdout  # the planner's call, kept in the ledger

    fake_api.plans.extend(["refusal", "refusal"])
    result = run(
        "scene", "compose", "a desk", "--plan-only", tmp_path / "again.json",
        key=fake_api.KEY, env=env,
    )  # fmt: skip
    assert result.returncode != 0
    assert "no answer that could be used" in one_error_line(result)
    assert not (tmp_path / "again.json").exists()  # nothing written for a plan not had


def test_a_plan_is_shown_again_from_its_file_and_nothing_is_sent_on_a_dry_run(tmp_path, fake_api):
    """--from-plan places a plan written before (or edited by hand) with no call; a dry run
    of a sentence shows the planner's request and sends nothing; making the models is not
    asked for, and says so; a plan file that is not there is one error line."""
    env = {"AIML_API_BASE": fake_api.base_url}
    plan = tmp_path / "plan.json"
    made = run("scene", "compose", "a desk", "--plan-only", plan, key=fake_api.KEY, env=env)
    assert made.returncode == 0, made.stderr
    asked = len(fake_api.calls("api"))
    again = run("scene", "compose", "--from-plan", plan, "--dry-run", "--json", env=env)
    assert again.returncode == 0, again.stderr
    shown = json.loads(again.stdout)
    assert [row["name"] for row in shown["placed"]] == ["desk", "lamp"]
    assert shown["making"]["pictures"] == 2 and "credits" in shown["making"]["estimate"]
    limited = run("scene", "compose", "--from-plan", plan, "--dry-run", "--max-credits", "1",
                  env=env)  # fmt: skip
    assert "the spending limit would refuse making it" in limited.stderr
    dry = run("scene", "compose", "a desk", "--dry-run", key=fake_api.KEY, env=env)
    assert dry.returncode == 0 and json.loads(dry.stdout)["messages"][1]["content"] == (
        '<scene>"a desk"</scene>'
    )
    assert fake_api.KEY not in dry.stdout
    assert len(fake_api.calls("api")) == asked  # nothing was sent since the first plan
    assert "Say what to make" in one_error_line(run("scene", "compose", "a desk", env=env))
    missing = run("scene", "compose", "--from-plan", tmp_path / "nope.json", "--dry-run", env=env)
    assert "Cannot read the plan" in one_error_line(missing)


def test_the_planner_is_a_setting_listed_with_the_models(tmp_path, fake_api):
    """The settings' planner_model plans (unless --planner says another); a saved value
    that is no model id falls back with a warning; `aiml3d models` lists the planner."""
    import dataclasses

    from aiml3d_desktop.core import settings

    settings.save(dataclasses.replace(settings.Settings(), planner_model="mistral/large-2"))
    env = {"AIML_API_BASE": fake_api.base_url}
    done = run("scene", "compose", "a desk", "--plan-only", tmp_path / "p.json",
               key=fake_api.KEY, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert fake_api.calls("api")[-1].body["model"] == "mistral/large-2"
    listed = run("models")
    assert "mistral/large-2: the scene planner" in listed.stdout
    settings.save(dataclasses.replace(settings.Settings(), planner_model="gpt; rm -rf /"))
    conf, warnings = settings.load()
    assert conf.planner_model == "openai/gpt-4o"
    assert any("planner_model" in w for w in warnings)


def test_the_planner_s_calls_are_estimated_and_held_to_the_limits_first(tmp_path, fake_api):
    """Planning is paid: its calls (a retry at most) are estimated and shown before they are
    sent, and a limit that refuses them sends nothing."""
    env = {"AIML_API_BASE": fake_api.base_url}
    free = run("scene", "compose", "a desk", "--plan-only", tmp_path / "a.json",
               key=fake_api.KEY, env=env)  # fmt: skip
    assert free.returncode == 0 and "aiml3d: planning: 2 items" in free.stderr
    sent = len(fake_api.calls("api"))
    held = run("scene", "compose", "a desk", "--plan-only", tmp_path / "b.json",
               "--max-credits", "1", key=fake_api.KEY, env=env)  # fmt: skip
    assert "nothing was sent" in one_error_line(held)
    assert len(fake_api.calls("api")) == sent and not (tmp_path / "b.json").exists()
    dry = run("scene", "compose", "a desk", "--dry-run", "--max-usd", "0.01", env=env)
    assert "the spending limit would refuse planning" in dry.stderr


def test_a_sentence_becomes_a_scene_of_models_made_sized_and_resting_on_each_other(
    tmp_path, fake_api
):
    """``aiml3d scene compose SENTENCE -o scene.glb`` end to end against the fake API: the
    plan, a picture and a model per object (each its own library entry), the scene a library
    entry referring to them, each model fitted in its planned size, the lamp on the desk's
    surface; the GLB a node per object."""
    env = {"AIML_API_BASE": fake_api.base_url}
    out = tmp_path / "scene.glb"
    made = run("scene", "compose", "A writing desk with a brass lamp", "-o", out,
               key=fake_api.KEY, env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    bodies = [c.body for c in fake_api.calls("api")]
    assert [b["model"] for b in bodies].count("triposr") == 2  # a model per object
    assert sum("prompt" in b for b in bodies) == 2  # a picture per object
    entries = json.loads(run("library", "list", "--json").stdout)
    scene = next(e for e in entries if e["source_kind"] == "scene")
    models = [e for e in entries if e["source_kind"] == "prompt"]
    assert sorted(m["title"] for m in models) == sorted(
        ["a wooden desk on a white background", "a brass desk lamp on a white background"]
    )
    shown = json.loads(run("scene", "show", scene["mesh_path"], "--json").stdout)
    rows = {row["name"]: row for row in shown["placements"]}
    assert {row["source"]["entry"] for row in rows.values()} == {m["id"] for m in models}
    desk, lamp = (np.array(rows[n]["bounds"]) for n in ("desk", "lamp"))
    # The fake's model is a ball: fitted in the desk's 1.2 x 0.75 x 0.6 m by its depth.
    assert np.ptp(desk, axis=0) == pytest.approx([0.6, 0.6, 0.6], abs=1e-3)
    assert desk[0, 1] == pytest.approx(0, abs=1e-6)
    assert 0.2 < lamp[0, 1] <= desk[1, 1] + 1e-6  # on the desk's own surface
    assert (lamp[0, [0, 2]] >= desk[0, [0, 2]] - 1e-6).all()
    loaded = trimesh.load(out)
    assert sorted(loaded.graph.nodes_geometry) == ["desk", "lamp"]


def test_an_object_that_fails_stays_a_box_and_is_made_later(tmp_path, fake_api):
    """A failed object leaves a box in the scene (and in the file), the others are made and
    kept, the command fails naming it; `aiml3d scene make ID` makes it afterwards."""
    from aiml3d_desktop.core.composition import planner
    from aiml3d_desktop.core.composition.plan import read_plan
    from tests.fake_api import DEFAULT_PLAN

    env = {"AIML_API_BASE": fake_api.base_url}
    plan = tmp_path / "plan.json"
    plan.write_text(planner.plan_json(read_plan(json.dumps(DEFAULT_PLAN))))
    fake_api.queue("404")  # the desk's picture
    out = tmp_path / "scene.glb"
    made = run("scene", "compose", "--from-plan", plan, "-o", out, "--jobs", "1",
               key=fake_api.KEY, env=env)  # fmt: skip
    assert made.returncode != 0
    assert "1 object(s) not made, boxes in their place: a wooden desk" in made.stderr
    assert sorted(trimesh.load(out).graph.nodes_geometry) == ["desk", "lamp"]  # a box stands in
    entries = json.loads(run("library", "list", "--json").stdout)
    scene = next(e for e in entries if e["source_kind"] == "scene")
    assert [e["title"] for e in entries if e["source_kind"] == "prompt"] == [
        "a brass desk lamp on a white background"
    ]
    again = run("scene", "make", scene["id"], "-o", out, key=fake_api.KEY, env=env)
    assert again.returncode == 0, again.stderr
    shown = json.loads(run("scene", "show", scene["mesh_path"], "--json").stdout)
    assert all("entry" in row["source"] for row in shown["placements"])
    done = run("scene", "make", scene["id"], key=fake_api.KEY, env=env)
    assert "every object is made already" in done.stderr


def test_an_output_the_scene_cannot_be_written_as_is_refused_before_any_call(tmp_path, fake_api):
    env = {"AIML_API_BASE": fake_api.base_url}
    refused = run("scene", "compose", "a desk", "-o", tmp_path / "scene.fbx",
                  key=fake_api.KEY, env=env)  # fmt: skip
    assert "Cannot write .fbx" in one_error_line(refused)
    assert fake_api.calls("api") == []  # nothing planned, nothing made
    as_json = tmp_path / "scene.json"
    made = run("scene", "compose", "a desk", "-o", as_json, key=fake_api.KEY, env=env)
    assert made.returncode == 0, made.stderr
    saved = json.loads(as_json.read_text())
    assert all("entry" in p["source"] for p in saved["placements"])

"""``aiml3d models``, ``aiml3d generate --model/--param/--view`` and ``aiml3d parts`` against
the test server, with the bodies sent asserted exactly."""

from __future__ import annotations

import json

from aiml3d_desktop.core.api import models
from aiml3d_desktop.core.meshes import mesh
from tests.cli.test_cli import one_error_line, run
from tests.conftest import make_photo


def test_models_lists_the_registry_as_text_and_json():
    text = run("models")
    assert text.returncode == 0
    for model in models.MODELS.values():
        assert model.id in text.stdout
    assert "target_polycount       from 100 to 300,000, default 30000" in text.stdout
    listed = json.loads(run("models", "--json").stdout)
    meshy = next(m for m in listed if m["id"] == "meshy/meshy-6-image-to-3d")
    assert meshy["aliases"] == ["meshy/v6/image-to-3d"] and meshy["minutes"] == 15
    assert meshy["reports"] == "usd"
    assert {p["name"] for p in meshy["params"]} >= {"topology", "texture_prompt", "pose_mode"}
    triposr = next(m for m in listed if m["id"] == "triposr")
    assert triposr["doc_cost"] == 182000


def test_generate_with_a_model_and_params_sends_them_exactly(fake_api, photo):
    done = run(
        "generate", photo, "--model", "meshy/v6/image-to-3d", "--param", "target_polycount=5000",
        "--param", "enable_pbr=yes", "--param", "pose_mode=t-pose", "-q",
        "--api-base", fake_api.base_url, key=fake_api.KEY,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "10 more files" in done.stdout
    (call,) = fake_api.calls("api")
    image_url = call.body.pop("image_url")
    assert image_url.startswith("data:image/png;base64,")
    assert call.body == {
        "model": "meshy/meshy-6-image-to-3d",
        "target_polycount": 5000,
        "enable_pbr": True,
        "pose_mode": "t-pose",
    }
    (entry,) = json.loads(run("library", "list", "--json").stdout)
    shown = run("library", "show", entry["id"]).stdout
    assert "file fbx" in shown and "chair.fbx" in shown


def test_a_wrong_param_is_refused_before_anything_is_sent(fake_api, photo):
    for extra, says in [
        (["--param", "target_polycount=50"], "from 100 to 300,000"),
        (["--param", "colour=red"], "has no parameter 'colour'"),
        (["--param", "topology"], "is not KEY=VALUE"),
        (["--mc-resolution", "128"], "are TripoSR's"),
        (["--view", "left=x.png"], "takes one picture"),
    ]:
        done = run(
            "generate", photo, "--model", "meshy/meshy-6-image-to-3d", *extra,
            "--api-base", fake_api.base_url, key=fake_api.KEY,
        )  # fmt: skip
        assert done.returncode == 1 and says in one_error_line(done), (extra, done.stderr)
    done = run("generate", photo, "--model", "nope", key=fake_api.KEY)
    assert "Unknown model 'nope'" in one_error_line(done)
    assert not fake_api.calls("api")


def test_a_copy_elsewhere_takes_the_further_files_and_lists_them(fake_api, photo, tmp_path):
    out = tmp_path / "out"
    done = run("generate", photo, "--model", "meshy/v6/image-to-3d", "-o", out, "-q",
               "--api-base", fake_api.base_url, key=fake_api.KEY)  # fmt: skip
    assert done.returncode == 0, done.stderr
    meta = json.loads((out / "chair.glb.json").read_text())
    listed = [o["file"] for o in meta["outputs"]]
    assert "chair.fbx" in listed and len(listed) == 10
    assert all((out / name).is_file() for name in listed)
    again = run("generate", photo, "--model", "meshy/v6/image-to-3d", "-o", out, "-q",
                "--api-base", fake_api.base_url, key=fake_api.KEY)  # fmt: skip
    assert again.returncode == 0 and (out / "chair-2.fbx").is_file()  # never overwritten


def test_generate_multi_view_sends_each_view(fake_api, photo, tmp_path):
    left, back = make_photo(tmp_path / "l.png"), make_photo(tmp_path / "b.png")
    done = run(
        "generate", photo, "--model", "magic/image-to-3d", "--view", f"left={left}",
        "--view", f"back={back}", "-q", "--api-base", fake_api.base_url, key=fake_api.KEY,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (call,) = fake_api.calls("api")
    assert sorted(call.body) == ["back_image_url", "front_image_url", "left_image_url", "model"]
    assert call.body["model"] == "magic/image-to-3d"
    bad = run("generate", photo, "--model", "magic/image-to-3d", "--view", "top=x.png")
    assert "is not left=, back= or right=" in one_error_line(bad)
    folder = run("generate", tmp_path, "--model", "magic/image-to-3d", "--view", f"left={left}")
    assert "exactly one picture (not a folder)" in one_error_line(folder)


def test_parts_of_an_entry_and_of_a_link(fake_api, photo, tmp_path):
    made = run("generate", photo, "-q", "--api-base", fake_api.base_url, key=fake_api.KEY)
    assert made.returncode == 0, made.stderr
    (entry,) = json.loads(run("library", "list", "--json").stdout)
    shown = json.loads(run("library", "show", entry["id"], "--json").stdout)
    mesh_url = shown["extra"]["mesh_url"]
    done = run(
        "parts", entry["id"], "--point", "0.1,0.2,-0.3", "--seed", "9", "--json",
        "--api-base", fake_api.base_url, key=fake_api.KEY,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert fake_api.calls("api")[-1].body == {
        "model": "tencent/hunyuan-part",
        "mesh_url": mesh_url,
        "point_prompt_x": 0.1,
        "point_prompt_y": 0.2,
        "point_prompt_z": -0.3,
        "seed": 9,
    }
    assert result["entry"] == entry["id"] and len(result["parts"]) == 3
    assert result["best_mask_index"] == 2 and result["iou_scores"] == [0.71, 0.93, 0.55]
    text = run("library", "show", entry["id"]).stdout
    assert "Parts (3)" in text
    # one part, and one mask, exported from the version
    for ext in ("stl", "glb"):  # a GLB part is the part, not the whole file copied
        part = tmp_path / f"part2.{ext}"
        out = run("library", "export", entry["id"], part, "--version", "1", "--part", "2")
        assert out.returncode == 0, out.stderr
        assert mesh.load(part).scene.triangles == 12
    mask = run("library", "export", entry["id"], "m.glb", "--version", "1", "--file", "x.glb")
    assert "has no file 'x.glb'" in one_error_line(mask) and "parts.mask-2.glb" in mask.stderr

    link = run("parts", f"{fake_api.cdn_url}/files/ok/a/model.glb", "--api-base",
               fake_api.base_url, key=fake_api.KEY)  # fmt: skip
    assert link.returncode == 0 and "3 parts, kept as" in link.stdout
    assert "mask 2: IoU 0.93  (best)" in link.stdout
    bad = run("parts", entry["id"], "--point", "1,2", key=fake_api.KEY)
    assert "is not three numbers" in one_error_line(bad)

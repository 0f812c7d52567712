"""Every AIML 3D model: the registry, the bodies sent (asserted exactly against the test
server), the answers read and kept, further files downloaded safely, splitting into parts."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiml3d_desktop.core.api import answers, models
from aiml3d_desktop.core.api.models import ModelParams
from aiml3d_desktop.core.common.errors import ApiError, BadResponseError, InputError
from aiml3d_desktop.core.generation import jobs, parts
from aiml3d_desktop.core.library.store import Library
from aiml3d_desktop.core.meshes import mesh
from aiml3d_desktop.core.net.policy import Timeouts
from tests.conftest import files_in, make_photo
from tests.core.test_api import URL_IMAGE, client

FRONT = "https://example.com/front.png"


# ---- the registry ---------------------------------------------------------------------


def test_every_model_is_described_and_found_by_id_and_alias():
    assert set(models.MODELS) == {
        "triposr",
        "magic/image-to-3d",
        "meshy/meshy-6-image-to-3d",
        "tencent/hunyuan-part",
    }
    assert models.get("meshy/v6/image-to-3d") is models.MESHY
    for model in models.MODELS.values():
        assert model.title and model.summary and model.inputs and model.required
        for param in model.params:
            assert param.tip, f"{model.id}.{param.name} has no tooltip"
            if param.default is not None:
                assert param.check(param.default) == param.default
    with pytest.raises(InputError, match="Unknown model 'nope'") as caught:
        models.get("nope")
    assert "triposr" in caught.value.hint


@pytest.mark.parametrize(
    ("model", "name", "value", "says"),
    [
        ("meshy/v6/image-to-3d", "target_polycount", 99, "from 100 to 300,000"),
        ("meshy/v6/image-to-3d", "target_polycount", 1.5, "a whole number"),
        ("meshy/v6/image-to-3d", "topology", "hex", "one of triangle, quad"),
        ("meshy/v6/image-to-3d", "should_texture", "yes", "true or false"),
        ("meshy/v6/image-to-3d", "texture_prompt", "x" * 601, "at most 600"),
        ("tencent/hunyuan-part", "point_prompt_x", 1.5, "from -1 to 1"),
        ("tencent/hunyuan-part", "seed", 0, "at least 1"),
        (
            "triposr",
            "mc_resolution",
            2000,
            "Mesh resolution \\(mc_resolution\\) must be from 32 to 1,024",
        ),
        ("triposr", "colour", 1, "has no parameter 'colour'"),
    ],
)
def test_a_wrong_value_is_refused_before_anything_is_sent(model, name, value, says):
    with pytest.raises(InputError, match=says):
        ModelParams(model, {name: value}).validate()


def test_command_line_values_are_parsed_by_type():
    meshy = models.MESHY
    assert meshy.param("target_polycount").parse("5000") == 5000
    assert meshy.param("enable_pbr").parse("yes") is True
    assert meshy.param("pose_mode").parse("t-pose") == "t-pose"
    with pytest.raises(InputError, match="a whole number"):
        meshy.param("target_polycount").parse("many")


# ---- bodies, asserted exactly -----------------------------------------------------------


def test_multi_view_body_names_each_view(fake_api):
    inputs = {"front": FRONT, "left": "https://example.com/l.png", "back": "data:image/png;x"}
    client(fake_api).generate(ModelParams("magic/image-to-3d"), inputs)
    (call,) = fake_api.calls("api")
    assert call.body == {
        "model": "magic/image-to-3d",
        "front_image_url": FRONT,
        "left_image_url": "https://example.com/l.png",
        "back_image_url": "data:image/png;x",
    }
    with pytest.raises(InputError, match="needs the front input"):
        client(fake_api).generate(ModelParams("magic/image-to-3d"), {"left": FRONT})


def test_meshy_sends_only_what_differs_from_its_defaults(fake_api):
    values = {"target_polycount": 5000, "topology": "quad", "should_remesh": True}
    client(fake_api).generate(ModelParams("meshy/v6/image-to-3d", values), {"image": URL_IMAGE})
    (call,) = fake_api.calls("api")
    assert call.body == {
        "model": "meshy/meshy-6-image-to-3d",  # the alias becomes the id
        "image_url": URL_IMAGE.image_url,
        "target_polycount": 5000,
        "topology": "quad",
    }


def test_each_schema_gets_the_apis_400_for_a_wrong_type_or_range(fake_api):
    wrong = [
        {"model": "meshy/meshy-6-image-to-3d", "image_url": FRONT, "target_polycount": 5},
        {"model": "tencent/hunyuan-part", "mesh_url": FRONT, "point_prompt_y": "up"},
        {"model": "magic/image-to-3d", "left_image_url": FRONT},
        {"model": "magic/image-to-3d", "front_image_url": FRONT, "colour": 1},
    ]
    for body in wrong:
        with pytest.raises(ApiError) as caught:
            client(fake_api).post("/v1/images/generations", body)
        assert caught.value.status == 400
        assert "Body validation error" in caught.value.message


def test_a_model_the_account_cannot_use_says_so(fake_api):
    fake_api.unavailable.add("meshy/meshy-6-image-to-3d")
    with pytest.raises(ApiError) as caught:
        client(fake_api).generate(ModelParams("meshy/meshy-6-image-to-3d"), {"image": URL_IMAGE})
    assert caught.value.status == 404
    assert "may not have Meshy 6" in caught.value.hint
    assert "public model list" in caught.value.hint


def test_the_long_running_model_is_given_its_fifteen_minutes(fake_api):
    fake_api.model_seconds["meshy/meshy-6-image-to-3d"] = 1.5
    answer = client(fake_api, read=0.5).generate(
        ModelParams("meshy/meshy-6-image-to-3d"), {"image": URL_IMAGE}
    )
    assert answer.mesh.url.endswith("model.glb")
    fake_api.model_seconds["magic/image-to-3d"] = 1.5  # no budget of its own: the setting
    with pytest.raises(Exception, match="did not answer within 0 seconds|within 1 seconds"):
        client(fake_api, read=0.5).generate(ModelParams("magic/image-to-3d"), {"front": FRONT})


# ---- answers ----------------------------------------------------------------------------


def test_meshy_answer_lists_every_file_and_the_dollars():
    body = {
        "model_glb": {"url": "https://cdn/x/model.glb", "file_size": 10},
        "model_urls": {"fbx": "https://cdn/x/m.fbx", "usdz": {"url": "https://cdn/x/m.usdz"}},
        "texture_urls": [{"base_color": {"url": "https://cdn/t/b.jpg"}}],
        "thumbnail": {"url": "https://cdn/p.png"},
        "seed": 5,
        "meta": {"usage": {"usd_spent": 0.25}, "metrics": {"duration_ms": 1500}},
        "brand_new": [1, 2],
    }
    answer = answers.read("meshy", body)
    assert answer.mesh.url == "https://cdn/x/model.glb" and answer.mesh.usd_spent == 0.25
    assert answer.mesh.timings == {"duration": 1.5}
    assert [f.role for f in answer.files] == ["fbx", "usdz", "texture base_color 1", "thumbnail"]
    assert answer.info == {"seed": 5} and answer.unknown == {"brand_new": [1, 2]}


def test_parts_answer_picks_the_best_mask_by_iou_when_the_index_is_missing():
    body = {
        "segmented_mesh": {"url": "https://cdn/s.glb"},
        "mask_1_mesh": {"url": "https://cdn/1.glb"},
        "iou_scores": [0.2, 0.9, 0.5],
        "best_mask_index": "two",
    }
    answer = answers.read("parts", body)
    assert answer.info["best_mask_index"] == 2 and answer.info["iou_scores"] == [0.2, 0.9, 0.5]
    with pytest.raises(BadResponseError, match="no segmented mesh"):
        answers.read("parts", {"mask_1_mesh": {"url": "https://cdn/1.glb"}})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=30,
)
FIELDS = st.sampled_from(
    ["model_mesh", "model_glb", "model_urls", "texture_urls", "thumbnail", "segmented_mesh",
     "mask_1_mesh", "iou_scores", "best_mask_index", "meta", "data", "seed", "timings", "url"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(["mesh", "meshy", "parts"]), body=st.dictionaries(FIELDS, JSON))
def test_any_answer_is_read_or_refused_in_one_clear_error(kind, body):
    try:
        answer = answers.read(kind, body)
    except BadResponseError as exc:
        assert "holds no" in exc.message
        return
    assert answer.mesh.url is None or answer.mesh.url.startswith(("http://", "https://"))
    assert all(f.url.startswith(("http://", "https://")) for f in answer.files)
    json.dumps(answer.unknown)  # kept as JSON


# ---- jobs: the whole way, into the library ----------------------------------------------


def test_meshy_into_the_library_keeps_every_file_and_never_sends_the_key_to_the_host(
    fake_api, job_options, photo, tmp_path
):
    lib = Library(tmp_path / "lib")
    params = ModelParams("meshy/meshy-6-image-to-3d", {"enable_pbr": True})
    entry, result = jobs.generate_to_library(lib, str(photo), params, job_options)
    assert entry.model == "meshy/meshy-6-image-to-3d" and entry.params == {"enable_pbr": True}
    assert entry.extra["usd_spent"] == 0.4 and entry.timings == {"duration": 61.0}
    assert entry.extra["answer"] == {"seed": 1234}
    roles = [o["role"] for o in entry.outputs]
    assert roles == ["fbx", "obj", "usdz", "stl", "blend"] + [
        f"texture {m} 1" for m in ("base_color", "metallic", "roughness", "normal")
    ] + ["thumbnail"]
    assert entry.output("fbx").read_bytes().startswith(b"Kaydara FBX Binary")
    assert entry.output("usdz").name == "chair.usdz"
    assert entry.output("texture base_color 1").read_bytes()[:4] == b"\x89PNG"
    assert all(
        entry.output(r).stat().st_size == o["size"]
        for r, o in zip(roles, entry.outputs, strict=True)
    )
    assert Library(tmp_path / "lib").get(entry.id).outputs == entry.outputs  # read back
    cdn = fake_api.calls("cdn")
    assert len(cdn) == 11 and not any("Authorization" in c.headers for c in cdn)


def test_a_hostile_further_file_is_a_note_and_costs_nothing_else(
    fake_api, job_options, photo, tmp_path
):
    fake_api.oversize_bytes = 2 * 2**20
    job_options.max_download = 2**20
    fake_api.queue("meshy-hostile")
    lib = Library(tmp_path / "lib")
    params = ModelParams("meshy/meshy-6-image-to-3d")
    entry, _ = jobs.generate_to_library(lib, str(photo), params, job_options)
    notes = entry.extra["output_notes"]
    assert any(n.startswith("fbx: not kept") and "web page" in n for n in notes)
    assert any(n.startswith("usdz: not kept") and "larger than" in n for n in notes)
    roles = [o["role"] for o in entry.outputs]
    assert "fbx" not in roles and "usdz" not in roles and "blend" not in roles  # file:// left
    assert "stl" in roles and entry.output("stl").name == "chair.stl"  # never ../../../evil
    assert not any(".part" in f for f in files_in(tmp_path / "lib"))
    assert all("evil" not in f for f in files_in(tmp_path))


def test_a_refused_address_or_a_flood_of_files_costs_nothing_else(
    fake_api, job_options, photo, tmp_path
):
    fake_api.queue("meshy-flood")
    lib = Library(tmp_path / "lib")
    entry, _ = jobs.generate_to_library(lib, str(photo), ModelParams(models.MESHY.id), job_options)
    notes = entry.extra["output_notes"]
    assert any(n.startswith("fbx: not kept") for n in notes), notes
    assert f"{5 + 161 - 32} more files were listed; the first 32 were kept" in notes
    assert len(entry.outputs) == 31 and entry.mesh_path.is_file()  # 32 tried, the FBX refused
    assert not any("169.254" in c.path for c in fake_api.calls("cdn"))


def test_a_hand_edited_outputs_field_never_stops_the_library(
    tmp_path, fake_api, job_options, photo
):
    lib = Library(tmp_path / "lib")
    entry, _ = jobs.generate_to_library(lib, str(photo), ModelParams(models.MESHY.id), job_options)
    raw = json.loads((entry.folder / "entry.json").read_text())
    for hostile in (5, True, [{"file": "../../etc/passwd"}, "x", {"file": "chair.fbx"}]):
        (entry.folder / "entry.json").write_text(json.dumps({**raw, "outputs": hostile}))
        lib = Library(tmp_path / "lib")
        again = lib.get(entry.id)
        assert [o["file"] for o in again.outputs] == (
            ["chair.fbx"] if isinstance(hostile, list) else []
        )
        assert any("outputs" in w or "further file" in w for w in lib.warnings)


def test_odd_answers_keep_the_model():
    iou = answers.read(
        "parts", {"segmented_mesh": "https://cdn/s.glb", "iou_scores": [1, 2, 3, 4, 9]}
    )
    assert iou.info == {"iou_scores": [], "best_mask_index": None}
    deep: dict = {}
    inner = deep
    for _ in range(3000):
        inner["x"] = {}
        inner = inner["x"]
    kept = answers.read("mesh", {"model_mesh": {"url": "https://cdn/m.glb"}, "deep": deep})
    assert kept.mesh.url == "https://cdn/m.glb" and "nested too deeply" in kept.unknown["note"]


def test_the_docs_seed_is_accepted():
    assert ModelParams(models.HUNYUAN_PART.id, {"seed": 3285486654}).validate()


def test_multi_view_job_prepares_each_local_view(fake_api, job_options, tmp_path):
    views = {v: str(make_photo(tmp_path / f"{v}.png")) for v in ("left", "back", "right")}
    front = make_photo(tmp_path / "front.png")
    lib = Library(tmp_path / "lib")
    entry, _ = jobs.generate_to_library(
        lib, str(front), ModelParams("magic/image-to-3d"), job_options, views=views
    )
    (call,) = fake_api.calls("api")
    assert sorted(call.body) == [
        "back_image_url", "front_image_url", "left_image_url", "model", "right_image_url",
    ]  # fmt: skip
    assert all(call.body[f"{v}_image_url"].startswith("data:image/") for v in views)
    assert entry.extra["views"] == views
    assert entry.extra["answer_unknown"] == {"future_field": {"kept": True}}
    assert entry.credits == 210000
    with pytest.raises(InputError, match="takes one picture"):
        jobs.generate(str(front), ModelParams(), tmp_path / "o", job_options, views=views)


def test_a_queue_item_remembers_its_model(fake_api, job_options, photo, tmp_path):
    from aiml3d_desktop.core.generation.batch import QueueItem

    item = QueueItem(str(photo), model="meshy/v6/image-to-3d", params={"topology": "quad"})
    item = QueueItem.from_dict(json.loads(json.dumps(item.__dict__)))
    entry, _ = jobs.generate_item(item, Library(tmp_path / "lib"), None, job_options)
    assert entry.model == "meshy/meshy-6-image-to-3d"
    assert fake_api.calls("api")[0].body["topology"] == "quad"


# ---- parts ------------------------------------------------------------------------------


def test_split_into_parts_keeps_a_coloured_version_with_masks(
    fake_api, job_options, photo, tmp_path
):
    lib = Library(tmp_path / "lib")
    entry, _ = jobs.generate_to_library(lib, str(photo), ModelParams(), job_options)
    url = entry.extra["mesh_url"]
    done = parts.split(entry.id, lib, job_options, point=(0.5, -0.25, 1.0), seed=7)
    call = fake_api.calls("api")[-1]
    assert call.body == {
        "model": "tencent/hunyuan-part",
        "mesh_url": url,
        "point_prompt_x": 0.5,
        "point_prompt_y": -0.25,
        "point_prompt_z": 1.0,
        "seed": 7,
    }
    version = lib.get(entry.id).version(done.version.id)
    assert version.mesh_file == "parts.glb" and version.label == "Parts (3)"
    assert "segmented.glb" in version.files and "parts.mask-2.glb" in version.files
    shown = mesh.load(version.mesh_path).scene
    assert len(shown.primitives) == 3
    colours = {tuple(np.round(p.arrays.colors[0, :3] * 255).astype(int)) for p in shown.primitives}
    assert colours == {tuple(c) for c in parts.PALETTE[:3].astype(int)}
    masks = version.recipe["parts"]["masks"]
    assert [(m["number"], m["iou"], m["best"]) for m in masks] == [
        (1, 0.71, False), (2, 0.93, True), (3, 0.55, False),
    ]  # fmt: skip
    assert "Mask 2: IoU 0.93 (best)" in version.report
    assert version.recipe["parts"]["credits_used"] == 50000
    assert entry.mesh_path.read_bytes() == fake_api.glb  # the original untouched


def test_a_model_without_a_link_cannot_be_split_and_says_why(job_options, tmp_path):
    from tests.fake_api import make_mesh

    source = tmp_path / "box.glb"
    source.write_bytes(make_mesh().export(file_type="glb"))
    lib = Library(tmp_path / "lib")
    entry = lib.import_mesh(source)
    with pytest.raises(InputError, match="takes a mesh by its web address") as caught:
        parts.split(entry.id, lib, job_options)
    assert "opened from a file" in caught.value.message


def test_split_a_link_makes_a_new_entry(fake_api, job_options, tmp_path):
    lib = Library(tmp_path / "lib")
    url = f"{fake_api.cdn_url}/files/ok/abc/model.glb"
    done = parts.split(url, lib, job_options)
    entry = lib.get(done.entry_id)
    assert entry.mesh_file == "parts.glb" and entry.model == "tencent/hunyuan-part"
    assert entry.stats["parts"] == 3 and entry.extra["parts"]["best_mask_index"] == 2
    assert entry.extra["mesh_url"] == url  # split again: the same link
    assert [o["role"] for o in entry.outputs] == ["segmented", "mask 1", "mask 2", "mask 3"]
    assert entry.output("mask 2").is_file()


def test_an_expired_link_gets_a_hint(fake_api, job_options, tmp_path):
    fake_api.queue("404")
    with pytest.raises(ApiError) as caught:
        parts.split(f"{fake_api.cdn_url}/x.glb", Library(tmp_path / "lib"), job_options)
    assert "expire" in caught.value.hint
    assert not files_in(tmp_path / "lib" / "entries")


def test_point_prompt_keeps_the_proportions_as_the_segmenter_does():
    plank = np.array([[-1, -0.25, -0.1], [1, 0.25, 0.1]])  # 2 x 0.5 x 0.2
    assert parts.point_prompt(np.array([0.5, 0.25, 0]), plank) == (0.5, 0.25, 0.0)
    box = np.array([[0, 0, -2], [2, 4, 2]])  # centre (1, 2, 0), largest half-extent 2
    assert parts.point_prompt(np.array([1, 4, -2]), box) == (0.0, 1.0, -1.0)
    assert parts.point_prompt(np.array([9, 0, 0]), box) == (1.0, -1.0, 0.0)  # kept inside


def test_parts_fall_back_to_pieces_that_do_not_touch():
    from aiml3d_desktop.core.meshes.mesh_arrays import MeshArrays
    from aiml3d_desktop.core.meshes.scene import single

    tri = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32)
    positions = np.concatenate([tri, tri + 5, tri + 9])
    arrays = MeshArrays(positions, np.arange(9, dtype=np.uint32).reshape(3, 3))
    _, found = parts.colour_parts(single(arrays))
    assert [p["triangles"] for p in found] == [1, 1, 1]


def test_timeouts_are_not_lengthened_for_triposr(fake_api):
    fake_api.queue("slow")
    fake_api.slow_seconds = 1.5
    with pytest.raises(Exception, match="within"):
        client(fake_api, read=0.5).generate(ModelParams(), {"image": URL_IMAGE})
    assert Timeouts().read == 180

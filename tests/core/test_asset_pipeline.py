"""Recipes and presets, the pipeline that runs them, every output format read back, and
results kept as versions of a library entry."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from aiml3d_desktop.core.assets import pipeline
from aiml3d_desktop.core.assets.recipe import BUILTIN, Presets, Recipe, with_options
from aiml3d_desktop.core.common.cancel import CancelToken
from aiml3d_desktop.core.common.errors import Cancelled, InputError
from aiml3d_desktop.core.library.entry import ENTRY_FILE, Entry
from aiml3d_desktop.core.library.store import Library
from aiml3d_desktop.core.meshes import formats, mesh, writers
from tests.conftest import corpus_file, files_in
from tests.core.test_asset_operations import striped_ball


@pytest.fixture(scope="module")
def baked():
    """A striped ball decimated and baked, as the Game-ready preset makes it (smaller)."""
    recipe = Recipe(upright=True, clean=True, pivot="bottom", decimate=2000, bake=512)
    return pipeline.prepare(striped_ball(), recipe)


# Formats


@pytest.mark.parametrize("fmt", ["glb", "gltf", "obj"])
def test_textured_formats_read_back_with_their_texture(tmp_path, baked, fmt):
    files = formats.write(baked.scene, tmp_path / f"ball.{fmt}")
    back = mesh.load(files[-1]).scene
    assert back.triangles == baked.scene.triangles
    assert len(back.textures) == 1
    assert np.allclose(back.bounds, baked.scene.bounds, atol=1e-5)
    original = baked.scene.textures[0].image
    assert np.array_equal(back.textures[0].image[..., :3], original[..., :3])


def test_gltf_side_files_are_named_after_the_model(tmp_path, baked):
    one = formats.write(baked.scene, tmp_path / "one.gltf")
    two = formats.write(striped_ball(2), tmp_path / "two.gltf")
    names = sorted(p.name for p in one + two)
    assert all(n.startswith(("one", "two")) for n in names)
    assert mesh.load(tmp_path / "one.gltf").scene.triangles == baked.scene.triangles


@pytest.mark.parametrize("fmt", ["stl", "3mf"])
def test_print_formats_are_in_millimetres(tmp_path, baked, fmt):
    path = formats.write(baked.scene, tmp_path / f"ball.{fmt}")[-1]
    back = mesh.load(path).scene
    assert back.unit == 0.001
    low, high = baked.scene.bounds
    assert np.allclose(back.bounds[1] - back.bounds[0], (high - low) * 1000, rtol=1e-4)
    if fmt == "stl":
        assert path.read_bytes()[:80].startswith(writers.STL_HEADER)
    else:
        assert b'unit="millimeter"' in zipfile.ZipFile(path).read("3D/3dmodel.model")


def test_ply_keeps_vertex_colours(tmp_path):
    ball = striped_ball(3)
    back = mesh.load(formats.write(ball, tmp_path / "ball.ply")[-1]).scene
    assert np.allclose(
        back.primitives[0].arrays.colors, ball.primitives[0].arrays.colors, atol=1 / 255
    )


def test_usdz_reads_back_with_pxr(tmp_path, baked):
    from pxr import Usd, UsdGeom, UsdShade

    path = formats.write(baked.scene, tmp_path / "ball.usdz")[-1]
    names = zipfile.ZipFile(path).namelist()
    assert names[0].endswith(".usdc") and any(n.endswith(".png") for n in names)
    stage = Usd.Stage.Open(str(path))
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    meshes = [UsdGeom.Mesh(p) for p in stage.Traverse() if p.IsA(UsdGeom.Mesh)]
    assert len(meshes) == 1
    counts = np.asarray(meshes[0].GetFaceVertexCountsAttr().Get())
    assert len(counts) == baked.scene.triangles and (counts == 3).all()
    st = np.asarray(UsdGeom.PrimvarsAPI(meshes[0]).GetPrimvar("st").Get())
    uvs = baked.scene.primitives[0].arrays.uvs
    assert np.allclose(st[:, 1], 1 - uvs[:, 1], atol=1e-6)  # USD's st starts at the bottom
    shaders = {p.GetAttribute("info:id").Get() for p in stage.Traverse() if p.IsA(UsdShade.Shader)}
    assert {"UsdPreviewSurface", "UsdUVTexture", "UsdPrimvarReader_float2"} <= shaders


def test_an_unknown_format_is_refused_with_the_list(tmp_path):
    with pytest.raises(InputError, match="Cannot write .fbx.*usdz"):
        formats.write(striped_ball(1), tmp_path / "x.fbx")
    assert files_in(tmp_path) == []


# Recipes and presets


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"turns": ("x45",)}, "There is no turn 'x45'"),
        ({"size": (0, "mm", "height")}, "Cannot size"),
        ({"size": (10, "ft", "height")}, "Cannot size"),
        ({"decimate": 2}, "Cannot decimate to 2"),
        ({"bake": 1000}, "Cannot bake a 1000 px"),
        ({"formats": ("fbx",)}, "Cannot write fbx"),
        ({"pivot": "top"}, "There is no pivot"),
    ],
)
def test_a_recipe_says_which_value_is_wrong(changes, message):
    with pytest.raises(InputError, match=message):
        Recipe(**changes).validated()


def test_builtin_presets_are_what_the_issue_asks():
    game, printing, ar = (BUILTIN[k].recipe for k in ("game", "print", "ar"))
    assert (game.decimate, game.bake, game.formats, game.pivot) == (
        20_000,
        2048,
        ("glb",),
        "bottom",
    )
    assert game.upright
    assert printing.repair and set(printing.formats) == {"stl", "3mf"}
    assert (ar.decimate, ar.bake, ar.formats) == (50_000, 2048, ("usdz",))


def test_user_presets_are_saved_loaded_and_deleted(tmp_path):
    presets = Presets(tmp_path / "presets.json")
    mine = with_options(BUILTIN["game"].recipe, decimate=5000, formats=("glb", "usdz"))
    presets.save("Mobile  game", mine)
    again = Presets(tmp_path / "presets.json")
    assert again.get("Mobile game").recipe == mine
    assert list(again.all())[:3] == ["game", "print", "ar"]
    with pytest.raises(InputError, match="Give it a name of its own"):
        again.save("Game", mine)
    again.delete("Mobile game")
    assert "Mobile game" not in Presets(tmp_path / "presets.json").all()


def test_a_damaged_presets_file_leaves_the_builtins(tmp_path):
    path = tmp_path / "presets.json"
    path.write_text(
        '{"good": {"decimate": 500, "extra": 1}, "bad": {"decimate": "many"}, "worse": 3}'
    )
    presets = Presets(path).all()
    assert (
        presets["good"].recipe.decimate == 500 and "bad" not in presets and "worse" not in presets
    )
    path.write_text("{not json")
    assert set(Presets(path).all()) == {"game", "print", "ar"}


# The pipeline


def test_the_pipeline_places_decimates_bakes_and_reports(baked):
    scene = baked.scene
    assert 1900 <= scene.triangles <= 2000 and len(scene.textures) == 1
    assert scene.bounds[0][1] == pytest.approx(0, abs=2e-3)  # resting on y = 0
    assert abs(scene.bounds.mean(axis=0)[0]) < 0.01 and abs(scene.bounds.mean(axis=0)[2]) < 0.01
    assert baked.fidelity.mean < 3
    lines = "\n".join(baked.lines())
    assert "Bake fidelity" in lines and "Baking 512 px" in lines


def test_lods_come_from_one_source_in_one_go(tmp_path):
    recipe = Recipe(lods=(3000, 1000, 300), bake=512)
    prepared = pipeline.prepare(striped_ball(), recipe)
    counts = [s.triangles for s in prepared.levels]
    assert counts[0] > counts[1] > counts[2] and counts[2] <= 300
    sizes = [s.textures[0].image.shape[0] for s in prepared.levels]
    assert sizes == [512, 512, 512]  # halved per level, but never below 512
    files = pipeline.save(prepared, tmp_path / "ball.glb", ("glb", "stl"))
    assert [f.name for f in files] == [
        "ball.glb",
        "ball.stl",
        "ball_lod1.glb",
        "ball_lod1.stl",
        "ball_lod2.glb",
        "ball_lod2.stl",
    ]
    assert mesh.load(tmp_path / "ball_lod2.glb").scene.triangles == counts[2]


def test_progress_moves_forward_and_cancel_stops_the_work():
    seen = []
    pipeline.prepare(
        striped_ball(3), Recipe(decimate=500, bake=512), progress=lambda label, f: seen.append(f)
    )
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 4
    token = CancelToken()

    def cancel_at_bake(label, fraction):
        if label.startswith("Baking"):
            token.cancel()

    with pytest.raises(Cancelled):
        pipeline.prepare(
            striped_ball(3), Recipe(decimate=500, bake=512), progress=cancel_at_bake, cancel=token
        )


def test_the_print_preset_gives_a_sized_watertight_report():
    bunny = mesh.load(corpus_file("meshes", "bunny.ply")).scene
    prepared = pipeline.prepare(bunny, BUILTIN["print"].recipe)
    report = prepared.print_report
    assert report.watertight and report.manifold and not report.inside_out
    assert report.size_mm[1] == pytest.approx(100, abs=0.01)
    assert prepared.scene.bounds[0][1] == pytest.approx(0, abs=1e-6)


# Versions in the library


def test_a_version_is_kept_beside_the_original(library, baked):
    entry = library.import_mesh(corpus_file("meshes", "Duck.glb"))
    original = entry.mesh_path.read_bytes()
    version = library.add_version(
        entry.id,
        lambda folder: pipeline.save(baked, folder / "model.glb", ("glb", "usdz")),
        "game",
        triangles=baked.scene.triangles,
        report=baked.lines(),
        recipe=Recipe(decimate=2000).as_dict(),
    )
    assert version.files == ["model.glb", "model.usdz"] and version.mesh_file == "model.glb"
    assert mesh.load(version.mesh_path).scene.triangles == baked.scene.triangles
    assert entry.mesh_path.read_bytes() == original
    # Listed in entry.json, in the index, and after the index is rebuilt.
    stored = json.loads((entry.folder / ENTRY_FILE).read_text())
    assert [v["id"] for v in stored["versions"]] == [version.id]
    assert library.get(entry.id).version(version.id).triangles == baked.scene.triangles
    library.rebuild()
    again = library.get(entry.id).version_list()
    assert [v.label for v in again] == ["game"] and again[0].recipe["decimate"] == 2000
    assert library.list()[0].id == entry.id  # still one entry: versions are not entries


def test_a_failed_version_leaves_nothing(library):
    entry = library.import_mesh(corpus_file("meshes", "cube.glb"))
    before = files_in(library.root)

    def write_then_fail(folder):
        (folder / "model.glb").write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(Exception, match="Could not save the new version: .*disk is full"):
        library.add_version(entry.id, write_then_fail, "game")
    assert files_in(library.root) == before
    assert library.get(entry.id).versions == []


def test_a_hand_edited_version_cannot_reach_outside_its_entry(tmp_path):
    data = {
        "id": "x",
        "created": "2026-01-01T00:00:00+00:00",
        "title": "x",
        "mesh_file": "model.glb",
        "versions": [
            {"id": "..", "mesh_file": "model.glb", "files": ["model.glb"]},
            {"id": "v1", "mesh_file": "../../secret", "files": []},
            {"id": "v2", "mesh_file": "model.glb", "files": ["model.glb", "/etc/passwd"]},
            {"id": "v3", "mesh_file": "model.glb", "files": ["model.glb"], "triangles": "many"},
            {"id": "v4", "mesh_file": "model.glb", "files": "model.glb"},
            {"id": "v5", "mesh_file": "model.glb", "files": [], "report": 5, "label": None},
            {"id": "v6", "mesh_file": "model.glb", "files": [], "report": None, "created": 7},
            "v7",
        ],
    }
    entry = Entry.from_json(data, tmp_path)
    assert [v.id for v in entry.version_list()] == ["v3", "v5", "v6"]
    assert entry.version("v3").triangles is None
    assert entry.version("v5").report == [] and entry.version("v5").label == ""
    assert len(entry.problems) == 5


def test_a_library_with_a_damaged_version_still_opens(tmp_path):
    library = Library(tmp_path / "lib")
    entry = library.import_mesh(corpus_file("meshes", "cube.glb"))
    library.close()
    data = json.loads((entry.folder / ENTRY_FILE).read_text())
    data["versions"] = [{"id": "v1", "mesh_file": "m.glb", "files": ["m.glb"], "report": 5}]
    (entry.folder / ENTRY_FILE).write_text(json.dumps(data))
    again = Library(tmp_path / "lib")
    try:
        again.rebuild()
        assert [v.report for v in again.get(entry.id).version_list()] == [[]]
    finally:
        again.close()


# What an attacker's and a 3D artist's review found


@pytest.mark.parametrize("fmt", ["stl", "3mf"])
def test_print_files_stand_on_the_bed_with_z_up(tmp_path, fmt):
    """Slicers take +Z as up: the scene's height (Y) is the file's Z, and reading the file
    back stands it up again."""
    import trimesh

    tall = striped_ball(2)
    tall = pipeline.transform.transformed(tall, np.diag([0.01, 0.05, 0.02, 1.0]))  # 10x50x20 mm
    path = formats.write(tall, tmp_path / f"tall.{fmt}")[-1]
    raw = trimesh.load(path, force="mesh")
    assert np.allclose(sorted(raw.extents), [10, 20, 50], atol=0.01)
    assert raw.extents[2] == pytest.approx(50, abs=0.01)
    back = mesh.load(path).scene
    assert np.allclose(np.ptp(back.bounds, axis=0), [10, 50, 20], atol=0.01)


def test_obj_and_ply_of_a_millimetre_model_are_in_metres(tmp_path):
    part = mesh.load(corpus_file("meshes", "featuretype.STL")).scene  # millimetres
    for fmt in ("obj", "ply", "glb"):
        back = mesh.load(formats.write(part, tmp_path / f"part.{fmt}")[-1]).scene
        assert np.allclose(
            np.ptp(back.bounds, axis=0), np.ptp(part.bounds, axis=0) / 1000, rtol=1e-5
        )


def test_material_colours_survive_every_format(tmp_path):
    from tests.scene_files import glb, sphere

    colours = [[1, 0, 0, 1], [0, 0.5, 1, 1]]
    parts = [{**sphere(0.3, centre=(i, 0, 0), subdivisions=2), "material": i} for i in range(2)]
    materials = [{"pbrMetallicRoughness": {"baseColorFactor": c}} for c in colours]
    source = tmp_path / "two.glb"
    source.write_bytes(glb(parts, materials=materials))
    scene = mesh.load(source).scene
    for fmt in ("glb", "gltf"):
        back = mesh.load(formats.write(scene, tmp_path / f"out.{fmt}")[-1]).scene
        found = [back.material(p).base_color for p in back.primitives]
        assert np.allclose(found, colours, atol=1 / 255)  # kept to a byte per channel
    for fmt in ("ply", "obj"):  # no materials: the colour goes per vertex
        back = mesh.load(formats.write(scene, tmp_path / f"out.{fmt}")[-1]).scene
        found = np.concatenate([p.arrays.colors for p in back.primitives])
        assert {tuple(np.round(c, 2)) for c in found[:, :3]} == {(1.0, 0.0, 0.0), (0.0, 0.5, 1.0)}


def test_obj_levels_keep_their_own_textures(tmp_path):
    prepared = pipeline.prepare(striped_ball(), Recipe(lods=(2000, 500), bake=512))
    files = pipeline.save(prepared, tmp_path / "ball.obj", ("obj",))
    pictures = [f for f in files if f.suffix == ".png"]
    assert len(pictures) == 2 and len({p.name for p in pictures}) == 2
    for level, name in enumerate(("ball.obj", "ball_lod1.obj")):
        back = mesh.load(tmp_path / name).scene
        expected = prepared.levels[level].textures[0].image[..., :3]
        assert np.array_equal(back.textures[0].image[..., :3], expected)


def test_an_edit_from_another_window_keeps_the_new_versions(library, baked):
    entry = library.import_mesh(corpus_file("meshes", "cube.glb"))
    other = Library(library.root)  # another process's view, from before the version
    try:
        stale = other.get(entry.id)
        library.add_version(
            entry.id, lambda folder: pipeline.save(baked, folder / "m.glb", ("glb",)), "game"
        )
        assert stale.versions == []
        other.update(entry.id, title="Renamed")
        again = Library(library.root)
        kept = again.get(entry.id)
        again.close()
        assert kept.title == "Renamed" and [v.label for v in kept.version_list()] == ["game"]
    finally:
        other.close()


@pytest.mark.parametrize(
    "values, message",
    [
        ({"bake": 512.0}, "Cannot bake a 512.0 px"),
        ({"decimate": True}, "Cannot decimate"),
        ({"size": [1e40, "m", "height"]}, "Cannot size"),
        ({"upright": "yes"}, "A step is neither on nor off"),
    ],
)
def test_a_saved_preset_with_wrong_values_says_why(tmp_path, values, message):
    path = tmp_path / "presets.json"
    path.write_text(json.dumps({"mine": values}))
    presets = Presets(path)
    with pytest.raises(InputError, match=f"The preset 'mine' cannot be used: {message}"):
        presets.get("mine")
    assert set(presets.all()) == {"game", "print", "ar"}

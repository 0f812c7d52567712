"""A file as a scene: nodes, primitives and glTF materials, read by the numpy reader (GLB and
glTF) and mapped from trimesh (other formats); exported with its materials."""

from __future__ import annotations

import json

import numpy as np
import pytest

from aiml3d_desktop.core.common.errors import MeshLoadError
from aiml3d_desktop.core.meshes import mesh
from aiml3d_desktop.core.meshes.scene import BLEND, MASK, PLAIN
from tests.conftest import corpus_file
from tests.glb_files import unpack
from tests.scene_files import glb, picture, quad, sphere

RED = np.full((4, 4, 4), (255, 0, 0, 255), np.uint8)
GREEN = np.full((4, 4, 4), (0, 255, 0, 255), np.uint8)


def write(tmp_path, data: bytes, name="s.glb"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_every_material_field_is_read(tmp_path):
    material = {
        "name": "shiny",
        "pbrMetallicRoughness": {
            "baseColorFactor": [0.8, 0.6, 0.3, 0.5],
            "baseColorTexture": {
                "index": 0,
                "extensions": {
                    "KHR_texture_transform": {"offset": [0.5, 0], "scale": [2, 2], "texCoord": 0}
                },
            },
            "metallicFactor": 1.0,
            "roughnessFactor": 0.2,
            "metallicRoughnessTexture": {"index": 1},
        },
        "normalTexture": {"index": 1, "scale": 0.5},
        "occlusionTexture": {"index": 0, "strength": 0.7},
        "emissiveFactor": [1, 0.5, 0],
        "emissiveTexture": {"index": 0},
        "extensions": {"KHR_materials_emissive_strength": {"emissiveStrength": 4.0}},
        "alphaMode": "BLEND",
        "doubleSided": True,
    }
    data = glb([{**sphere(), "material": 0}], [material], pictures=[picture(RED), picture(GREEN)])
    scene = mesh.load(write(tmp_path, data)).scene
    (m,) = scene.materials
    assert (m.name, m.base_color, m.metallic, m.roughness) == (
        "shiny",
        (0.8, 0.6, 0.3, 0.5),
        1,
        0.2,
    )
    assert m.alpha_mode == BLEND and m.double_sided and m.emissive == (1, 0.5, 0)
    assert m.emissive_strength == 4.0
    assert m.normal_texture.scale == 0.5 and m.occlusion_texture.scale == 0.7
    assert m.base_color_texture.transform == (2, 0, 0.5, 0, 2, 0, 0, 0, 1)
    assert len(scene.textures) == 2  # each texture read once, however often it is used
    assert tuple(scene.textures[m.metallic_roughness_texture.texture].image[0, 0]) == (
        0,
        255,
        0,
        255,
    )
    assert scene.counts() == {"nodes": 1, "primitives": 1, "materials": 1, "textures": 2}


def test_nodes_primitives_and_parents(tmp_path):
    """A box under a parent scaled 3x is drawn at 3x; each primitive keeps its material."""
    parts = [{**quad(), "material": 0}, {**quad(), "material": 1}]
    nodes = [
        {"children": [1], "scale": [3, 3, 3], "translation": [-5, 0, 0]},
        {"mesh": 0, "name": "big"},
        {"mesh": 1, "name": "small", "translation": [5, 0, 0]},
    ]
    materials = [{"alphaMode": "MASK", "alphaCutoff": 0.3}, {}]
    scene = mesh.load(write(tmp_path, glb(parts, materials, nodes))).scene
    big, small = scene.primitives
    assert (big.node, small.node) == ("big", "small")
    assert np.ptp(big.arrays.positions[:, 0]) == pytest.approx(6)  # 2 wide, times 3
    assert np.ptp(small.arrays.positions[:, 0]) == pytest.approx(2)
    assert scene.material(big).alpha_mode == MASK and scene.material(big).alpha_cutoff == 0.3
    assert scene.material(small).metallic == 1.0  # glTF's defaults for a material
    assert np.allclose(scene.bounds, [[-8, -3, 0], [6, 3, 0]])


def test_a_primitive_without_material_is_plain_dielectric():
    (primitive,) = mesh.load(corpus_file("meshes", "cubevc.glb")).scene.primitives
    assert primitive.material == -1 and PLAIN.metallic == 0 and PLAIN.double_sided


def test_obj_materials_and_textures_map_onto_the_scene():
    scene = mesh.load(corpus_file("meshes", "fuze.obj")).scene
    (material,) = scene.materials
    assert material.base_color_texture is not None and material.metallic == 0
    assert scene.textures[0].image.shape == (1024, 1024, 4)


def test_export_to_glb_keeps_materials_and_primitives(tmp_path):
    source = mesh.load(corpus_file("meshes", "fuze.obj"))
    out = mesh.export(source, tmp_path / "fuze.glb")
    again = mesh.load(out).scene
    assert len(again.materials) == 1 and len(again.textures) == 1
    assert again.triangles == source.scene.triangles
    parts = [{**quad(), "material": 0}, {**quad(centre=(3, 0, 0)), "material": 1}]
    materials = [
        {"pbrMetallicRoughness": {"baseColorFactor": [1, 0, 0, 1]}},
        {"alphaMode": "BLEND"},
    ]
    two = mesh.load(write(tmp_path, glb(parts, materials)))
    out = mesh.export(two, tmp_path / "two.glb")  # a GLB is copied as it is
    doc, _ = unpack(out.read_bytes())
    assert doc["materials"] == materials and len(doc["meshes"]) == 2


def test_info_json_counts_the_scene(tmp_path, capsys):
    from aiml3d_desktop.cli import main

    parts = [{**quad(), "material": 0}, {**quad(centre=(3, 0, 0)), "material": 0}]
    path = write(tmp_path, glb(parts, [{}]))
    assert main(["info", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["nodes"], info["primitives"], info["materials"], info["textures"]) == (2, 2, 1, 0)
    assert info["triangles"] == 4 and info["colours"] == "material colours"


def doc_of(data: bytes) -> tuple[dict, bytes]:
    return unpack(data)


def test_placing_one_mesh_many_times_is_refused_past_the_limits(tmp_path):
    """A small file whose nodes place a mesh of many primitives thousands of times must not
    become gigabytes of arrays."""
    from tests.glb_files import pack

    doc, binary = doc_of(glb([quad()]))
    doc["meshes"][0]["primitives"] *= 500
    doc["nodes"] = [{"mesh": 0, "translation": [i, 0, 0]} for i in range(400)]
    doc["scenes"] = [{"nodes": list(range(400))}]
    path = write(tmp_path, pack(doc, binary))
    with pytest.raises(MeshLoadError, match=r"places its meshes to make 200,000 primitives"):
        mesh.load(path)


def test_hostile_pictures_and_samplers(tmp_path):
    from tests.glb_files import pack

    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    material = {
        "pbrMetallicRoughness": {"baseColorTexture": {"index": 0}},
        "occlusionTexture": {"index": 1, "strength": 1000},
        "normalTexture": {"index": 1, "texCoord": 2},
    }
    data = glb([{**quad(), "material": 0}], [material], pictures=[eps, picture(RED)])
    doc, binary = doc_of(data)
    doc["textures"] = [{"source": 0}, {"source": 1, "sampler": 0}]
    doc["samplers"] = [{"wrapS": 1234, "wrapT": "REPEAT"}]
    scene = mesh.load(write(tmp_path, pack(doc, binary))).scene
    (m,) = scene.materials
    assert m.base_color_texture is None  # not decoded: Pillow is only asked for PNG/JPEG/WebP
    assert any("texture 0 is left out" in note for note in scene.notes)
    assert m.occlusion_texture.scale == 1.0  # strength is 0..1
    assert m.normal_texture is None and any("UV set 2" in note for note in scene.notes)
    assert scene.textures[m.occlusion_texture.texture].wrap == (10497, 10497)


def test_one_picture_for_many_textures_is_decoded_once(tmp_path):
    from tests.glb_files import pack

    doc, binary = doc_of(glb([{**quad(), "material": 0}], [{}], pictures=[picture(RED)]))
    doc["textures"] = [{"source": 0}] * 3
    doc["materials"] = [
        {
            "pbrMetallicRoughness": {"baseColorTexture": {"index": 0}},
            "emissiveTexture": {"index": 1},
            "occlusionTexture": {"index": 2},
        }
    ]
    scene = mesh.load(write(tmp_path, pack(doc, binary))).scene
    assert len({id(t.image) for t in scene.textures}) == 1


def test_bad_normals_a_zero_scale_and_a_nul_in_a_name(tmp_path):
    from tests.glb_files import pack

    part = quad()
    part["normals"] = [[np.nan, 0, 1], [0, 0, np.inf], [0, 0, 0], [0, 0, 1]]
    doc, binary = doc_of(glb([part]))
    arrays = mesh.load(write(tmp_path, pack(doc, binary))).scene.primitives[0].arrays
    assert np.isfinite(arrays.normals).all()
    assert np.allclose(np.linalg.norm(arrays.normals, axis=1), 1)
    doc["nodes"] = [{"mesh": 0, "scale": [0, 1, 1]}]  # hidden by scaling: valid glTF
    assert mesh.load(write(tmp_path, pack(doc, binary), "flat.glb")).stats.triangles == 2
    gltf = tmp_path / "nul.gltf"
    gltf.write_text(
        json.dumps({"asset": {"version": "2.0"}, "buffers": [{"byteLength": 1, "uri": "a%00b"}]})
    )
    with pytest.raises(MeshLoadError, match="nul.gltf is damaged: a file name in it holds a NUL"):
        mesh.load(gltf)

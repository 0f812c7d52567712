"""Mesh files and pictures made to break readers or exhaust memory: each is one clear
message (or a safe load), never a traceback, a crash or gigabytes of memory."""

from __future__ import annotations

import io
import struct
import zipfile

import numpy as np
import pytest
import trimesh
from PIL import Image

from aiml3d_desktop.core.common.errors import InputError, MeshLoadError
from aiml3d_desktop.core.meshes import mesh, meshcheck
from aiml3d_desktop.core.pictures import images
from tests.glb_files import edited, interleaved, pack


def refused(path, words: str) -> str:
    with pytest.raises(MeshLoadError) as info:
        mesh.load(path)
    message = str(info.value)
    assert words in message and "\n" not in message, message
    return message


@pytest.mark.parametrize(
    "claim, words",
    [
        ({"accessors__1__count": 3 * 2**24}, "claims 50,331,648 values with no data behind them"),
        ({"accessors__0__count": 2**22}, "claims 12,582,912 values"),
    ],
)
def test_an_accessor_with_no_data_cannot_claim_gigabytes(tmp_path, claim, words):
    """trimesh fills such an accessor with zeros: 600 bytes would become gigabytes."""
    doc, binary = interleaved()
    doc = edited(doc, **claim)
    for key in claim:
        del doc["accessors"][int(key.split("__")[1])]["bufferView"]
    path = tmp_path / "claims.glb"
    path.write_bytes(pack(doc, binary))
    if "12,582,912" in words:  # under the cap for empty accessors: the total is what stops it
        doc["accessors"] += [dict(doc["accessors"][0])] * 8
        path.write_bytes(pack(doc, binary))
        words = "its accessors claim"
    refused(path, words)


def test_a_texture_cut_short_is_left_out_with_a_note(tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (600, 600), (200, 30, 30)).save(buf, "PNG")
    png = buf.getvalue()[:300]  # the header is whole, the pixels are not there
    doc, binary = interleaved()
    uv = np.array([[0, 0], [1, 0], [0, 1]], np.float32).tobytes()
    doc["bufferViews"] += [
        {"buffer": 0, "byteOffset": len(binary), "byteLength": len(uv)},
        {"buffer": 0, "byteOffset": len(binary) + len(uv), "byteLength": len(png)},
    ]
    doc["accessors"].append({"bufferView": 2, "componentType": 5126, "count": 3, "type": "VEC2"})
    primitive = doc["meshes"][0]["primitives"][0]
    primitive["attributes"]["TEXCOORD_0"], primitive["material"] = 2, 0
    doc.update(
        materials=[{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}],
        textures=[{"source": 0}],
        images=[{"bufferView": 3, "mimeType": "image/png"}],
    )
    path = tmp_path / "tex.glb"
    path.write_bytes(pack(doc, binary + uv + png))
    loaded = mesh.load(path)  # the shape is shown; the texture is left out, with a note
    assert loaded.scene.textures == [] and loaded.stats.triangles == 1
    assert loaded.scene.notes == [
        "texture 0 is left out: picture 0 cannot be decoded: a picture inside it is cut short"
    ]


def test_a_texture_past_the_bomb_size_is_not_decoded(tmp_path, monkeypatch):
    box = trimesh.creation.box()
    box.visual = trimesh.visual.TextureVisuals(
        uv=np.zeros((8, 2)), image=Image.new("RGB", (300, 300))
    )
    path = tmp_path / "big.glb"
    path.write_bytes(box.export(file_type="glb"))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 30_000)  # as if it were 13,000 square
    loaded = mesh.load(path)  # the shape, without the texture it cannot afford
    assert loaded.scene.textures == [] and loaded.stats.triangles == 12
    assert loaded.scene.notes == [
        "texture 0 is left out: picture 0 cannot be decoded: "
        "its texture is too large to decode safely"
    ]


def test_a_3mf_that_unpacks_to_too_much_is_not_opened(tmp_path, monkeypatch):
    monkeypatch.setattr(meshcheck, "MAX_UNPACKED_BYTES", 2**20)
    path = tmp_path / "bomb.3mf"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("3D/3dmodel.model", b"\0" * 2 * 2**20)
    assert path.stat().st_size < 10_000
    refused(path, "unpacks to 0.0 GB; at most 0 GB")


def test_an_stl_whose_header_lies_about_its_count(tmp_path):
    path = tmp_path / "lie.stl"
    path.write_bytes(b"\0" * 80 + struct.pack("<I", 10**9) + bytes(50))
    refused(
        path,
        "lie.stl is damaged: its header says 1,000,000,000 triangles, but the file has room for 1",
    )


def test_a_ply_whose_header_lies_about_its_vertices(tmp_path):
    path = tmp_path / "lie.ply"
    path.write_bytes(
        b"ply\nformat ascii 1.0\nelement vertex 1000\nproperty float x\n"
        b"property float y\nproperty float z\nelement face 1\n"
        b"property list uchar int vertex_indices\nend_header\n"
        b"0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n"
    )
    refused(path, "lie.ply is damaged: its header promises 1,000 vertices and 1 face")


@pytest.mark.parametrize(
    "uri, words",
    [
        ("missing.bin", "refers to 'missing.bin', which is not beside it"),
        ("/etc/passwd", "refers to '/etc/passwd', outside its folder"),
        ("../../secret.bin", "outside its folder"),
    ],
)
def test_a_gltf_reads_only_the_files_beside_it(tmp_path, uri, words):
    doc, _ = interleaved()
    doc["buffers"] = [{"uri": uri, "byteLength": 48}]
    path = tmp_path / "model.gltf"
    path.write_text(__import__("json").dumps(doc))
    refused(path, words)


@pytest.mark.parametrize(
    "content, words",
    [
        ("v 1e39 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\n", "coordinates as large as 1e+39"),
        ("v 1e20 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\n", "coordinates as large as 1e+20"),
        ("v nan 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\n", "1 vertex with invalid (NaN"),
    ],
)
def test_coordinates_that_cannot_be_drawn(tmp_path, content, words):
    path = tmp_path / "far.obj"
    path.write_text(content)
    refused(path, words)


def test_nan_from_a_node_transform_of_an_instanced_mesh(tmp_path):
    doc, binary = interleaved()
    doc = edited(
        doc,
        nodes=[{"mesh": 0}, {"mesh": 0, "scale": [1e30, 1e30, 1e30]}],
        scenes=[{"nodes": [0, 1]}],
    )
    path = tmp_path / "inst.glb"
    path.write_bytes(pack(doc, binary))
    refused(path, "coordinates as large as")


def test_a_mesh_file_too_large_to_open(tmp_path, monkeypatch):
    monkeypatch.setattr(meshcheck, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.stl"
    path.write_bytes(trimesh.creation.box().export(file_type="stl"))
    refused(path, "the largest mesh file opened here is 0 GB")


@pytest.mark.parametrize("size", [(16, 400), (2000, 40)])
def test_a_picture_too_long_and_narrow(size):
    buf = io.BytesIO()
    Image.new("RGB", size, (255, 0, 0)).save(buf, "PNG")
    with pytest.raises(InputError, match="too long and narrow"):
        images.decode(buf.getvalue(), "strip.png")

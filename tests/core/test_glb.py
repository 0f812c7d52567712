"""The fast GLB reader: the glTF rules it checks before touching bytes, node transforms, and
a fuzz test that feeds mutated real GLBs to mesh.load() in a child process."""

from __future__ import annotations

import json
import queue
import re
import subprocess
import sys
import threading

import numpy as np
import pytest
import trimesh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiml3d_desktop.core.common.errors import MeshLoadError
from aiml3d_desktop.core.meshes import glb, gltf, mesh
from tests.conftest import CORPUS, ROOT
from tests.fake_api import make_mesh
from tests.glb_files import TRIANGLE, edited, interleaved, pack, unpack

RED = [[1, 0, 0, 1]] * 3


def read_one(path):
    """The one primitive of a GLB, as the numpy reader gives it; None when it leaves the file
    to trimesh."""
    scene = gltf.read(path, "glb")
    if scene is None:
        return None
    (primitive,) = scene.primitives
    return primitive.arrays.positions, primitive.arrays.indices, primitive.arrays.colors


def write(tmp_path, doc, binary, name="m.glb"):
    path = tmp_path / name
    path.write_bytes(pack(doc, binary))
    return path


def test_interleaved_colours_are_read_through_the_stride(tmp_path):
    doc, binary = interleaved(colours=RED)
    positions, faces, colours = read_one(write(tmp_path, doc, binary))
    assert np.array_equal(positions, TRIANGLE)
    assert faces.tolist() == [[0, 1, 2]]
    assert np.array_equal(colours, np.array(RED, np.float32))


@pytest.mark.parametrize(
    "change, words",
    [
        ({"bufferViews__0__byteStride": -1_000_000}, "stride is -1000000"),
        ({"bufferViews__0__byteStride": 4}, "stride of 4 bytes for 12-byte elements"),
        ({"bufferViews__0__byteStride": 30}, "stride of 30 bytes"),  # not a multiple of 4
        ({"bufferViews__0__byteStride": 256}, "stride of 256 bytes"),  # above 252
        ({"bufferViews__0__byteStride": 1.5e9}, "stride is 1500000000.0"),
        ({"bufferViews__0__byteOffset": 10**12}, "reaches past the end of its buffer"),
        ({"bufferViews__0__byteLength": 10**6}, "reaches past the end of its buffer"),
        ({"accessors__0__count": 10**9}, "accessor 0 reads past the end of buffer view 0"),
        ({"accessors__0__count": 0}, "accessor 0's count is 0"),
        ({"accessors__0__count": -5}, "accessor 0's count is -5"),
        ({"accessors__2__byteOffset": 100}, "accessor 2 reads past the end"),
        ({"accessors__0__byteOffset": -12}, "accessor 0's offset is -12"),
        ({"accessors__0__componentType": 1234}, "unknown component type 1234"),
        ({"accessors__0__type": "MAT9"}, "unknown type 'MAT9'"),
        ({"accessors__1__componentType": 5126}, "accessor 1 holds SCALAR of type 5126"),
        ({"accessors__1__count": 2}, "2 corners, not a multiple of 3"),
        ({"accessors__0__bufferView": 7}, "buffer view 7, which does not exist"),
        ({"meshes__0__primitives__0__indices": 99}, "accessor 99, which does not exist"),
        ({"meshes__0__primitives__0__attributes__POSITION": "0"}, "accessor '0'"),
        ({"nodes": [{"mesh": 3}]}, "mesh 3, which does not exist"),
        ({"nodes": [{"children": [0], "mesh": 0}]}, "its own ancestor"),
        ({"nodes": [{"mesh": 0, "matrix": [1] * 15}]}, "matrix is not 16 finite numbers"),
        ({"nodes": [{"mesh": 0, "scale": [1, None, 1]}]}, "scale is not 3 finite numbers"),
    ],
)
def test_files_that_break_the_rules_are_refused_before_any_byte_is_read(tmp_path, change, words):
    doc, binary = interleaved(colours=RED)
    path = write(tmp_path, edited(doc, **change), binary)
    with pytest.raises(glb.GlbError, match=re.escape(words)):
        read_one(path)
    with pytest.raises(MeshLoadError) as info:
        mesh.load(path)
    assert str(info.value).startswith("m.glb is damaged: ") and "\n" not in str(info.value)


def test_an_index_past_the_last_vertex_is_refused(tmp_path):
    doc, binary = interleaved(indices=[0, 1, 3])
    with pytest.raises(glb.GlbError, match="refers to vertex 3 of 3"):
        read_one(write(tmp_path, doc, binary))


def test_node_cycles_and_double_parents_are_refused(tmp_path):
    doc, binary = interleaved(nodes=[{"children": [1]}, {"children": [0], "mesh": 0}])
    with pytest.raises(glb.GlbError, match="node 0 has two parents or is its own ancestor"):
        read_one(write(tmp_path, edited(doc, scenes=[{"nodes": [0]}]), binary))
    doc, binary = interleaved(nodes=[{"children": [2]}, {"children": [2]}, {"mesh": 0}])
    with pytest.raises(glb.GlbError, match="node 2 has two parents"):
        read_one(write(tmp_path, doc, binary))


@pytest.mark.parametrize(
    "raw, words",
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"asset": ', "JSON is invalid"),
        (b'"just a string"', "not an object"),
        (b"\xff\xfe{}", "JSON is invalid"),
    ],
)
def test_hostile_json_is_one_line(tmp_path, raw, words):
    raw += b" " * (-len(raw) % 4)
    import struct

    body = struct.pack("<II", len(raw), 0x4E4F534A) + raw
    path = tmp_path / "j.glb"
    path.write_bytes(b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body)
    with pytest.raises(MeshLoadError, match=words) as info:
        mesh.load(path)
    assert "\n" not in str(info.value)


def test_parent_transforms_are_applied(tmp_path):
    """A child of a node scaled 10x is drawn 10x; translation, rotation and matrices too,
    and the result matches trimesh's reading of the same file."""
    nodes = [
        {"children": [1], "scale": [10, 10, 10], "translation": [1, 2, 3]},
        {"children": [2], "rotation": [0, 0, 0.7071068, 0.7071068]},  # 90 degrees about z
        {"mesh": 0, "matrix": [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 5, 0, 0, 1]},  # x + 5
    ]
    doc, binary = interleaved(colours=RED, nodes=nodes)
    path = write(tmp_path, doc, binary)
    positions, faces, _ = read_one(path)
    expected = np.array([[1, 52, 3], [1, 62, 3], [-9, 52, 3]], np.float32)
    assert np.allclose(positions, expected, atol=1e-4)
    reference = trimesh.load(path).to_mesh()
    assert np.allclose(np.sort(positions, axis=0), np.sort(reference.vertices, axis=0), atol=1e-4)
    assert mesh.load(path).stats.size == pytest.approx((10, 10, 0), abs=1e-4)


def test_a_mirroring_transform_keeps_triangles_facing_out(tmp_path):
    doc, binary = interleaved(nodes=[{"mesh": 0, "scale": [-1, 1, 1]}])
    positions, faces, _ = read_one(write(tmp_path, doc, binary))
    v0, v1, v2 = positions[faces[0]]
    assert np.cross(v1 - v0, v2 - v0)[2] > 0  # still facing +z, as before the mirror


def test_a_base_colour_factor_stays_in_the_material_beside_the_vertex_colours(tmp_path):
    stored = [[1, 1, 1, 1], [0.5, 0.5, 0.5, 1], [1, 0, 0, 1]]
    doc, binary = interleaved(colours=stored)
    doc = edited(doc, materials=[{"pbrMetallicRoughness": {"baseColorFactor": [1, 0.5, 0, 1]}}])
    doc["meshes"][0]["primitives"][0]["material"] = 0
    scene = gltf.read(write(tmp_path, doc, binary), "glb")
    assert np.allclose(scene.primitives[0].arrays.colors, stored)  # the renderer multiplies
    assert scene.material(scene.primitives[0]).base_color == (1, 0.5, 0, 1)


def test_an_instanced_mesh_is_drawn_at_each_place(tmp_path):
    doc, binary = interleaved()
    instanced = edited(
        doc, nodes=[{"mesh": 0}, {"mesh": 0, "translation": [3, 0, 0]}], scenes=[{"nodes": [0, 1]}]
    )
    scene = gltf.read(write(tmp_path, instanced, binary), "glb")
    first, second = (p.arrays.positions for p in scene.primitives)
    assert np.allclose(second - first, [3, 0, 0])
    assert mesh.load(tmp_path / "m.glb").stats.triangles == 2


def test_files_the_numpy_reader_leaves_to_trimesh(tmp_path):
    doc, binary = interleaved()
    sparse = edited(doc, accessors__0__sparse={"count": 1})
    assert gltf.read(write(tmp_path, sparse, binary), "glb") is None
    compressed = edited(doc, extensionsRequired=["KHR_draco_mesh_compression"])
    assert gltf.read(write(tmp_path, compressed, binary), "glb") is None


# Fuzzing: mutated real GLBs, each loaded in a child process that may crash.


class LoaderChild:
    """tests/load_child.py, restarted after it dies; ``load`` answers within 10 s or fails."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.lines: queue.Queue = queue.Queue()

    def _start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.load_child"],
            cwd=ROOT,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        lines = self.lines = queue.Queue()
        out = self.proc.stdout
        threading.Thread(
            target=lambda: [lines.put(x) for x in out] + [lines.put(None)], daemon=True
        ).start()

    def load(self, path) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        self.proc.stdin.write(f"{path}\n")
        self.proc.stdin.flush()
        try:
            line = self.lines.get(timeout=10)
        except queue.Empty:
            self.proc.kill()
            pytest.fail(f"loading {path} hung for more than 10 s")
        if line is None:
            code = self.proc.wait()
            pytest.fail(f"the child loading {path} died (exit {code}, a signal if negative)")
        return json.loads(line)

    def close(self) -> None:
        if self.proc is not None:
            self.proc.stdin.close()
            self.proc.wait(10)


@pytest.fixture(scope="module")
def loader():
    child = LoaderChild()
    yield child
    child.close()


def _seeds() -> list[bytes]:
    sphere = make_mesh(2).export(file_type="glb")
    strided = pack(
        *interleaved(colours=RED, nodes=[{"children": [1], "scale": [2, 2, 2]}, {"mesh": 0}])
    )
    seeds = [sphere, strided]
    for name in ("Duck.glb", "BoxTextured.glb"):  # textured: the trimesh path
        if (CORPUS / "meshes" / name).exists():
            seeds.append((CORPUS / "meshes" / name).read_bytes())
    return seeds


SEEDS = _seeds()
HOSTILE_VALUES = st.one_of(
    st.integers(-(2**40), 2**40),
    st.sampled_from([0, -1, 1, 3, 4, 252, 253, 2**31, 2**32 - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.text(max_size=5),
    st.lists(st.integers(-5, 5), max_size=20),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
FIELDS = [
    "byteStride",
    "byteOffset",
    "byteLength",
    "count",
    "componentType",
    "type",
    "bufferView",
    "buffer",
    "indices",
    "POSITION",
    "COLOR_0",
    "mesh",
    "children",
    "matrix",
    "scale",
    "rotation",
    "translation",
    "nodes",
    "scene",
    "mode",
    "material",
    "baseColorFactor",
    "sparse",
    "primitives",
    "attributes",
]


def _paths(doc, prefix=()):
    """Every (container, key) in a JSON document."""
    items = (
        doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    )
    for key, value in items:
        yield doc, key
        yield from _paths(value, prefix + (key,))


@st.composite
def mutated_glb(draw) -> bytes:
    data = draw(st.sampled_from(SEEDS))
    how = draw(st.sampled_from(["field", "field", "field", "bytes", "header", "cut"]))
    if how == "field":
        doc, binary = unpack(data)
        spots = [(c, k) for c, k in _paths(doc) if k in FIELDS or isinstance(c, list)]
        for _ in range(draw(st.integers(1, 3))):
            container, key = draw(st.sampled_from(spots))
            container[key] = draw(HOSTILE_VALUES)
        try:
            return pack(doc, binary)
        except ValueError:  # NaN in JSON is allowed by Python's encoder; others are not
            return data
    if how == "bytes":
        raw = bytearray(data)
        for _ in range(draw(st.integers(1, 16))):
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
        return bytes(raw)
    if how == "header":
        raw = bytearray(data)
        at = draw(st.sampled_from([0, 4, 8, 12, 16]))
        raw[at : at + 4] = draw(st.binary(min_size=4, max_size=4))
        return bytes(raw)
    return data[: draw(st.integers(0, len(data) - 1))]


@settings(
    max_examples=500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=mutated_glb())
def test_fuzzed_glbs_give_a_mesh_or_one_clear_error(tmp_path, loader, data):
    path = tmp_path / "fuzz.glb"
    path.write_bytes(data)
    result = loader.load(path)
    assert "other" not in result, result
    if "refused" in result:
        assert "\n" not in result["refused"] and len(result["refused"]) < 400

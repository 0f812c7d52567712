"""A fast path for the GLB files TripoSR returns: one mesh of triangles with vertex colours.

Reading such a file with numpy alone takes tens of milliseconds, where importing trimesh
takes over half a second and its scene handling more; that is most of the time between
`aiml3d view model.glb` and the first frame. Anything this reader does not fully understand
(textures, several meshes or primitives, node transforms, compression, sparse accessors)
makes it return None, and mesh.load() hands the file to trimesh as for every other format.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

COMPONENT_TYPES = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16,
                   5125: np.uint32, 5126: np.float32}  # fmt: skip
COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
TRIANGLES = 4


def read_simple(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    """(positions float32 (N, 3), triangles uint32 (M, 3), colours float32 (N, 4) or None),
    or None when the file needs the general reader."""
    data = path.read_bytes()
    if len(data) < 20 or data[:4] != b"glTF":
        return None
    version, length = struct.unpack_from("<II", data, 4)
    if version != 2 or length != len(data):
        return None
    json_len, json_type = struct.unpack_from("<II", data, 12)
    if json_type != 0x4E4F534A:  # "JSON"
        return None
    try:
        doc = json.loads(data[20 : 20 + json_len])
    except ValueError:
        return None
    offset = 20 + json_len
    if offset + 8 > len(data):
        return None
    bin_len, bin_type = struct.unpack_from("<II", data, offset)
    if bin_type != 0x004E4942:  # "BIN\0"
        return None
    binary = memoryview(data)[offset + 8 : offset + 8 + bin_len]
    try:
        return _mesh(doc, binary)
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _mesh(doc: dict, binary: memoryview):
    if doc.get("extensionsRequired") or len(doc.get("meshes", [])) != 1:
        return None
    nodes = [n for n in doc.get("nodes", []) if "mesh" in n]
    if len(nodes) != 1 or any(k in nodes[0] for k in ("matrix", "rotation", "scale",
                                                      "translation", "children")):  # fmt: skip
        return None  # a transform to apply: leave it to trimesh
    (primitive,) = doc["meshes"][0]["primitives"]
    if primitive.get("mode", TRIANGLES) != TRIANGLES or "indices" not in primitive:
        return None
    if "material" in primitive:
        material = doc["materials"][primitive["material"]]
        if "baseColorTexture" in material.get("pbrMetallicRoughness", {}):
            return None
    attributes = primitive["attributes"]
    positions = _accessor(doc, binary, attributes["POSITION"], "VEC3").astype(np.float32)
    indices = _accessor(doc, binary, primitive["indices"], "SCALAR")
    if len(indices) % 3 or (len(indices) and indices.max() >= len(positions)):
        return None
    colours = None
    if "COLOR_0" in attributes:
        colours = _colours(doc, binary, attributes["COLOR_0"])
    return (np.ascontiguousarray(positions),
            np.ascontiguousarray(indices.reshape(-1, 3), dtype=np.uint32), colours)  # fmt: skip


def _accessor(doc: dict, binary: memoryview, index: int, expect: str | None = None):
    accessor = doc["accessors"][index]
    if "sparse" in accessor or (expect and accessor["type"] != expect):
        raise ValueError("unsupported accessor")
    view = doc["bufferViews"][accessor["bufferView"]]
    if view.get("buffer", 0) != 0:
        raise ValueError("external buffer")
    dtype = np.dtype(COMPONENT_TYPES[accessor["componentType"]])
    width = COMPONENTS[accessor["type"]]
    count = accessor["count"]
    start = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
    stride = view.get("byteStride") or dtype.itemsize * width
    if stride == dtype.itemsize * width:
        flat = np.frombuffer(binary, dtype, count * width, start)
        return flat.reshape(count, width) if width > 1 else flat
    rows = np.lib.stride_tricks.as_strided(
        np.frombuffer(binary, np.uint8, (count - 1) * stride + dtype.itemsize * width, start),
        shape=(count, dtype.itemsize * width), strides=(stride, 1),
    )  # fmt: skip
    return np.ascontiguousarray(rows).view(dtype).reshape(count, width)


def _colours(doc: dict, binary: memoryview, index: int) -> np.ndarray:
    accessor = doc["accessors"][index]
    raw = _accessor(doc, binary, index)
    if raw.ndim != 2 or raw.shape[1] not in (3, 4):
        raise ValueError("unsupported colour")
    scale = {5121: 255.0, 5123: 65535.0}.get(accessor["componentType"], 1.0)
    colours = raw.astype(np.float32) / scale
    if colours.shape[1] == 3:
        colours = np.column_stack([colours, np.ones(len(colours), np.float32)])
    return np.ascontiguousarray(colours)

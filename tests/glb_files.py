"""GLB files built byte by byte, for tests that need a file to break one rule at a time."""

from __future__ import annotations

import copy
import json
import struct

import numpy as np

TRIANGLE = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32)


def pack(doc: dict, binary: bytes) -> bytes:
    """A GLB container around ``doc`` and ``binary``, with correct chunk lengths."""
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    binary += b"\0" * (-len(binary) % 4)
    body = struct.pack("<II", len(text), 0x4E4F534A) + text
    body += struct.pack("<II", len(binary), 0x004E4942) + binary
    return b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body


def unpack(data: bytes) -> tuple[dict, bytes]:
    json_len = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20 : 20 + json_len])
    bin_len = struct.unpack_from("<I", data, 20 + json_len)[0]
    return doc, data[28 + json_len : 28 + json_len + bin_len]


def interleaved(positions=TRIANGLE, colours=None, indices=None, nodes=None) -> tuple[dict, bytes]:
    """Positions and (optionally) RGBA float colours interleaved in one strided view, then
    uint32 indices: the layout many exporters write."""
    count = len(positions)
    indices = np.arange(count) if indices is None else np.asarray(indices)
    indices = indices.astype(np.uint32)
    columns = [positions.astype(np.float32)]
    if colours is not None:
        columns.append(np.asarray(colours, np.float32))
    rows = np.hstack(columns)
    stride = rows.shape[1] * 4
    attributes = {"POSITION": 0}
    accessors = [
        {"bufferView": 0, "componentType": 5126, "count": count, "type": "VEC3"},
        {"bufferView": 1, "componentType": 5125, "count": len(indices), "type": "SCALAR"},
    ]
    if colours is not None:
        attributes["COLOR_0"] = 2
        accessors.append(
            {
                "bufferView": 0,
                "byteOffset": 12,
                "componentType": 5126,
                "count": count,
                "type": "VEC4",
            }
        )
    doc = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": nodes or [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": attributes, "indices": 1}]}],
        "accessors": accessors,
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": rows.nbytes, "byteStride": stride},
            {"buffer": 0, "byteOffset": rows.nbytes, "byteLength": indices.nbytes},
        ],
        "buffers": [{"byteLength": rows.nbytes + indices.nbytes}],
    }
    return doc, rows.tobytes() + indices.tobytes()


def edited(doc: dict, **paths) -> dict:
    """A deep copy of ``doc`` with values set at paths like ``bufferViews__0__byteStride``."""
    doc = copy.deepcopy(doc)
    for path, value in paths.items():
        keys = [int(k) if k.isdigit() else k for k in path.split("__")]
        target = doc
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return doc

"""GLB files with materials, textures and node trees, written here for the scene and renderer
tests: each part is a plain dict, so a test states exactly what the file holds."""

from __future__ import annotations

import io

import numpy as np
import trimesh
from PIL import Image

from tests.glb_files import pack


def sphere(radius=1.0, centre=(0, 0, 0), subdivisions=3) -> dict:
    ball = trimesh.creation.icosphere(subdivisions, radius)
    normals = ball.vertex_normals
    uv = np.column_stack(
        [np.arctan2(normals[:, 0], normals[:, 2]) / (2 * np.pi) + 0.5, 0.5 - normals[:, 1] / 2]
    )
    return {
        "positions": ball.vertices + centre,
        "indices": ball.faces,
        "normals": normals,
        "uvs": uv,
    }


def quad(width=2.0, height=2.0, centre=(0, 0, 0), colour=None) -> dict:
    """A rectangle facing +z, UV (0, 0) at its top left as glTF has it."""
    w, h = width / 2, height / 2
    positions = np.array([[-w, -h, 0], [w, -h, 0], [w, h, 0], [-w, h, 0]]) + centre
    part = {
        "positions": positions,
        "indices": [[0, 1, 2], [0, 2, 3]],
        "normals": [[0, 0, 1]] * 4,
        "uvs": [[0, 1], [1, 1], [1, 0], [0, 0]],
    }
    if colour is not None:
        part["colours"] = [colour] * 4
    return part


def picture(rgba: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.asarray(rgba, np.uint8)).save(out, "PNG")
    return out.getvalue()


def glb(parts, materials=(), nodes=None, pictures=(), extensions=()) -> bytes:
    """One mesh per part (its "material" key picks one of ``materials``); one node per mesh
    unless ``nodes`` is given; ``pictures`` are PNG bytes, texture i showing picture i."""
    binary = bytearray()
    views, accessors, meshes = [], [], []

    def add(values, kind, component=5126) -> int:
        dtype = {5126: np.float32, 5125: np.uint32}[component]
        data = np.ascontiguousarray(values, dtype).tobytes()
        views.append({"buffer": 0, "byteOffset": len(binary), "byteLength": len(data)})
        binary.extend(data + b"\0" * (-len(data) % 4))
        count = len(np.asarray(values).reshape(len(values), -1))
        accessor = {"bufferView": len(views) - 1, "componentType": component, "count": count}
        accessor["type"] = kind
        if kind == "VEC3" and component == 5126:
            array = np.asarray(values, np.float32)
            accessor.update(min=array.min(axis=0).tolist(), max=array.max(axis=0).tolist())
        accessors.append(accessor)
        return len(accessors) - 1

    for part in parts:
        attributes = {"POSITION": add(part["positions"], "VEC3")}
        for key, name, kind in (
            ("normals", "NORMAL", "VEC3"),
            ("uvs", "TEXCOORD_0", "VEC2"),
            ("colours", "COLOR_0", "VEC4"),
        ):
            if key in part:
                attributes[name] = add(part[key], kind)
        indices = np.asarray(part["indices"]).reshape(-1)
        primitive = {"attributes": attributes, "indices": add(indices, "SCALAR", 5125)}
        if "material" in part:
            primitive["material"] = part["material"]
        meshes.append({"primitives": [primitive]})
    images = []
    for data in pictures:
        views.append({"buffer": 0, "byteOffset": len(binary), "byteLength": len(data)})
        binary.extend(data + b"\0" * (-len(data) % 4))
        images.append({"bufferView": len(views) - 1, "mimeType": "image/png"})
    if nodes is None:
        nodes = [{"mesh": i} for i in range(len(meshes))]
    children = {c for node in nodes for c in node.get("children", [])}
    doc = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [i for i in range(len(nodes)) if i not in children]}],
        "nodes": nodes,
        "meshes": meshes,
        "accessors": accessors,
        "bufferViews": views,
        "buffers": [{"byteLength": len(binary)}],
    }
    if materials:
        doc["materials"] = list(materials)
    if images:
        doc["images"] = images
        doc["textures"] = [{"source": i} for i in range(len(images))]
    if extensions:
        doc["extensionsUsed"] = list(extensions)
    return pack(doc, bytes(binary))

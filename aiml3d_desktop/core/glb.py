"""A fast path for the GLB files TripoSR returns: one mesh of triangles with vertex colours.

Reading such a file with numpy alone takes tens of milliseconds, where importing trimesh
takes over half a second and its scene handling more; that is most of the time between
`aiml3d view model.glb` and the first frame. Anything this reader does not handle
(textures, several meshes or primitives, instancing, compression, sparse accessors,
external buffers) makes it return None, and mesh.load() hands the file to trimesh.

The bytes come from anywhere (a download, a file someone sent): every count, offset and
stride is checked against the glTF 2.0 rules and the real size of the data before numpy
looks at it, so that no view can reach outside the file. A file that breaks those rules
raises ``GlbError`` with what is wrong, instead of being passed on.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np

COMPONENT_TYPES = {5120: "<i1", 5121: "<u1", 5122: "<i2", 5123: "<u2", 5125: "<u4", 5126: "<f4"}
INDEX_TYPES = (5121, 5123, 5125)  # the spec allows only unsigned indices
COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
MATRICES = {"MAT2": 4, "MAT3": 9, "MAT4": 16}  # checked, never read here
MAX_EMPTY_VALUES = 2**24  # values an accessor without data (zeros, or an extension's) may claim
TRIANGLES = 4
MAGIC, JSON_CHUNK, BIN_CHUNK = b"glTF", 0x4E4F534A, 0x004E4942
MAX_NODES_DEPTH = 256  # a deeper node tree is not a model anyone made


class GlbError(ValueError):
    """The file breaks the glTF rules; the message says how, in a person's words."""


Arrays = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]


def read_simple(path: Path) -> Arrays | None:
    """(positions float32 (N, 3) in world space, triangles uint32 (M, 3), colours float32
    (N, 4) or None); None when the file needs the general reader; GlbError when it is
    damaged."""
    data = path.read_bytes()
    if len(data) < 12 or data[:4] != MAGIC:
        return None
    version, length = struct.unpack_from("<II", data, 4)
    if version != 2:
        raise GlbError(f"it is glTF version {version}; only version 2 is supported")
    if length > len(data):
        raise GlbError(f"it is cut short: {len(data):,} of {length:,} bytes")
    view = memoryview(data)[:length]  # bytes after the stated length: not part of the file
    doc, binary = _chunks(view)
    try:
        check_accessors(doc, binary, length)
        return _mesh(doc, binary)
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise GlbError(f"its description is malformed ({type(exc).__name__}: {exc})") from None


def _chunks(data: memoryview) -> tuple[dict, memoryview]:
    if len(data) < 20:
        raise GlbError("it is cut short: no JSON chunk")
    json_len, json_type = struct.unpack_from("<II", data, 12)
    if json_type != JSON_CHUNK or 20 + json_len > len(data):
        raise GlbError("its JSON chunk is missing or longer than the file")
    try:
        doc = json.loads(bytes(data[20 : 20 + json_len]))
    except RecursionError:
        raise GlbError("its JSON is nested too deeply") from None
    except ValueError as exc:  # UnicodeDecodeError included
        raise GlbError(f"its JSON is invalid ({exc})") from None
    if not isinstance(doc, dict):
        raise GlbError("its JSON is not an object")
    offset = 20 + json_len
    binary = memoryview(b"")
    if offset + 8 <= len(data):
        bin_len, bin_type = struct.unpack_from("<II", data, offset)
        if bin_type == BIN_CHUNK:
            if offset + 8 + bin_len > len(data):
                raise GlbError("its binary chunk is longer than the file")
            binary = data[offset + 8 : offset + 8 + bin_len]
    return doc, binary


def _mesh(doc: dict, binary: memoryview) -> Arrays | None:
    meshes = doc.get("meshes", [])
    if doc.get("extensionsRequired") or not isinstance(meshes, list) or len(meshes) != 1:
        return None
    primitives = meshes[0]["primitives"]
    if len(primitives) != 1 or primitives[0].get("mode", TRIANGLES) != TRIANGLES:
        return None
    primitive = primitives[0]
    if "indices" not in primitive or "targets" in primitive or "extensions" in primitive:
        return None
    factor = None
    if "material" in primitive:
        pbr = _item(doc, "materials", primitive["material"]).get("pbrMetallicRoughness", {})
        if "baseColorTexture" in pbr:
            return None
        if "baseColorFactor" in pbr:
            factor = _numbers(pbr["baseColorFactor"], 4, "a material's base colour")
    transform = _mesh_transform(doc)
    if transform is None:
        return None
    attributes = primitive["attributes"]
    positions = _accessor(doc, binary, attributes["POSITION"], ("VEC3",), (5126,))
    if positions is None:
        return None
    indices = _accessor(doc, binary, primitive["indices"], ("SCALAR",), INDEX_TYPES)
    if indices is None:
        return None
    if len(indices) % 3:
        raise GlbError(f"its triangle list has {len(indices):,} corners, not a multiple of 3")
    if len(indices) and int(indices.max()) >= len(positions):
        raise GlbError(f"a triangle refers to vertex {int(indices.max()):,} of {len(positions):,}")
    colours = None
    if "COLOR_0" in attributes:
        colours = _colours(doc, binary, attributes["COLOR_0"], len(positions))
        if colours is None:
            return None
    if factor is not None and factor != [1.0] * 4:  # glTF: vertex colour x base colour
        base = np.ones((len(positions), 4), np.float32) if colours is None else colours
        colours = np.ascontiguousarray(base * np.clip(np.array(factor, np.float32), 0, 1))
    positions = positions.astype(np.float32)
    faces = np.ascontiguousarray(indices.reshape(-1, 3), dtype=np.uint32)
    if transform is not _IDENTITY:
        positions = _apply(transform, positions)
        if np.linalg.det(transform[:3, :3]) < 0:  # a mirror: keep triangles facing out
            faces = np.ascontiguousarray(faces[:, ::-1])
    return np.ascontiguousarray(positions), faces, colours


_IDENTITY = np.eye(4)


def _mesh_transform(doc: dict) -> np.ndarray | None:
    """The world transform of the one node showing mesh 0 (its parents' applied), or None
    when the mesh is shown by several nodes, by none, or outside the scene shown."""
    nodes = doc.get("nodes", [])
    if not isinstance(nodes, list):
        raise GlbError("its node list is not a list")
    users = [i for i, node in enumerate(nodes) if "mesh" in node]
    for i in users:
        _index(nodes[i]["mesh"], 1, "mesh")
    if len(users) != 1:
        return None  # instanced, or not shown at all
    parent: dict[int, int] = {}
    for i, node in enumerate(nodes):
        for child in node.get("children", []):
            _index(child, len(nodes), "node")
            if child in parent or child == i:
                raise GlbError(f"node {child} has two parents or is its own parent")
            parent[child] = i
    chain = [users[0]]
    while chain[-1] in parent:
        chain.append(parent[chain[-1]])
        if len(chain) > MAX_NODES_DEPTH or chain[-1] in chain[:-1]:
            raise GlbError("its node tree has a loop or is absurdly deep")
    scenes = doc.get("scenes")
    if scenes:
        roots = _item(doc, "scenes", doc.get("scene", 0)).get("nodes", [])
        if chain[-1] not in roots:
            return None  # not in the scene shown: let the general reader judge
    matrices = [_local(nodes[i], i) for i in chain]
    if all(m is None for m in matrices):
        return _IDENTITY
    world = np.eye(4)
    for matrix in reversed(matrices):
        if matrix is not None:
            world = world @ matrix
    if not np.isfinite(world).all():
        raise GlbError("a node's transform is not finite")
    return world


def _local(node: dict, i: int) -> np.ndarray | None:
    if "matrix" in node:
        values = _numbers(node["matrix"], 16, f"node {i}'s matrix")
        return np.array(values, dtype=np.float64).reshape(4, 4).T  # column-major
    if not any(k in node for k in ("translation", "rotation", "scale")):
        return None
    t = _numbers(node.get("translation", [0, 0, 0]), 3, f"node {i}'s translation")
    x, y, z, w = _numbers(node.get("rotation", [0, 0, 0, 1]), 4, f"node {i}'s rotation")
    s = _numbers(node.get("scale", [1, 1, 1]), 3, f"node {i}'s scale")
    norm = math.sqrt(x * x + y * y + z * z + w * w) or 1.0
    x, y, z, w = x / norm, y / norm, z / norm, w / norm
    rotation = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    matrix = np.eye(4)
    matrix[:3, :3] = rotation * np.array(s)
    matrix[:3, 3] = t
    return matrix


def _apply(transform: np.ndarray, positions: np.ndarray) -> np.ndarray:
    moved = positions.astype(np.float64) @ transform[:3, :3].T + transform[:3, 3]
    return moved.astype(np.float32)


def _accessor(
    doc: dict,
    binary: memoryview,
    index: object,
    types: tuple[str, ...],
    components: tuple[int, ...],
) -> np.ndarray | None:
    """The accessor's elements as an (count, width) array (count, for scalars), read only
    after every offset and length is proven to lie inside the binary chunk."""
    accessor = _item(doc, "accessors", index)
    if "sparse" in accessor:
        return None
    layout = _layout(doc, binary, index)
    if layout is None:
        return None
    kind, component = accessor["type"], accessor["componentType"]
    if kind not in types or component not in components:
        raise GlbError(
            f"accessor {index} holds {kind} of type {component}, which does not fit its use"
        )
    dtype, width, count, start, offset, stride, end = layout
    element = dtype.itemsize * width
    block = np.frombuffer(binary, np.uint8, end - offset, start + offset)
    if stride == element:
        flat = block.view(dtype)
    else:
        rows = np.lib.stride_tricks.as_strided(
            block, shape=(count, element), strides=(stride, 1), writeable=False
        )
        flat = np.ascontiguousarray(rows).view(dtype)
    return flat.reshape(count, width) if width > 1 else flat.reshape(count)


def _layout(doc: dict, binary: memoryview, index: object) -> tuple | None:
    """Where accessor ``index``'s elements lie in the binary chunk, every number checked
    against the glTF rules and the chunk's real size: (dtype, width, count, view start,
    offset in the view, stride, end in the view); None when its data is not in the chunk
    (no buffer view, or an external buffer)."""
    accessor = _item(doc, "accessors", index)
    kind, component = accessor.get("type"), accessor.get("componentType")
    if component not in COMPONENT_TYPES:
        raise GlbError(f"accessor {index} has an unknown component type {component!r}")
    if kind not in COMPONENTS and kind not in MATRICES:
        raise GlbError(f"accessor {index} has an unknown type {kind!r}")
    dtype = np.dtype(COMPONENT_TYPES[component])
    width = COMPONENTS.get(kind) or MATRICES[kind]
    element = dtype.itemsize * width
    count = _whole(accessor.get("count"), f"accessor {index}'s count", low=1)
    offset = _whole(accessor.get("byteOffset", 0), f"accessor {index}'s offset")
    if "bufferView" not in accessor:
        return None
    view_index = accessor["bufferView"]
    view = _item(doc, "bufferViews", view_index)
    buffers = doc.get("buffers", [])
    external = (
        isinstance(buffers, list)
        and buffers
        and isinstance(buffers[0], dict)
        and "uri" in buffers[0]
    )
    if view.get("buffer", 0) != 0 or not binary or external:
        return None  # an external buffer: the general reader resolves those
    start = _whole(view.get("byteOffset", 0), f"buffer view {view_index}'s offset")
    length = _whole(view.get("byteLength"), f"buffer view {view_index}'s length", low=1)
    if start + length > len(binary):
        raise GlbError(
            f"buffer view {view_index} reaches past the end of the binary data "
            f"({start + length:,} > {len(binary):,} bytes)"
        )
    stride = element
    if "byteStride" in view:
        stride = _whole(view["byteStride"], f"buffer view {view_index}'s stride", low=4)
        if stride > 252 or stride % 4 or stride < element:
            raise GlbError(
                f"buffer view {view_index} has a stride of {stride} bytes for "
                f"{element}-byte elements"
            )
    end = offset + (count - 1) * stride + element
    if end > length:
        raise GlbError(
            f"accessor {index} reads past the end of buffer view {view_index} "
            f"({end:,} > {length:,} bytes)"
        )
    return dtype, width, count, start, offset, stride, end


def check_accessors(doc: dict, binary: memoryview, size: int) -> None:
    """Every accessor of the file, before any reader (this one or trimesh) allocates for
    it: a 600-byte file must not claim gigabytes, of data it has or of zeros it has not."""
    accessors = doc.get("accessors", [])
    if not isinstance(accessors, list):
        raise GlbError("its accessor list is not a list")
    claimed = 0
    for index in range(len(accessors)):
        layout = _layout(doc, binary, index)
        accessor = accessors[index]
        width = COMPONENTS.get(accessor["type"]) or MATRICES[accessor["type"]]
        values = accessor["count"] * width
        if layout is None and "bufferView" not in accessor and values > MAX_EMPTY_VALUES:
            raise GlbError(f"accessor {index} claims {values:,} values with no data behind them")
        claimed += values * np.dtype(COMPONENT_TYPES[accessor["componentType"]]).itemsize
    if claimed > 8 * size + 2**28:
        raise GlbError(
            f"its accessors claim {claimed / 2**30:.1f} GB from a file of {size / 2**20:.1f} MB"
        )


def _colours(doc: dict, binary: memoryview, index: object, vertices: int) -> np.ndarray | None:
    raw = _accessor(doc, binary, index, ("VEC3", "VEC4"), (5121, 5123, 5126))
    if raw is None:
        return None
    if len(raw) != vertices:
        raise GlbError(f"it has {len(raw):,} vertex colours for {vertices:,} vertices")
    scale = {np.dtype("<u1"): 255.0, np.dtype("<u2"): 65535.0}.get(raw.dtype, 1.0)
    colours = raw.astype(np.float32) / scale
    if colours.shape[1] == 3:
        colours = np.column_stack([colours, np.ones(len(colours), np.float32)])
    return np.ascontiguousarray(np.clip(np.nan_to_num(colours), 0.0, 1.0))


NAMES = {
    "accessors": "accessor",
    "bufferViews": "buffer view",
    "materials": "material",
    "scenes": "scene",
}


def _item(doc: dict, key: str, index: object) -> dict:
    items, what = doc.get(key), NAMES[key]
    if not isinstance(items, list):
        raise GlbError(f"it refers to a {what} but has no list of them")
    item = items[_index(index, len(items), what)]
    if not isinstance(item, dict):
        raise GlbError(f"{what} {index} is not an object")
    return item


def _index(value: object, size: int, what: str) -> int:
    if type(value) is not int or not 0 <= value < size:
        raise GlbError(f"it refers to {what} {value!r}, which does not exist")
    return value


def _whole(value: object, what: str, low: int = 0) -> int:
    if type(value) is not int or value < low:
        raise GlbError(f"{what} is {value!r}, not a whole number of at least {low}")
    return value


def _numbers(value: object, size: int, what: str) -> list[float]:
    if (
        not isinstance(value, list)
        or len(value) != size
        or not all(type(v) in (int, float) and math.isfinite(v) for v in value)
    ):
        raise GlbError(f"{what} is not {size} finite numbers")
    return [float(v) for v in value]

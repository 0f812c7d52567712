"""The checked layer under core/meshes/gltf.py: a GLB's chunks, and glTF accessors read into numpy.

The bytes come from anywhere (a download, a file someone sent): every count, offset and
stride is checked against the glTF 2.0 rules and the real size of the data before numpy
looks at it, so that no view can reach outside the file. A file that breaks those rules
raises ``GlbError`` with what is wrong, instead of being passed on.
"""

from __future__ import annotations

import json
import math
import struct

import numpy as np

COMPONENT_TYPES = {5120: "<i1", 5121: "<u1", 5122: "<i2", 5123: "<u2", 5125: "<u4", 5126: "<f4"}
INDEX_TYPES = (5121, 5123, 5125)  # the spec allows only unsigned indices
COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
MATRICES = {"MAT2": 4, "MAT3": 9, "MAT4": 16}  # checked, never read here
MAX_EMPTY_VALUES = 2**24  # values an accessor without data (zeros, or an extension's) may claim
MAGIC, JSON_CHUNK, BIN_CHUNK = b"glTF", 0x4E4F534A, 0x004E4942


class GlbError(ValueError):
    """The file breaks the glTF rules; the message says how, in a person's words."""


Buffers = list["memoryview | None"]  # by buffer index; None: not available to this reader


def open_glb(data: bytes) -> tuple[dict, Buffers] | None:
    """A GLB's JSON and its buffers (the binary chunk as buffer 0; None for a buffer held
    elsewhere), every accessor checked; None when ``data`` is not a GLB."""
    if len(data) < 12 or data[:4] != MAGIC:
        return None
    version, length = struct.unpack_from("<II", data, 4)
    if version != 2:
        raise GlbError(f"it is glTF version {version}; only version 2 is supported")
    if length > len(data):
        raise GlbError(f"it is cut short: {len(data):,} of {length:,} bytes")
    view = memoryview(data)[:length]  # bytes after the stated length: not part of the file
    doc, binary = _chunks(view)
    buffers: Buffers = []
    try:
        items = doc.get("buffers", [])
        for i, buffer in enumerate(items if isinstance(items, list) else []):
            inside = i == 0 and binary and isinstance(buffer, dict) and "uri" not in buffer
            buffers.append(binary if inside else None)
        check_accessors(doc, buffers, length)
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise malformed(exc) from None
    return doc, buffers


def malformed(exc: Exception) -> GlbError:
    return GlbError(f"its description is malformed ({type(exc).__name__}: {exc})")


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


def local_matrix(node: dict, i: int) -> np.ndarray | None:
    if "matrix" in node:
        values = numbers(node["matrix"], 16, f"node {i}'s matrix")
        return np.array(values, dtype=np.float64).reshape(4, 4).T  # column-major
    if not any(k in node for k in ("translation", "rotation", "scale")):
        return None
    t = numbers(node.get("translation", [0, 0, 0]), 3, f"node {i}'s translation")
    x, y, z, w = numbers(node.get("rotation", [0, 0, 0, 1]), 4, f"node {i}'s rotation")
    s = numbers(node.get("scale", [1, 1, 1]), 3, f"node {i}'s scale")
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


def accessor(
    doc: dict,
    buffers: Buffers,
    index: object,
    types: tuple[str, ...],
    components: tuple[int, ...],
) -> np.ndarray | None:
    """The accessor's elements as an (count, width) array (count, for scalars), read only
    after every offset and length is proven to lie inside its buffer."""
    accessor = get_item(doc, "accessors", index)
    if "sparse" in accessor:
        return None
    layout = _layout(doc, buffers, index)
    if layout is None:
        return None
    kind, component = accessor["type"], accessor["componentType"]
    if kind not in types or component not in components:
        raise GlbError(
            f"accessor {index} holds {kind} of type {component}, which does not fit its use"
        )
    dtype, width, count, binary, start, offset, stride, end = layout
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


def _layout(doc: dict, buffers: Buffers, index: object) -> tuple | None:
    """Where accessor ``index``'s elements lie in its buffer, every number checked against
    the glTF rules and the buffer's real size: (dtype, width, count, buffer, view start,
    offset in the view, stride, end in the view); None when its data is not at hand (no
    buffer view, or a buffer this reader was not given)."""
    accessor = get_item(doc, "accessors", index)
    kind, component = accessor.get("type"), accessor.get("componentType")
    if component not in COMPONENT_TYPES:
        raise GlbError(f"accessor {index} has an unknown component type {component!r}")
    if kind not in COMPONENTS and kind not in MATRICES:
        raise GlbError(f"accessor {index} has an unknown type {kind!r}")
    dtype = np.dtype(COMPONENT_TYPES[component])
    width = COMPONENTS.get(kind) or MATRICES[kind]
    element = dtype.itemsize * width
    count = whole(accessor.get("count"), f"accessor {index}'s count", low=1)
    offset = whole(accessor.get("byteOffset", 0), f"accessor {index}'s offset")
    if "bufferView" not in accessor:
        return None
    view_index = accessor["bufferView"]
    view = get_item(doc, "bufferViews", view_index)
    buffer_index = checked_index(view.get("buffer", 0), len(doc.get("buffers") or []), "buffer")
    binary = buffers[buffer_index] if buffer_index < len(buffers) else None
    if binary is None:
        return None  # held elsewhere: another reader resolves it
    start = whole(view.get("byteOffset", 0), f"buffer view {view_index}'s offset")
    length = whole(view.get("byteLength"), f"buffer view {view_index}'s length", low=1)
    if start + length > len(binary):
        raise GlbError(
            f"buffer view {view_index} reaches past the end of its buffer "
            f"({start + length:,} > {len(binary):,} bytes)"
        )
    stride = element
    if "byteStride" in view:
        stride = whole(view["byteStride"], f"buffer view {view_index}'s stride", low=4)
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
    return dtype, width, count, binary, start, offset, stride, end


def check_accessors(doc: dict, buffers: Buffers, size: int) -> None:
    """Every accessor of the file, before any reader (this one or trimesh) allocates for
    it: a 600-byte file must not claim gigabytes, of data it has or of zeros it has not."""
    accessors = doc.get("accessors", [])
    if not isinstance(accessors, list):
        raise GlbError("its accessor list is not a list")
    claimed = 0
    for index in range(len(accessors)):
        layout = _layout(doc, buffers, index)
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


def colours_of(doc: dict, buffers: Buffers, index: object, vertices: int) -> np.ndarray | None:
    raw = accessor(doc, buffers, index, ("VEC3", "VEC4"), (5121, 5123, 5126))
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
    "meshes": "mesh",
    "textures": "texture",
    "samplers": "sampler",
    "images": "picture",
    "nodes": "node",
}


def get_item(doc: dict, key: str, index: object) -> dict:
    items, what = doc.get(key), NAMES[key]
    if not isinstance(items, list):
        raise GlbError(f"it refers to a {what} but has no list of them")
    item = items[checked_index(index, len(items), what)]
    if not isinstance(item, dict):
        raise GlbError(f"{what} {index} is not an object")
    return item


def checked_index(value: object, size: int, what: str) -> int:
    if type(value) is not int or not 0 <= value < size:
        raise GlbError(f"it refers to {what} {value!r}, which does not exist")
    return value


def whole(value: object, what: str, low: int = 0) -> int:
    if type(value) is not int or value < low:
        raise GlbError(f"{what} is {value!r}, not a whole number of at least {low}")
    return value


def numbers(value: object, size: int, what: str) -> list[float]:
    if (
        not isinstance(value, list)
        or len(value) != size
        or not all(type(v) in (int, float) and math.isfinite(v) for v in value)
    ):
        raise GlbError(f"{what} is not {size} finite numbers")
    return [float(v) for v in value]

"""GLB and glTF files read into a Scene with numpy and Pillow alone: every node, primitive,
material and texture, without importing trimesh (over half a second) or copying through it.

Every count, offset and stride goes through core/meshes/glb.py's checks before numpy looks
at a byte.
What this reader does not handle (compressed or quantized geometry, sparse accessors, accessors
without data) makes it return None, and mesh.load() hands the file to trimesh.
"""

from __future__ import annotations

import base64
import io
import json
import math
from pathlib import Path
from urllib.parse import unquote

import numpy as np

from aiml3d_desktop.core.meshes import glb
from aiml3d_desktop.core.meshes.glb import GlbError
from aiml3d_desktop.core.meshes.mesh_arrays import MeshArrays, unit_rows
from aiml3d_desktop.core.meshes.meshcheck import (
    MAX_TRIANGLES,
    pictures_refused_past_bomb_size,
    reason,
)
from aiml3d_desktop.core.meshes.scene import (
    BLEND,
    CLAMP,
    MASK,
    MIRROR,
    OPAQUE,
    REPEAT,
    Material,
    Primitive,
    Scene,
    Texture,
    TextureSlot,
)

SUPPORTED_EXTENSIONS = {
    "KHR_materials_emissive_strength",
    "KHR_texture_transform",
    "KHR_materials_unlit",
}
TRIANGLES, STRIP, FAN = 4, 5, 6
NEAREST = 9728
# A texture with a longer side is shrunk when read (an 8K map is already 256 MB on the GPU;
# the viewer shrinks further if its GPU allows less).
MAX_TEXTURE_SIDE = 8192
UV_TYPES = (5121, 5123, 5126)
# What one file may make once its nodes have placed its meshes (each placement is a copy):
# primitives, vertices, triangles. A few hundred megabytes of arrays at most.
PLACED_LIMITS = (100_000, 30_000_000, MAX_TRIANGLES)
MAX_TEXTURE_PIXELS = 2**28  # decoded, in all: 1 GB of RGBA
PICTURE_FORMATS = ("PNG", "JPEG", "WEBP")  # what glTF pictures are; never EPS and the like


class NeedsTrimesh(Exception):
    """Something this reader leaves to trimesh."""


def read(path: Path, file_type: str) -> Scene | None:
    """The file's scene; None when it needs trimesh; GlbError when it is damaged."""
    data = path.read_bytes()
    if file_type == "glb":
        opened = glb.open_glb(data)
        if opened is None:
            return None
        doc, buffers = opened
    else:
        doc, buffers = json.loads(data), []
    try:
        required = set(doc.get("extensionsRequired") or [])
        if required - SUPPORTED_EXTENSIONS:
            return None
        _external_buffers(doc, buffers, path.parent)
        glb.check_accessors(doc, buffers, len(data) + sum(len(b or b"") for b in buffers))
        return _Reader(doc, buffers, path.parent).scene()
    except NeedsTrimesh:
        return None
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, GlbError):
            raise
        raise glb.malformed(exc) from None


def _external_buffers(doc: dict, buffers: glb.Buffers, folder: Path) -> None:
    """Fill in buffers given by URI: embedded (data:) or a file beside the model (which
    meshcheck has already found inside the model's folder)."""
    items = doc.get("buffers") or []
    buffers.extend([None] * (len(items) - len(buffers)))
    for i, item in enumerate(items):
        uri = item.get("uri")
        if buffers[i] is not None or uri is None:
            continue
        data = memoryview(_fetch(uri, folder, f"buffer {i}"))
        if len(data) < glb.whole(item.get("byteLength"), f"buffer {i}'s length", low=1):
            raise GlbError(f"buffer {i} is shorter than it says")
        buffers[i] = data


def _fetch(uri: str, folder: Path, what: str) -> bytes:
    if uri.startswith("data:"):
        head, _, payload = uri.partition(",")
        if not head.endswith(";base64"):
            raise GlbError(f"{what} is an embedded file that is not base64")
        try:
            return base64.b64decode(payload, validate=True)
        except ValueError:
            raise GlbError(f"{what} is an embedded file that is not valid base64") from None
    if "\0" in unquote(uri):
        raise GlbError(f"{what}'s file name holds a NUL character")
    target = (folder / unquote(uri)).resolve()
    if not target.is_relative_to(folder.resolve()) or not target.is_file():
        raise GlbError(f"{what} refers to {uri[:80]!r}, which is not beside it")
    return target.read_bytes()


class _Reader:
    def __init__(self, doc: dict, buffers: glb.Buffers, folder: Path) -> None:
        self.doc, self.buffers, self.folder = doc, buffers, folder
        self.out = Scene([], nodes=len(doc.get("nodes") or []))
        self.materials: dict[object, int] = {}  # file's index: scene's index
        self.textures: dict[object, int | None] = {}
        self.pictures: dict[object, np.ndarray | None] = {}  # by picture; None: unreadable
        self.pixels = 0  # decoded so far

    def scene(self) -> Scene:
        placed = list(self._placed_meshes())
        totals = np.zeros(3, dtype=np.int64)  # primitives, vertices, triangles
        for _, mesh_index, _ in placed:
            totals += self._size(glb.get_item(self.doc, "meshes", mesh_index))
        for total, limit, what in zip(
            totals, PLACED_LIMITS, ("primitives", "vertices", "triangles"), strict=True
        ):
            if total > limit:
                raise GlbError(
                    f"it places its meshes to make {int(total):,} {what}; at most "
                    f"{limit:,} are opened here"
                )
        for node, mesh_index, world in placed:
            for primitive in glb.get_item(self.doc, "meshes", mesh_index)["primitives"]:
                made = self._primitive(primitive, world)
                if made is not None:
                    made.node = node
                    self.out.primitives.append(made)
        return self.out

    def _placed_meshes(self):
        """(node name, mesh index, world matrix) for every node of the scene shown that
        shows a mesh, parents' transforms applied; loops and shared children refused."""
        nodes = self.doc.get("nodes") or []
        if not isinstance(nodes, list):
            raise GlbError("its node list is not a list")
        parents: set[int] = set()
        for node in nodes:
            for child in node.get("children", []):
                if child in parents:
                    raise GlbError(f"node {child} has two parents")
                parents.add(child)
        scenes = self.doc.get("scenes")
        if scenes:
            roots = glb.get_item(self.doc, "scenes", self.doc.get("scene", 0)).get("nodes", [])
        else:
            roots = [i for i in range(len(nodes)) if i not in parents]
        seen: set[int] = set()
        stack = [(glb.checked_index(r, len(nodes), "node"), np.eye(4)) for r in reversed(roots)]
        while stack:
            i, parent = stack.pop()
            if i in seen:
                raise GlbError(f"node {i} has two parents or is its own ancestor")
            seen.add(i)
            node = nodes[i]
            local = glb.local_matrix(node, i)
            world = parent if local is None else parent @ local
            if not np.isfinite(world).all():
                raise GlbError(f"node {i}'s transform is not finite")
            if "mesh" in node:
                yield str(node.get("name") or f"node {i}"), node["mesh"], world
            for child in reversed(node.get("children", [])):
                stack.append((glb.checked_index(child, len(nodes), "node"), world))

    def _size(self, mesh: dict) -> tuple[int, int, int]:
        """(primitives, vertices, triangles) one placement of ``mesh`` makes."""
        vertices = triangles = 0
        for primitive in mesh["primitives"]:
            position = glb.get_item(self.doc, "accessors", primitive["attributes"]["POSITION"])
            vertices += position["count"]
            corners = position["count"]
            if "indices" in primitive:
                corners = glb.get_item(self.doc, "accessors", primitive["indices"])["count"]
            strip = primitive.get("mode", TRIANGLES) in (STRIP, FAN)
            triangles += max(corners - 2, 0) if strip else corners // 3
        return len(mesh["primitives"]), vertices, triangles

    def _accessor(self, index: object, types: tuple[str, ...], components: tuple[int, ...]):
        values = glb.accessor(self.doc, self.buffers, index, types, components)
        if values is None:
            raise NeedsTrimesh
        return values

    def _primitive(self, primitive: dict, world: np.ndarray) -> Primitive | None:
        mode = primitive.get("mode", TRIANGLES)
        if mode not in (TRIANGLES, STRIP, FAN):
            return None  # points and lines: not a surface
        attributes = primitive["attributes"]
        positions = self._accessor(attributes["POSITION"], ("VEC3",), (5126,))
        count = len(positions)
        if "indices" in primitive:
            corners = self._accessor(primitive["indices"], ("SCALAR",), glb.INDEX_TYPES)
        else:
            corners = np.arange(count, dtype=np.uint32)
        if len(corners) and int(corners.max()) >= count:
            raise GlbError(f"a triangle refers to vertex {int(corners.max()):,} of {count:,}")
        faces = _triangles(corners.astype(np.uint32), mode)

        def per_vertex(name: str, types: tuple[str, ...], components: tuple[int, ...]):
            if name not in attributes:
                return None
            values = self._accessor(attributes[name], types, components)
            if len(values) != count:
                raise GlbError(f"it has {len(values):,} values of {name} for {count:,} vertices")
            return values

        normals = _finite(per_vertex("NORMAL", ("VEC3",), (5126,)))
        tangents = _finite(per_vertex("TANGENT", ("VEC4",), (5126,)))
        uvs = [_uv_floats(per_vertex(f"TEXCOORD_{i}", ("VEC2",), UV_TYPES)) for i in (0, 1)]
        colours = None
        if "COLOR_0" in attributes:
            colours = glb.colours_of(self.doc, self.buffers, attributes["COLOR_0"], count)
            if colours is None:
                raise NeedsTrimesh
        if tangents is not None:
            tangents[:, 3] = np.where(tangents[:, 3] < 0, -1.0, 1.0)  # handedness: a sign
        arrays = MeshArrays(
            np.array(positions, dtype=np.float32),  # a copy: the file's bytes can go
            np.ascontiguousarray(faces, dtype=np.uint32),
            colours,
            uvs[0],
            None if normals is None else _f32(normals),
            uvs[1],
            None if tangents is None else _f32(tangents),
        )
        if not np.allclose(world, np.eye(4)):
            arrays = arrays.transformed(world)
        if arrays.normals is not None:  # unit length, whatever the file held
            arrays.normals = _f32(unit_rows(arrays.normals))
            arrays.normals[~arrays.normals.any(axis=1)] = (0.0, 0.0, 1.0)
        if arrays.tangents is not None:
            arrays.tangents[:, :3] = unit_rows(arrays.tangents[:, :3])
        material = -1
        if "material" in primitive:
            material = self._material(primitive["material"])
        return Primitive(arrays, material)

    def _material(self, index: object) -> int:
        if index in self.materials:
            return self.materials[index]
        source = glb.get_item(self.doc, "materials", index)
        pbr = source.get("pbrMetallicRoughness") or {}
        extensions = source.get("extensions") or {}
        material = Material(
            name=str(source.get("name") or f"material {index}"),
            base_color=tuple(_numbers(pbr, "baseColorFactor", [1.0] * 4, 0, 1)),
            base_color_texture=self._slot(pbr.get("baseColorTexture")),
            metallic=_number(pbr, "metallicFactor", 1.0, 0, 1),
            roughness=_number(pbr, "roughnessFactor", 1.0, 0, 1),
            metallic_roughness_texture=self._slot(pbr.get("metallicRoughnessTexture")),
            normal_texture=self._slot(source.get("normalTexture"), "scale"),
            occlusion_texture=self._slot(source.get("occlusionTexture"), "strength"),
            emissive=tuple(_numbers(source, "emissiveFactor", [0.0] * 3, 0, 1)),
            emissive_texture=self._slot(source.get("emissiveTexture")),
            emissive_strength=_number(
                extensions.get("KHR_materials_emissive_strength") or {},
                "emissiveStrength",
                1.0,
                0,
                1e6,
            ),
            alpha_mode=source.get("alphaMode", OPAQUE),
            alpha_cutoff=_number(source, "alphaCutoff", 0.5, 0, 1),
            double_sided=source.get("doubleSided", False) is True,
            unlit="KHR_materials_unlit" in extensions,
        )
        if material.alpha_mode not in (OPAQUE, MASK, BLEND):
            raise GlbError(f"material {index} has an unknown alpha mode {material.alpha_mode!r}")
        self.out.materials.append(material)
        self.materials[index] = len(self.out.materials) - 1
        return self.materials[index]

    def _slot(self, info: object, scale_key: str = "") -> TextureSlot | None:
        if not isinstance(info, dict):
            return None
        texture = self._texture(info["index"])
        if texture is None:
            return None
        uv_set = glb.whole(info.get("texCoord", 0), "a texture's UV set")
        transform = None
        change = (info.get("extensions") or {}).get("KHR_texture_transform")
        if isinstance(change, dict):
            uv_set = glb.whole(change.get("texCoord", uv_set), "a texture's UV set")
            transform = _uv_transform(change)
        if uv_set > 1:
            self.out.notes.append(f"texture {info['index']} uses UV set {uv_set}: left out")
            return None
        low = 0.0 if scale_key == "strength" else -100.0  # occlusion's strength is 0..1
        high = 1.0 if scale_key == "strength" else 100.0
        scale = _number(info, scale_key, 1.0, low, high) if scale_key else 1.0
        return TextureSlot(texture, uv_set, transform, scale)

    def _texture(self, index: object) -> int | None:
        """The texture's index in the scene; None (with a note) when its picture cannot be
        decoded: the model is still shown, without that texture."""
        if index in self.textures:
            return self.textures[index]
        texture = glb.get_item(self.doc, "textures", index)
        source = texture.get("source")
        for extension in (texture.get("extensions") or {}).values():
            if isinstance(extension, dict) and "source" in extension and source is None:
                source = extension["source"]  # EXT_texture_webp and the like
        sampler = {}
        if "sampler" in texture:
            sampler = glb.get_item(self.doc, "samplers", texture["sampler"])
        modes = (sampler.get("wrapS", REPEAT), sampler.get("wrapT", REPEAT))
        wrap_s, wrap_t = (m if m in (REPEAT, CLAMP, MIRROR) else REPEAT for m in modes)
        if source not in self.pictures:  # a picture shared by textures is decoded once
            try:
                picture = glb.get_item(self.doc, "images", source)
                self.pictures[source] = self._image(picture, source)
            except GlbError as exc:
                self.pictures[source] = None
                self.out.notes.append(f"texture {index} is left out: {exc}")  # the shape shows
        image = self.pictures[source]
        if image is None:
            self.textures[index] = None
            return None
        self.out.textures.append(
            Texture(
                image,
                (wrap_s, wrap_t),
                sampler.get("magFilter") != NEAREST,
                str(texture.get("name") or ""),
            )
        )
        self.textures[index] = len(self.out.textures) - 1
        return self.textures[index]

    def _image(self, image: dict, index: object) -> np.ndarray:
        from PIL import Image

        if "bufferView" in image:
            view = glb.get_item(self.doc, "bufferViews", image["bufferView"])
            buffer = self.buffers[
                glb.checked_index(view.get("buffer", 0), len(self.buffers), "buffer")
            ]
            start = glb.whole(view.get("byteOffset", 0), "a picture's offset")
            length = glb.whole(view.get("byteLength"), "a picture's length", low=1)
            if buffer is None or start + length > len(buffer):
                raise GlbError(f"picture {index} lies outside its buffer")
            raw = bytes(buffer[start : start + length])
        elif isinstance(image.get("uri"), str):
            raw = _fetch(image["uri"], self.folder, f"picture {index}")
        else:
            raise GlbError(f"picture {index} has no data")
        try:
            with (
                pictures_refused_past_bomb_size(),
                Image.open(io.BytesIO(raw), formats=PICTURE_FORMATS) as picture,
            ):
                self.pixels += picture.size[0] * picture.size[1]
                if self.pixels > MAX_TEXTURE_PIXELS:
                    raise GlbError("its pictures add up to more than 268 million pixels")
                picture.load()
                if max(picture.size) > MAX_TEXTURE_SIDE:
                    before = picture.size
                    picture.thumbnail((MAX_TEXTURE_SIDE, MAX_TEXTURE_SIDE))
                    self.out.notes.append(
                        f"picture {index} was shrunk from {before[0]}x{before[1]} to "
                        f"{picture.size[0]}x{picture.size[1]}"
                    )
                return np.ascontiguousarray(np.asarray(picture.convert("RGBA")))
        except MemoryError:
            raise
        except Exception as exc:  # Pillow raises many kinds at a bad picture
            raise GlbError(f"picture {index} cannot be decoded: {reason(exc)}") from None


def _triangles(corners: np.ndarray, mode: int) -> np.ndarray:
    if mode == TRIANGLES:
        if len(corners) % 3:
            raise GlbError(f"its triangle list has {len(corners):,} corners, not a multiple of 3")
        return corners.reshape(-1, 3)
    if len(corners) < 3:
        return np.zeros((0, 3), np.uint32)
    i = np.arange(len(corners) - 2)
    if mode == FAN:
        return np.column_stack([np.full_like(i, corners[0]), corners[i + 1], corners[i + 2]])
    odd = (i % 2).astype(bool)  # a strip's every other triangle is wound the other way
    a = np.where(odd, corners[i + 1], corners[i])
    b = np.where(odd, corners[i], corners[i + 1])
    return np.column_stack([a, b, corners[i + 2]])


def _uv_floats(values: np.ndarray | None) -> np.ndarray | None:
    """UVs as floats: normalised integers divided by their range."""
    if values is None:
        return None
    scale = {np.dtype("<u1"): 255.0, np.dtype("<u2"): 65535.0}.get(values.dtype, 1.0)
    return np.ascontiguousarray(np.nan_to_num(values.astype(np.float32) / scale))


def _finite(values: np.ndarray | None) -> np.ndarray | None:
    """A copy with NaN and infinities as 0 (normals and tangents: made whole later)."""
    if values is None:
        return None
    return np.nan_to_num(values.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)


def _f32(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float32)


def _uv_transform(change: dict) -> tuple[float, ...]:
    ox, oy = _numbers(change, "offset", [0.0, 0.0], -1e6, 1e6)
    sx, sy = _numbers(change, "scale", [1.0, 1.0], -1e6, 1e6)
    r = _number(change, "rotation", 0.0, -1e6, 1e6)
    c, s = math.cos(r), math.sin(r)
    # glTF's order: translation * rotation * scale, on (u, v, 1).
    return (c * sx, s * sy, ox, -s * sx, c * sy, oy, 0.0, 0.0, 1.0)


def _number(item: dict, key: str, default: float, low: float, high: float) -> float:
    value = item.get(key, default)
    if type(value) not in (int, float) or not math.isfinite(value):
        raise GlbError(f"{key} is {value!r}, not a number")
    return float(min(max(value, low), high))


def _numbers(item: dict, key: str, default: list[float], low: float, high: float) -> list[float]:
    values = glb.numbers(item.get(key, default), len(default), key)
    return [min(max(v, low), high) for v in values]

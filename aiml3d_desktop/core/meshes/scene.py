"""A loaded file as a scene: primitives in world space, each with its own arrays and its own
glTF metallic-roughness material. The GLB/glTF reader (core/meshes/gltf.py) fills every field; other
formats (OBJ/MTL, PLY, STL, 3MF, OFF) map onto the same model through ``from_trimesh``.

Conventions: UVs as glTF has them (origin at the image's top-left corner), texture images with
their first row at the top, colours linear 0..1 except base-colour and emissive textures,
which hold sRGB values.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from aiml3d_desktop.core.meshes.mesh_arrays import MeshArrays

if TYPE_CHECKING:
    import trimesh

OPAQUE, MASK, BLEND = "OPAQUE", "MASK", "BLEND"
REPEAT, CLAMP, MIRROR = 10497, 33071, 33648  # glTF's (and OpenGL's) wrap modes


@dataclass
class Texture:
    image: np.ndarray  # (H, W, 4) uint8, RGBA, first row at the top
    wrap: tuple[int, int] = (REPEAT, REPEAT)
    smooth: bool = True  # False: the file asks for nearest-pixel magnification
    name: str = ""


@dataclass(frozen=True)
class TextureSlot:
    texture: int  # index into Scene.textures
    uv_set: int = 0
    # KHR_texture_transform as a 3x3 row-major matrix on (u, v, 1); None: identity.
    transform: tuple[float, ...] | None = None
    scale: float = 1.0  # the normal map's scale, or the occlusion's strength


@dataclass
class Material:
    name: str = ""
    base_color: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)  # RGBA
    base_color_texture: TextureSlot | None = None
    metallic: float = 1.0
    roughness: float = 1.0
    metallic_roughness_texture: TextureSlot | None = None
    normal_texture: TextureSlot | None = None
    occlusion_texture: TextureSlot | None = None
    emissive: tuple[float, ...] = (0.0, 0.0, 0.0)  # RGB
    emissive_texture: TextureSlot | None = None
    emissive_strength: float = 1.0  # KHR_materials_emissive_strength
    alpha_mode: str = OPAQUE
    alpha_cutoff: float = 0.5
    double_sided: bool = False
    unlit: bool = False  # KHR_materials_unlit

    def slots(self) -> dict[str, TextureSlot]:
        return {
            name: slot
            for name in TEXTURE_SLOTS
            if (slot := getattr(self, name + "_texture")) is not None
        }


TEXTURE_SLOTS = ("base_color", "metallic_roughness", "normal", "occlusion", "emissive")

# What a primitive without a material is drawn with (TripoSR's files, STL, PLY): glTF's default
# would be a rough metal, which no scanned or generated object is; this matches f3d and Blender.
PLAIN = Material("(no material)", metallic=0.0, roughness=0.6, double_sided=True)


@dataclass
class Primitive:
    arrays: MeshArrays  # in world space: its node's transform applied
    material: int = -1  # index into Scene.materials; -1: PLAIN
    node: str = ""


@dataclass(frozen=True)
class Instance:
    """One placement of some of a scene's primitives (a composed scene's model): drawn
    with ``matrix`` (4x4, the primitives' coordinates to the scene's), their buffers shared
    with every other placement of them."""

    matrix: np.ndarray
    primitives: tuple[int, ...]
    name: str = ""


@dataclass
class Scene:
    primitives: list[Primitive]
    materials: list[Material] = field(default_factory=list)
    textures: list[Texture] = field(default_factory=list)
    nodes: int = 1  # how many nodes the file has (1 for formats without a node tree)
    notes: list[str] = field(default_factory=list)  # what was changed to show it (for people)
    # Metres per unit of the positions: 1 for glTF; 0.001 for STL (millimetres by custom)
    # and for a 3MF in millimetres. Formats without units (OBJ, PLY, OFF) count as metres.
    unit: float = 1.0
    # A composed scene's placements; None: every primitive once, where it is (a file).
    instances: list[Instance] | None = None

    def placements(self) -> list[Instance]:
        """What is drawn: the instances, or every primitive once, unmoved."""
        if self.instances is not None:
            return self.instances
        return [Instance(np.eye(4), tuple(range(len(self.primitives))))]

    def same_meshes(self, other: Scene | None) -> bool:
        """``other`` draws the very same primitives, materials and textures (its placements
        may differ): what a renderer uploaded for one serves the other."""
        return (
            other is not None
            and other.primitives is self.primitives
            and other.materials is self.materials
            and other.textures is self.textures
        )

    def flattened(self) -> Scene:
        """Every placement's primitives moved into place, as one scene without instances
        (a copy per placement): for the formats without nodes, and a thumbnail. Each
        placement's parts are named after it, made unique."""
        if self.instances is None:
            return self
        taken: set[str] = set()
        primitives = []
        for instance in self.instances:
            for i in instance.primitives:
                primitive = self.primitives[i]
                name = unique_name(instance.name, taken)  # a node each: names must differ
                moved = primitive.arrays.transformed(instance.matrix)
                primitives.append(Primitive(moved, primitive.material, name))
        return replace(self, primitives=primitives, instances=None)

    def material(self, primitive: Primitive) -> Material:
        return PLAIN if primitive.material < 0 else self.materials[primitive.material]

    @property
    def triangles(self) -> int:
        """Triangles drawn (each placement of a primitive counts)."""
        return sum(
            len(self.primitives[i].arrays.indices) for x in self.placements() for i in x.primitives
        )

    @property
    def vertices(self) -> int:
        """Vertices drawn (each placement of a primitive counts), as ``triangles``."""
        return sum(
            len(self.primitives[i].arrays.positions)
            for x in self.placements()
            for i in x.primitives
        )

    @functools.cached_property
    def bounds(self) -> np.ndarray:
        """(2, 3): the lowest and highest corner of every primitive, where it is placed (for
        a placement turned, around its primitives' turned boxes)."""
        corners = []
        for placement in self.placements():
            for i in placement.primitives:
                box = self.primitives[i].arrays.bounds
                if not np.array_equal(placement.matrix, np.eye(4)):
                    box = np.array(np.meshgrid(*box.T)).T.reshape(-1, 3)
                    box = box @ placement.matrix[:3, :3].T + placement.matrix[:3, 3]
                corners.append(box)
        stacked = np.concatenate(corners)
        return np.stack([stacked.min(axis=0), stacked.max(axis=0)]).astype(np.float32)

    def sample(self, count: int = 4096) -> np.ndarray:
        """About ``count`` of the vertices, spread over the whole scene, where they are
        placed (float64): to frame the camera on."""
        placements = self.placements()
        total = sum(
            len(self.primitives[i].arrays.positions) for x in placements for i in x.primitives
        )
        step = max(1, total // count)
        points = []
        for placement in placements:
            for i in placement.primitives:
                chosen = self.primitives[i].arrays.positions[::step].astype(np.float64)
                points.append(chosen @ placement.matrix[:3, :3].T + placement.matrix[:3, 3])
        return np.concatenate(points)

    @property
    def has_normals(self) -> bool:
        return all(p.arrays.normals is not None for p in self.primitives)

    def prepare(self) -> Scene:
        """What a renderer will ask for, computed ahead (on a worker thread)."""
        for primitive in self.primitives:
            primitive.arrays.prepare()
        self.bounds  # noqa: B018
        return self

    def smooth_normals(self) -> None:
        for primitive in self.primitives:
            primitive.arrays.smooth_normals()

    @functools.cached_property
    def merged(self) -> MeshArrays:
        """Every primitive's positions and triangles in one mesh (colours where every
        primitive has some): for statistics and for operations on the whole shape."""
        if len(self.primitives) == 1:
            return self.primitives[0].arrays
        arrays = [p.arrays for p in self.primitives]
        starts = np.cumsum([0] + [len(a.positions) for a in arrays[:-1]])
        indices = np.concatenate(
            [a.indices + np.uint32(s) for a, s in zip(arrays, starts, strict=True)]
        )
        colours = None
        if all(a.colors is not None for a in arrays):
            colours = np.concatenate([a.colors for a in arrays])
        return MeshArrays(np.concatenate([a.positions for a in arrays]), indices, colours)

    def counts(self) -> dict[str, int]:
        return {
            "nodes": self.nodes,
            "primitives": len(self.primitives),
            "materials": len(self.materials),
            "textures": len(self.textures),
        }


def transformed(scene: Scene, matrix: np.ndarray) -> Scene:
    """``scene`` moved by the 4x4 ``matrix`` (see MeshArrays.transformed), as a new scene."""
    from dataclasses import replace

    primitives = [
        Primitive(p.arrays.transformed(matrix), p.material, p.node) for p in scene.primitives
    ]
    return replace(scene, primitives=primitives, notes=list(scene.notes))


def single(arrays: MeshArrays) -> Scene:
    """A scene of one primitive without a material (TripoSR's files, through the fast path)."""
    return Scene([Primitive(arrays)])


def from_trimesh(loaded: Any) -> Scene:
    """A scene from what trimesh read: one primitive per geometry and node, transforms
    applied; trimesh's materials (PBR from glTF, Phong from MTL) as metallic-roughness."""
    import trimesh

    if not isinstance(loaded, trimesh.Scene):
        loaded = trimesh.Scene(loaded)
    scene = Scene([], nodes=max(1, len(loaded.graph.nodes_geometry)))
    known: dict[int, int] = {}
    for node in loaded.graph.nodes_geometry:
        transform, geometry_name = loaded.graph[node]
        geometry = loaded.geometry[geometry_name]
        if not isinstance(geometry, trimesh.Trimesh) or not len(geometry.faces):
            continue
        if not np.allclose(transform, np.eye(4)):
            geometry = geometry.copy()
            geometry.apply_transform(transform)
        arrays, source = _trimesh_arrays(geometry)
        index = -1
        if source is not None:  # each of the file's materials made once, however often used
            index = known.setdefault(id(source), len(scene.materials))
            if index == len(scene.materials):
                scene.materials.append(_material(source, scene, has_uv=arrays.uvs is not None))
        scene.primitives.append(Primitive(arrays, index, str(node)))
    return scene


def _trimesh_arrays(tm: trimesh.Trimesh) -> tuple[MeshArrays, Any]:
    """The arrays, and trimesh's material where the visual has one."""
    from trimesh.visual import ColorVisuals, TextureVisuals

    positions = np.ascontiguousarray(tm.vertices, dtype=np.float32)
    indices = np.ascontiguousarray(tm.faces, dtype=np.uint32)
    visual = tm.visual
    colors = uvs = None
    material = None
    if isinstance(visual, ColorVisuals) and visual.kind == "face":
        # Flat colours per face: give each corner its own vertex so colours do not bleed.
        positions = np.ascontiguousarray(positions[indices].reshape(-1, 3))
        colors = np.repeat(np.asarray(visual.face_colors, dtype=np.float32) / 255.0, 3, axis=0)
        indices = np.arange(len(positions), dtype=np.uint32).reshape(-1, 3)
    elif isinstance(visual, ColorVisuals) and visual.kind == "vertex":
        colors = np.asarray(visual.vertex_colors, dtype=np.float32) / 255.0
    elif isinstance(visual, TextureVisuals):
        uv = getattr(visual, "uv", None)
        if uv is not None and len(uv) == len(positions):
            uvs = np.ascontiguousarray(uv, dtype=np.float32)
            uvs[:, 1] = 1.0 - uvs[:, 1]  # trimesh keeps v up; glTF (and this model) down
        material = visual.material
    if colors is not None:
        colors = np.ascontiguousarray(colors, dtype=np.float32)
    return MeshArrays(positions, indices, colors, uvs), material


def _material(source: Any, scene: Scene, has_uv: bool) -> Material:
    from trimesh.visual.material import PBRMaterial

    pbr = source.to_pbr() if not isinstance(source, PBRMaterial) else source
    material = Material(name=str(getattr(pbr, "name", "") or ""))
    if pbr.baseColorFactor is not None:
        material.base_color = tuple(float(c) / 255.0 for c in pbr.baseColorFactor)
    material.metallic = _factor(pbr.metallicFactor, 1.0 if isinstance(source, PBRMaterial) else 0.0)
    material.roughness = _factor(pbr.roughnessFactor, 1.0)
    if pbr.emissiveFactor is not None:
        material.emissive = tuple(float(c) for c in np.asarray(pbr.emissiveFactor)[:3])
    material.alpha_mode = pbr.alphaMode or OPAQUE
    material.alpha_cutoff = _factor(pbr.alphaCutoff, 0.5)
    material.double_sided = bool(pbr.doubleSided) or not isinstance(source, PBRMaterial)
    if has_uv:
        for slot, image in (
            ("base_color", pbr.baseColorTexture),
            ("metallic_roughness", pbr.metallicRoughnessTexture),
            ("normal", pbr.normalTexture),
            ("occlusion", pbr.occlusionTexture),
            ("emissive", pbr.emissiveTexture),
        ):
            if image is not None:
                scene.textures.append(Texture(np.asarray(image.convert("RGBA"))))
                setattr(material, slot + "_texture", TextureSlot(len(scene.textures) - 1))
    return material


def _factor(value: float | None, default: float) -> float:
    return default if value is None else float(value)


def to_trimesh(scene: Scene, plain: bool = False) -> trimesh.Scene:
    """A trimesh scene with one node per primitive and its material (factors and textures):
    what export writes from. ``plain``: for formats without materials (PLY, OBJ's vertex
    colours, STL, 3MF), an untextured primitive carries its colour per vertex instead, its
    material's colour in it (trimesh would drop it with the material)."""
    import trimesh
    from PIL import Image
    from trimesh.visual.material import PBRMaterial

    out = trimesh.Scene()
    for i, primitive in enumerate(scene.primitives):
        arrays, material = primitive.arrays, scene.material(primitive)
        colours = arrays.colors
        textured = arrays.uvs is not None and bool(material.slots())
        if plain and not textured and primitive.material >= 0:
            factor = np.asarray(material.base_color, dtype=np.float32)
            colours = (
                np.tile(factor, (len(arrays.positions), 1)) if colours is None else colours * factor
            )
        tm = trimesh.Trimesh(
            arrays.positions,
            arrays.indices,
            vertex_normals=arrays.normals,
            vertex_colors=None if colours is None else _bytes(colours),
            process=False,
        )
        if primitive.material >= 0 and not (plain and not textured):

            def image(slot: TextureSlot | None) -> Image.Image | None:
                return None if slot is None else Image.fromarray(scene.textures[slot.texture].image)

            pbr = PBRMaterial(
                name=material.name or None,
                baseColorFactor=_bytes(np.array(material.base_color)),  # floats count as 0..1
                metallicFactor=material.metallic,
                roughnessFactor=material.roughness,
                emissiveFactor=material.emissive,
                alphaMode=material.alpha_mode,
                alphaCutoff=material.alpha_cutoff,
                doubleSided=material.double_sided,
                baseColorTexture=image(material.base_color_texture),
                metallicRoughnessTexture=image(material.metallic_roughness_texture),
                normalTexture=image(material.normal_texture),
                occlusionTexture=image(material.occlusion_texture),
                emissiveTexture=image(material.emissive_texture),
            )
            uv = None
            if arrays.uvs is not None:
                uv = arrays.uvs.copy()
                uv[:, 1] = 1.0 - uv[:, 1]
            tm.visual = trimesh.visual.TextureVisuals(uv=uv, material=pbr)
            if colours is not None:
                tm.visual.vertex_attributes["color"] = colours
        out.add_geometry(tm, node_name=primitive.node or f"primitive {i}", geom_name=f"mesh {i}")
    return out


def _bytes(colours: np.ndarray) -> np.ndarray:
    return np.round(np.clip(colours, 0, 1) * 255).astype(np.uint8)


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or "name (2)", "name (3)"... the first not in ``taken`` (which gets it)."""
    candidate, number = name, 2
    while candidate in taken:
        candidate = f"{name} ({number})"
        number += 1
    taken.add(candidate)
    return candidate

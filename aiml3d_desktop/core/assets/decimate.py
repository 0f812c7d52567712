"""Fewer triangles, the same shape and colours: quadric edge collapse (fast-simplification,
MIT), with each new vertex coloured from the closest point of the original surface."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from aiml3d_desktop.core.assets.clean import welded
from aiml3d_desktop.core.assets.surface import Surface, vertex_colours
from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.meshes.mesh_arrays import MeshArrays
from aiml3d_desktop.core.meshes.scene import Material, Primitive, Scene

MIN_TRIANGLES = 4


def decimate(scene: Scene, target: int, colours: bool = True) -> Scene:
    """``scene`` with about ``target`` triangles in all, shared among its primitives by their
    size. Colours become vertex colours (a texture's UVs do not survive the collapse): bake
    afterwards for a texture; without ``colours`` (a bake follows anyway) the shape alone.
    A scene already within ``target`` comes back unchanged."""
    if target < MIN_TRIANGLES:
        raise InputError(
            f"Cannot decimate to {target} triangles", hint=f"Ask for {MIN_TRIANGLES} or more."
        )
    total = scene.triangles
    if total <= target:
        return scene
    out = replace(scene, primitives=[], materials=list(scene.materials), notes=list(scene.notes))
    lost = False
    for primitive in scene.primitives:
        share = max(MIN_TRIANGLES, round(target * len(primitive.arrays.indices) / total))
        arrays, textured = _decimated(scene, primitive, share, colours)
        if textured:
            lost = True
            out.materials[primitive.material] = _untextured(scene.material(primitive))
        out.primitives.append(Primitive(arrays, primitive.material, primitive.node))
    if lost:
        out.notes.append("Decimating turned the textures into vertex colours: bake for a texture.")
    return out


def _decimated(
    scene: Scene, primitive: Primitive, target: int, with_colours: bool
) -> tuple[MeshArrays, bool]:
    import fast_simplification

    arrays = primitive.arrays
    if len(arrays.indices) <= target:
        return arrays, False
    # Welded first: vertices split at texture or colour seams would come apart as cracks.
    faces, first = welded(arrays)
    positions, faces = fast_simplification.simplify(
        np.ascontiguousarray(arrays.positions[first]), faces.astype(np.int64), target_count=target
    )
    positions = np.ascontiguousarray(positions, dtype=np.float32)
    textured = bool(scene.material(primitive).slots())
    # A texture becomes colours with its material's factor in them; plain vertex colours
    # stay as they are, under the same material.
    source = vertex_colours(scene, primitive) if textured else arrays.colors
    colours = None
    if source is not None and with_colours:
        surface = Surface(arrays)
        where, weights, _ = surface.closest(positions)
        colours = surface.interpolate(source, where, weights)
    low = MeshArrays(positions, np.ascontiguousarray(faces, dtype=np.uint32), colours)
    low.smooth_normals()
    return low, textured


def _untextured(material: Material) -> Material:
    """The material without its textures, its colour factor already in the vertex colours."""
    return replace(
        material,
        base_color=(1.0, 1.0, 1.0, 1.0),
        base_color_texture=None,
        metallic_roughness_texture=None,
        normal_texture=None,
        occlusion_texture=None,
        emissive_texture=None,
    )

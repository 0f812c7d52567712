"""A scene written as a file the user's engine, printer or phone takes: GLB, glTF (+ .bin and
textures), OBJ (+ .mtl and textures), STL, PLY, 3MF and USDZ, one function each, named by its
format's record in ``formats.py`` (``formats.write`` picks one by the file's extension). Every
file is written atomically; a format with side files writes them first and its main file last.

Units: the scene is in metres (glTF's unit) with +Y up. STL and 3MF are written in millimetres
with +Z up, as printers' software expects (3MF says so in its model; an STL cannot, so its
header does). Everything else is written in metres.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.common.fileio import atomic_path, write_bytes
from aiml3d_desktop.core.meshes.scene import Material, Scene, TextureSlot, to_trimesh, transformed

if TYPE_CHECKING:
    import trimesh

Y_UP_TO_Z_UP = np.array([[1, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=float)
STL_HEADER = b"aiml3d-desktop STL, units: millimetres"


def in_metres(scene: Scene) -> Scene:
    """glTF's unit is the metre: a scene read from millimetres (STL) is scaled."""
    if scene.unit == 1.0:
        return scene
    return replace(transformed(scene, np.diag([scene.unit] * 3 + [1.0])), unit=1.0)


def write_glb(scene: Scene, dest: Path) -> list[Path]:
    write_bytes(dest, to_trimesh(in_metres(scene)).export(file_type="glb"))
    return [dest]


def write_gltf(scene: Scene, dest: Path) -> list[Path]:
    return write_gltf_of(to_trimesh(in_metres(scene)), dest)


def write_gltf_of(tm_scene: trimesh.Scene, dest: Path) -> list[Path]:
    """A trimesh scene as .gltf: it names its buffer and textures after ``dest``, so that
    two models exported to one folder do not overwrite each other's side files."""
    import json

    from trimesh.exchange.gltf import export_gltf

    files = export_gltf(tm_scene, include_normals=True, merge_buffers=True)
    tree = json.loads(files.pop("model.gltf"))
    renamed = {name: f"{dest.stem}_{name}" for name in files}
    for item in tree.get("buffers", []) + tree.get("images", []):
        if item.get("uri") in renamed:
            item["uri"] = renamed[item["uri"]]
    written = []
    for name, data in files.items():
        write_bytes(dest.parent / renamed[name], data)
        written.append(dest.parent / renamed[name])
    write_bytes(dest, json.dumps(tree).encode("utf-8"))
    return [*written, dest]


def write_obj(scene: Scene, dest: Path) -> list[Path]:
    import trimesh

    mtl = f"{dest.stem}.mtl"
    text, extra = trimesh.exchange.obj.export_obj(
        to_trimesh(in_metres(scene), plain=True),
        include_texture=True,
        return_texture=True,
        mtl_name=mtl,
    )
    # The pictures are named after the model, not its materials ("baked.png"): two models, or
    # a model's levels of detail, written to one folder must not share them.
    # Spaces go too: many OBJ readers take "map_Kd material 0.png" as an option and a file.
    renamed = {
        name: f"{dest.stem}_{Path(name).name}".replace(" ", "_") for name in extra if name != mtl
    }
    written = []
    for name, data in extra.items():
        if name == mtl:
            lines = data.decode("utf-8").splitlines()
            for i, line in enumerate(lines):
                key, _, picture = line.partition(" ")
                if key.startswith("map_") and picture.strip() in renamed:
                    lines[i] = f"{key} {renamed[picture.strip()]}"
            data = ("\n".join(lines) + "\n").encode("utf-8")
        target = dest.parent / renamed.get(name, Path(name).name)
        write_bytes(target, data)
        written.append(target)
    write_bytes(dest, text.encode("utf-8"))
    return [*written, dest]


def _one_mesh(scene: Scene, scale: float = 1.0, z_up: bool = False):
    """The whole scene as one trimesh, scaled, and for a printer stood on XY with +Z up."""
    mesh = to_trimesh(scene, plain=True).to_mesh()
    matrix = np.diag([scale] * 3 + [1.0])
    if z_up:
        matrix = Y_UP_TO_Z_UP @ matrix
    if not np.array_equal(matrix, np.eye(4)):
        mesh.apply_transform(matrix)
    return mesh


def write_stl(scene: Scene, dest: Path) -> list[Path]:
    data = bytearray(_one_mesh(scene, scene.unit * 1000, z_up=True).export(file_type="stl"))
    data[:80] = STL_HEADER.ljust(80, b" ")
    write_bytes(dest, bytes(data))
    return [dest]


def write_ply(scene: Scene, dest: Path) -> list[Path]:
    write_bytes(dest, _one_mesh(scene, scene.unit).export(file_type="ply"))
    return [dest]


def write_3mf(scene: Scene, dest: Path) -> list[Path]:
    write_bytes(dest, _one_mesh(scene, scene.unit * 1000, z_up=True).export(file_type="3mf"))
    return [dest]


def write_usdz(scene: Scene, dest: Path) -> list[Path]:
    """USD with UsdPreviewSurface materials (what AR Quick Look reads), packaged by USD's own
    ARKit packager; +Y up, in the scene's unit (which the stage states)."""
    from pxr import Usd, UsdGeom, UsdShade, UsdUtils

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        stage = Usd.Stage.CreateNew(str(folder / f"{_usd_name(dest.stem)}.usdc"))
        UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
        UsdGeom.SetStageMetersPerUnit(stage, scene.unit)
        root = UsdGeom.Xform.Define(stage, "/Model")
        stage.SetDefaultPrim(root.GetPrim())
        materials: dict[tuple[int, bool], object] = {}
        for i, primitive in enumerate(scene.primitives):
            mesh = _usd_mesh(stage, f"/Model/Mesh_{i}", primitive.arrays)
            key = (primitive.material, primitive.arrays.colors is not None)
            if key not in materials:
                materials[key] = _usd_material(
                    stage, folder, scene, scene.material(primitive), len(materials), key[1]
                )
            UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim()).Bind(materials[key])
        stage.GetRootLayer().Save()
        package = folder / "package.usdz"
        if not UsdUtils.CreateNewARKitUsdzPackage(stage.GetRootLayer().identifier, str(package)):
            raise InputError("USD could not package the model as USDZ")
        with atomic_path(dest) as out:
            out.write_bytes(package.read_bytes())
    return [dest]


def _usd_name(text: str) -> str:
    name = "".join(c if c.isalnum() else "_" for c in text) or "model"
    return name if not name[0].isdigit() else "_" + name


def _usd_mesh(stage, path: str, arrays):
    from pxr import Sdf, UsdGeom, Vt

    mesh = UsdGeom.Mesh.Define(stage, path)
    mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(arrays.positions.astype(np.float32)))
    mesh.CreateFaceVertexCountsAttr(
        Vt.IntArray.FromNumpy(np.full(len(arrays.indices), 3, np.int32))
    )
    mesh.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(arrays.indices.ravel().astype(np.int32)))
    mesh.CreateExtentAttr(Vt.Vec3fArray.FromNumpy(arrays.bounds.astype(np.float32)))
    normals = arrays.smooth_normals() if arrays.normals is None else arrays.normals
    mesh.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(normals.astype(np.float32)))
    mesh.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
    primvars = UsdGeom.PrimvarsAPI(mesh)
    if arrays.uvs is not None:
        st = arrays.uvs.astype(np.float32).copy()
        st[:, 1] = 1.0 - st[:, 1]  # USD's st has its origin at the bottom-left
        primvars.CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.vertex).Set(
            Vt.Vec2fArray.FromNumpy(st)
        )
    if arrays.colors is not None:
        linear = np.power(arrays.colors[:, :3].astype(np.float32), 2.2)  # displayColor is linear
        primvars.CreatePrimvar(
            "displayColor", Sdf.ValueTypeNames.Color3fArray, UsdGeom.Tokens.vertex
        ).Set(Vt.Vec3fArray.FromNumpy(np.ascontiguousarray(linear)))
    return mesh


def _usd_material(
    stage, folder: Path, scene: Scene, material: Material, index: int, vertex_colours: bool
):
    from pxr import Gf, Sdf, UsdShade

    path = f"/Model/Materials/Material_{index}"
    usd_material = UsdShade.Material.Define(stage, path)
    surface = UsdShade.Shader.Define(stage, f"{path}/Surface")
    surface.CreateIdAttr("UsdPreviewSurface")
    usd_material.CreateSurfaceOutput().ConnectToSource(surface.ConnectableAPI(), "surface")
    inputs = {
        "metallic": (Sdf.ValueTypeNames.Float, material.metallic),
        "roughness": (Sdf.ValueTypeNames.Float, material.roughness),
        "opacity": (Sdf.ValueTypeNames.Float, material.base_color[3]),
        "diffuseColor": (Sdf.ValueTypeNames.Color3f, Gf.Vec3f(*material.base_color[:3])),
        "emissiveColor": (
            Sdf.ValueTypeNames.Color3f,
            Gf.Vec3f(*(c * material.emissive_strength for c in material.emissive)),
        ),
    }
    for name, (kind, value) in inputs.items():
        surface.CreateInput(name, kind).Set(value)
    if material.alpha_mode == "MASK":
        surface.CreateInput("opacityThreshold", Sdf.ValueTypeNames.Float).Set(material.alpha_cutoff)
    reader = UsdShade.Shader.Define(stage, f"{path}/UV")
    reader.CreateIdAttr("UsdPrimvarReader_float2")
    reader.CreateInput("varname", Sdf.ValueTypeNames.Token).Set("st")

    def texture(slot: TextureSlot, name: str, srgb: bool):
        from PIL import Image

        file = f"{path.rsplit('/', 1)[1]}_{name}.png"
        Image.fromarray(scene.textures[slot.texture].image).save(folder / file)
        shader = UsdShade.Shader.Define(stage, f"{path}/{name}")
        shader.CreateIdAttr("UsdUVTexture")
        shader.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(file)
        shader.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(
            reader.ConnectableAPI(), "result"
        )
        shader.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set(
            "sRGB" if srgb else "raw"
        )
        for wrap in ("wrapS", "wrapT"):
            shader.CreateInput(wrap, Sdf.ValueTypeNames.Token).Set("repeat")
        return shader

    def connect(target: str, kind, shader, output: str, output_kind) -> None:
        surface.CreateInput(target, kind).ConnectToSource(shader.CreateOutput(output, output_kind))

    colour, float3, scalar = (
        Sdf.ValueTypeNames.Color3f,
        Sdf.ValueTypeNames.Float3,
        Sdf.ValueTypeNames.Float,
    )
    if material.base_color_texture is not None:
        shader = texture(material.base_color_texture, "base_color", srgb=True)
        shader.CreateInput("scale", Sdf.ValueTypeNames.Float4).Set(Gf.Vec4f(*material.base_color))
        connect("diffuseColor", colour, shader, "rgb", float3)
    elif vertex_colours:  # the mesh's displayColor (AR Quick Look has no vertex colours: bake)
        shader = UsdShade.Shader.Define(stage, f"{path}/VertexColour")
        shader.CreateIdAttr("UsdPrimvarReader_float3")
        shader.CreateInput("varname", Sdf.ValueTypeNames.Token).Set("displayColor")
        connect("diffuseColor", colour, shader, "result", float3)
    if material.metallic_roughness_texture is not None:
        shader = texture(material.metallic_roughness_texture, "metallic_roughness", srgb=False)
        connect("metallic", scalar, shader, "b", scalar)
        connect("roughness", scalar, shader, "g", scalar)
    if material.normal_texture is not None:
        shader = texture(material.normal_texture, "normal", srgb=False)
        shader.CreateInput("scale", Sdf.ValueTypeNames.Float4).Set(Gf.Vec4f(2, 2, 2, 1))
        shader.CreateInput("bias", Sdf.ValueTypeNames.Float4).Set(Gf.Vec4f(-1, -1, -1, 0))
        connect("normal", Sdf.ValueTypeNames.Normal3f, shader, "rgb", float3)
    if material.occlusion_texture is not None:
        shader = texture(material.occlusion_texture, "occlusion", srgb=False)
        connect("occlusion", scalar, shader, "r", scalar)
    if material.emissive_texture is not None:
        shader = texture(material.emissive_texture, "emissive", srgb=True)
        connect("emissiveColor", colour, shader, "rgb", float3)
    return usd_material

"""The models behind a scene's placements, and the scene as one file.

Each model is read once however often it is placed (``read_models``); a model that cannot
be had (an entry deleted from the library, a file moved or broken) is a ``Model`` with a
``missing`` message, never an exception: the scene shows and exports what it has.

GLB and glTF keep the scene as it is: a node per placement, named after it, with its
transform, each model's meshes, materials and textures stored once and used by every
placement of it. The other formats (OBJ, USDZ, PLY, STL, 3MF...) hold one merged model:
the placements flattened into place (STL and 3MF in millimetres, Z up, as writers.py does).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aiml3d_desktop.core.common.errors import Aiml3DError, InputError
from aiml3d_desktop.core.common.fileio import write_bytes
from aiml3d_desktop.core.composition import arrange
from aiml3d_desktop.core.composition.document import Placement, SceneDoc, Source
from aiml3d_desktop.core.look.lighting import Lighting
from aiml3d_desktop.core.meshes import formats, mesh
from aiml3d_desktop.core.meshes.mesh_arrays import MeshArrays
from aiml3d_desktop.core.meshes.scene import (
    Instance,
    Material,
    Primitive,
    Scene,
    to_trimesh,
    unique_name,
)
from aiml3d_desktop.core.meshes.writers import in_metres, write_gltf_of

if TYPE_CHECKING:
    import trimesh

    from aiml3d_desktop.core.library.store import Library


@dataclass
class Model:
    """One model of the scene, as read (in metres), or why it is missing."""

    source: Source
    scene: Scene | None = None
    path: Path | None = None
    missing: str = ""

    @property
    def box(self) -> np.ndarray:
        """(2, 3): its own box, as read."""
        assert self.scene is not None
        return self.scene.bounds

    @functools.cached_property
    def outline(self) -> np.ndarray:
        """(N, 3): the corners of its convex hull, whose extremes are the model's however
        it is turned (the corners of its box are not: a turned ball would float)."""
        from scipy.spatial import ConvexHull

        assert self.scene is not None
        points = np.unique(
            np.concatenate([p.arrays.positions for p in self.scene.primitives]), axis=0
        ).astype(np.float64)
        if len(points) <= 64:
            return points
        hull = ConvexHull(points, qhull_options="QJ")  # QJ: a flat model has a hull too
        return points[hull.vertices]

    @property
    def triangles(self) -> int:
        return 0 if self.scene is None else self.scene.triangles


Models = dict[str, Model]  # by Source.key
MAX_MERGED = 30_000_000  # triangles in a merged export (a copy per placement: gigabytes)


def source_path(source: Source, base: Path, library: Library | None) -> Path:
    """The mesh file a source stands for (InputError when it cannot be found)."""
    if source.file is not None:
        path = Path(source.file).expanduser()
        return path if path.is_absolute() else base / path
    if library is None:
        raise InputError("The scene uses models from the library, which is not open")
    assert source.entry is not None
    entry = library.get(source.entry)
    if entry.id != source.entry:  # a start of an id is for people typing, not for files
        raise InputError(f"No library entry {source.entry!r}")
    if source.version is None:
        return entry.mesh_path
    try:
        return entry.version(source.version).mesh_path
    except KeyError:
        raise InputError(f"{entry.title} has no version {source.version!r}") from None


def read_models(
    doc: SceneDoc,
    base: Path,
    library: Library | None = None,
    read: Callable[[Path], Scene] | None = None,
) -> Models:
    """Every distinct model of ``doc`` read once; ``base``: the folder relative file paths
    start from (scene.json's)."""
    models: Models = {}
    for placement in doc.placements:
        key = placement.source.key
        if key not in models:
            models[key] = read_model(placement.source, base, library, read)
    return models


def read_model(
    source: Source,
    base: Path,
    library: Library | None = None,
    read: Callable[[Path], Scene] | None = None,
) -> Model:
    """One model of a scene (see read_models)."""
    model = Model(source)
    if source.stand_in is not None:
        model.scene = stand_in_box(source.stand_in.size)
        return model
    read = read or (lambda path: in_metres(mesh.load(path).scene))
    try:
        model.path = source_path(source, base, library)
        model.scene = read(model.path)
    except Aiml3DError as exc:
        model.missing = str(exc)
    return model


# A stand-in is a pale see-through box: plainly not the model, and what is behind it shows.
STAND_IN_LOOK = Material(
    "stand-in", base_color=(0.62, 0.68, 0.78, 0.45), metallic=0.0, roughness=0.9,
    alpha_mode="BLEND", double_sided=True,
)  # fmt: skip


def stand_in_box(size: tuple[float, float, float]) -> Scene:
    """A stand-in's box: ``size`` along X, Y, Z, standing on y = 0, centred on the Y axis,
    each face flat (its own corners, so that its normals are the face's)."""
    w, h, d = (v / 2 for v in size)
    corners = np.array(
        [[x, y, z] for x in (-w, w) for y in (0.0, 2 * h) for z in (-d, d)], dtype=np.float32
    )
    # Two triangles per face, wound outwards (corner index = 4x + 2y + z).
    faces = [(0, 1, 3), (0, 3, 2), (4, 6, 7), (4, 7, 5), (0, 4, 5), (0, 5, 1),
             (2, 3, 7), (2, 7, 6), (0, 2, 6), (0, 6, 4), (1, 5, 7), (1, 7, 3)]  # fmt: skip
    arrays = MeshArrays(corners, np.array(faces, dtype=np.uint32)).faceted()
    return Scene([Primitive(arrays, 0, "stand-in")], materials=[STAND_IN_LOOK])


def outside(doc: SceneDoc, base: Path) -> list[str]:
    """The files the scene uses that are not in ``base`` (scene.json's folder) or under it:
    worth a word before they go into a file someone may share."""
    files = {p.source.file for p in doc.placements if p.source.file is not None}
    if doc.light.file is not None:
        files.add(doc.light.file)
    base = base.resolve()
    return sorted(
        f for f in files if not (base / Path(f).expanduser()).resolve().is_relative_to(base)
    )


def placed(doc: SceneDoc, models: Models) -> list[tuple[Placement, Model]]:
    """The placements shown, with their models, leaving out the missing ones."""
    pairs = [(p, models.get(p.source.key)) for p in doc.placements if doc.shown(p)]
    return [(p, m) for p, m in pairs if m is not None and m.scene is not None]


def drawable(doc: SceneDoc, models: Models, like: Scene | None = None) -> Scene:
    """The shown placements as one scene to draw: each model's primitives, materials and
    textures once, and an instance per placement (its matrix, its model's primitives), so
    that a renderer uploads a model once however often it is placed.

    When ``like`` (the scene drawn before an edit) holds the same models in the same order,
    its primitives, materials and textures are used again: a move, a turn, a copy changes
    only the instances, and the renderer uploads nothing (Scene.same_meshes)."""
    shown = placed(doc, models)
    if like is not None and like.instances is not None and _same_models(like, shown):
        return _instanced_like(like, shown)
    out = Scene([], instances=[])
    assert out.instances is not None
    own: dict[str, tuple[int, ...]] = {}  # a model's primitives in ``out``
    for placement, model in shown:
        assert model.scene is not None
        key = placement.source.key
        if key not in own:
            first = len(out.materials)
            out.materials.extend(_shifted(m, len(out.textures)) for m in model.scene.materials)
            out.textures.extend(model.scene.textures)
            start = len(out.primitives)
            for primitive in model.scene.primitives:
                material = -1 if primitive.material < 0 else primitive.material + first
                out.primitives.append(Primitive(primitive.arrays, material, primitive.node))
            own[key] = tuple(range(start, len(out.primitives)))
        out.instances.append(Instance(arrange.matrix(placement), own[key], placement.name))
    if not out.instances:
        raise _nothing_shown()
    out.nodes = len(out.instances)
    return out


def _model_order(shown: list[tuple[Placement, Model]]) -> list[Model]:
    """The models in the order drawable() lays out their primitives."""
    order: dict[str, Model] = {}
    for placement, model in shown:
        order.setdefault(placement.source.key, model)
    return list(order.values())


def _same_models(like: Scene, shown: list[tuple[Placement, Model]]) -> bool:
    arrays = [p.arrays for m in _model_order(shown) for p in m.scene.primitives]  # type: ignore[union-attr]
    return len(arrays) == len(like.primitives) and all(
        a is p.arrays for a, p in zip(arrays, like.primitives, strict=True)
    )


def _instanced_like(like: Scene, shown: list[tuple[Placement, Model]]) -> Scene:
    own, start = {}, 0
    for model in _model_order(shown):
        count = len(model.scene.primitives)  # type: ignore[union-attr]
        own[model.source.key] = tuple(range(start, start + count))
        start += count
    instances = [Instance(arrange.matrix(p), own[p.source.key], p.name) for p, _ in shown]
    return replace(like, instances=instances, nodes=len(instances))


def flattened(doc: SceneDoc, models: Models) -> Scene:
    """The shown placements as one scene, each moved into place (for the formats without
    nodes); each model's materials and textures once, however often it is placed."""
    scene = drawable(doc, models)
    if scene.triangles > MAX_MERGED:
        raise InputError(
            f"Merged into one model the scene would have {scene.triangles:,} triangles, more "
            f"than the {MAX_MERGED:,} this app writes as one",
            hint="Export it as GLB or glTF: each model is stored once there.",
        )
    return scene.flattened()


def _shifted(material: Material, by: int) -> Material:
    """A copy whose texture slots count ``by`` more textures before its own."""
    slots: dict[str, Any] = {
        f"{name}_texture": replace(slot, texture=slot.texture + by)
        for name, slot in material.slots().items()
    }
    return replace(material, **slots)


def instanced(doc: SceneDoc, models: Models) -> trimesh.Scene:
    """A trimesh scene with a node per placement, named after it and holding its transform;
    a model of one part is that node's mesh, a model of several parts hangs them from it as
    children (one node to move per placement). The meshes of a model are added once and
    used by all its placements; a model with no placement shown is left out."""
    import trimesh

    shown = placed(doc, models)
    if not shown:
        raise _nothing_shown()
    out = trimesh.Scene()
    parts: dict[str, list[tuple[str, str, np.ndarray]]] = {}  # (node, geometry, transform)
    for placement, model in shown:
        key = placement.source.key
        if key in parts:
            continue
        assert model.scene is not None
        source = to_trimesh(model.scene)
        parts[key] = []
        for node in source.graph.nodes_geometry:
            transform, geometry = source.graph[node]
            name = f"model {len(parts)} {geometry}"
            out.geometry[name] = source.geometry[geometry]
            parts[key].append((str(node), name, transform))
    taken: set[str] = {str(out.graph.base_frame)}  # "world": a node so named would be the root
    for placement, _ in shown:
        node = unique_name(placement.name, taken)
        own = parts[placement.source.key]
        if len(own) == 1:
            _, geometry, transform = own[0]
            matrix = arrange.matrix(placement) @ transform
            out.graph.update(
                frame_from=out.graph.base_frame, frame_to=node, matrix=matrix, geometry=geometry
            )
            continue
        out.graph.update(
            frame_from=out.graph.base_frame, frame_to=node, matrix=arrange.matrix(placement)
        )
        for part, geometry, transform in own:
            child = unique_name(f"{node} · {part}", taken)
            out.graph.update(frame_from=node, frame_to=child, matrix=transform, geometry=geometry)
    return out


def write(doc: SceneDoc, models: Models, dest: str | Path) -> list[Path]:
    """The scene as ``dest``'s format (see the module's docstring); the files written."""
    dest = Path(dest)
    fmt = formats.for_writing(dest)
    if fmt not in (formats.GLB, formats.GLTF):
        return formats.write(flattened(doc, models), dest)
    scene = instanced(doc, models)
    try:
        if fmt is formats.GLTF:
            return write_gltf_of(scene, dest)
        write_bytes(dest, scene.export(file_type="glb"))
    except OSError as exc:
        raise InputError(f"Could not write {dest}: {exc.strerror or exc}") from None
    return [dest]


def lighting(doc: SceneDoc, base: Path) -> Lighting:
    """The scene's lighting and background as the viewer and ``aiml3d render`` light with
    (``base``: scene.json's folder, where a relative environment file starts)."""
    light = doc.light
    file = None if light.file is None else base / Path(light.file).expanduser()
    return Lighting(
        preset=light.preset, file=file, rotation=light.rotation, exposure=light.exposure,
        background=doc.background.kind, sun=light.sun,
        sun_direction=(light.sun_azimuth, light.sun_elevation),
    )  # fmt: skip


def with_lighting(doc: SceneDoc, lit: Lighting, base: Path | None) -> SceneDoc:
    """``doc`` lit as ``lit`` says (the window's lighting menu); its sun's direction and
    shadow, which the menu does not set, kept. An environment file under ``base`` is kept
    relative to it, so that the folder can move."""
    file = None
    if lit.file is not None:
        file = str(lit.file)
        if base is not None and lit.file.resolve().is_relative_to(base.resolve()):
            file = str(lit.file.resolve().relative_to(base.resolve()))
    light = replace(
        doc.light,
        preset=lit.preset,
        file=file,
        rotation=float(lit.rotation),
        exposure=float(lit.exposure),
        sun=lit.sun,
    )
    return replace(doc, light=light, background=replace(doc.background, kind=lit.background))


def summary(doc: SceneDoc, models: Models) -> dict:
    """What ``aiml3d scene show --json`` prints: each placement with its box in the scene
    and its triangles, the scene's box and its triangles (placements shown)."""
    rows, boxes, triangles = [], [], 0
    for placement in doc.placements:
        model = models.get(placement.source.key)
        row = {**placement.as_json(), "shown": doc.shown(placement)}
        if model is None or model.scene is None:
            row["missing"] = model.missing if model else "not read"
        else:
            box = arrange.world_box(placement, model.box)
            row["bounds"] = np.round(box, 6).tolist()
            row["triangles"] = model.triangles
            if doc.shown(placement):
                boxes.append(box)
                triangles += model.triangles
        rows.append(row)
    bounds = None
    if boxes:
        stacked = np.array(boxes)
        bounds = np.round([stacked[:, 0].min(axis=0), stacked[:, 1].max(axis=0)], 6).tolist()
    return {
        "name": doc.name,
        "placements": rows,
        "models": sum(1 for m in models.values() if m.scene is not None),
        "missing": sum(1 for m in models.values() if m.scene is None),
        "triangles": triangles,
        "bounds": bounds,
    }


def _nothing_shown() -> InputError:
    return InputError("The scene has no model to show", hint="Add a model, or show one.")

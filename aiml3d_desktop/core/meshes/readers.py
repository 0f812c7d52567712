"""A mesh file read into a ``Scene``: glTF and GLB with numpy (``gltf.py``), everything else
(and what ``gltf.py`` leaves: compressed or sparse glTF) through trimesh. Each reader is named
by its format's record in ``formats.py``; ``mesh.load`` runs it between its checks.

The scene is in the file's unit (``Scene.unit``) with +Y up: a format written +Z up
(printers' STL and 3MF) is turned as it is read.

trimesh is imported where it is used: it takes over half a second to import, and the app's
window should not wait for it (loading runs on a worker thread).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from aiml3d_desktop.core.common.errors import MeshLoadError
from aiml3d_desktop.core.meshes import gltf, meshcheck
from aiml3d_desktop.core.meshes import scene as scene_module
from aiml3d_desktop.core.meshes.scene import Scene

# What a 3MF's model may say its unit is (the 3MF core specification), in metres.
_3MF_UNITS = {
    "micron": 1e-6,
    "millimeter": 1e-3,
    "centimeter": 1e-2,
    "inch": 0.0254,
    "foot": 0.3048,
    "meter": 1.0,
}
# Printers' formats stand on the XY plane, +Z up; the scene (and glTF) is +Y up.
Z_UP_TO_Y_UP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]], dtype=float)


class Format(Protocol):
    """What a reader is told of the format it reads (``formats.MeshFormat`` has it)."""

    @property
    def key(self) -> str: ...
    @property
    def unit(self) -> float: ...
    @property
    def up(self) -> str: ...


def read_gltf(path: Path, fmt: Format, name: str) -> Scene:
    """GLB and glTF with numpy; a file it cannot read that way (compressed or sparse) with
    trimesh."""
    scene = gltf.read(path, fmt.key)
    return read_with_trimesh(path, fmt, name) if scene is None else scene


def _unit(fmt: Format, loaded) -> float:
    """The unit the file says (a 3MF's model does), else its format's."""
    if fmt.key == "3mf":
        units = getattr(loaded, "units", None) or loaded.metadata.get("units") or "millimeter"
        return _3MF_UNITS.get(str(units).rstrip("s"), fmt.unit)
    return fmt.unit


def read_with_trimesh(path: Path, fmt: Format, name: str) -> Scene:
    """trimesh's reading, with its failures turned into messages that say what is wrong.

    Read unprocessed first: processing silently drops faces with NaN corners, and a file
    holding those is damaged, not smaller."""
    import trimesh

    file_type = fmt.key
    try:
        with meshcheck.pictures_refused_past_bomb_size():
            loaded = trimesh.load(str(path), file_type=file_type, process=False)
            geometries = loaded.geometry.values() if isinstance(loaded, trimesh.Scene) else [loaded]
            for geometry in geometries:
                if isinstance(geometry, trimesh.Trimesh):
                    meshcheck.after_reading(geometry.vertices, geometry.faces, name)
                    geometry.process()
            scene = scene_module.from_trimesh(loaded)  # textures are decoded here
            scene.unit = _unit(fmt, loaded)
            if fmt.up == "z":
                scene = scene_module.transformed(scene, Z_UP_TO_Y_UP)
            if not scene.primitives:
                raise MeshLoadError(
                    f"{name} contains no triangles", hint="Open a file with a surface mesh."
                )
            return scene
    except MeshLoadError as exc:
        if "no triangles" in exc.message and file_type == "ply":
            vertices, faces = meshcheck.ply_counts(path)
            if faces:
                raise meshcheck.damaged(
                    name,
                    f"its header promises "
                    f"{meshcheck.plural(vertices, 'vertex')} and "
                    f"{meshcheck.plural(faces, 'face')}, which could not "
                    "be read",
                ) from None
        raise
    except MemoryError:
        raise
    except Exception as exc:  # trimesh raises anything at a broken file
        raise MeshLoadError(
            f"{name} could not be read as {file_type.upper()}: {meshcheck.reason(exc)}",
            hint="The file may be damaged or incomplete: " + meshcheck.DAMAGED_HINT.lower(),
        ) from None

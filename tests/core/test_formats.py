"""The one list of mesh file formats (core/meshes/formats.py): what it says is what reads and
writes, a format added to it is offered everywhere, and a save dialog's answer gets the
extension of the filter chosen."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh

from aiml3d_desktop import cli
from aiml3d_desktop.core.assets.recipe import Recipe
from aiml3d_desktop.core.common.errors import InputError, MeshLoadError
from aiml3d_desktop.core.meshes import formats, mesh
from aiml3d_desktop.core.meshes.scene import Scene, from_trimesh

SIZE = (0.1, 0.3, 0.2)  # metres: tallest along +Y, the scene's up


@pytest.fixture
def box(tmp_path) -> mesh.LoadedMesh:
    source = tmp_path / "box.glb"
    source.write_bytes(trimesh.creation.box(extents=SIZE).export(file_type="glb"))
    return mesh.load(source)


# (a) What the registry says is what reads and writes


@pytest.mark.parametrize("fmt", formats.writable(), ids=lambda f: f.key)
def test_every_format_written_reads_back_in_its_unit_and_up_axis(tmp_path, box, fmt):
    out = formats.write(box.scene, tmp_path / "out" / f"box{fmt.extensions[0]}")[-1]
    assert out.name == f"box{fmt.extensions[0]}" and out.stat().st_size > 0
    if fmt.key == "usdz":  # trimesh reads no USD: a zip holding the stage (pxr: test_assets)
        assert out.read_bytes()[:2] == b"PK"
        return
    raw = trimesh.load(out, force="mesh")  # as other software sees the file
    up = {"y": 1, "z": 2}[fmt.up]
    assert raw.extents[up] == pytest.approx(SIZE[1] / fmt.unit, rel=1e-4)
    assert sorted(raw.extents) == pytest.approx(sorted(np.array(SIZE) / fmt.unit), rel=1e-4)
    if fmt.read is not None:
        again = mesh.load(out)
        assert again.stats.triangles == 12 and again.stats.watertight
        metres = np.ptp(again.scene.bounds, axis=0) * again.scene.unit
        assert metres == pytest.approx(SIZE, rel=1e-4)  # +Y up again, in its unit


@pytest.mark.parametrize("fmt", formats.readable(), ids=lambda f: f.key)
def test_every_format_read_is_read(tmp_path, fmt):
    """Each from a file other software (trimesh) wrote."""
    path = tmp_path / f"box{fmt.extensions[0]}"
    data = trimesh.creation.box(extents=SIZE).export(file_type=fmt.key)
    if isinstance(data, dict):  # glTF: the .gltf and its buffer
        for name, blob in data.items():
            (tmp_path / name).write_bytes(blob)
        path = tmp_path / "model.gltf"
    else:
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    assert mesh.file_type_of(path) == fmt.key
    assert mesh.load(path).stats.triangles == 12


def test_what_is_neither_read_nor_written_says_what_is(tmp_path):
    with pytest.raises(MeshLoadError, match=r"Open a GLB, glTF, OBJ, STL, PLY, OFF or 3MF file"):
        mesh.file_type_of(tmp_path / "model.usdz")  # written, never read
    with pytest.raises(InputError, match=r"Cannot write \.off.*\.usdz"):
        formats.for_writing(tmp_path / "model.off")  # read, never written
    assert formats.by_extension("MODEL.GLB") is formats.GLB
    assert formats.by_extension(".stl") is formats.by_extension("stl") is formats.STL
    assert formats.by_extension(Path("a/b.tar.3mf")) is formats.THREE_MF
    assert formats.by_extension("model.fbx") is None and formats.by_extension("model") is None


# (b) A format added in one place


def _write_xyz(scene: Scene, dest: Path) -> list[Path]:
    arrays = scene.merged
    points = "\n".join(" ".join(f"{v:.6f}" for v in p) for p in arrays.positions)
    faces = "\n".join(" ".join(str(i) for i in f) for f in arrays.indices)
    dest.write_text(f"{points}\n\n{faces}\n")
    return [dest]


def _read_xyz(path: Path, fmt, name: str) -> Scene:
    points, faces = path.read_text().split("\n\n")
    vertices = np.loadtxt(points.splitlines(), ndmin=2)
    triangles = np.loadtxt(faces.splitlines(), dtype=np.int64, ndmin=2)
    return from_trimesh(trimesh.Trimesh(vertices, triangles, process=False))


XYZ = formats.MeshFormat((".xyz",), "XYZ point list", "XYZ points", _read_xyz, _write_xyz)


@pytest.fixture
def with_xyz(monkeypatch):
    monkeypatch.setattr(formats, "FORMATS", (*formats.FORMATS, XYZ))


def test_a_format_added_to_the_list_is_offered_and_written_everywhere(
    with_xyz, tmp_path, box, capsys
):
    assert formats.by_extension("points.XYZ") is XYZ
    save = formats.dialog_filter("save").split(";;")
    assert save[-1] == "XYZ points (*.xyz)" and len(save) == len(formats.writable())
    assert "*.xyz" in formats.dialog_filter("open")
    assert formats.extension_for_filter(save[-1], "points") == "points.xyz"
    parser = cli.build_parser()
    assert parser.parse_args(["library", "list", "--format", "xyz"]).fmt == "xyz"
    assert Recipe(formats=("glb", "xyz")).validated().formats == ("glb", "xyz")

    # `aiml3d convert`, then `aiml3d info`, in this process (the subprocess would not see it)
    out = tmp_path / "box.xyz"
    assert cli.main(["convert", str(box.path), str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out}\n"
    assert cli.main(["info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "xyz" and info["triangles"] == 12
    assert np.allclose(info["size"], SIZE, atol=1e-5)


def test_a_format_only_read_is_not_offered_for_saving(monkeypatch):
    read_only = formats.MeshFormat((".xyz",), "XYZ point list", "XYZ points", read=_read_xyz)
    monkeypatch.setattr(formats, "FORMATS", (*formats.FORMATS, read_only))
    assert "*.xyz" not in formats.dialog_filter("save")
    assert "*.xyz" in formats.dialog_filter("open")
    with pytest.raises(InputError, match=r"Cannot write \.xyz"):
        formats.for_writing("points.xyz")


# (c) A save dialog's answer, with the filter chosen


@pytest.mark.parametrize("fmt", formats.writable(), ids=lambda f: f.key)
def test_the_filter_chosen_gives_the_extension(fmt):
    (chosen,) = [f for f in formats.dialog_filter("save").split(";;") if f.startswith(fmt.label)]
    assert chosen == fmt.filter
    assert formats.extension_for_filter(chosen, "Duck") == "Duck" + fmt.extensions[0]
    # A dot in a title is not an extension; one a format has is kept as it was typed.
    assert (
        formats.extension_for_filter(chosen, "/tmp/Duck v1.2")
        == "/tmp/Duck v1.2" + (fmt.extensions[0])
    )
    assert formats.extension_for_filter(chosen, "/tmp/duck.PLY") == "/tmp/duck.PLY"


@pytest.mark.parametrize(
    ("chosen", "name", "expected"),
    [
        ("glTF (+ .bin and textures) (*.gltf)", "model", "model.gltf"),  # ".bin" is no pattern
        ("STL (millimetres) (*.stl)", "part", "part.stl"),
        ("3D models (*.glb *.gltf *.obj)", "model", "model.glb"),  # the first of several
        ("Meshes (*.OBJ)", "model", "model.obj"),
        ("", "model", "model.glb"),  # no filter reported (some platforms): the first format
        ("All files (*)", "model", "model.glb"),
    ],
)
def test_filter_strings_as_dialogs_give_them(chosen, name, expected):
    assert formats.extension_for_filter(chosen, name) == expected

"""Mesh files to GPU-ready arrays, statistics and export, on files made here and real ones."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from aiml3d_desktop.core.common.errors import InputError, MeshLoadError
from aiml3d_desktop.core.meshes import formats, mesh, mesh_arrays
from tests.conftest import corpus_file
from tests.fake_api import make_mesh


def scene_of(tm: trimesh.Trimesh):
    from aiml3d_desktop.core.meshes import scene

    return scene.from_trimesh(tm)


def textured_box() -> trimesh.Trimesh:
    box = trimesh.creation.box()
    uv = (box.vertices[:, :2] + 0.5).clip(0, 1)
    texture = Image.new("RGB", (8, 8), (0, 0, 255))
    texture.paste((255, 0, 0), (0, 0, 8, 4))  # top half red, bottom half blue
    box.visual = trimesh.visual.TextureVisuals(uv=uv, image=texture)
    return box


def check_arrays(arrays: mesh_arrays.MeshArrays, vertices: int, triangles: int) -> None:
    assert arrays.positions.dtype == np.float32 and arrays.positions.shape == (vertices, 3)
    assert arrays.indices.dtype == np.uint32 and arrays.indices.shape == (triangles, 3)
    normals = arrays.smooth_normals()
    assert normals.dtype == np.float32 and normals.shape == (vertices, 3)
    assert np.allclose(np.linalg.norm(normals, axis=1), 1, atol=1e-5)
    assert arrays.positions.flags.c_contiguous and arrays.indices.flags.c_contiguous
    assert arrays.indices.max() < vertices


@pytest.mark.parametrize("fmt", ["glb", "ply", "stl", "off", "3mf", "obj"])
def test_every_promised_format_loads(tmp_path, fmt):
    sphere = make_mesh(2)
    path = tmp_path / f"sphere.{fmt}"
    data = sphere.export(file_type=fmt)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    loaded = mesh.load(path)
    drawn = 3 * len(sphere.faces) if fmt == "stl" else len(sphere.vertices)  # STL: faceted
    check_arrays(loaded.arrays, drawn, len(sphere.faces))
    assert loaded.stats.vertices == len(sphere.vertices)
    assert loaded.stats.triangles == 320 and loaded.stats.watertight and loaded.stats.parts == 1
    assert np.allclose(loaded.stats.size, sphere.extents, atol=1e-5)
    assert loaded.stats.file_size == path.stat().st_size


def test_vertex_colours_reach_the_arrays(tmp_path):
    sphere = make_mesh(2)
    path = tmp_path / "c.glb"
    path.write_bytes(sphere.export(file_type="glb"))
    arrays = mesh.load(path).arrays
    assert arrays.colors.shape == (len(sphere.vertices), 4) and arrays.colors.dtype == np.float32
    # Colour follows position (see make_mesh): match them up whatever order the file kept.
    expected = (arrays.positions + 1) / 2
    assert np.allclose(arrays.colors[:, :3], expected, atol=1 / 255 + 1e-3)
    assert arrays.uvs is None and mesh.load(path).scene.textures == []


def test_normals_point_outwards_and_are_vectorised():
    sphere = trimesh.creation.icosphere(subdivisions=3)
    normals = mesh_arrays.vertex_normals(
        sphere.vertices.astype(np.float32), sphere.faces.astype(np.uint32)
    )
    radial = sphere.vertices / np.linalg.norm(sphere.vertices, axis=1)[:, None]
    assert (np.einsum("ij,ij->i", normals, radial) > 0.999).all()


def test_unused_vertex_gets_a_unit_normal():
    positions = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [5, 5, 5]], np.float32)
    normals = mesh_arrays.vertex_normals(positions, np.array([[0, 1, 2]], np.uint32))
    assert np.allclose(normals[:3], [0, 0, 1]) and np.allclose(np.linalg.norm(normals[3]), 1)


def test_lighter_copy_for_thumbnails_keeps_shape_and_colours():
    sphere = make_mesh(6)  # 81,920 triangles
    arrays = scene_of(sphere).merged
    (light,) = (p.arrays for p in mesh.lighter(scene_of(sphere), cells=32, above=1000).primitives)
    assert 1000 < len(light.indices) < len(arrays.indices) / 8
    check_arrays(light, len(light.positions), len(light.indices))
    # The same ball: every merged vertex within one grid cell of the surface, same bounds.
    cell = 2 / 32
    assert np.abs(np.linalg.norm(light.positions, axis=1) - 1).max() < cell
    assert np.allclose(light.bounds, arrays.bounds, atol=cell)
    # Colours are the originals' (each vertex is coloured by its position, see make_mesh).
    expected = (light.positions + 1) / 2
    assert np.abs(light.colors[:, :3] - expected).max() < cell
    # Smooth normals point outwards.
    assert (np.einsum("ij,ij->i", light.normals, light.positions) > 0.9).all()
    # A mesh under the limit comes back as it is, with its normals.
    small = scene_of(make_mesh(2))
    assert mesh.lighter(small, cells=32, above=1000) is small and small.has_normals


def test_lighter_copy_keeps_uvs_and_materials():
    scene = scene_of(textured_box().subdivide().subdivide())
    lighter = mesh.lighter(scene, cells=2, above=10)
    box, light = scene.primitives[0].arrays, lighter.primitives[0].arrays
    assert len(light.indices) < len(box.indices)
    assert lighter.textures is scene.textures and lighter.materials is scene.materials
    assert light.uvs.shape == (len(light.positions), 2)
    assert set(map(tuple, light.uvs)) <= set(map(tuple, box.uvs))


def test_textured_glb_keeps_uvs_and_texture(tmp_path):
    path = tmp_path / "box.glb"
    path.write_bytes(textured_box().export(file_type="glb"))
    scene = mesh.load(path).scene
    arrays, (texture,) = scene.primitives[0].arrays, scene.textures
    assert texture.image.shape == (8, 8, 4) and texture.image.dtype == np.uint8
    assert arrays.uvs.shape == (len(arrays.positions), 2)
    # As glTF has them: the first row is the picture's top (red), and v = 0 samples it.
    assert tuple(texture.image[0, 0, :3]) == (255, 0, 0)
    assert tuple(texture.image[-1, 0, :3]) == (0, 0, 255)
    top = arrays.positions[arrays.uvs[:, 1] < 0.01]  # the box's +y side is the picture's top
    assert len(top) and np.allclose(top[:, 1], 0.5)


def test_obj_with_mtl_and_texture_name_with_space(tmp_path):
    Image.new("RGB", (4, 4), (0, 255, 0)).save(tmp_path / "my tex.png")
    (tmp_path / "m.mtl").write_text("newmtl skin\nKd 1 1 1\nmap_Kd my tex.png\n")
    (tmp_path / "m.obj").write_text(
        "mtllib m.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\n"
        "usemtl skin\nf 1/1 2/2 3/3\n"
    )
    (texture,) = mesh.load(tmp_path / "m.obj").scene.textures
    assert tuple(texture.image[0, 0, :3]) == (0, 255, 0)


def test_scene_parts_are_flattened_with_their_transforms(tmp_path):
    scene = trimesh.Scene()
    scene.add_geometry(trimesh.creation.box(), node_name="a")
    scene.add_geometry(
        trimesh.creation.box(),
        node_name="b",
        transform=trimesh.transformations.translation_matrix([10, 0, 0]),
    )
    path = tmp_path / "two.glb"
    path.write_bytes(scene.export(file_type="glb"))
    loaded = mesh.load(path)
    assert loaded.stats.triangles == 24 and loaded.stats.parts == 2
    assert np.allclose(loaded.arrays.bounds, [[-0.5, -0.5, -0.5], [10.5, 0.5, 0.5]])


def test_face_colours_do_not_bleed(tmp_path):
    box = trimesh.creation.box()
    box.visual.face_colors = [[255, 0, 0, 255]] * 6 + [[0, 0, 255, 255]] * 6
    path = tmp_path / "faces.ply"
    path.write_bytes(box.export(file_type="ply"))
    arrays = mesh.load(path).arrays
    assert arrays.positions.shape == (36, 3)  # a vertex per corner
    reds = (arrays.colors[:, 0] > 0.9).sum()
    assert reds == 18 and ((arrays.colors[:, 2] > 0.9).sum() == 18)


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("empty.glb", b"", "is empty"),
        ("junk.glb", b"this is not a glb file at all" * 10, "could not be read as GLB"),
        ("junk.ply", b"ply\nformat ascii 1.0\nelement vertex banana\n", "could not be read as PLY"),
        ("short.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2\n", "fewer than three vertices"),
        ("points.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\n", "contains no triangles"),
        ("empty.stl", b"solid Empty\nendsolid Empty", "contains no triangles"),
        ("picture.jpg", b"\xff\xd8\xff", "not a mesh file we can open"),
    ],
)
def test_broken_files_fail_with_a_clear_message(tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(MeshLoadError) as info:
        mesh.load(path)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_nan_coordinates_are_refused(tmp_path):
    box = trimesh.creation.box()
    vertices = box.vertices.copy()
    vertices[0] = np.nan
    path = tmp_path / "nan.glb"
    path.write_bytes(trimesh.Trimesh(vertices, box.faces, process=False).export(file_type="glb"))
    with pytest.raises(MeshLoadError, match="invalid \\(NaN or infinite\\) coordinates"):
        mesh.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(MeshLoadError, match="Cannot open"):
        mesh.load(tmp_path / "gone.glb")


@pytest.mark.parametrize("fmt", [f.key for f in formats.writable() if f.read is not None])
def test_export_round_trip(tmp_path, fmt):
    source = tmp_path / "src.glb"
    source.write_bytes(make_mesh(2).export(file_type="glb"))
    out = mesh.export(mesh.load(source), tmp_path / "out" / f"copy.{fmt}")
    again = mesh.load(out)
    assert again.stats.triangles == 320 and again.stats.watertight
    if fmt in ("glb", "gltf", "ply"):
        assert again.arrays.colors is not None


def test_obj_export_keeps_the_texture(tmp_path):
    source = tmp_path / "box.glb"
    source.write_bytes(textured_box().export(file_type="glb"))
    out = mesh.export(mesh.load(source), tmp_path / "out" / "box.obj")
    assert (out.parent / "box.mtl").exists()
    assert len(mesh.load(out).scene.textures) == 1


def test_export_refuses_unknown_format(tmp_path):
    with pytest.raises(InputError, match="Cannot write .fbx"):
        mesh.export(mesh.load(corpus_file("meshes", "cube.glb")), tmp_path / "x.fbx")
    assert list(tmp_path.iterdir()) == []


CORPUS_COUNTS = {
    "BoxTextured.glb": (24, 12, "texture"),
    "Duck.glb": (2399, 4212, "texture"),
    "bunny.ply": (8146, 16301, None),
    "cube.glb": (8, 12, "material"),
    "cubevc.glb": (54, 48, "colour"),
    "featuretype.STL": (1722, 3476, None),
    "fuze.obj": (664, 1000, "texture"),
}


@pytest.mark.parametrize("name", sorted(CORPUS_COUNTS))
def test_corpus_meshes_load_with_correct_counts(name):
    vertices, triangles, look = CORPUS_COUNTS[name]
    loaded = mesh.load(corpus_file("meshes", name))
    faceted = name.endswith("STL") or name == "cube.glb"  # a box without normals: crisp
    check_arrays(loaded.arrays, 3 * triangles if faceted else vertices, triangles)
    assert (loaded.stats.vertices, loaded.stats.triangles) == (vertices, triangles)
    if look == "texture":
        (texture,) = loaded.scene.textures
        assert loaded.scene.primitives[0].arrays.uvs is not None
        assert texture.image.std() > 0  # a real picture, not a flat fill
    elif look == "material":
        assert loaded.scene.materials and loaded.arrays.colors is None
    elif look == "colour":
        assert loaded.arrays.colors is not None


@pytest.mark.parametrize(
    "name, words",
    [("notenoughindices.obj", "fewer than three vertices"), ("empty.stl", "contains no triangles")],
)
def test_corpus_broken_meshes_fail_clearly(name, words):
    with pytest.raises(MeshLoadError, match=words):
        mesh.load(corpus_file("meshes", name))


def test_fast_glb_path_matches_trimesh(tmp_path):
    """TripoSR-style GLBs are read with numpy alone; what comes out must be what trimesh
    would give."""
    sphere = make_mesh(3)
    path = tmp_path / "s.glb"
    path.write_bytes(sphere.export(file_type="glb"))
    loaded = mesh.load(path)
    (primitive,) = loaded.scene.primitives
    (reference,) = trimesh.load(path).geometry.values()
    assert np.array_equal(primitive.arrays.positions, reference.vertices.astype(np.float32))
    assert np.array_equal(primitive.arrays.indices, reference.faces)
    assert np.allclose(primitive.arrays.colors, reference.visual.vertex_colors / 255.0, atol=1e-6)
    assert primitive.material == -1  # no material: drawn with scene.PLAIN
    assert loaded.stats.triangles == 1280 and loaded.stats.watertight
    again = mesh.export(loaded, tmp_path / "again.glb")
    assert again.read_bytes() == path.read_bytes()  # a GLB is exported as it is


def test_a_truncated_glb_is_one_line(tmp_path):
    truncated = tmp_path / "cut.glb"
    truncated.write_bytes(make_mesh(2).export(file_type="glb")[:500])
    with pytest.raises(MeshLoadError, match="cut.glb is damaged: it is cut short: 500 of"):
        mesh.load(truncated)


def test_stats_count_parts_and_holes():
    boxes = [trimesh.creation.box() for _ in range(3)]
    for i, box in enumerate(boxes):
        box.apply_translation([3 * i, 0, 0])
    closed = trimesh.util.concatenate(boxes)
    stats = mesh.mesh_stats(closed.vertices.astype(np.float32), closed.faces)
    assert (stats.parts, stats.watertight, stats.triangles) == (3, True, 36)
    assert np.allclose(stats.size, [7, 1, 1])
    opened = closed.faces[1:]  # one triangle gone: a hole
    assert not mesh.mesh_stats(closed.vertices.astype(np.float32), opened).watertight
    # Seams: the same box with every face's corners split apart is still one closed part.
    split = closed.vertices[closed.faces[:12]].reshape(-1, 3).astype(np.float32)
    seams = mesh.mesh_stats(split, np.arange(36).reshape(-1, 3))
    assert (seams.parts, seams.watertight, seams.vertices) == (1, True, 36)


def test_an_edge_of_three_faces_is_not_watertight():
    """Sorted edges in equal pairs is the test: a fin (a third face on an edge) breaks it
    even though every edge has a partner."""
    box = trimesh.creation.box()
    positions = np.vstack([box.vertices, [[2.0, 2.0, 2.0]]]).astype(np.float32)
    a, b = box.faces[0][:2]
    fin = np.array([[a, b, 8], [b, a, 8]])  # two faces: the fin's own edges are paired
    stats = mesh.mesh_stats(positions, np.vstack([box.faces, fin]))
    assert not stats.watertight and stats.parts == 1
    assert mesh.mesh_stats(box.vertices.astype(np.float32), box.faces).watertight


@given(
    st.integers(2, 300).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(*[st.integers(0, n - 1)] * 3), min_size=1, max_size=200),
        )
    ),
    st.integers(1, 40),
)
@settings(max_examples=60, deadline=None)
def test_components_match_scipy_in_any_number_of_pieces(graph, piece):
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    count, triples = graph
    faces = np.array(triples, dtype=np.int32)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mesh, "COMPONENT_EDGES", piece)
        labels = mesh.components(count, faces)
    u, v = np.r_[faces[:, 0], faces[:, 1]], np.r_[faces[:, 1], faces[:, 2]]
    graph_matrix = coo_matrix((np.ones(len(u)), (u, v)), shape=(count, count))
    found, expected = connected_components(graph_matrix, directed=False)
    assert len(np.unique(labels)) == found
    for component in range(found):  # each labelled by its smallest vertex
        members = np.flatnonzero(expected == component)
        assert (labels[members] == members.min()).all()


def test_normals_in_pieces_equal_the_whole(monkeypatch):
    sphere = trimesh.creation.icosphere(4)
    positions = sphere.vertices.astype(np.float32)
    whole = mesh_arrays.vertex_normals(positions, sphere.faces.astype(np.uint32))
    monkeypatch.setattr(mesh_arrays, "NORMALS_PIECE", 7)
    pieces = mesh_arrays.vertex_normals(positions, sphere.faces.astype(np.uint32))
    assert np.allclose(pieces, whole, atol=1e-6)


def test_a_glb_read_keeps_no_view_of_the_file(tmp_path):
    """The file's bytes are freed once read: no array looks into them (at 1.37M triangles
    they were 26 MB kept for an 8 MB array)."""
    path = tmp_path / "blob.glb"
    path.write_bytes(make_mesh(2).export(file_type="glb"))
    arrays = mesh.load(path).scene.primitives[0].arrays
    for name in ("positions", "indices", "colors"):
        root = getattr(arrays, name)
        while isinstance(root, np.ndarray) and root.base is not None:
            root = root.base
        assert isinstance(root, np.ndarray), f"{name} is a view of {type(root).__name__}"


def test_stl_facets_stay_crisp():
    """A CAD or print file is drawn faceted: each triangle's corners carry its own normal."""
    arrays = mesh.load(corpus_file("meshes", "featuretype.STL")).scene.primitives[0].arrays
    v0, v1, v2 = (arrays.positions[arrays.indices[:, i]] for i in range(3))
    faces = np.cross(v1 - v0, v2 - v0)
    faces /= np.linalg.norm(faces, axis=1, keepdims=True)
    for corner in range(3):
        assert np.allclose(arrays.normals[arrays.indices[:, corner]], faces, atol=1e-5)


def test_a_box_without_normals_is_flat_and_a_generated_surface_smooth(tmp_path):
    box = mesh.load(corpus_file("meshes", "cube.glb")).scene.primitives[0].arrays
    assert len(box.positions) == 36  # each face its own corners and normal
    path = tmp_path / "ball.glb"
    path.write_bytes(make_mesh(3).export(file_type="glb"))  # TripoSR-like: no normals
    ball = mesh.load(path).scene.primitives[0].arrays
    assert len(ball.positions) == len(make_mesh(3).vertices)  # kept smooth, shared corners

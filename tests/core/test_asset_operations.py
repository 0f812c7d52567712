"""Issue 16's operations on real meshes: upright, clean, decimate, bake, the print check and
repair. Each test states a shape, size or colour that the operation must produce."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from aiml3d_desktop.core.assets import bake, clean, decimate, printing, transform, upright
from aiml3d_desktop.core.assets.surface import Surface, vertex_colours
from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.meshes import mesh
from aiml3d_desktop.core.meshes.mesh_arrays import MeshArrays
from aiml3d_desktop.core.meshes.scene import Primitive, Scene, single
from tests.conftest import corpus_file


def striped_ball(subdivisions: int = 5, radius: float = 0.5) -> Scene:
    """A TripoSR-like vertex-coloured ball (20,480 triangles): red and blue stripes, with
    detail a bake must keep."""
    ball = trimesh.creation.icosphere(subdivisions, radius)
    y = ball.vertices[:, 1]
    stripe = (np.sin(y * 25) > 0)[:, None]
    colours = np.where(stripe, [0.9, 0.1, 0.1, 1.0], [0.1, 0.2, 0.9, 1.0])
    return single(
        MeshArrays(
            ball.vertices.astype(np.float32),
            ball.faces.astype(np.uint32),
            colours.astype(np.float32),
        )
    )


def box_scene(size, flip: bool = False) -> Scene:
    box = trimesh.creation.box(size)
    faces = box.faces[:, ::-1] if flip else box.faces
    return single(MeshArrays(box.vertices.astype(np.float32), faces.astype(np.uint32)))


def extent(scene: Scene) -> np.ndarray:
    low, high = scene.bounds
    return high - low


# Decimate


def test_decimate_reaches_the_budget_and_keeps_shape_and_colours():
    ball = striped_ball()
    low = decimate.decimate(ball, 2000)
    assert 1900 <= low.triangles <= 2000
    assert np.allclose(extent(low), extent(ball), rtol=0.02)
    # Each new vertex has the colour of the original surface where it lies.
    arrays = low.primitives[0].arrays
    surface = Surface(ball.primitives[0].arrays)
    faces, weights, _ = surface.closest(arrays.positions)
    expected = surface.interpolate(ball.primitives[0].arrays.colors, faces, weights)
    assert np.abs(arrays.colors - expected).max() < 1e-4
    assert arrays.normals is not None


def test_decimate_leaves_a_small_scene_alone_and_refuses_nonsense():
    ball = striped_ball(2)
    assert decimate.decimate(ball, 10_000) is ball
    with pytest.raises(InputError, match="Cannot decimate to 2 triangles"):
        decimate.decimate(ball, 2)


def test_decimating_a_textured_model_turns_its_texture_into_colours():
    duck = mesh.load(corpus_file("meshes", "Duck.glb")).scene
    low = decimate.decimate(duck, 1000)
    # Its texture seams are welded first: the duck stays one closed surface.
    report = printing.check(low)
    assert report.watertight and report.parts == 1
    material = low.material(low.primitives[0])
    assert material.base_color_texture is None and low.primitives[0].arrays.colors is not None
    assert any("bake" in note for note in low.notes)
    # The duck is yellow: so are its new vertex colours, on average.
    r, g, b = low.primitives[0].arrays.colors[:, :3].mean(axis=0)
    assert r > 0.7 and g > 0.6 and b < 0.3


# Bake


def test_bake_keeps_the_dense_colours_within_a_few_levels():
    ball = striped_ball()
    low = decimate.decimate(ball, 3000)
    baked = bake.bake(low, ball, size=1024)
    primitive = baked.primitives[0]
    material = baked.material(primitive)
    image = baked.textures[material.base_color_texture.texture].image
    assert image.shape == (1024, 1024, 4)
    assert primitive.arrays.uvs.min() >= 0 and primitive.arrays.uvs.max() <= 1
    assert primitive.arrays.colors is None and material.metallic == 0
    # Padding: no texel is left at the empty black it started as.
    assert not (image[..., 3] == 0).any()
    quality = bake.fidelity(baked, ball)
    assert quality.mean < 3 and quality.p95 < 12, quality
    # From the low mesh's own vertex colours, the stripes' edges would smear: the dense
    # original is what is sampled.
    own = bake.fidelity(bake.bake(low, None, size=1024), ball)
    assert quality.mean < own.mean


def test_bake_reads_a_textured_source_through_its_texture():
    box = mesh.load(corpus_file("meshes", "BoxTextured.glb")).scene
    baked = bake.bake(box, box, size=512)
    assert bake.fidelity(baked, box).mean < 8


def test_bake_refuses_a_size_it_does_not_offer():
    with pytest.raises(InputError, match="Cannot bake a 300 px texture"):
        bake.bake(striped_ball(2), size=300)


# Upright


def test_upright_keeps_a_tall_slab_standing_on_its_end():
    """Issue 26: a model standing on a stable base keeps its pose, however much steadier it
    would lie (laying this slab on its broadest side was the bug)."""
    standing = box_scene((0.5, 3.0, 1.0))  # a tall slab on its narrow end
    rested = upright.upright(standing)
    assert rested is standing


def test_upright_stands_a_pyramid_on_its_base_not_its_tip():
    pyramid = trimesh.creation.cone(radius=1.0, height=1.0, sections=4)
    arrays = MeshArrays(pyramid.vertices.astype(np.float32), pyramid.faces.astype(np.uint32))
    on_its_tip = transform.turn(transform.from_z_up(single(arrays)), "x", 2)
    rested = upright.upright(on_its_tip)
    positions = rested.primitives[0].arrays.positions
    bottom = positions[:, 1] < positions[:, 1].min() + 1e-4
    assert bottom.sum() >= 4  # the base's corners, not one tip


def test_upright_leaves_a_round_model_the_way_it_came():
    """A generated model is often round at the base (a TripoSR blob): no side of it is a
    side to stand on, and turning it would only lose the way it was made to stand."""
    lumpy = striped_ball(4)
    arrays = lumpy.primitives[0].arrays
    bumps = 1 + 0.05 * np.sin(7 * arrays.positions[:, :1]) * np.sin(5 * arrays.positions[:, 2:])
    ball = single(MeshArrays((arrays.positions * bumps).astype(np.float32), arrays.indices))
    again = upright.upright(ball)
    assert np.allclose(
        again.primitives[0].arrays.positions, ball.primitives[0].arrays.positions, atol=1e-5
    )


def test_upright_keeps_a_model_that_already_stands_well():
    flat = box_scene((3.0, 0.5, 1.0))
    again = upright.upright(flat)
    assert np.allclose(
        again.primitives[0].arrays.positions, flat.primitives[0].arrays.positions, atol=1e-5
    )


# Clean


def with_floater() -> Scene:
    ball = trimesh.creation.icosphere(4, 0.5)
    speck = trimesh.creation.icosphere(1, 0.02)
    speck.apply_translation([2, 0, 0])
    both = trimesh.util.concatenate([ball, speck])
    return single(MeshArrays(both.vertices.astype(np.float32), both.faces.astype(np.uint32)))


def test_clean_drops_floaters_and_reports_them():
    scene = with_floater()
    report = clean.Cleaned()
    cleaned = clean.clean(scene, report=report)
    assert report.floaters == 1
    assert cleaned.triangles == 5120
    assert extent(cleaned)[0] == pytest.approx(1.0, abs=0.01)


def test_clean_merges_split_vertices_and_drops_degenerate_triangles():
    box = trimesh.creation.box((1, 1, 1))
    corners = box.vertices[box.faces].reshape(-1, 3)  # every triangle its own corners (STL)
    faces = np.arange(len(corners)).reshape(-1, 3)
    faces = np.vstack([faces, faces[:1], [[0, 0, 1]]])  # a repeat and a degenerate one
    scene = single(MeshArrays(corners.astype(np.float32), faces.astype(np.uint32)))
    report = clean.Cleaned()
    cleaned = clean.clean(scene, report=report)
    assert report.merged == 36 - 8 and report.degenerate == 2
    assert cleaned.vertices == 8 and cleaned.triangles == 12
    assert printing.check(cleaned).watertight


def test_clean_fills_small_holes_facing_out():
    ball = trimesh.creation.icosphere(3, 0.5)
    centre = np.argmax(ball.vertices[:, 1])
    around = np.isin(ball.faces, [centre]).any(axis=1)  # a hole of the top vertex's fan
    arrays = MeshArrays(ball.vertices.astype(np.float32), ball.faces[~around].astype(np.uint32))
    scene = single(arrays)
    assert not printing.check(scene).watertight
    report = clean.Cleaned()
    cleaned = clean.clean(scene, report=report)
    assert report.holes == 1
    result = printing.check(cleaned)
    assert result.watertight and result.manifold and not result.inside_out


def test_clean_does_not_take_texture_seams_for_holes():
    box = mesh.load(corpus_file("meshes", "BoxTextured.glb")).scene
    report = clean.Cleaned()
    cleaned = clean.clean(box, report=report)
    assert report.holes == 0 and report.floaters == 0
    assert cleaned.triangles == 12 and cleaned.primitives[0].arrays.uvs is not None


# Print check and repair


def test_print_check_of_a_broken_scan_lists_what_is_wrong():
    bunny = mesh.load(corpus_file("meshes", "bunny.ply")).scene
    report = printing.check(bunny)
    assert not report.ready and not report.watertight
    assert report.open_edges > 0 and report.crowded_edges > 0
    assert report.volume_cm3 is None
    assert report.size_mm == pytest.approx((155.5, 153.3, 120.6), abs=0.1)
    assert any("open edges" in p for p in report.problems)


def test_repair_makes_a_watertight_solid():
    bunny = mesh.load(corpus_file("meshes", "bunny.ply")).scene
    solid = printing.repair(bunny)
    report = printing.check(solid)
    assert report.watertight and report.manifold and not report.inside_out
    # What stops it being ready is said, and is no longer about holes or edges.
    assert all(p.startswith("walls as thin as") for p in report.problems), report.problems
    assert report.parts == 1 and 500 < report.volume_cm3 < 1000


def test_print_check_measures_volume_walls_and_inside_out_in_millimetres():
    plate = box_scene((0.1, 0.0005, 0.08))  # metres: 100 x 0.5 x 80 mm
    report = printing.check(plate)
    assert report.size_mm == pytest.approx((100, 0.5, 80), abs=1e-3)
    assert report.volume_cm3 == pytest.approx(4.0, rel=1e-3)
    assert report.thinnest_mm == pytest.approx(0.5, abs=0.01)
    assert report.thin_share > 0.9 and any("walls as thin as 0.50 mm" in p for p in report.problems)
    flipped = printing.check(box_scene((0.02, 0.02, 0.02), flip=True))
    assert flipped.inside_out and not flipped.ready
    assert not printing.check(printing.repair(box_scene((0.02, 0.02, 0.02), flip=True))).inside_out


def test_an_stl_is_read_in_millimetres():
    part = mesh.load(corpus_file("meshes", "featuretype.STL")).scene
    assert part.unit == 0.001
    report = printing.check(part)
    low, high = part.bounds
    assert report.size_mm == pytest.approx(tuple(high - low), rel=1e-6)  # the file's numbers


def test_sizing_an_stl_works_in_its_own_millimetres():
    part = mesh.load(corpus_file("meshes", "featuretype.STL")).scene
    sized = transform.real_size(part, 20, "mm", "height")
    assert printing.check(sized).size_mm[1] == pytest.approx(20, abs=1e-3)


def test_vertex_colours_of_a_textured_primitive_come_from_its_texture():
    box = mesh.load(corpus_file("meshes", "BoxTextured.glb")).scene
    colours = vertex_colours(box, box.primitives[0])
    assert colours.shape == (24, 4) and (colours[:, 3] == 1).all()


def test_a_scene_of_two_primitives_decimates_each_by_its_share():
    a, b = striped_ball(4), striped_ball(3)
    two = Scene(
        [a.primitives[0], Primitive(b.primitives[0].arrays.transformed(np.diag([1, 1, 1, 1.0])))]
    )
    low = decimate.decimate(two, 1000)
    counts = [len(p.arrays.indices) for p in low.primitives]
    assert counts[0] > 3 * counts[1] and 950 <= sum(counts) <= 1000


# What an attacker's and a 3D artist's review found


def test_clean_drops_a_primitive_of_degenerate_triangles_and_refuses_nothing_left():
    box = box_scene((1, 1, 1))
    junk = MeshArrays(np.zeros((3, 3), np.float32), np.array([[0, 1, 2]], np.uint32))
    both = Scene([box.primitives[0], Primitive(junk)])
    cleaned = clean.clean(both)
    assert len(cleaned.primitives) == 1 and cleaned.triangles == 12
    with pytest.raises(InputError, match="Nothing is left after cleaning"):
        clean.clean(single(junk))


def test_clean_keeps_a_primitive_of_small_parts_whole():
    """A pair of eyes in a primitive of their own: each under 1% of the surface, both kept."""
    head = trimesh.creation.icosphere(4, 1.0)
    eyes = trimesh.util.concatenate(
        [trimesh.creation.icosphere(2, 0.05).apply_translation([x, 0.3, 0.95]) for x in (-0.3, 0.3)]
    )
    scene = Scene(
        [
            Primitive(MeshArrays(head.vertices.astype(np.float32), head.faces.astype(np.uint32))),
            Primitive(MeshArrays(eyes.vertices.astype(np.float32), eyes.faces.astype(np.uint32))),
        ]
    )
    report = clean.Cleaned()
    cleaned = clean.clean(scene, report=report)
    assert report.floaters == 0 and len(cleaned.primitives[1].arrays.indices) == len(eyes.faces)


def test_bake_of_a_model_a_few_millimetres_across():
    tiny = transform.transformed(striped_ball(3, radius=0.0015), np.eye(4))
    baked = bake.bake(decimate.decimate(tiny, 300), tiny, size=512)
    uvs = baked.primitives[0].arrays.uvs
    assert np.isfinite(uvs).all() and uvs.min() >= 0 and uvs.max() <= 1
    assert bake.fidelity(baked, tiny).mean < 10


def test_bake_keeps_a_cut_out_cut_out():
    from aiml3d_desktop.core.meshes.scene import MASK, Material

    leaf = striped_ball(2)
    leaf.materials = [Material("leaf", alpha_mode=MASK, alpha_cutoff=0.4, metallic=0.0)]
    leaf.primitives[0].material = 0
    material = bake.bake(leaf, size=512).materials[0]
    assert material.alpha_mode == MASK and material.alpha_cutoff == 0.4


def test_a_thin_pin_on_a_block_is_reported():
    block = trimesh.creation.box((0.02, 0.01, 0.02))
    pin = trimesh.creation.box((0.0004, 0.01, 0.0004)).apply_translation([0, 0.01, 0])
    solid = trimesh.boolean.union([block, pin], engine="manifold")
    report = printing.check(
        single(MeshArrays(solid.vertices.astype(np.float32), solid.faces.astype(np.uint32)))
    )
    assert report.watertight
    assert not report.ready and report.thinnest_mm < 0.8, report


def test_upright_leaves_a_flat_model_as_it_is_and_says_why():
    quad = MeshArrays(
        np.array([[0, 0, 0], [1, 0, 0], [1, 0, 1], [0, 0, 1]], np.float32),
        np.array([[0, 2, 1], [0, 3, 2]], np.uint32),
    )
    rested = upright.upright(single(quad))
    assert np.array_equal(rested.primitives[0].arrays.positions, quad.positions)
    assert any("flat" in note for note in rested.notes)


def test_a_size_too_large_to_store_is_refused():
    with pytest.raises(InputError, match="Cannot scale the model to 1e\\+36 m"):
        transform.real_size(striped_ball(1), 1e36, "m")

"""Placing a model (issue 16's first operations): turns, Z-up, pivot and real size, on real
files, checked by their bounds, normals and winding."""

from __future__ import annotations

import numpy as np
import pytest

from aiml3d_desktop.core.assets import transform
from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.meshes import mesh
from aiml3d_desktop.core.meshes.scene import Scene
from tests.conftest import corpus_file


def box(size=(1.0, 2.0, 3.0)) -> Scene:
    """A box of ``size`` from the origin, with outward normals."""
    scene = mesh.load(corpus_file("meshes", "BoxTextured.glb")).scene
    low, high = scene.bounds
    factor = np.array(size) / (high - low)
    moved = transform.transformed(scene, np.diag([*factor, 1.0]))
    return transform.pivot(moved, "center")


def extent(scene: Scene) -> np.ndarray:
    low, high = scene.bounds
    return np.round(high - low, 5)


def outward(scene: Scene) -> bool:
    """Every triangle faces away from the centre, and its normals agree."""
    arrays = scene.primitives[0].arrays
    v0, v1, v2 = (arrays.positions[arrays.indices[:, i]] for i in range(3))
    faces = np.cross(v1 - v0, v2 - v0)
    centre = scene.bounds.mean(axis=0)
    away = np.einsum("ij,ij->i", faces, (v0 + v1 + v2) / 3 - centre) > 0
    agree = np.einsum("ij,ij->i", faces, arrays.normals[arrays.indices[:, 0]]) > 0
    return bool(away.all() and agree.all())


@pytest.mark.parametrize(
    "axis, quarters, size",
    [
        ("x", 1, (1, 3, 2)),
        ("y", 1, (3, 2, 1)),
        ("z", 1, (2, 1, 3)),
        ("x", 2, (1, 2, 3)),
        ("z", -1, (2, 1, 3)),
    ],
)
def test_quarter_turns_swap_the_sides(axis, quarters, size):
    turned = transform.turn(box(), axis, quarters)
    assert tuple(extent(turned)) == size
    assert outward(turned)


@pytest.mark.parametrize("axis, start, end", [("x", 1, 2), ("y", 2, 0), ("z", 0, 1)])
def test_a_turn_follows_the_right_hand_rule(axis, start, end):
    """A quarter turn about x takes +y to +z; about y, +z to +x; about z, +x to +y."""
    positions = box((2, 2, 2)).primitives[0].arrays.positions
    tip = positions[:, start].argmax()  # a corner on the + side of the start axis
    turned = transform.turn(box((2, 2, 2)), axis, 1).primitives[0].arrays.positions
    assert turned[tip, end] == pytest.approx(1.0, abs=1e-5)


def test_a_z_up_file_comes_up_y():
    """What a Z-up exporter writes, tall along z, stands tall along y."""
    assert tuple(extent(transform.from_z_up(box((1, 1, 3))))) == (1, 3, 1)


def test_pivot_puts_the_model_on_the_floor_or_its_centre_at_the_origin():
    bottom = transform.pivot(box(), "bottom").bounds
    assert np.allclose(bottom, [[-0.5, 0, -1.5], [0.5, 2, 1.5]], atol=1e-5)
    centre = transform.pivot(transform.pivot(box(), "bottom"), "center").bounds
    assert np.allclose(centre.mean(axis=0), 0, atol=1e-5)
    with pytest.raises(InputError, match="no pivot 'top'"):
        transform.pivot(box(), "top")


def test_real_size_in_any_unit_is_kept_in_metres():
    duck = mesh.load(corpus_file("meshes", "Duck.glb")).scene
    sized = transform.real_size(duck, 250, "mm", "height")
    assert extent(sized)[1] == pytest.approx(0.25, abs=1e-5)
    ratio = extent(sized) / extent(duck)
    assert np.allclose(ratio, ratio[0], rtol=1e-4)  # alike in every direction
    assert extent(transform.real_size(duck, 4, "in", "width"))[0] == pytest.approx(0.1016, abs=1e-5)
    with pytest.raises(InputError, match="A size of -1.0 cm is not a size"):
        transform.real_size(duck, -1.0, "cm")
    with pytest.raises(InputError, match="Cannot size the height in 'ft'"):
        transform.real_size(duck, 1, "ft")


def test_a_mirror_keeps_triangles_facing_out_and_the_original_is_untouched():
    original = box()
    before = original.primitives[0].arrays.positions.copy()
    mirrored = transform.transformed(original, np.diag([-1.0, 1.0, 1.0, 1.0]))
    assert outward(mirrored)
    assert np.array_equal(original.primitives[0].arrays.positions, before)

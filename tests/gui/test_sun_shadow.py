"""The sun's shadow on the floor (issue 26), judged by real OpenGL pixels from the off-screen
renderer: a tall box standing on the floor in the outdoor light casts a shadow away from the
sun, which goes with the sun, turns with the lighting and is darkened once however many
triangles fall on a pixel."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from PySide6.QtGui import QColor

from aiml3d_desktop.core.look.lighting import Lighting
from aiml3d_desktop.core.meshes import mesh
from aiml3d_desktop.gui.widgets.scene_item import shadow_matrix
from aiml3d_desktop.gui.widgets.viewer import SUN_SHADOW
from tests.gui.test_renderer import rgb_of
from tests.scene_files import glb

BACKGROUND = (120, 120, 120)  # light, so that a shadow shows plainly
SIZE = 192


def tall_box() -> bytes:
    """A box 0.4 x 2 x 0.4 standing on the floor (Y up), white and matte."""
    box = trimesh.creation.box((0.4, 2.0, 0.4))
    box.apply_translation((0, 1.0, 0))
    white = {"baseColorFactor": [1, 1, 1, 1], "metallicFactor": 0, "roughnessFactor": 0.8}
    part = {"positions": box.vertices, "indices": box.faces, "normals": box.vertex_normals}
    return glb([{**part, "material": 0}], [{"pbrMetallicRoughness": white}])


@pytest.fixture(scope="module")
def render(qapp, tmp_path_factory):
    from aiml3d_desktop.gui.widgets.offscreen import OffscreenRenderer

    renderer = OffscreenRenderer()
    path = tmp_path_factory.mktemp("scenes") / "box.glb"
    path.write_bytes(tall_box())
    scene = mesh.load(path).scene.prepare()
    scene.smooth_normals()
    viewer = renderer.viewer

    def draw(light: Lighting, mode="studio", shadow=True, azimuth=-90.0) -> np.ndarray:
        viewer.set_shading(mode)
        viewer.set_lighting(light)
        viewer.set_shadow_visible(shadow)
        (image,) = renderer.render(
            scene,
            (),
            SIZE,
            "y",
            QColor(*BACKGROUND),
            # From the front and above, so that the floor around the box shows.
            camera={"center": (0, 0, 1.0), "distance": 5.0, "azimuth": azimuth, "elevation": 60.0},
        )
        return rgb_of(image, SIZE)

    draw.viewer = viewer  # type: ignore[attr-defined]
    draw.renderer = renderer  # type: ignore[attr-defined]
    yield draw
    viewer.set_lighting(Lighting())
    viewer.set_shadow_visible(False)
    viewer.set_shading("studio")
    renderer.close()


def away_from_box(rgb_without_shadow: np.ndarray, margin: int = 3) -> np.ndarray:
    """The bare floor (the background, as no grid is drawn) in a picture with no shadow,
    ``margin`` pixels clear of the box's outline."""
    box = np.abs(rgb_without_shadow - BACKGROUND).sum(axis=2) > 0
    near = box.copy()
    for dy in range(-margin, margin + 1):
        for dx in range(-margin, margin + 1):
            near |= np.roll(np.roll(box, dy, axis=0), dx, axis=1)
    return ~near


def shadow_of(lit: np.ndarray, unlit: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Pixels of the floor darker with the sun than without."""
    return floor & (lit.sum(axis=2) < unlit.sum(axis=2) - 30)


def side(mask: np.ndarray) -> float:
    """The mean column of ``mask``'s pixels, from the picture's middle (+ right)."""
    return float(np.argwhere(mask)[:, 1].mean() - SIZE / 2)


def test_the_matrix_flattens_along_the_sun_onto_the_floor():
    sun = np.array([1.0, 0.0, 1.0])  # 45 degrees up, towards +x
    flatten = shadow_matrix(sun, 0.5)
    top = flatten @ np.array([0.0, 0.0, 2.5, 1.0])  # 2 above the floor: 2 away from the sun
    assert np.allclose(top, (-2.0, 0.0, 0.5, 1.0))
    assert shadow_matrix(np.array([1.0, 0.0, -0.2]), 0.0) is None  # a sun under the floor
    assert shadow_matrix(np.zeros(3), 0.0) is None  # no sun


def test_the_sun_casts_the_box_shadow_on_the_floor_away_from_it(render):
    bare = render(Lighting(preset="outdoor", sun=False), shadow=False)
    floor = away_from_box(bare)
    lit = render(Lighting(preset="outdoor", sun=True))
    unlit = render(Lighting(preset="outdoor", sun=False))
    shadow = shadow_of(lit, unlit, floor)
    assert shadow.sum() > 400, shadow.sum()
    # The outdoor sun stands behind the box and to its left, seen from the front (the
    # camera): the shadow falls to the right and towards the camera, as the box is lit.
    assert side(shadow) > 5
    # Darkened once (the stencil), however many of the box's triangles fall on a pixel:
    # nowhere darker than one layer of the shadow (two would leave 0.6 * 0.6 = 0.36).
    ratio = lit[shadow].sum(axis=1) / unlit[shadow].sum(axis=1)
    assert ratio.min() > 1 - SUN_SHADOW - 0.04, ratio.min()
    assert ratio.min() < 1 - SUN_SHADOW + 0.08, ratio.min()  # and that dark near the foot
    # The same region with the sun off: the floor as it is with no sun at all, whichever
    # way the lighting is turned.
    turned = render(Lighting(preset="outdoor", sun=False, rotation=180))
    assert np.array_equal(unlit[shadow], turned[shadow])


def test_no_sun_shadow_with_the_sun_off_or_the_shadow_off_or_in_flat(render):
    bare = render(Lighting(preset="outdoor", sun=False), shadow=False)
    floor = away_from_box(bare)
    assert floor.mean() > 0.5
    # The shadows switched off: the floor untouched, sun or not.
    for light in (Lighting(preset="outdoor"), Lighting(preset="outdoor", rotation=180)):
        assert (render(light, shadow=False)[floor] == BACKGROUND).all()
    # The sun off: only the soft contact shadow, close under the box's foot.
    unlit = render(Lighting(preset="outdoor", sun=False))
    contact = shadow_of(unlit, bare, floor)
    lit = render(Lighting(preset="outdoor"))
    assert contact.sum() < 0.5 * shadow_of(lit, bare, floor).sum()
    # Flat shading shows stored colours: no sun, and no sun's shadow.
    flat_sun = render(Lighting(preset="outdoor", sun=True), mode="flat")
    flat_off = render(Lighting(preset="outdoor", sun=False), mode="flat")
    assert np.array_equal(flat_sun, flat_off)


def test_turning_the_lighting_half_round_moves_the_shadow_to_the_other_side(render):
    floor = away_from_box(render(Lighting(preset="outdoor", sun=False), shadow=False))
    unlit = render(Lighting(preset="outdoor", sun=False))
    still = shadow_of(render(Lighting(preset="outdoor")), unlit, floor)
    turned = shadow_of(render(Lighting(preset="outdoor", rotation=180)), unlit, floor)
    assert side(still) > 5 and side(turned) < -5, (side(still), side(turned))
    assert (still & turned).sum() < 0.2 * still.sum()


def test_the_studio_key_casts_a_shadow_that_turns_with_the_camera(render):
    for azimuth in (-90.0, 0.0, 135.0):  # from the front, the right, behind on the left
        floor = away_from_box(
            render(Lighting(preset="studio", sun=False), shadow=False, azimuth=azimuth)
        )
        unlit = render(Lighting(preset="studio", sun=False), azimuth=azimuth)
        shadow = shadow_of(render(Lighting(preset="studio"), azimuth=azimuth), unlit, floor)
        # The studio's key is above the camera's left shoulder, from wherever the camera
        # looks: the shadow goes to the right on the screen.
        assert shadow.sum() > 200 and side(shadow) > 5, azimuth


def test_the_outdoor_sun_stays_with_the_world_when_the_camera_turns(render):
    sides = []
    for azimuth in (-90.0, 90.0):  # from the front, and from behind
        floor = away_from_box(
            render(Lighting(preset="outdoor", sun=False), shadow=False, azimuth=azimuth)
        )
        unlit = render(Lighting(preset="outdoor", sun=False), azimuth=azimuth)
        lit = render(Lighting(preset="outdoor"), azimuth=azimuth)
        sides.append(side(shadow_of(lit, unlit, floor)))
    assert sides[0] > 5 and sides[1] < -5, sides


def test_a_big_model_casts_its_sun_shadow_in_the_still_frame_only(render, monkeypatch):
    """At 1.3M triangles the shadow costs llvmpipe 80 ms a frame: while the camera moves a
    big model goes without it, and the still frame that follows has it."""
    from aiml3d_desktop.gui.widgets import scene_item

    bare = render(Lighting(preset="outdoor", sun=False), shadow=False)
    floor = away_from_box(bare)
    unlit = render(Lighting(preset="outdoor", sun=False))
    monkeypatch.setattr(scene_item, "MOVING_SHADOW_MAX", 0)  # the box counts as big
    still = shadow_of(render(Lighting(preset="outdoor")), unlit, floor)
    render.viewer._still.start()  # as orbiting does, frame after frame
    moving = shadow_of(render(Lighting(preset="outdoor")), unlit, floor)
    render.viewer._still.stop()
    assert still.sum() > 50 and moving.sum() < 0.1 * still.sum()


def test_a_models_first_frame_comes_before_its_sun_shadow(render, monkeypatch):
    """The first frame of a model on screen is not held back by its shadow (compiling the
    shadow's shaders): the next frame has it."""
    bare = render(Lighting(preset="outdoor", sun=False), shadow=False)
    floor = away_from_box(bare)
    unlit = render(Lighting(preset="outdoor", sun=False))
    item = render.viewer.item
    monkeypatch.setattr(item, "plain_first_frame", True)  # as on screen
    monkeypatch.setattr(item, "set_scene", lambda scene: setattr(item, "scene", scene))
    item._first_frame = True  # as a newly shown model's
    first = shadow_of(render(Lighting(preset="outdoor")), unlit, floor)
    second = shadow_of(render(Lighting(preset="outdoor")), unlit, floor)
    assert second.sum() > 50 and first.sum() < 0.1 * second.sum()

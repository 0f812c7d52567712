"""The viewer's renderer on scenes built here, judged by real OpenGL pixels: PBR materials,
alpha modes, emission, normal maps, textures, node transforms, and exact stored colours in
the Flat mode."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage

from aiml3d_desktop.core.meshes import mesh
from aiml3d_desktop.gui.widgets.scene_item import DEFAULT_COLOR
from tests.scene_files import glb, picture, quad, sphere

BACKGROUND = (40, 40, 40)
DEFAULT_GREY = np.round(np.array(DEFAULT_COLOR[:3]) * 255)  # a surface with no material


def rgb_of(image: QImage, size: int) -> np.ndarray:
    """A square picture the renderer made, as (size, size, 3) ints."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(size, image.bytesPerLine())
    return rows[:, : size * 3].reshape(size, size, 3).astype(int)


@pytest.fixture(scope="module")
def render(qapp, tmp_path_factory):
    """One off-screen view for the module, as the app keeps one for thumbnails."""
    from aiml3d_desktop.gui.widgets.offscreen import OffscreenRenderer

    renderer = OffscreenRenderer()
    folder = tmp_path_factory.mktemp("scenes")

    def draw(data: bytes, mode="studio", view="front", size=256) -> np.ndarray:
        path = folder / "scene.glb"
        path.write_bytes(data)
        scene = mesh.load(path).scene.prepare()
        renderer.viewer.set_shading(mode)
        (image,) = renderer.render(scene, (view,), size, "y", QColor(*BACKGROUND))
        return rgb_of(image, size)

    draw.viewer = renderer.viewer  # type: ignore[attr-defined]
    yield draw
    renderer.close()


def drawn(rgb: np.ndarray) -> np.ndarray:
    return np.abs(rgb - BACKGROUND).sum(axis=2) > 30


def material(**fields) -> dict:
    pbr = {
        k: fields.pop(k)
        for k in list(fields)
        if k in ("baseColorFactor", "metallicFactor", "roughnessFactor", "baseColorTexture")
    }
    return {"pbrMetallicRoughness": pbr, **fields}


def test_metal_and_rough_plastic_of_one_colour_look_different(render):
    colour = [0.8, 0.5, 0.2, 1]
    metal = render(
        glb(
            [{**sphere(), "material": 0}],
            [material(baseColorFactor=colour, metallicFactor=1, roughnessFactor=0.2)],
        )
    )
    plastic = render(
        glb(
            [{**sphere(), "material": 0}],
            [material(baseColorFactor=colour, metallicFactor=0, roughnessFactor=0.9)],
        )
    )
    both = drawn(metal) & drawn(plastic)
    assert both.mean() > 0.1
    assert np.abs(metal - plastic)[both].mean() > 20


def test_a_blended_sphere_shows_the_box_behind_it(render):
    parts = [{**quad(4, 4, (0, 0, -2)), "material": 0}, {**sphere(1, (0, 0, 1)), "material": 1}]
    red = material(baseColorFactor=[1, 0, 0, 1], metallicFactor=0)
    glass = material(baseColorFactor=[0.1, 0.2, 1, 0.3], metallicFactor=0, alphaMode="BLEND")
    opaque = material(baseColorFactor=[0.1, 0.2, 1, 0.3], metallicFactor=0)
    see_through = render(glb(parts, [red, glass]))
    solid = render(glb(parts, [red, opaque]))
    centre = (slice(118, 138), slice(118, 138))
    assert see_through[centre][..., 0].mean() > solid[centre][..., 0].mean() + 40  # red shows
    assert see_through[centre][..., 2].mean() > 60  # tinted by the blue glass


def test_mask_cuts_out_where_alpha_is_below_the_cutoff(render):
    half = np.zeros((8, 8, 4), np.uint8)
    half[:, :, :3] = 200
    half[:, 4:, 3] = 255  # the right half opaque, the left transparent
    texture = material(baseColorTexture={"index": 0}, metallicFactor=0, alphaMode="MASK")
    rgb = render(glb([{**quad(), "material": 0}], [texture], pictures=[picture(half)]), mode="flat")
    rows = drawn(rgb)[100:156]
    assert rows[:, 60:110].mean() < 0.02 and rows[:, 146:196].mean() > 0.9


def test_emissive_is_bright_without_light(render):
    dark = material(baseColorFactor=[0, 0, 0, 1], metallicFactor=0, roughnessFactor=1)
    glowing = {
        **dark,
        "emissiveFactor": [1, 0.5, 0],
        "extensions": {"KHR_materials_emissive_strength": {"emissiveStrength": 2}},
    }
    black = render(glb([{**sphere(), "material": 0}], [dark]))
    lit = render(glb([{**sphere(), "material": 0}], [glowing]))
    mask = drawn(lit)
    assert lit[mask][:, 0].mean() > 200 and lit[mask][:, 0].mean() > black[mask][:, 0].mean() + 150


def test_a_normal_map_changes_the_shading(render):
    tilted = np.zeros((4, 4, 4), np.uint8)
    tilted[...] = (230, 128, 180, 255)  # normals leaning towards +x
    plain = material(baseColorFactor=[0.7, 0.7, 0.7, 1], metallicFactor=0, roughnessFactor=0.5)
    mapped = {**plain, "normalTexture": {"index": 0}}
    flat = render(glb([{**quad(), "material": 0}], [plain]))
    bumped = render(glb([{**quad(), "material": 0}], [mapped], pictures=[picture(tilted)]))
    centre = (slice(100, 156), slice(100, 156))
    assert np.abs(flat[centre] - bumped[centre]).mean() > 10


def test_two_textures_each_show_their_colours(render):
    red = np.full((4, 4, 4), (220, 30, 30, 255), np.uint8)
    green = np.full((4, 4, 4), (30, 200, 40, 255), np.uint8)
    parts = [
        {**quad(centre=(-1.1, 0, 0)), "material": 0},
        {**quad(centre=(1.1, 0, 0)), "material": 1},
    ]
    materials = [material(baseColorTexture={"index": i}, metallicFactor=0) for i in (0, 1)]
    rgb = render(glb(parts, materials, pictures=[picture(red), picture(green)]), mode="flat")
    left, right = rgb[128, 70], rgb[128, 186]
    assert tuple(left) == (220, 30, 30) and tuple(right) == (30, 200, 40)


def test_a_parent_scaled_node_is_drawn_at_its_world_size(render):
    nodes = [
        {"children": [1], "scale": [3, 3, 3], "translation": [-3, 0, 0]},
        {"mesh": 0},
        {"mesh": 1, "translation": [3, 0, 0]},
    ]
    parts = [quad(1, 1), quad(1, 1)]
    covered = drawn(render(glb(parts, nodes=nodes), mode="flat"))
    columns = covered.any(axis=0)
    runs = np.flatnonzero(np.diff(columns.astype(int)))  # where each square starts and ends
    big, small = runs[1] - runs[0], runs[3] - runs[2]
    assert big == pytest.approx(3 * small, rel=0.15)


def test_flat_shows_a_vertex_colour_exactly_and_studio_within_a_few_percent(render):
    colour = [0.3, 0.6, 0.45, 1]
    data = glb([quad(colour=colour)])
    flat = render(data, mode="flat")
    assert tuple(flat[128, 128]) == tuple(round(c * 255) for c in colour[:3])
    studio = render(data, mode="studio")
    centre = studio[118:138, 118:138].reshape(-1, 3).mean(axis=0)
    assert np.abs(centre - flat[128, 128]).max() < 0.05 * 255


@pytest.mark.parametrize("mode", ["matcap", "normals", "checker"])
def test_every_other_mode_draws(render, mode):
    rgb = render(glb([sphere()]), mode=mode)
    assert drawn(rgb).mean() > 0.1 and rgb[drawn(rgb)].std() > 5


def test_the_floor_shows_its_axes_and_a_soft_shadow_under_the_model(render):
    viewer = render.viewer
    ball = glb([sphere(1, (0, 1, 0))])  # resting on the floor
    try:
        viewer.set_grid_visible(True)
        viewer.set_axes_visible(True)
        bare = render(ball, mode="flat", view="iso")
        viewer.set_shadow_visible(True)
        shaded = render(ball, mode="flat", view="iso")
    finally:
        for switch in (viewer.set_grid_visible, viewer.set_axes_visible, viewer.set_shadow_visible):
            switch(False)
    red = (bare[..., 0] > 150) & (bare[..., 1] < 110) & (bare[..., 2] < 110)
    blue = (bare[..., 2] > 150) & (bare[..., 0] < 110)
    assert red.sum() > 40 and blue.sum() > 40  # X and Z (the file is Y-up) along the floor
    ball_pixels = np.abs(bare - DEFAULT_GREY).sum(axis=2) < 60
    assert not (red & ball_pixels).any()  # nothing of the axes is drawn over the model
    darker = (shaded.sum(axis=2) < bare.sum(axis=2) - 30) & ~ball_pixels
    assert darker.sum() > 300  # the contact shadow, around the ball's foot
    rows = np.flatnonzero(darker.any(axis=1))
    assert rows.min() > 256 * 0.45  # under the ball, not above it


def test_framing_fills_three_quarters_of_the_view(render):
    rgb = render(glb([sphere()]), mode="flat", view="front")
    covered = drawn(rgb)
    rows, columns = np.flatnonzero(covered.any(axis=1)), np.flatnonzero(covered.any(axis=0))
    height = (rows.max() - rows.min() + 1) / 256
    width = (columns.max() - columns.min() + 1) / 256
    assert 0.68 < max(height, width) < 0.8


def test_software_opengl_smooths_edges_and_leaves_flat_colours_alone(render):
    from aiml3d_desktop.gui.widgets.viewer import software_gl

    assert software_gl()  # the test machine draws with Mesa llvmpipe: FXAA is on
    viewer, ball = render.viewer, glb([sphere()])
    smoothed = render(ball, mode="matcap")
    fxaa, viewer._fxaa = viewer._fxaa, None
    try:
        jagged = render(ball, mode="matcap")
    finally:
        viewer._fxaa = fxaa
    changed = np.abs(smoothed - jagged).sum(axis=2) > 6
    edge = drawn(jagged) != drawn(np.roll(jagged, 1, axis=1))  # where the outline runs
    near_edge = np.zeros_like(edge)
    for dx in (-2, -1, 0, 1, 2):
        for dy in (-2, -1, 0, 1, 2):
            near_edge |= np.roll(np.roll(edge, dx, axis=0), dy, axis=1)
    assert changed.sum() > 50  # the outline is blended
    assert (changed & ~near_edge).mean() < 0.002  # and little else is touched

"""Look-dev lighting (core/look/lighting.py) judged by real OpenGL pixels: exposure, rotation, the
presets, an HDR/EXR environment from a file (and bombs refused before their pixels are read),
the environment as the background."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.look import lighting
from aiml3d_desktop.core.look.lighting import Lighting
from aiml3d_desktop.core.meshes import mesh
from tests.gui.test_renderer import rgb_of
from tests.scene_files import glb, quad, sphere

BACKGROUND = (40, 40, 40)


@pytest.fixture(scope="module")
def render(qapp, tmp_path_factory):
    from aiml3d_desktop.gui.widgets.offscreen import OffscreenRenderer

    renderer = OffscreenRenderer()
    folder = tmp_path_factory.mktemp("scenes")

    def draw(data: bytes, light=None, view="front", size=128, channel=None) -> np.ndarray:
        path = folder / "scene.glb"
        path.write_bytes(data)
        scene = mesh.load(path).scene.prepare()
        scene.smooth_normals()
        renderer.viewer.set_shading("studio")
        renderer.viewer.set_lighting(light or Lighting())
        renderer.viewer.set_channel(channel)
        (image,) = renderer.render(scene, (view,), size, "y", QColor(*BACKGROUND))
        return rgb_of(image, size)

    draw.viewer = renderer.viewer  # type: ignore[attr-defined]
    yield draw
    renderer.viewer.set_lighting(Lighting())
    renderer.viewer.set_channel(None)
    renderer.close()


def grey_quad(value: float) -> bytes:
    rough = {"baseColorFactor": [value, value, value, 1], "metallicFactor": 0, "roughnessFactor": 1}
    return glb([{**quad(2, 2), "material": 0}], [{"pbrMetallicRoughness": rough}])


def before_tone_mapping(pixel: np.ndarray) -> np.ndarray:
    """Khronos PBR Neutral undone for a grey below its shoulder, and sRGB's 2.2."""
    out = (np.asarray(pixel, dtype=float) / 255) ** 2.2
    return np.where(out >= 0.04, out + 0.04, np.sqrt(out / 6.25))


def test_one_ev_doubles_the_light_before_tone_mapping(render):
    dark = render(grey_quad(0.12), Lighting(sun=False))[64, 64]
    bright = render(grey_quad(0.12), Lighting(sun=False, exposure=1.0))[64, 64]
    ratio = before_tone_mapping(bright).mean() / before_tone_mapping(dark).mean()
    assert abs(ratio - 2.0) < 0.1, (dark, bright)
    darker = render(grey_quad(0.12), Lighting(sun=False, exposure=-1.0))[64, 64]
    assert before_tone_mapping(darker).mean() < before_tone_mapping(dark).mean() * 0.6


def shiny_sphere() -> bytes:
    metal = {"baseColorFactor": [1, 1, 1, 1], "metallicFactor": 1, "roughnessFactor": 0.15}
    return glb([{**sphere(), "material": 0}], [{"pbrMetallicRoughness": metal}])


def highlight(rgb: np.ndarray) -> np.ndarray:
    brightness = rgb.sum(axis=2).astype(float)
    spot = brightness >= np.percentile(brightness, 99.5)
    return np.argwhere(spot).mean(axis=0)


@pytest.mark.parametrize("preset", ["studio", "outdoor"])
def test_rotation_moves_the_highlight(render, preset):
    still = highlight(render(shiny_sphere(), Lighting(preset=preset)))
    turned = highlight(render(shiny_sphere(), Lighting(preset=preset, rotation=90)))
    assert np.hypot(*(still - turned)) > 10


def test_the_studio_turns_with_the_camera_and_outdoor_stays_with_the_world(render):
    sphere_ = shiny_sphere()
    for preset, same in (("studio", True), ("outdoor", False)):
        front = highlight(render(sphere_, Lighting(preset=preset), view="front"))
        back = highlight(render(sphere_, Lighting(preset=preset), view="back"))
        assert (np.hypot(*(front - back)) < 3) == same, preset


@pytest.mark.parametrize("preset", lighting.PRESETS)
def test_each_preset_lights_a_white_ball(render, preset):
    white = {"baseColorFactor": [1, 1, 1, 1], "metallicFactor": 0, "roughnessFactor": 0.6}
    rgb = render(
        glb([{**sphere(), "material": 0}], [{"pbrMetallicRoughness": white}]),
        Lighting(preset=preset),
    )
    centre = rgb[54:74, 54:74].reshape(-1, 3).mean(axis=0)
    assert 120 < centre.mean() < 250, centre
    if preset == "sunset":
        assert centre[0] > centre[2] + 15  # warm
    if preset == "neutral":
        assert np.ptp(centre) < 6  # grey: judges colours


def write_picture(path: Path, pixels: np.ndarray) -> Path:
    import OpenImageIO as oiio

    height, width, channels = pixels.shape
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), oiio.ImageSpec(width, height, channels, "float"))
    assert out.write_image(np.ascontiguousarray(pixels, dtype=np.float32))
    out.close()
    return path


@pytest.mark.parametrize("suffix", [".hdr", ".exr"])
def test_an_environment_file_lights_the_model_with_its_colour(render, tmp_path, suffix):
    pixels = np.empty((32, 64, 3), np.float32)
    pixels[...] = (2.0, 0.4, 0.3)
    pixels[0, 0] = (np.nan, np.inf, -np.inf)  # clamped, never a black or white blot
    path = write_picture(tmp_path / f"room{suffix}", pixels)
    grey = {"baseColorFactor": [0.25, 0.25, 0.25, 1], "metallicFactor": 0, "roughnessFactor": 1}
    ball = glb([{**sphere(), "material": 0}], [{"pbrMetallicRoughness": grey}])
    rgb = render(ball, Lighting(file=path, background="environment"))
    centre = rgb[54:74, 54:74].reshape(-1, 3).mean(axis=0)
    assert centre[0] > 1.6 * centre[1] and centre[0] > 1.6 * centre[2], centre
    corner = rgb[2, 2]  # the environment as the background: its colour too
    assert corner[0] > 1.5 * corner[1], corner


def radiance_header(path: Path, width: int, height: int) -> Path:
    path.write_bytes(f"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y {height} +X {width}\n".encode())
    return path


def test_a_bomb_header_is_refused_before_its_pixels_are_read(tmp_path):
    path = radiance_header(tmp_path / "wide.hdr", 20000, 100)  # no pixels follow
    with pytest.raises(InputError, match="20000x100: an environment may be at most 16384"):
        lighting.read_environment(path)
    # A header claiming far more than its file: OpenImageIO refuses it first, in words.
    path = radiance_header(tmp_path / "huge.hdr", 16000, 8000)
    with pytest.raises(InputError, match="huge.hdr is not a readable .*malicious"):
        lighting.read_environment(path)
    with pytest.raises(InputError, match="64 megapixels"):
        lighting.check_header(Path("big.exr"), 12000, 6000, 3, 2**20)


def test_a_huge_file_and_a_wrong_kind_are_refused(tmp_path):
    with pytest.raises(InputError, match="512 MB"):
        lighting.check_header(Path("big.exr"), 4096, 2048, 3, 600 * 2**20)
    picture = tmp_path / "room.png"
    picture.write_bytes(b"not really")
    with pytest.raises(InputError, match="not an .hdr or .exr"):
        lighting.read_environment(picture)
    broken = tmp_path / "broken.exr"
    broken.write_bytes(b"v/1\x01garbage")
    with pytest.raises(InputError, match="not a readable"):
        lighting.read_environment(broken)


def test_a_preset_is_prefiltered_only_when_asked(monkeypatch):
    import subprocess
    import sys

    code = (
        "import aiml3d_desktop.gui.widgets.viewer, aiml3d_desktop.core.look.lighting as l, sys;"
        "print(l.preset_environment.cache_info().currsize, 'OpenImageIO' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "False"]


CHANNEL_MATERIAL = {
    "pbrMetallicRoughness": {
        "baseColorFactor": [0.5, 0.25, 1.0, 0.6],
        "metallicFactor": 0.3,
        "roughnessFactor": 0.7,
    },
    "emissiveFactor": [1.0, 0.5, 0.0],
}
EXPECTED = {  # what each channel shows of CHANNEL_MATERIAL (colours as sRGB, with 2.2)
    "base_color": (255 * 0.5 ** (1 / 2.2), 255 * 0.25 ** (1 / 2.2), 255),
    "metallic": (0.3 * 255,) * 3,
    "roughness": (0.7 * 255,) * 3,
    "normal": (127.5, 127.5, 255),  # +Z, the quad's, in the model's space
    "occlusion": (255, 255, 255),  # no occlusion texture: none
    "emissive": (255, 255 * 0.5 ** (1 / 2.2), 0),
    "alpha": (0.6 * 255,) * 3,
}


@pytest.mark.parametrize("channel", list(EXPECTED))
def test_each_channel_shows_the_value_the_material_has(render, channel):
    data = glb([{**quad(2, 2), "material": 0}], [CHANNEL_MATERIAL])
    rgb = render(data, channel=channel)
    assert np.abs(rgb[64, 64] - np.array(EXPECTED[channel])).max() <= 2, rgb[64, 64]
    assert np.ptp(rgb[40:90, 40:90].reshape(-1, 3), axis=0).max() <= 2  # flat: no lighting


def test_the_uv_checker_channel_draws_checks(render):
    rgb = render(glb([{**quad(2, 2), "material": 0}], [CHANNEL_MATERIAL]), channel="uv_checker")
    assert len(np.unique(rgb[30:100, 30:100].reshape(-1, 3), axis=0)) >= 2


def test_a_picture_beyond_the_gpu_limit_is_refused(monkeypatch):
    from aiml3d_desktop.gui.widgets import offscreen, viewer

    monkeypatch.setattr(viewer, "picture_limit", lambda: 4096)
    offscreen.check_size((4096, 100))
    with pytest.raises(InputError, match="at most 4096 pixels a side on this computer"):
        offscreen.check_size((5000, 100))
    monkeypatch.setattr(viewer, "picture_limit", lambda: 16384)
    with pytest.raises(InputError, match="at most 8192 pixels a side"):
        offscreen.check_size((8193, 100))


def flat(rgb_colour) -> dict:
    return {
        "pbrMetallicRoughness": {"baseColorFactor": rgb_colour, "metallicFactor": 0},
        "doubleSided": False,
    }


def test_orthographic_draws_near_and_far_alike_and_perspective_does_not(render):
    near = {**sphere(0.8, (-1.5, 0, 2.5)), "material": 0}
    far = {**sphere(0.8, (1.5, 0, -2.5)), "material": 1}
    data = glb([near, far], [flat([1, 0, 0, 1]), flat([0, 1, 0, 1])])
    areas = {}
    for ortho in (False, True):
        render.viewer.set_orthographic(ortho)
        try:
            rgb = render(data, channel="base_color", size=200)
        finally:
            render.viewer.set_orthographic(False)
        red = ((rgb[:, :, 0] > 200) & (rgb[:, :, 1] < 50)).sum()
        green = ((rgb[:, :, 1] > 200) & (rgb[:, :, 0] < 50)).sum()
        areas[ortho] = red / green
    assert areas[False] > 1.3  # the near ball looks bigger
    assert abs(areas[True] - 1) < 0.03  # parallel: the same size at any depth


def test_back_faces_follow_the_material_or_the_choice(render):
    one_sided = glb([{**quad(2, 2), "material": 0}], [flat([1, 0, 0, 1])])
    shown = {}
    for how in ("material", "shown", "culled"):
        render.viewer.set_back_faces(how)
        try:
            back = render(one_sided, view="back", channel="base_color")[64, 64]
            front = render(one_sided, view="front", channel="base_color")[64, 64]
        finally:
            render.viewer.set_back_faces("material")
        shown[how] = (tuple(back) != BACKGROUND, tuple(front) != BACKGROUND)
    assert shown == {
        "material": (False, True),
        "shown": (True, True),
        "culled": (False, True),
    }
    two_sided = glb([{**quad(2, 2), "material": 0}], [{**flat([1, 0, 0, 1]), "doubleSided": True}])
    render.viewer.set_back_faces("culled")
    try:
        assert tuple(render(two_sided, view="back", channel="base_color")[64, 64]) == BACKGROUND
    finally:
        render.viewer.set_back_faces("material")
    assert tuple(render(two_sided, view="back", channel="base_color")[64, 64]) != BACKGROUND


def test_vertex_colours_off_shows_the_material_colour(render):
    data = glb([{**quad(2, 2, colour=[1, 0, 0, 1]), "material": 0}], [flat([1, 1, 1, 1])])
    assert tuple(render(data, channel="base_color")[64, 64]) == (255, 0, 0)
    render.viewer.set_vertex_colours(False)
    try:
        assert tuple(render(data, channel="base_color")[64, 64]) == (255, 255, 255)
    finally:
        render.viewer.set_vertex_colours(True)


def test_field_of_view_is_clamped_and_a_framed_model_keeps_its_size(render):
    data = glb([{**sphere(), "material": 0}], [flat([1, 0, 0, 1])])
    wide = (render(data, channel="base_color")[:, :, 0] > 200).sum()
    viewer = render.viewer
    try:
        viewer.set_fov(5)
        assert viewer.opts["fov"] == 10
        viewer.set_fov(20)
        narrow = (render(data, channel="base_color")[:, :, 0] > 200).sum()
    finally:
        viewer.set_fov(40)
    assert abs(narrow / wide - 1) < 0.1

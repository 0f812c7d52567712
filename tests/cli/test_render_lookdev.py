"""``aiml3d render``'s look-dev flags as a user runs them (a child process drawing real
OpenGL pixels): --transparent, --light, --exposure, --env-rotation, and their refusals."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.cli.test_render import render
from tests.conftest import corpus_file, files_in


def test_a_transparent_picture_has_alpha_0_around_the_model_and_255_on_it(tmp_path):
    out = tmp_path / "duck.png"
    done = render(
        str(corpus_file("meshes", "Duck.glb")), "-o", str(out), "--transparent", "--size", "320x240"
    )
    assert done.returncode == 0, done.stderr
    picture = Image.open(out)
    assert picture.mode == "RGBA" and picture.size == (320, 240)
    alpha = np.asarray(picture)[:, :, 3]
    assert alpha[0, 0] == alpha[0, -1] == alpha[-1, 0] == alpha[-1, -1] == 0
    assert alpha[120, 160] == 255
    assert 0.1 < (alpha == 255).mean() < 0.6


def test_light_exposure_and_rotation_change_the_picture(tmp_path):
    sample = str(corpus_file("meshes", "Duck.glb"))
    pictures = {}
    for name, args in (
        ("studio", []),
        ("bright", ["--exposure", "1"]),
        ("turned", ["--env-rotation", "120"]),
        ("sunset", ["--light", "sunset", "--env-background"]),
    ):
        out = tmp_path / f"{name}.png"
        done = render(sample, "-o", str(out), "--size", "160x160", "--no-grid", *args)
        assert done.returncode == 0, done.stderr
        pictures[name] = np.asarray(Image.open(out).convert("RGB")).astype(int)
    model = np.abs(pictures["studio"] - pictures["studio"][1, 1]).sum(axis=2) > 40
    assert pictures["bright"][model].mean() > pictures["studio"][model].mean() + 10
    assert np.abs(pictures["turned"] - pictures["studio"])[model].mean() > 5
    corner = pictures["sunset"][1, 1]
    assert corner[0] > corner[2] and tuple(corner) != tuple(pictures["studio"][1, 1])


@pytest.mark.parametrize(
    "args, words",
    [
        (["--light", "moonlight"], "--light 'moonlight' is neither a preset nor an .hdr"),
        (["--light", "missing.hdr"], "There is no file missing.hdr"),
        (["--exposure", "nan"], "--exposure nan: give a number from -10 to 10"),
        (["--transparent", "--env-background"], "ask for two backgrounds"),
        (["--size", "8193x100"], "each side must be from 16 to 8192 pixels"),
    ],
)
def test_bad_look_dev_options_are_one_line_and_write_nothing(tmp_path, args, words):
    out = tmp_path / "out" / "x.png"
    (tmp_path / "out").mkdir()
    done = render(str(corpus_file("meshes", "cube.glb")), "-o", str(out), *args)
    assert done.returncode == 1 and words in done.stderr and done.stderr.count("\n") == 1
    assert files_in(tmp_path / "out") == []


def test_an_hdr_bomb_is_refused_in_words(tmp_path):
    bomb = tmp_path / "sky.hdr"
    bomb.write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 100 +X 30000\n")
    out = tmp_path / "x.png"
    done = render(str(corpus_file("meshes", "cube.glb")), "-o", str(out), "--light", str(bomb))
    assert done.returncode == 1 and "sky.hdr is 30000x100" in done.stderr
    assert not out.exists()


def test_channel_shows_one_input_of_the_material(tmp_path):
    from tests.gui.test_lookdev import CHANNEL_MATERIAL
    from tests.scene_files import glb, quad

    model = tmp_path / "quad.glb"
    model.write_bytes(glb([{**quad(2, 2), "material": 0}], [CHANNEL_MATERIAL]))
    out = tmp_path / "metallic.png"
    done = render(
        str(model), "-o", str(out), "--view", "front", "--channel", "metallic", "--no-grid"
    )
    assert done.returncode == 0, done.stderr
    rgb = np.asarray(Image.open(out).convert("RGB")).astype(int)
    middle = rgb[rgb.shape[0] // 2, rgb.shape[1] // 2]
    assert np.abs(middle - 0.3 * 255).max() <= 2, middle

"""``aiml3d render`` as a user runs it: a child process drawing real OpenGL pixels off screen
(under the test run's Xvfb), and its refusals in words."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest
from PIL import Image

from tests.conftest import aiml3d_command, corpus_file, files_in
from tests.scene_files import glb, quad

RED, GREEN = [1, 0, 0, 1], [0, 1, 0, 1]


def render(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        aiml3d_command("render", *args), capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def two_faced(tmp_path):
    """A red square facing +Z in front of a green one facing -Z: which one a view shows
    says where its camera is."""
    front = quad(colour=RED, centre=(0, 0, 0.1))
    back = {**quad(colour=GREEN, centre=(0, 0, -0.1)), "indices": [[0, 2, 1], [0, 3, 2]]}
    path = tmp_path / "two.glb"
    path.write_bytes(glb([front, back]))
    return path


def test_front_looks_down_minus_z_and_back_up_it(tmp_path, two_faced):
    out = {}
    for view in ("front", "back"):
        out[view] = tmp_path / f"{view}.png"
        done = render(
            str(two_faced),
            "-o",
            str(out[view]),
            "--view",
            view,
            "--mode",
            "flat",
            "--size",
            "320x240",
            "--background",
            "102030",
            "--no-grid",
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"wrote {out[view]}"
    front, back = (np.asarray(Image.open(out[v]).convert("RGB")) for v in ("front", "back"))
    assert front.shape == (240, 320, 3)
    assert tuple(front[120, 160]) == (255, 0, 0) and tuple(back[120, 160]) == (0, 255, 0)
    assert tuple(front[2, 2]) == (0x10, 0x20, 0x30)  # the background asked for


def test_every_view_and_mode_draws_the_sample(tmp_path):
    sample = corpus_file("meshes", "Duck.glb")
    pictures = {}
    for view, mode in (
        ("iso", "studio"),
        ("top", "matcap"),
        ("left", "normals"),
        ("right", "checker"),
    ):
        out = tmp_path / f"{view}-{mode}.png"
        done = render(
            str(sample), "-o", str(out), "--view", view, "--mode", mode, "--size", "200x200"
        )
        assert done.returncode == 0, done.stderr
        pictures[view] = np.asarray(Image.open(out).convert("RGB")).astype(int)
    for view, rgb in pictures.items():
        assert (np.abs(rgb - rgb[1, 1]).sum(axis=2) > 40).mean() > 0.05, view
    assert np.abs(pictures["iso"] - pictures["top"]).mean() > 10


@pytest.mark.parametrize(
    "args, words",
    [
        (["--size", "10x10"], "--size 10x10: each side must be from 16 to 8192 pixels"),
        (["--size", "big"], "--size 'big' is not WIDTHxHEIGHT"),
        (["--background", "zz0000"], "--background 'zz0000' is not a colour"),
    ],
)
def test_bad_options_are_one_line_and_write_nothing(tmp_path, args, words):
    out = tmp_path / "out" / "x.png"
    done = render(str(corpus_file("meshes", "cube.glb")), "-o", str(out), *args)
    assert done.returncode == 1 and words in done.stderr and done.stderr.count("\n") == 1
    assert files_in(tmp_path / "out") == []


def test_a_broken_mesh_and_a_missing_display_are_said_in_words(tmp_path):
    out = tmp_path / "x.png"
    done = render(str(corpus_file("meshes", "empty.stl")), "-o", str(out))
    assert done.returncode == 1 and "empty.stl contains no triangles" in done.stderr
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    headless = subprocess.run(
        aiml3d_command("render", str(corpus_file("meshes", "cube.glb")), "-o", str(out)),
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert headless.returncode == 1 and "needs a display" in headless.stderr
    assert not out.exists()


def test_an_output_folder_that_does_not_exist_is_not_made(tmp_path):
    out = tmp_path / "no" / "such" / "x.png"
    done = render(str(corpus_file("meshes", "cube.glb")), "-o", str(out))
    assert done.returncode == 1 and f"There is no folder {out.parent}" in done.stderr
    assert not (tmp_path / "no").exists()

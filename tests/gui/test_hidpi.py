"""The 3D view at HiDPI scales (a 2x laptop or Mac, 1.25x and 1.5x Windows and GNOME): every
GL pass sizes its buffers and viewports in device pixels, so the model lands where it does at
1x. Each scale runs in a child process (tests/scale_child.py): QT_SCALE_FACTOR must be set
before the QApplication exists."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, corpus_file
from tests.scale_child import OFFSCREEN, VIEW

# One worker takes both tests (tools/test.sh: --dist loadgroup): `measures` starts four apps.
pytestmark = [pytest.mark.gui, pytest.mark.xdist_group("hidpi")]

SCALES = ("1", "1.25", "1.5", "2")


def measure_at(scale: str, mesh) -> dict:
    env = {
        **os.environ,
        "QT_SCALE_FACTOR": scale,
        "QT_QPA_PLATFORM": "xcb",
        "PYOPENGL_PLATFORM": "glx",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.scale_child", str(mesh)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def measures() -> dict[str, dict]:
    duck = corpus_file("meshes", "Duck.glb")
    return {scale: measure_at(scale, duck) for scale in SCALES}


def test_the_still_frame_shows_the_model_where_1x_does_at_every_scale(measures):
    one = measures["1"]["window"]
    assert 0.15 < one["covered"] < 0.4  # the duck, framed
    for scale in SCALES:
        got = measures[scale]
        assert got["dpr"] == float(scale)
        window = got["window"]
        # The framebuffer is the widget's size in device pixels, rounded as Qt rounds.
        assert window["size"] == [int(n * float(scale) + 0.5) for n in VIEW], scale
        assert window["covered"] == pytest.approx(one["covered"], rel=0.04), scale
        assert window["centroid"] == pytest.approx(one["centroid"], abs=0.01), scale
        assert window["box"] == pytest.approx(one["box"], abs=0.01), scale
        assert got["picks"] == [True, False], scale  # a click finds what it is over


def test_offscreen_pictures_have_the_size_asked_for_at_every_scale(measures):
    """Thumbnails, `aiml3d render`, turntables and sheets are counted in pixels."""
    one = measures["1"]["offscreen"]
    for scale in SCALES:
        picture = measures[scale]["offscreen"]
        assert picture["size"] == list(OFFSCREEN), scale
        assert picture["covered"] == pytest.approx(one["covered"], rel=0.04), scale
        assert picture["centroid"] == pytest.approx(one["centroid"], abs=0.01), scale

"""``aiml3d process --upright`` says which turn it made and why (issue 26, item 3), and
leaves a model that stands as it is."""

from __future__ import annotations

import json

import numpy as np
import pytest

from aiml3d_desktop.core.meshes import mesh
from aiml3d_desktop.core.meshes.formats import write
from tests.cli.test_cli import run
from tests.core.test_upright import BACK, chair, lamp, scene_of


def test_process_upright_stands_a_lying_lamp_and_says_why_in_json(tmp_path):
    source, out = tmp_path / "lamp.glb", tmp_path / "out.glb"
    write(scene_of(lamp(), BACK), source)
    done = run("process", "--upright", "-o", out, source, "--json")
    assert done.returncode == 0, done.stderr
    turned = json.loads(done.stdout)["upright"]
    assert turned["turn"] == "turned 90° about X" and turned["as_turn"] == "x90"
    assert turned["reason"] == "it was lying on its back, where it rolls"
    assert turned["choices"][-1]["turn"] == "kept as it was"
    low, high = mesh.load(out).scene.bounds
    assert high[1] - low[1] == pytest.approx(0.58, abs=1e-4)  # standing: its height is up


def test_process_upright_leaves_a_standing_chair_and_says_so(tmp_path):
    source, out = tmp_path / "chair.stl", tmp_path / "out.stl"
    write(scene_of(chair()), source)  # millimetres, +Z up, as printers have it
    done = run("process", "--upright", "-o", out, source)
    assert done.returncode == 0, done.stderr
    assert "Stand upright: kept as it was: it stands on a stable base" in done.stdout
    assert np.allclose(mesh.load(out).scene.bounds, mesh.load(source).scene.bounds, atol=1e-3)

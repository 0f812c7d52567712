"""The likeness of a model to its photo that costs nothing (issue 31, item 3): the outline IoU
of the photo's cut-out and the model's front at the same framing, checked on the corpus
photos (their offline reliefs, which are their outlines inflated, against every photo) and
on the bundled samples (each model's own outline, drawn as a picture, read back)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aiml3d_desktop.core.assets import likeness
from aiml3d_desktop.core.meshes import mesh
from aiml3d_desktop.core.meshes.mesh_arrays import MeshArrays
from aiml3d_desktop.core.meshes.scene import single, transformed
from aiml3d_desktop.core.pictures import relief
from tests.conftest import corpus_file

PHOTOS = ("chair", "hamburger", "robot")
SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"


@pytest.fixture(scope="module")
def reliefs():
    out = {}
    for name in PHOTOS:
        made = relief.make_relief(np.asarray(photo(name).convert("RGBA")))
        out[name] = single(MeshArrays(made.vertices, made.faces.astype(np.uint32)))
    return out


def photo(name: str) -> Image.Image:
    return Image.open(corpus_file(f"images/{name}.png"))


def test_each_photo_is_most_like_its_own_model(reliefs):
    for name in PHOTOS:
        scores = {other: likeness.likeness(reliefs[other], photo(name)) for other in PHOTOS}
        assert scores[name] > 0.93, scores
        assert max(v for k, v in scores.items() if k != name) < 0.6, scores
        duck = mesh.load(corpus_file("meshes/Duck.glb")).scene
        assert likeness.likeness(duck, photo(name)) < 0.6


def test_a_model_lying_down_is_less_like_its_photo(reliefs):
    lying = np.eye(4)
    lying[:3, :3] = [[1, 0, 0], [0, 0, -1], [0, 1, 0]]  # a quarter turn about X
    upright = likeness.likeness(reliefs["chair"], photo("chair"))
    down = likeness.likeness(transformed(reliefs["chair"], lying), photo("chair"))
    assert down < upright - 0.3


@pytest.mark.parametrize("sample", ["sample.glb", "sample.ply"])
def test_a_model_s_own_outline_drawn_as_a_picture_reads_back_the_same(sample):
    scene = mesh.load(SAMPLES / sample).scene
    outline = likeness.silhouette_of_model(scene)
    picture = np.zeros((*outline.shape, 4), np.uint8)
    picture[outline] = (200, 120, 40, 255)  # the outline, opaque, on transparency
    assert likeness.likeness(scene, Image.fromarray(picture)) > 0.95


def test_no_figure_without_a_picture_or_an_object_in_it(reliefs):
    scene = reliefs["chair"]
    assert likeness.measure(scene, None) is None
    assert likeness.measure(scene, b"not a picture at all") is None
    plain = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(plain, "PNG")
    assert likeness.measure(scene, plain.getvalue()) is None  # no object to compare with
    kept = io.BytesIO()
    photo("chair").save(kept, "PNG")
    assert likeness.measure(scene, kept.getvalue()) == {
        "silhouette_iou": pytest.approx(likeness.likeness(scene, photo("chair")), abs=1e-3),
        "view": "front",
    }

"""Preparing a picture before upload: crop to the object, pad to a square it fills to the
foreground ratio, downscale; notes when the object touches the edge or the background is busy."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from aiml3d_desktop.core.pictures import cutout, images
from tests.conftest import corpus_file, make_photo


def object_box(image: Image.Image) -> tuple[int, int, int, int]:
    mask = cutout.segment(np.asarray(image.convert("RGBA")))
    rows, cols = np.nonzero(mask)
    return cols.min(), rows.min(), cols.max() + 1, rows.max() + 1


def test_transparent_picture_is_cropped_centred_and_padded(tmp_path):
    image = Image.new("RGBA", (800, 400), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((500, 100, 699, 299), fill=(200, 40, 40, 255))  # off-centre
    framing = cutout.frame(image, 0.8, 1024)
    out = framing.image
    assert out.size == (250, 250) and out.mode == "RGBA"  # 200 px object fills 0.8 of 250
    left, top, right, bottom = object_box(out)
    assert right - left == 200 and abs(left - (250 - right)) <= 1  # centred
    assert np.asarray(out)[0, 0, 3] == 0  # the padding stays transparent
    assert framing.notes == []


def test_plain_background_is_kept_and_large_results_are_downscaled():
    image = Image.new("RGB", (3000, 2000), (240, 240, 235))
    ImageDraw.Draw(image).ellipse((1000, 500, 2000, 1500), fill=(20, 120, 60))
    out = cutout.frame(image, 0.9, 1024).image
    assert out.size == (1024, 1024)
    assert tuple(np.asarray(out)[2, 2, :3]) == (240, 240, 235)  # the picture's own background


def test_notes_for_an_object_at_the_edge_and_a_busy_background():
    image = Image.new("RGB", (400, 400), (250, 250, 250))
    ImageDraw.Draw(image).rectangle((150, 150, 399, 300), fill=(30, 30, 200))  # at the edge
    notes = cutout.frame(image, 0.9, 1024).notes
    assert len(notes) == 1 and "touches the edge" in notes[0]
    busy = np.asarray(Image.new("RGB", (400, 400), (250, 250, 250))).copy()
    rng = np.random.default_rng(0)
    busy[:, :150] = rng.integers(0, 255, (400, 150, 3))  # clutter on one side
    busy[150:250, 200:300] = (30, 30, 200)
    notes = cutout.frame(Image.fromarray(busy), 0.9, 1024).notes
    assert any("background is busy" in n for n in notes)


def test_no_object_leaves_the_picture_as_it_is():
    framing = cutout.frame(Image.new("RGB", (300, 200), (10, 200, 10)), 0.9, 1024)
    assert framing.image.size == (300, 200) and "No clear object" in framing.notes[0]


def test_prepare_sends_the_framed_picture(tmp_path):
    photo = make_photo(tmp_path / "p.png", size=(600, 300))
    framed = images.prepare(str(photo), fill=0.9)
    assert framed.width == framed.height  # square
    sent = Image.open(io.BytesIO(base64.b64decode(framed.image_url.split(",", 1)[1])))
    left, top, right, bottom = object_box(sent)
    assert (right - left) / sent.width == pytest.approx(0.9, abs=0.02)
    plain = images.prepare(str(photo))  # without framing: as before
    assert (plain.width, plain.height) == (600, 300) and plain.notes == ()


@pytest.mark.parametrize("name", ["chair.png", "hamburger.png", "robot.png"])
def test_corpus_photos_are_framed(name):
    image = Image.open(corpus_file("images", name))
    framing = cutout.frame(image, 0.85, 1024)
    out = framing.image
    assert out.width == out.height <= 1024
    left, top, right, bottom = object_box(out)
    assert max(right - left, bottom - top) / out.width == pytest.approx(0.85, abs=0.03)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_huge_picture_is_framed_as_exactly_as_a_small_one(tmp_path, fmt):
    """The object is found on a reduced copy (and a JPEG decoded reduced), yet its box in
    the picture sent is where it is, to within a pixel or two of the result's scale."""
    image = Image.new("RGB", (6000, 4000), (245, 245, 245))
    ImageDraw.Draw(image).rectangle((1000, 1000, 2199, 1599), fill=(200, 40, 40))  # 1200x600
    path = tmp_path / f"huge.{fmt.lower()}"
    image.save(path, fmt, quality=95)
    prepared = images.prepare(str(path), 1024, fill=0.8)
    assert prepared.original_size == (6000, 4000)
    sent = Image.open(io.BytesIO(prepared.data))
    assert sent.size == (1024, 1024)
    left, top, right, bottom = object_box(sent)
    assert (right - left) / 1024 == pytest.approx(0.8, abs=0.005)  # the object's width
    assert (bottom - top) / 1024 == pytest.approx(0.4, abs=0.005)
    assert abs(left - (1024 - right)) <= 2 and abs(top - (1024 - bottom)) <= 2  # centred

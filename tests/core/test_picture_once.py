"""A picture is decoded once: the window's preview prepares it for sending, and the job sends
exactly that, without opening the file again; a picture prepared with other options is
never sent. Framing a big picture makes no copy of it at full size."""

from __future__ import annotations

import base64
import io
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from aiml3d_desktop.core.api.models import ModelParams
from aiml3d_desktop.core.api.params import TriposrParams
from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.generation import jobs, preview
from aiml3d_desktop.core.library.store import Library
from aiml3d_desktop.core.pictures import cutout, images, scaling
from tests.conftest import make_photo

FILL = ModelParams.of(TriposrParams()).fill  # what the job frames with by default


def photo(path: Path, size=(1600, 1000), fmt=None) -> Path:
    """An opaque photo-like picture, larger than the side sent: it is framed and scaled."""
    image = Image.new("RGB", size, (240, 240, 236))
    w, h = size
    ImageDraw.Draw(image).ellipse((w * 0.3, h * 0.2, w * 0.7, h * 0.85), fill=(200, 40, 40))
    image.save(path, fmt, quality=92)
    return path


def sent_bytes(fake_api, key: str = "image_url") -> bytes:
    (call,) = fake_api.calls("api")
    return base64.b64decode(call.body[key].split(",", 1)[1])


@pytest.mark.parametrize(
    ("name", "fill"),
    [("chair.png", FILL), ("chair.jpg", FILL), ("chair.png", None), ("small.png", None)],
)
def test_the_preview_prepares_what_the_job_would(tmp_path, name, fill):
    """load_preview(upload=True) makes, from its one decoding, exactly what prepare() makes."""
    path = tmp_path / name
    if name == "small.png":
        make_photo(path)  # sent as it is: the file's own bytes
    else:
        photo(path)
    shown = preview.load_preview(str(path), fill=fill, max_side=768, upload=True)
    assert shown.picture is not None
    assert shown.picture == images.prepare(str(path), 768, fill)
    assert shown.picture.made_with == images.Preparation(768, fill)
    if fill is not None:  # the framed picture drawn beside the photo is the one sent
        sent = Image.open(io.BytesIO(shown.picture.data)).convert("RGBA")
        assert shown.prepared is not None and shown.prepared.tobytes() == sent.tobytes()
        assert shown.notes == shown.picture.notes
    if name == "small.png":
        assert shown.picture.data == path.read_bytes()
    # Without upload (the relief preview, a drawing) nothing is encoded.
    assert preview.load_preview(str(path), fill=fill, max_side=768).picture is None


def no_second_reading(monkeypatch) -> None:
    """From here on, opening a picture file fails the test: what is sent was prepared."""

    def read_again(*args: object) -> None:
        raise AssertionError("the picture was read a second time")

    monkeypatch.setattr(images, "open_file", read_again)


def test_a_prepared_picture_is_sent_as_it_is(fake_api, job_options, tmp_path, monkeypatch):
    """The job sends the preview's picture byte for byte, without opening the file again."""
    path = photo(tmp_path / "chair.jpg", fmt="JPEG")
    ready = preview.load_preview(
        str(path), fill=FILL, max_side=job_options.max_side, upload=True
    ).picture
    assert ready is not None
    no_second_reading(monkeypatch)
    result = jobs.generate(
        str(path), TriposrParams(), tmp_path / "out", job_options, prepared=[ready]
    )
    (call,) = fake_api.calls("api")
    assert call.body["image_url"] == ready.image_url
    assert sent_bytes(fake_api) == ready.data
    assert result.image is ready
    assert result.generation.details["uploaded_size"] == [ready.width, ready.height]
    assert result.generation.details["preparation_notes"] == list(ready.notes)


@pytest.mark.parametrize("change", ["deleted", "replaced"])
def test_a_file_changed_since_its_preview_is_read_again(fake_api, job_options, tmp_path, change):
    """The file on disk is what the library keeps as the source: a picture changed since
    it was prepared is prepared again (and sent as it now is), a deleted one is an error
    before anything is sent, so that what was sent and what is kept are one picture."""
    path = photo(tmp_path / "chair.jpg", fmt="JPEG")
    ready = images.prepare(str(path), job_options.max_side, FILL)
    if change == "deleted":
        path.unlink()
        with pytest.raises(InputError, match="No image file"):
            jobs.generate(
                str(path), TriposrParams(), tmp_path / "out", job_options, prepared=[ready]
            )
        assert fake_api.calls("api") == []
        return
    Image.new("RGB", (900, 900), (10, 120, 10)).save(path, "JPEG")
    assert not ready.made_as(str(path), job_options.max_side, FILL)
    jobs.generate(str(path), TriposrParams(), tmp_path / "out", job_options, prepared=[ready])
    assert sent_bytes(fake_api) == images.prepare(str(path), job_options.max_side, FILL).data
    assert sent_bytes(fake_api) != ready.data


def test_a_file_rewritten_while_it_is_read_is_not_sent(tmp_path, monkeypatch):
    """A small picture is sent as the file's own bytes: read after decoding, they must be
    the bytes decoded, or nothing is sent."""
    path = make_photo(tmp_path / "small.png")
    real_decode = images.decode

    def decode_then_rewrite(raw, name, target=None):
        image = real_decode(raw, name, target)
        path.write_bytes(path.read_bytes() + b"more")  # another program writes meanwhile
        return image

    monkeypatch.setattr(images, "decode", decode_then_rewrite)
    with pytest.raises(InputError, match="changed while it was being read"):
        images.prepare(str(path), 1024, None)


def test_a_prepared_picture_goes_into_the_library_entry(fake_api, job_options, tmp_path):
    path = photo(tmp_path / "chair.png")
    ready = preview.load_preview(
        str(path), fill=FILL, max_side=job_options.max_side, upload=True
    ).picture
    assert ready is not None and ready.data is not None
    lib = Library(tmp_path / "lib")
    try:
        entry, _ = jobs.generate_to_library(
            lib, str(path), TriposrParams(), job_options, prepared=[ready]
        )
    finally:
        lib.close()
    assert sent_bytes(fake_api) == ready.data
    assert (entry.folder / "uploaded.png").read_bytes() == ready.data


def test_each_view_of_a_multi_view_model_is_taken_as_prepared(
    fake_api, job_options, tmp_path, monkeypatch
):
    front = photo(tmp_path / "front.png")
    left = photo(tmp_path / "left.png", size=(1200, 1400))
    ready = []
    for path in (front, left):
        shown = preview.load_preview(str(path), fill=0.9, max_side=1024, upload=True)
        assert shown.picture is not None
        ready.append(shown.picture)
    no_second_reading(monkeypatch)
    params = ModelParams("magic/image-to-3d")
    assert params.fill == 0.9
    jobs.generate(
        str(front), params, tmp_path / "out", job_options, views={"left": str(left)}, prepared=ready
    )
    assert sent_bytes(fake_api, "front_image_url") == ready[0].data
    assert sent_bytes(fake_api, "left_image_url") == ready[1].data


# What the job is asked for, against a picture prepared at max side 1024, framed at FILL.
MISMATCHES = {
    "another max side": {"max_side": 512},
    "framing off": {"prepare": False},
    "another fill": {"params": TriposrParams(foreground_ratio=0.7)},
    "another picture": {"source": "other.png"},
}


@pytest.mark.parametrize("mismatch", list(MISMATCHES))
def test_a_picture_prepared_otherwise_is_never_sent(fake_api, job_options, tmp_path, mismatch):
    """The job prepares the picture afresh, as its own options say; the one given is not
    even looked at, and with its file gone the job stops before sending anything."""
    asked = MISMATCHES[mismatch]
    path = photo(tmp_path / "chair.png")
    photo(tmp_path / "other.png", size=(1000, 1300))
    ready = images.prepare(str(path), 1024, FILL)
    options = replace(
        job_options,
        max_side=asked.get("max_side", 1024),
        prepare=asked.get("prepare", True),
    )
    params = asked.get("params", TriposrParams())
    source = str(tmp_path / asked.get("source", "chair.png"))
    fill = ModelParams.of(params).fill if options.prepare else None
    assert not ready.made_as(source, options.max_side, fill)
    expected = images.prepare(source, options.max_side, fill)
    jobs.generate(source, params, tmp_path / "out", options, prepared=[ready])
    assert sent_bytes(fake_api) == expected.data != ready.data

    # With the picture gone, the one prepared otherwise is still not sent: nothing is.
    Path(source).unlink()
    with pytest.raises(InputError, match="No image file"):
        jobs.generate(source, params, tmp_path / "out2", options, prepared=[ready])
    assert len(fake_api.calls("api")) == 1


def test_made_as_compares_every_option(tmp_path):
    a, b = make_photo(tmp_path / "a.png"), make_photo(tmp_path / "b.png")
    ready = images.PreparedImage(
        "data:image/png;base64,",
        str(a),
        False,
        made_with=images.Preparation(1024, 0.85),
        stamp=images.file_stamp(str(a)),
    )
    assert ready.made_as(str(a), 1024, 0.85)
    assert not ready.made_as(str(a), 1024, None)  # framing off
    assert not ready.made_as(str(a), 1024, 0.86)
    assert not ready.made_as(str(a), 2048, 0.85)
    assert not ready.made_as(str(b), 1024, 0.85)
    unknown = replace(ready, made_with=None)  # not made by prepare(): how is not known
    assert not unknown.made_as(str(a), 1024, 0.85)
    assert not replace(ready, stamp=None).made_as(str(a), 1024, 0.85)
    a.write_bytes(a.read_bytes() + b"\0")  # the file changed since
    assert not ready.made_as(str(a), 1024, 0.85)
    link = images.prepare("https://example.com/a.png")
    assert not link.made_as(link.source, 1024, None)  # a link is never prepared ahead
    assert images.prepare(link.source, ready=[link]) == link


@pytest.mark.parametrize("size", [(3000, 2000), (2000, 3000), (1999, 1001), (1025, 1024), (640, 9)])
def test_shrunk_is_the_thumbnail_without_touching_the_picture(size):
    image = Image.radial_gradient("L").resize(size).convert("RGB")
    before = image.tobytes()
    thumb = image.copy()
    thumb.thumbnail((1024, 1024), Image.Resampling.LANCZOS)
    small = scaling.shrunk(image, 1024)
    assert small.size == thumb.size and small.tobytes() == thumb.tobytes()
    assert image.tobytes() == before and small is not image


def test_framing_a_big_picture_makes_no_full_size_copy(monkeypatch, tmp_path):
    """Every picture made while framing (crops, conversions, scalings) is small: the object's
    box is scaled straight out of the decoded picture. This is what kept a 40-megapixel
    photo's framing at 160 MB more than its decoding (benchmarks/bench_picture_memory.py)."""
    big = Image.new("RGB", (4000, 3000), (245, 245, 245))
    ImageDraw.Draw(big).ellipse((300, 200, 3700, 2800), fill=(200, 40, 40))  # most of it
    plain = Image.new("RGB", (4000, 3000), (10, 200, 10))  # no object in it
    made: list[tuple[str, tuple[int, int]]] = []
    for name in ("crop", "convert", "copy", "resize", "reduce", "transpose"):
        original = getattr(Image.Image, name)

        def spy(self, *args, _original=original, _name=name, **kwargs):
            result = _original(self, *args, **kwargs)
            made.append((_name, result.size))
            return result

        monkeypatch.setattr(Image.Image, name, spy)
    square = cutout.frame(big, 0.85, 1024).image
    assert square.size == (1024, 1024) and made
    largest = max(w * h for _, (w, h) in made)
    assert largest <= 1024 * 1024, made  # the picture is 12 megapixels
    # The same when no object is found and the whole picture is sent.
    made.clear()
    framing = cutout.frame(plain, 0.85, 1024)
    assert "No clear object" in framing.notes[0] and framing.image.size == (1024, 768)
    assert max(w * h for _, (w, h) in made) <= 1024 * 1024, made

"""Preparing pictures for upload: checked with Pillow, downscaled, sent as data URIs."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import pytest
from PIL import Image

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.pictures import images
from tests.conftest import corpus_file, make_photo


def decode(prepared) -> Image.Image:
    header, data = prepared.image_url.split(",", 1)
    assert header == f"data:{prepared.mime};base64"
    return Image.open(io.BytesIO(base64.b64decode(data)))


@pytest.mark.parametrize(
    "ext, fmt, mime",
    [("png", "PNG", "image/png"), ("jpg", "JPEG", "image/jpeg"), ("webp", "WEBP", "image/webp")],
)
def test_small_pictures_are_sent_as_they_are(tmp_path, ext, fmt, mime):
    path = make_photo(tmp_path / f"p.{ext}", mode="RGB" if fmt == "JPEG" else "RGBA", fmt=fmt)
    prepared = images.prepare(str(path))
    assert prepared.mime == mime and not prepared.is_url
    assert prepared.data == path.read_bytes()  # untouched: no needless re-encoding
    assert decode(prepared).size == (256, 256)


def test_large_pictures_are_downscaled_keeping_alpha(tmp_path):
    path = make_photo(tmp_path / "big.png", size=(3000, 1500))
    prepared = images.prepare(str(path), max_side=1024)
    image = decode(prepared)
    assert image.size == (1024, 512) and image.mode == "RGBA"
    assert prepared.original_size == (3000, 1500)
    assert image.getpixel((0, 0))[3] == 0  # the transparent background is still transparent


def test_large_opaque_photos_go_as_jpeg(tmp_path):
    path = make_photo(tmp_path / "big.jpg", size=(2048, 2048), mode="RGB", fmt="JPEG")
    prepared = images.prepare(str(path), max_side=512)
    assert prepared.mime == "image/jpeg" and decode(prepared).size == (512, 512)


def test_exif_rotation_is_applied(tmp_path):
    image = Image.new("RGB", (400, 200), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = tmp_path / "phone.jpg"
    image.save(path, "JPEG", exif=exif)
    assert decode(images.prepare(str(path))).size == (200, 400)


def test_urls_pass_through():
    prepared = images.prepare("https://cdn.example.com/a/robot.webp?sig=1")
    assert prepared.image_url == "https://cdn.example.com/a/robot.webp?sig=1"
    assert prepared.is_url and prepared.stem == "robot"


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size: a decompression bomb."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 10))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "is empty"),
        (b"hello, I am a text file", "not an image"),
        (_png_claiming(100_000, 100_000), "too large"),
        (_png_claiming(9000, 9000), "too large"),
        (_png_claiming(8, 8), "only 8x8 pixels"),
    ],
)
def test_bad_files_are_refused_clearly(tmp_path, content, words):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        images.prepare(str(path))
    assert words in str(info.value) and "\n" not in str(info.value)


def test_truncated_image_is_refused(tmp_path):
    good = make_photo(tmp_path / "good.png", size=(512, 512)).read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(InputError, match="damaged or truncated"):
        images.prepare(str(path))


def test_other_formats_and_missing_files(tmp_path):
    bmp = tmp_path / "x.bmp"
    Image.new("RGB", (64, 64)).save(bmp)
    with pytest.raises(InputError, match="BMP image; the API takes PNG, JPEG or WEBP"):
        images.prepare(str(bmp))
    with pytest.raises(InputError, match="No image file"):
        images.prepare(str(tmp_path / "nope.png"))
    with pytest.raises(InputError, match="neither a local file nor"):
        images.prepare("ftp://example.com/x.png")


def test_oversized_file_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 1000)
    path = make_photo(tmp_path / "p.png", size=(512, 512))
    with pytest.raises(InputError, match="largest image accepted"):
        images.prepare(str(path))


@pytest.mark.parametrize("name", ["chair.png", "hamburger.png", "robot.png"])
def test_corpus_photos_prepare(name):
    prepared = images.prepare(str(corpus_file("images", name)))
    assert prepared.mime == "image/png" and max(prepared.width, prepared.height) <= 1024
    assert decode(prepared).mode == "RGBA"

"""What the user is told: a file that is not a picture is named for what it is, a refused
drawing is not blamed on a picture, and the base URL in use says where it comes from."""

from __future__ import annotations

import pytest

from aiml3d_desktop.core.api.client import AimlClient
from aiml3d_desktop.core.api.params import DEFAULT_BASE
from aiml3d_desktop.core.common.errors import ApiError, InputError
from aiml3d_desktop.core.pictures import images
from aiml3d_desktop.core.settings import Settings
from tests.conftest import FAST

ISO = b"\0\0\0\x18ftyp"


@pytest.mark.parametrize(
    "content, what",
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "it is a PDF document"),
        (b"<!DOCTYPE html>\n<html><head><title>Photo</title>", "it is a web page (HTML)"),
        (b"\xef\xbb\xbf  <html lang='en'><body><img src='x.png'>", "it is a web page (HTML)"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">', "an SVG drawing"),
        (ISO + b"heic\0\0\0\0mif1heic" + b"\0" * 64, "it is an HEIC photo"),
        (ISO + b"avif\0\0\0\0avifmif1" + b"\0" * 64, "it is an AVIF picture"),
        (ISO + b"isom\0\0\x02\0isomiso2mp41" + b"\0" * 64, "it is a video"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + b"\0" * 64, "it is a video (WebM"),
        (b"RIFF\0\0\0\0AVI LIST" + b"\0" * 64, "it is a video (AVI)"),
        (b"PK\x03\x04\x14\0\x06\0" + b"\0" * 64, "it is a ZIP archive"),
        (b"glTF\x02\0\0\0" + b"\0" * 64, "it is a 3D model (GLB)"),
        (b"Dear Sam,\nthe photo is attached.\n" * 20, "it is a text file"),
        ("Caf\xe9 cr\xe8me, na\xefve\n".encode("latin-1") * 20, "it is a text file"),
    ],
)
def test_a_file_that_is_not_a_picture_is_named_for_what_it_is(tmp_path, content, what):
    path = tmp_path / "photo.png"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        images.prepare(str(path))
    error = info.value
    assert str(error.message).startswith("photo.png is not an image: ")
    assert what in error.message and "Pillow" not in error.message
    assert "PNG, JPEG and WEBP" in error.hint


def test_data_that_looks_like_nothing_known_still_says_what_is_taken(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(InputError) as info:
        images.prepare(str(path))
    assert info.value.message == "photo.png is not an image"
    assert "PNG, JPEG and WEBP" in info.value.hint


def test_empty_bytes_are_called_empty():
    with pytest.raises(InputError, match="is empty"):
        images.decode(b"", "download.png")


def refuse_drawings(monkeypatch, status: int = 400) -> None:
    """The fake API refuses every text-to-image request, as the real one does a prompt or a
    model it will not take."""
    from tests.fake_api import _ApiHandler

    def refuse(handler, body, fault):
        handler.error(status, "Body validation error!", details=["prompt is not allowed"])

    monkeypatch.setattr(_ApiHandler, "text_to_image", refuse)


@pytest.mark.parametrize("status", [400, 422])
def test_a_refused_drawing_is_not_blamed_on_a_picture(fake_api, monkeypatch, status):
    refuse_drawings(monkeypatch, status)
    client = AimlClient(fake_api.KEY, fake_api.base_url, retry=FAST)
    with pytest.raises(ApiError) as info:
        client.text_to_image("a red armchair", "flux/schnell")
    assert f"HTTP {status}" in info.value.message
    assert "image" not in info.value.hint.replace("text-to-image", "")
    assert "Check the prompt" in info.value.hint and "flux/schnell" in info.value.hint


def test_the_base_url_in_use_says_where_it_comes_from(monkeypatch):
    conf = Settings()
    assert conf.api_base_source() == (DEFAULT_BASE, "default")
    conf.api_base = "https://eu.example.com"
    assert conf.api_base_source() == ("https://eu.example.com", "settings")
    monkeypatch.setenv("AIML_API_BASE", "http://127.0.0.1:9")
    assert conf.api_base_source() == ("http://127.0.0.1:9", "environment")
    assert conf.api_base_source()[0] == conf.api_base_for()

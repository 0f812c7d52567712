"""Turn what the user gave (a URL or a local picture) into the ``image_url`` the API takes."""

from __future__ import annotations

import base64
import io
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from PIL import Image, ImageOps, UnidentifiedImageError

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.common.fileio import path_kind
from aiml3d_desktop.core.net.policy import check_url, is_url
from aiml3d_desktop.core.pictures import scaling
from aiml3d_desktop.core.pictures.limits import DEFAULT_MAX_SIDE

DISPLAY_MAX_SIDE = 2048  # the longest side of a picture shown in the window
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is the largest we accept before decoding
MIN_SIDE = 16
MAX_ASPECT = 20  # a longer side more than this many times the shorter is not a photo of a thing
ORIENTATION = 0x0112  # the EXIF tag
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


Stamp = tuple[int, int]  # a file's size and modification time (ns)


@dataclass(frozen=True)
class Preparation:
    """How a local picture is made ready to send: its longest side at most ``max_side``;
    with ``fill``, framed first (cropped to the object, padded to a square in which it
    fills that share: core/pictures/cutout.py); None: not framed."""

    max_side: int = DEFAULT_MAX_SIDE
    fill: float | None = None


@dataclass(frozen=True)
class PreparedImage:
    """What is sent as ``image_url``, and what we know of the picture behind it."""

    image_url: str
    source: str  # the path or URL as the user gave it
    is_url: bool
    width: int | None = None  # of the picture sent (after any downscale)
    height: int | None = None
    original_size: tuple[int, int] | None = None
    mime: str | None = None
    data: bytes | None = None  # the bytes sent, for a local file
    notes: tuple[str, ...] = ()  # from preparing the picture: worth telling the user
    made_with: Preparation | None = None  # how a local file was prepared; None for a link
    stamp: Stamp | None = None  # the file as it was read: a later change is another picture

    def made_as(self, source: str, max_side: int, fill: float | None) -> bool:
        """Whether this is what ``prepare(source, max_side, fill)`` makes: a local picture
        prepared from that same path with the same options (the same longest side, framed
        or not, with the same fill), which has not changed since. Anything else must be
        prepared again, so that what is sent and what the library keeps are one picture."""
        return (
            not self.is_url
            and self.source == source
            and self.made_with == Preparation(max_side, fill)
            and self.stamp is not None
            and self.stamp == file_stamp(source)  # the file is still the one read
        )

    @property
    def stem(self) -> str:
        try:
            name = Path(urlsplit(self.source).path if self.is_url else self.source).stem
        except ValueError:  # a link too broken to split; it is refused before any use
            name = ""
        return name or "model"


def prepare(
    source: str,
    max_side: int = DEFAULT_MAX_SIDE,
    fill: float | None = None,
    *,
    ready: Iterable[PreparedImage] = (),
) -> PreparedImage:
    """A http(s) URL passes through; a local file is checked, downscaled and sent as a data URI.
    With ``fill``, a local picture is first framed: cropped to the object and padded to a
    square in which the object fills that share (core/pictures/cutout.py).

    A picture in ``ready`` made from ``source`` with these same options (the window's
    preview made it: preview.load_preview(upload=True)) is returned as it is, and the file
    is not read again; one made otherwise (another picture, max side, fill, or framing on
    or off) is never used (PreparedImage.made_as)."""
    for picture in ready:
        if picture.made_as(source, max_side, fill):
            return picture
    if is_url(source):
        check_url(source, "picture address")
        return PreparedImage(image_url=source, source=source, is_url=True)
    if "://" in source or source.startswith("data:"):
        raise InputError(
            f"{source[:60]!r} is neither a local file nor an http(s) link",
            hint="Give a path to a PNG, JPEG or WEBP file, or a web address.",
        )
    image, raw, stamp = open_file(Path(source), max_side, fill)
    return prepare_decoded(image, source, max_side, fill, raw, stamp)[0]


def decode_target(max_side: int) -> int:
    """The side a JPEG is decoded reduced to, at least (see decode()): twice the side sent,
    and no less than the window shows. The window's preview and the upload use the same,
    so the picture the preview prepared is the one a job would prepare."""
    return max(DISPLAY_MAX_SIDE, 2 * max_side)


def check_file(path: Path) -> None:
    """Refuse a missing, empty or oversized file before reading it."""
    if path_kind(path) != "file":
        raise InputError(f"No image file at {str(path)[:200]}")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path.name} is empty")
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"{path.name} is {size / 2**20:.0f} MiB; the largest image accepted is "
            f"{MAX_FILE_BYTES // 2**20} MiB",
            hint="Save a smaller copy of it.",
        )


def upright(image: Image.Image) -> Image.Image:
    """Phone photos store their rotation in EXIF: apply it."""
    if image.getexif().get(ORIENTATION, 1) != 1:
        return ImageOps.exif_transpose(image)
    return image


def open_file(
    path: Path, max_side: int, fill: float | None
) -> tuple[Image.Image, bytes | None, Stamp]:
    """A local picture checked, decoded (a JPEG reduced: decode_target) and turned upright;
    with the file's bytes only when they are what will be sent unchanged (a picture small
    enough, upright, not framed), so that a big picture's file is not held in memory while
    it is decoded and framed; and the file's stamp as it was read."""
    check_file(path)
    with path.open("rb") as file:
        stamp = _stamp(os.fstat(file.fileno()))
        image = decode(file, path.name, target=decode_target(max_side))
        turned = upright(image)
        if turned is not image or fill is not None or max(full_size(image)) > max_side:
            return turned, None, stamp
        file.seek(0)  # small enough to be decoded whole (decode_target): sent as it is
        raw = file.read(MAX_FILE_BYTES + 1)
        if len(raw) != stamp[0] or _stamp(os.fstat(file.fileno())) != stamp:
            raise InputError(f"{path.name} changed while it was being read", hint="Open it again.")
        return turned, raw, stamp


def _stamp(stat: os.stat_result) -> Stamp:
    return stat.st_size, stat.st_mtime_ns


def file_stamp(source: str) -> Stamp | None:
    """The file's stamp now, or None if it cannot be looked at."""
    try:
        return _stamp(os.stat(source))
    except (OSError, ValueError):
        return None


def prepare_decoded(
    image: Image.Image,
    source: str,
    max_side: int,
    fill: float | None,
    raw: bytes | None = None,
    stamp: Stamp | None = None,
) -> tuple[PreparedImage, Image.Image]:
    """A picture as open_file() gave it (decoded, upright; ``raw``: the file's bytes if it
    may be sent unchanged) made ready to send: framed with ``fill``, at most ``max_side``,
    encoded once. Returns it with the picture sent, decoded. ``image`` is left as it is
    (the window goes on to show it), and no copy of it at full size is made."""
    original = full_size(image)
    notes: tuple[str, ...] = ()
    sent = image
    if fill is not None:
        from aiml3d_desktop.core.pictures import cutout  # scipy: only when framing

        framing = cutout.frame(image, fill, max_side)
        sent, notes = framing.image, tuple(framing.notes)
    if max(sent.size) > max_side:
        sent = scaling.shrunk(sent, max_side)
    if raw is not None and sent is image and image.size == original and image.format in FORMATS:
        data, fmt = raw, image.format
    else:
        data, fmt = _encode(sent)
    mime = FORMATS[fmt]
    prepared = PreparedImage(
        image_url=f"data:{mime};base64," + base64.b64encode(data).decode("ascii"),
        source=source,
        is_url=False,
        width=sent.width,
        height=sent.height,
        original_size=original,
        mime=mime,
        data=data,
        notes=notes,
        made_with=Preparation(max_side, fill),
        stamp=stamp,
    )
    return prepared, sent


def decode(raw: bytes | BinaryIO, name: str, target: int | None = None) -> Image.Image:
    """Open and fully decode (bytes, or an open file: then only the picture decoded is
    held, not the file's bytes), refusing non-images, other formats, bombs and absurd sizes.

    With ``target``, a JPEG much larger than that is decoded at a half, a quarter or an
    eighth of its size (still at least ``target`` on each side): a 40-megapixel photo then
    takes a quarter of the memory and time. full_size() tells its real size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw) if isinstance(raw, bytes) else raw)
            fmt = image.format
            if fmt not in FORMATS:
                raise InputError(
                    f"{name} is a {fmt} image; the API takes PNG, JPEG or WEBP",
                    hint="Convert it to PNG first.",
                )
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InputError(
                    f"{name} is {width}x{height} pixels, too large to process safely",
                    hint="Use a copy under 40 megapixels.",
                )
            if min(width, height) < MIN_SIDE:
                raise InputError(
                    f"{name} is only {width}x{height} pixels",
                    hint=f"Use an image at least {MIN_SIDE} pixels on each side.",
                )
            if max(width, height) > MAX_ASPECT * min(width, height):
                raise InputError(
                    f"{name} is {width}x{height} pixels: too long and narrow to make a model from",
                    hint="Crop it to the object.",
                )
            if target and fmt == "JPEG":
                image.draft(image.mode, (target, target))
            image.load()
            image.info["full_size"] = (width, height)
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputError(f"{name} claims a size too large to decode safely ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise not_a_picture(_head(raw), name) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{name} is damaged or truncated: {exc}") from exc
    image.format = fmt  # load() can drop it for some plugins
    return image


def _head(raw: bytes | BinaryIO) -> bytes:
    """The first bytes, which sniff() reads."""
    if isinstance(raw, bytes):
        return raw[:4096]
    raw.seek(0)
    return raw.read(4096)


TAKEN = "The app takes PNG, JPEG and WEBP pictures"
# The ISO media ("ftyp") brands of HEIF photos (an iPhone's HEIC) and AVIF pictures; any
# other brand is a video (MP4, MOV, 3GP).
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
AVIF_BRANDS = {b"avif", b"avis"}


def not_a_picture(raw: bytes, name: str) -> InputError:
    """What to say of a file no picture reader recognises: what it seems to be instead (by
    its first bytes, not its name), and what to give."""
    what, todo = sniff(raw)
    if what == "empty":
        return InputError(f"{name} is empty (0 bytes)", hint=f"{TAKEN}.")
    said = f"{name} is not an image: it is {what}" if what else f"{name} is not an image"
    return InputError(said, hint=f"{TAKEN}{'; ' + todo if todo else ''}.")


def sniff(raw: bytes) -> tuple[str | None, str]:
    """(what the bytes look like, what to do about it); (None, "") when they look like
    nothing known."""
    head = raw[:4096]
    if not head:
        return "empty", ""
    if head[4:8] == b"ftyp":
        return _iso_media(head[8:12])
    for magic, what, todo in MAGIC:
        if head.startswith(magic):
            return what, todo
    if head[:4] == b"RIFF" and head[8:12] in (b"AVI ", b"WAVE"):
        return ("a video (AVI)", "") if head[8:12] == b"AVI " else ("a sound file (WAV)", "")
    return _text_kind(head)


MAGIC = (
    (b"%PDF", "a PDF document", "export the page as PNG, or take a screenshot of it"),
    (b"\x1a\x45\xdf\xa3", "a video (WebM or Matroska)", "save one frame of it as PNG"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)", "take the picture out of it"),
    (b"glTF", "a 3D model (GLB)", "open it with File > Open 3D model"),
    (b"ID3", "a sound file (MP3)", ""),
)


def _iso_media(brand: bytes) -> tuple[str, str]:
    if brand in HEIF_BRANDS:
        return "an HEIC photo (an iPhone's format)", "save it as JPEG first"
    if brand in AVIF_BRANDS:
        return "an AVIF picture", "save it as PNG or JPEG first"
    return "a video (MP4 or MOV)", "save one frame of it as PNG"


def _text_kind(head: bytes) -> tuple[str | None, str]:
    """A web page, an SVG drawing, or other text; None for bytes that are not text."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:  # cut mid-character at 4 KiB, or another encoding
        cut = exc.start >= len(head) - 3
        text = head[: exc.start].decode() if cut else head.decode("cp1252", errors="replace")
    # Text has next to no control characters; data has one byte in eight or more.
    odd = sum(c == "\ufffd" or (c < " " and c not in "\t\r\n\f") for c in text)
    if odd > len(text) // 50:
        return None, ""
    text = text.lstrip("\ufeff \t\r\n").lower()
    if "<svg" in text[:1024]:
        return "an SVG drawing", "export it as PNG"
    if text.startswith(("<!doctype html", "<html")) or "<html" in text[:1024]:
        return (
            "a web page (HTML)",
            "in the browser, right-click the picture itself and save it, or drag it here",
        )
    return "a text file", ""


def full_size(image: Image.Image) -> tuple[int, int]:
    """The picture's size in its file, even when decode() read it reduced."""
    return image.info.get("full_size", image.size)


def _encode(image: Image.Image) -> tuple[bytes, str]:
    """PNG keeps transparency (the background removal step uses it); opaque photos go as JPEG."""
    buf = io.BytesIO()
    if image.mode in ("RGBA", "LA", "P") or "transparency" in image.info:
        image.convert("RGBA").save(buf, "PNG", optimize=False)
        return buf.getvalue(), "PNG"
    image.convert("RGB").save(buf, "JPEG", quality=92)
    return buf.getvalue(), "JPEG"

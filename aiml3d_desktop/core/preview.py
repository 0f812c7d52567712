"""Pictures for showing: a local file or a web link, decoded off the GUI thread."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import requests
from PIL import Image

from aiml3d_desktop.core import images
from aiml3d_desktop.core.cancel import CancelToken
from aiml3d_desktop.core.errors import InputError, NetworkError
from aiml3d_desktop.core.net import make_session
from aiml3d_desktop.core.netpolicy import RetryPolicy, Timeouts, check_url

if TYPE_CHECKING:
    from aiml3d_desktop.core.jobs import Drawing

DISPLAY_MAX_SIDE = 2048


@dataclass(frozen=True)
class Preview:
    source: str  # the path or URL to generate from
    rgba: np.ndarray  # (H, W, 4) uint8, at most DISPLAY_MAX_SIDE on a side
    size: tuple[int, int]  # the picture's own width and height
    is_url: bool
    prepared: np.ndarray | None = None  # (S, S, 4): the picture as it will be sent, if framed
    notes: tuple[str, ...] = ()  # from framing it
    drawing: Drawing | None = None  # text to 3D: the prompt it was drawn from, and its link


def load_preview(
    source: str,
    *,
    fill: float | None = None,
    max_side: int = images.DEFAULT_MAX_SIDE,
    progress=lambda stage, done, total: None,
    cancel: CancelToken | None = None,
) -> Preview:
    """Check and decode a picture the way generation will see it, for display; with
    ``fill``, a local picture also framed as images.prepare() will send it."""
    cancel = cancel or CancelToken()
    progress("opening", None, None)
    if images.is_url(source):
        raw = _fetch(source, cancel)
        image = images.decode(raw, Path(source.split("?")[0]).name or "the linked image")
    else:
        path = Path(source)
        images.check_file(path)
        image = images.decode(path.read_bytes(), path.name)
    cancel.check()
    size = image.size
    image = images.upright(image)
    prepared, notes = None, ()
    if fill is not None and not images.is_url(source):
        from aiml3d_desktop.core import cutout

        framing = cutout.frame(image, fill, max_side)
        prepared, notes = np.ascontiguousarray(np.asarray(framing.image)), tuple(framing.notes)
    image.thumbnail((DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE), Image.Resampling.LANCZOS)
    rgba = np.ascontiguousarray(np.asarray(image.convert("RGBA")))
    return Preview(source, rgba, size, images.is_url(source), prepared, notes)


def _fetch(url: str, cancel: CancelToken) -> bytes:
    check_url(url, "image address")
    session = make_session(RetryPolicy(attempts=2), cancel, retry_post=False)
    try:
        with session.get(url, stream=True, timeout=(Timeouts().connect, 30)) as response:
            if response.status_code != 200:
                raise InputError(
                    f"The link answered HTTP {response.status_code}",
                    hint="Check that the link opens a picture in your browser.",
                )
            body = io.BytesIO()
            for chunk in response.iter_content(256 * 1024):
                cancel.check()
                body.write(chunk)
                if body.tell() > images.MAX_FILE_BYTES:
                    raise InputError("The linked picture is larger than 50 MiB")
            return body.getvalue()
    except requests.RequestException as exc:
        cancel.check()
        raise NetworkError(
            f"Could not download the picture: {type(exc).__name__}",
            hint="Check your connection and the link.",
        ) from None
    finally:
        session.close()


def fetch_picture(url: str, cancel: CancelToken | None = None) -> bytes:
    """A picture's bytes from a link, checked to be a picture we can read."""
    raw = _fetch(url, cancel or CancelToken())
    images.decode(raw, "the picture made from the prompt")
    return raw

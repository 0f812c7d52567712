"""Pictures for showing: a local file or a web link, decoded off the GUI thread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import requests

from aiml3d_desktop.core.common.cancel import CancelToken
from aiml3d_desktop.core.common.errors import InputError, NetworkError
from aiml3d_desktop.core.common.stages import Stage, no_progress
from aiml3d_desktop.core.net.http import TooLarge, Watch, get, make_session, read_capped
from aiml3d_desktop.core.net.policy import RetryPolicy, Timeouts
from aiml3d_desktop.core.pictures import images, scaling
from aiml3d_desktop.core.pictures.limits import DEFAULT_MAX_SIDE

if TYPE_CHECKING:
    from aiml3d_desktop.core.library.results import Drawing

DISPLAY_MAX_SIDE = images.DISPLAY_MAX_SIDE
FETCH_SECONDS = 60.0  # a picture link's whole download


@dataclass(frozen=True)
class Preview:
    source: str  # the path or URL to generate from
    rgba: np.ndarray  # (H, W, 4) uint8, at most DISPLAY_MAX_SIDE on a side
    size: tuple[int, int]  # the picture's own width and height
    is_url: bool
    prepared: np.ndarray | None = None  # (S, S, 4): the picture as it will be sent, if framed
    notes: tuple[str, ...] = ()  # from framing it
    drawing: Drawing | None = None  # text to 3D: the prompt it was drawn from, and its link
    # With upload: a local picture as it will be sent, made from this one decoding. Give it
    # to jobs.generate (prepared=...) and the file is neither read nor framed again.
    picture: images.PreparedImage | None = None


def load_preview(
    source: str,
    *,
    fill: float | None = None,
    max_side: int = DEFAULT_MAX_SIDE,
    upload: bool = False,
    progress=no_progress,
    cancel: CancelToken | None = None,
) -> Preview:
    """Check and decode a picture the way generation will see it, for display; with
    ``fill``, a local picture also framed as images.prepare() will send it. With
    ``upload``, a local picture is also prepared for sending (``Preview.picture``: exactly
    what images.prepare(source, max_side, fill) makes), from the same decoding."""
    cancel = cancel or CancelToken()
    progress(Stage.OPENING, None, None)
    is_url = images.is_url(source)
    raw: bytes | None = None
    stamp: images.Stamp | None = None
    if is_url:
        fetched = _fetch(source, cancel)
        name = Path(source.split("?")[0]).name or "the linked image"
        decoded = images.decode(fetched, name, images.decode_target(max_side))
        size = images.full_size(decoded)
        image = images.upright(decoded)
    else:
        image, raw, stamp = images.open_file(Path(source), max_side, fill)
        size = images.full_size(image)
    cancel.check()
    prepared: np.ndarray | None = None
    notes: tuple[str, ...] = ()
    picture: images.PreparedImage | None = None
    if upload and not is_url:
        picture, sent = images.prepare_decoded(image, source, max_side, fill, raw, stamp)
        notes = picture.notes
        if fill is not None:
            prepared = np.ascontiguousarray(np.asarray(sent))
    elif fill is not None and not is_url:
        from aiml3d_desktop.core.pictures import cutout

        framing = cutout.frame(image, fill, max_side)
        prepared, notes = np.ascontiguousarray(np.asarray(framing.image)), tuple(framing.notes)
    if max(image.size) > DISPLAY_MAX_SIDE:
        image = scaling.shrunk(image, DISPLAY_MAX_SIDE)
    rgba = np.ascontiguousarray(np.asarray(image.convert("RGBA")))
    return Preview(source, rgba, size, is_url, prepared, notes, picture=picture)


def _fetch(url: str, cancel: CancelToken, local_ok: bool = True) -> bytes:
    """A picture's bytes from a link: redirects checked hop by hop, at most 50 MiB, and a
    minute at most (a link that drips bytes is given up on)."""
    session = make_session(RetryPolicy(attempts=2), cancel, retry_post=False, local_ok=local_ok)
    timeouts = Timeouts()
    watch = Watch(session, total=FETCH_SECONDS, stall=timeouts.stall)
    try:
        with (
            watch,
            get(
                session, url, "image address", timeout=(timeouts.connect, 30), local_ok=local_ok
            ) as response,
        ):
            if response.status_code != 200:
                raise InputError(
                    f"The link answered HTTP {response.status_code}",
                    hint="Check that the link opens a picture in your browser.",
                )
            raw = read_capped(response, images.MAX_FILE_BYTES, watch)
            if watch.expired:  # cut off: what arrived is not the picture
                raise requests.exceptions.ReadTimeout("the download took too long")
            return raw
    except TooLarge:
        raise InputError("The linked picture is larger than 50 MiB") from None
    except requests.RequestException as exc:
        cancel.check()
        if watch.expired:
            raise NetworkError(
                "The picture's download took too long or stalled",
                hint="Try again later, or save the picture and open the file.",
            ) from None
        raise NetworkError(
            f"Could not download the picture: {type(exc).__name__}",
            hint="Check your connection and the link.",
        ) from None
    finally:
        session.close()


def fetch_picture(url: str, cancel: CancelToken | None = None, local_ok: bool = True) -> bytes:
    """A picture's bytes from a link, checked to be a picture we can read; ``local_ok=False``
    for a link a server gave (see netpolicy.address_refusal)."""
    raw = _fetch(url, cancel or CancelToken(), local_ok)
    images.decode(raw, "the picture made from the prompt")
    return raw

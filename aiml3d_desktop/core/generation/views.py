"""Drawing the views one photo lacks (issue 31): the prepared front picture goes to an
image-editing model (google/nano-banana-edit by default) with a prompt per side, and the
picture it draws becomes that side's view for a multi-view model (magic/image-to-3d). Each
drawing is one paid call, held to the spending limits with the rest of its item; a view is
drawn again with a new seed. The drawn pictures are checked as any picture from a server is
(images.decode), written atomically, and kept with the entry made from them (draft.py).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from aiml3d_desktop.core.api.params import EDIT_MODEL, MAX_SEED
from aiml3d_desktop.core.common.cancel import CancelToken
from aiml3d_desktop.core.common.errors import BadResponseError
from aiml3d_desktop.core.common.fileio import write_bytes
from aiml3d_desktop.core.common.stages import Progress, Stage, no_progress
from aiml3d_desktop.core.pictures import images

SIDES = ("left", "back", "right")
PROMPTS = {
    "left": "The same object seen from its left side",
    "back": "The same object seen from behind, its back",
    "right": "The same object seen from its right side",
}
SUFFIX = (
    ": same object, same size, same lighting and colours, plain background, the whole "
    "object centred, nothing else in the picture"
)
MAX_INLINE = 50 * 1024 * 1024  # characters of a base64 picture in an answer


@dataclass(frozen=True)
class DrawnView:
    """A side drawn by an editing model: where its picture is, and how it was drawn."""

    view: str
    path: Path
    model: str
    seed: int
    request_id: str | None = None
    credits_used: float | None = None

    def as_json(self) -> dict:
        """What the entry keeps of it (its picture is kept beside as a file)."""
        data = asdict(self)
        del data["path"], data["view"]
        return {**data, "file": self.path.name}


def new_seed() -> int:
    return secrets.randbelow(MAX_SEED + 1)


def parse_sides(text: str) -> list[str]:
    """``left,back,right`` (any of them, once each) as a list; ValueError otherwise."""
    sides = [s.strip().lower() for s in text.split(",") if s.strip()]
    if not sides or any(s not in SIDES for s in sides) or len(set(sides)) != len(sides):
        raise ValueError(f"{text!r} is not sides among {', '.join(SIDES)}, each once")
    return sides


def draw_view(
    front: images.PreparedImage,
    view: str,
    options,  # jobs.JobOptions (not imported: jobs imports this module)
    dest: Path,
    *,
    model: str = EDIT_MODEL,
    seed: int | None = None,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> DrawnView:
    """The ``view`` side of the object in ``front`` (a prepared picture), drawn and written
    to ``dest`` (a file path; its suffix follows the picture's format)."""
    from aiml3d_desktop.core.generation.preview import fetch_picture

    cancel = cancel or CancelToken()
    seed = new_seed() if seed is None else seed
    progress(Stage.PICTURING, None, None)
    client = options.client(cancel, progress)
    link = client.edit_image(PROMPTS[view] + SUFFIX, front.image_url, model, seed)
    if link.url.startswith("data:"):
        raw = _inline(link.url)
    else:
        raw = fetch_picture(link.url, cancel, local_ok=client.local_links_ok)
    kind = images.decode(raw, f"the {view} view drawn").format  # checked as any picture
    cancel.check()
    path = dest.with_suffix({"JPEG": ".jpg", "WEBP": ".webp"}.get(kind or "", ".png"))
    write_bytes(path, raw)
    return DrawnView(view, path, model, seed, link.request_id, link.credits_used)


def _inline(url: str) -> bytes:
    """A picture an answer carried as base64."""
    encoded = url.split(",", 1)[1]
    if len(encoded) > MAX_INLINE:
        raise BadResponseError("The drawn view is larger than 50 MiB")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise BadResponseError("The drawn view is not readable base64") from None

"""Finding the object in a picture, and framing it the way image-to-3D models want it: one
object, centred, filling a set share of a square, on a plain background, not cut off.

Used to prepare pictures before upload (and to preview that), and by the offline generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from scipy import ndimage

from aiml3d_desktop.core.common.errors import InputError

BACKGROUND_TOLERANCE = 40.0  # RGB distance from the border colour still called background
BUSY_SPREAD = 45.0  # colour spread of the background above which it is "busy"


def segment(rgba: np.ndarray) -> np.ndarray:
    """Object pixels of an (H, W, 4) uint8 picture, as a boolean mask."""
    alpha = rgba[..., 3]
    if (alpha < 250).mean() > 0.01:
        mask = alpha > 127
    else:
        rgb = rgba[..., :3].astype(np.float32)
        border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
        colour = np.median(border, axis=0)
        like = np.linalg.norm(rgb - colour, axis=2) < BACKGROUND_TOLERANCE
        labels, _ = ndimage.label(like)
        edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        mask = ~np.isin(labels, edge[edge > 0])
    if mask.mean() > 0.98:
        raise InputError(
            "The whole picture looks like the object",
            hint="Use a picture with some plain background around the object.",
        )
    mask = ndimage.binary_opening(mask, iterations=2)
    mask = ndimage.binary_fill_holes(mask)
    labels, count = ndimage.label(mask)
    if count == 0:
        raise InputError(
            "No object found in the picture",
            hint="Use a picture of one object on a plain or transparent background.",
        )
    sizes = ndimage.sum_labels(mask, labels, range(1, count + 1))
    return labels == (int(np.argmax(sizes)) + 1)  # the main object only


@dataclass
class Framing:
    image: Image.Image  # RGBA, square, the object centred
    notes: list[str] = field(default_factory=list)  # what a person should know before sending


def frame(image: Image.Image, fill: float, max_side: int) -> Framing:
    """Crop to the object, pad to a square in which it fills ``fill`` of the side, on its own
    background (transparent if the picture has transparency), at most ``max_side`` pixels.

    The object is found on a copy at most WORK_SIDE pixels across, and only the object's
    box of the full picture is cut out and scaled: a 40-megapixel photo costs a few hundred
    megabytes, not gigabytes."""
    small = _working_copy(image)
    rgba = np.asarray(small.convert("RGBA"))
    try:
        mask = segment(rgba)
    except InputError:
        whole = image.convert("RGBA")
        whole.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        return Framing(whole, ["No clear object found: the picture is sent as it is."])
    notes = []
    rows, cols = np.nonzero(mask)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    h, w = mask.shape
    if top <= 1 or left <= 1 or bottom >= h - 1 or right >= w - 1:
        notes.append(
            "The object touches the edge of the picture: it may come out cut off. "
            "A photo with space around the object works better."
        )
    transparent = bool((rgba[..., 3] < 250).mean() > 0.01)
    if not transparent and _spread(rgba[~mask]) > BUSY_SPREAD:
        notes.append(
            "The background is busy: image-to-3D works best with one object on a plain background."
        )
    if transparent:
        background = (0, 0, 0, 0)
    else:
        border = np.concatenate([rgba[0], rgba[-1], rgba[:, 0], rgba[:, -1]])
        red, green, blue, alpha = (int(v) for v in np.median(border, axis=0))
        background = (red, green, blue, alpha)
    sx, sy = image.width / w, image.height / h  # the object's box, in the full picture
    box = (
        int(left * sx),
        int(top * sy),
        min(image.width, int(np.ceil(right * sx))),
        min(image.height, int(np.ceil(bottom * sy))),
    )
    crop = image.crop(box).convert("RGBA")
    side = max(1, round(max(crop.size) / fill))
    if side > max_side:  # scaled before padding: the padded square can be huge
        scale = max_side / side
        crop = crop.resize(
            (max(1, round(crop.width * scale)), max(1, round(crop.height * scale))),
            Image.Resampling.LANCZOS,
        )
        side = max_side
    square = Image.new("RGBA", (side, side), background)
    square.paste(crop, ((side - crop.width) // 2, (side - crop.height) // 2))
    return Framing(square, notes)


WORK_SIDE = 1024  # the object is looked for on a copy at most this big


def _working_copy(image: Image.Image) -> Image.Image:
    if max(image.size) <= WORK_SIDE:
        return image
    scale = WORK_SIDE / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # BOX averages whole pixels (fast, no ringing); palette pictures are resized by nearest
    # neighbour anyway, which keeps their transparency exact.
    return image.resize(size, Image.Resampling.BOX)


def _spread(pixels: np.ndarray) -> float:
    """Mean per-channel standard deviation of some RGB(A) pixels."""
    if len(pixels) < 16:
        return 0.0
    return float(pixels[:, :3].astype(np.float32).std(axis=0).mean())

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
from aiml3d_desktop.core.pictures import scaling

BACKGROUND_TOLERANCE = 40.0  # RGB distance from the border colour still called background
BUSY_SPREAD = 45.0  # colour spread of the background above which it is "busy"


def segment(rgba: np.ndarray) -> np.ndarray:
    """Object pixels of an (H, W, 4) uint8 picture, as a boolean mask."""
    alpha = rgba[..., 3]
    if (alpha < 250).mean() > 0.01:
        mask = alpha > 127
    else:
        like = _near(rgba, _border_colour(rgba), BACKGROUND_TOLERANCE)
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


def _border_colour(rgba: np.ndarray) -> np.ndarray:
    """The median colour (R, G, B) of the picture's outermost pixels."""
    rgb = rgba[..., :3]
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.float32)
    return np.median(border, axis=0)


def _near(rgba: np.ndarray, colour: np.ndarray, distance: float) -> np.ndarray:
    """Pixels less than ``distance`` from ``colour`` in RGB: the squared distance summed a
    channel at a time (exact in float32, as ``norm(rgb - colour) < distance`` is), with no
    float copy of the whole picture."""
    total = np.zeros(rgba.shape[:2], np.float32)
    for channel in range(3):
        difference = rgba[..., channel].astype(np.float32)
        difference -= colour[channel]
        difference *= difference
        total += difference
    return total < distance * distance


@dataclass
class Framing:
    image: Image.Image  # RGBA, square, the object centred
    notes: list[str] = field(default_factory=list)  # what a person should know before sending


def frame(image: Image.Image, fill: float, max_side: int) -> Framing:
    """Crop to the object, pad to a square in which it fills ``fill`` of the side, on its own
    background (transparent if the picture has transparency), at most ``max_side`` pixels.

    The object is found on a copy at most WORK_SIDE pixels across, and the object's box is
    scaled straight out of the full picture (_cut): framing a 40-megapixel photo makes no
    copy of it at full size. ``image`` is not changed."""
    small = _working_copy(image)
    rgba = np.asarray(small.convert("RGBA"))
    try:
        mask = segment(rgba)
    except InputError:
        whole = _whole(image, max_side)
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
    width, height = box[2] - box[0], box[3] - box[1]
    side = max(1, round(max(width, height) / fill))
    size = None
    if side > max_side:  # scaled before padding: the padded square can be huge
        scale = max_side / side
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        side = max_side
    crop = _cut(image, box, size)
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


# Modes whose pixels scale the same before as after their conversion to RGBA (opaque, or
# with their alpha already): these are scaled first, straight from the whole decoded picture
# (Image.resize's box), and converted once small. A full-size crop and a full-size RGBA copy
# would be 160 MB each for a 40-megapixel photo. Other modes (a palette's transparency,
# 16-bit grey...) are converted first, as before.
SCALED_AS_THEY_ARE = ("RGB", "RGBA", "L")


def _whole(image: Image.Image, max_side: int) -> Image.Image:
    """All of ``image`` in RGBA, at most ``max_side`` across (as Image.thumbnail makes it)."""
    if image.mode in SCALED_AS_THEY_ARE:
        return scaling.shrunk(image, max_side).convert("RGBA")
    return scaling.shrunk(image.convert("RGBA"), max_side)


def _cut(
    image: Image.Image, box: tuple[int, int, int, int], size: tuple[int, int] | None
) -> Image.Image:
    """``box`` of ``image`` in RGBA, scaled to ``size`` (None: as it is, small)."""
    if size is None:
        return image.crop(box).convert("RGBA")
    if image.mode in SCALED_AS_THEY_ARE:
        return image.resize(size, Image.Resampling.LANCZOS, box=box).convert("RGBA")
    return image.crop(box).convert("RGBA").resize(size, Image.Resampling.LANCZOS)


def _spread(pixels: np.ndarray) -> float:
    """Mean per-channel standard deviation of some RGB(A) pixels."""
    if len(pixels) < 16:
        return 0.0
    return float(pixels[:, :3].astype(np.float32).std(axis=0).mean())

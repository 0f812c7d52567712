"""How much a model looks like its photo, for nothing (issue 31): the overlap (intersection over
union) of two silhouettes at the same framing, the object cut out of the prepared photo and the
model seen from the front, each cropped to its own box and fitted in the same square. 1 is the
same outline; a model whose front is another shape, or that came out lying down, scores low.

The model is seen as the app (and TripoSR's own export) has it: Y up, its front facing +Z,
looked at along -Z with no perspective, the picture's right being +X. Both outlines have
their holes filled, as the photo's cut-out has (a chair's gaps would otherwise count against
the model and not against the photo). It is a figure of outline only: a model with the right
outline and a wrong back scores high, which is what Compare with the photo is for.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.meshes.scene import Scene
from aiml3d_desktop.core.pictures import images
from aiml3d_desktop.core.pictures.cutout import segment

SIDE = 256  # pixels of the square both outlines are fitted in
MARGIN = 8  # pixels left round the fitted outline
VIEW = "front"  # the model seen along -Z, as the photo saw the object


def silhouette_of_model(scene: Scene, side: int = SIDE) -> np.ndarray:
    """The model's front outline (bool, side x side), fitted in the square."""
    if scene.instances is not None:  # a composed scene: its placements, in place
        scene = scene.flattened()
    counts = np.cumsum([0] + [len(p.arrays.positions) for p in scene.primitives])
    positions = np.concatenate([p.arrays.positions for p in scene.primitives]).astype(float)
    faces = np.concatenate(
        [
            p.arrays.indices.astype(np.int64) + start
            for p, start in zip(scene.primitives, counts[:-1], strict=True)
        ]
    )
    xy = _fitted(np.column_stack([positions[:, 0], -positions[:, 1]]), side)  # rows go down
    canvas = Image.new("1", (side, side), 0)
    draw = ImageDraw.Draw(canvas)
    corners = xy[faces]  # (T, 3, 2)
    extent = corners.max(axis=1) - corners.min(axis=1)
    small = (extent < 1.0).all(axis=1)  # within a pixel: its corners mark it
    mask = np.zeros((side, side), bool)
    dots = np.clip(np.floor(corners[small].reshape(-1, 2)).astype(int), 0, side - 1)
    mask[dots[:, 1], dots[:, 0]] = True
    for triangle in corners[~small]:
        draw.polygon([tuple(c) for c in triangle], fill=1)
    mask |= np.asarray(canvas, dtype=bool)
    return ndimage.binary_fill_holes(ndimage.binary_closing(mask, iterations=1))


def silhouette_of_picture(picture: Image.Image, side: int = SIDE) -> np.ndarray:
    """The object cut out of ``picture`` (cutout.segment), fitted in the square."""
    mask = segment(np.asarray(picture.convert("RGBA")))
    rows, cols = np.nonzero(mask)
    crop = mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = (side - 2 * MARGIN) / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    scaled = Image.fromarray(crop.astype(np.uint8) * 255).resize(size, Image.Resampling.BILINEAR)
    out = np.zeros((side, side), bool)
    left, top = (side - size[0]) // 2, (side - size[1]) // 2
    out[top : top + size[1], left : left + size[0]] = np.asarray(scaled) > 127
    return ndimage.binary_fill_holes(out)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two masks of one size (0 when both are empty)."""
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def likeness(scene: Scene, picture: Image.Image) -> float:
    """The model's front outline against the photo's, 0 to 1 (see the module's docstring)."""
    return iou(silhouette_of_model(scene), silhouette_of_picture(picture))


def _fitted(xy: np.ndarray, side: int) -> np.ndarray:
    """Points moved and scaled so that their box is centred in the square, its longer side
    ``side - 2 * MARGIN`` pixels long."""
    low, high = xy.min(axis=0), xy.max(axis=0)
    scale = (side - 2 * MARGIN) / max(float((high - low).max()), 1e-12)
    return (xy - (low + high) / 2) * scale + side / 2


def measure(scene: Scene, picture: Image.Image | bytes | None) -> dict | None:
    """What a result keeps of its likeness to its photo (``picture``: the picture as sent,
    or its bytes): the outline IoU and the view it was seen from; None when there is no
    picture, or no object can be found in it (a figure then would mean nothing)."""
    if picture is None:
        return None
    try:
        if isinstance(picture, bytes):
            picture = images.decode(picture, "the picture")
        return {"silhouette_iou": round(likeness(scene, picture), 3), "view": VIEW}
    except (InputError, ValueError, OSError):
        return None

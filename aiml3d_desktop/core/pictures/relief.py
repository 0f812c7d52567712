"""The offline generator: a quick relief preview made from one picture, with no key and no
network. It is not TripoSR and does not guess hidden shape: it cuts the object out of the
picture and inflates its outline into a closed, smooth, two-sided solid.

1. Segment: the alpha channel if the picture has one, else everything not reachable by a
   flood fill from the border colour.
2. Each object pixel (at a resolution chosen for 50 to 100 thousand triangles) becomes a
   square on the front and on the back; a thin wall joins their outlines. Pinches (pixels
   touching only at a corner) are filled first, so every outline vertex has two edges and
   the solid is watertight (every edge shared by exactly two faces).
3. Height follows the distance to the outline (a round profile, smoothed), so the object
   bulges like a cushion; the back is a shallower mirror of the front.
4. Colours come from the picture on the front, and the same colours, a little darker, as the
   back's estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from aiml3d_desktop.core.pictures.cutout import segment

TARGET_PIXELS = 22_000  # object pixels after resampling: about 4 triangles each


@dataclass(frozen=True)
class ReliefParams:
    depth: float = 0.35  # front bulge, as a share of the object's width or height
    back_depth: float = 0.6  # the back's bulge, as a share of the front's
    smoothing: float = 1.5  # Gaussian smoothing of the height, in grid pixels

    def as_dict(self) -> dict:
        return {"depth": self.depth, "back_depth": self.back_depth, "smoothing": self.smoothing}


@dataclass
class Relief:
    vertices: np.ndarray  # (N, 3) float32, Y up, the front facing +Z, height 1 for the object
    faces: np.ndarray  # (M, 3) int64, outward winding
    colors: np.ndarray  # (N, 4) uint8
    mask_share: float  # share of the picture that is the object


def make_relief(rgba: np.ndarray, params: ReliefParams = ReliefParams()) -> Relief:
    mask_full = segment(rgba)
    share = float(mask_full.mean())
    scale = min(1.0, (TARGET_PIXELS / mask_full.sum()) ** 0.5)
    mask, colours = _resample(rgba, mask_full, scale)
    mask = _without_pinches(np.pad(mask, 1))
    colours = np.pad(colours, ((1, 1), (1, 1), (0, 0)))
    heights = _heights(mask, params)
    return _solid(mask, heights, colours, share, params)


def _resample(rgba: np.ndarray, mask: np.ndarray, scale: float):
    """The object cropped and resampled so that it covers about TARGET_PIXELS pixels."""
    from PIL import Image

    rows, cols = np.nonzero(mask)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    crop = rgba[top:bottom, left:right]
    size = (max(2, round((right - left) * scale)), max(2, round((bottom - top) * scale)))
    small = Image.fromarray(mask[top:bottom, left:right].astype(np.uint8) * 255).resize(
        size, Image.Resampling.BILINEAR
    )
    colours = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS))
    return np.asarray(small) > 127, colours


def _without_pinches(mask: np.ndarray) -> np.ndarray:
    """Fill one pixel of every 2x2 block set like a chessboard, until there is none."""
    mask = mask.copy()
    while True:
        a, b, c, d = mask[:-1, :-1], mask[:-1, 1:], mask[1:, :-1], mask[1:, 1:]
        pinch_1 = a & d & ~b & ~c
        pinch_2 = b & c & ~a & ~d
        if not (pinch_1.any() or pinch_2.any()):
            return mask
        rows, cols = np.nonzero(pinch_1)
        mask[rows, cols + 1] = True
        rows, cols = np.nonzero(pinch_2)
        mask[rows, cols] = True


def _heights(mask: np.ndarray, params: ReliefParams) -> np.ndarray:
    """Height at each pixel corner: a round profile of the distance to the outline."""
    distance = ndimage.distance_transform_edt(mask)
    # Corners: the mean of the four pixels around each, outside ones counting 0.
    padded = np.pad(distance, 1)
    corner = (padded[:-1, :-1] + padded[:-1, 1:] + padded[1:, :-1] + padded[1:, 1:]) / 4
    deepest = max(float(corner.max()), 1.0)
    profile = np.sqrt(np.clip(corner / deepest, 0, 1))  # a cushion: steep at the edge
    if params.smoothing > 0:
        profile = ndimage.gaussian_filter(profile, params.smoothing)
    return profile


def _solid(
    mask: np.ndarray, heights: np.ndarray, colours: np.ndarray, share: float, params: ReliefParams
) -> Relief:
    h, w = mask.shape
    unit = 1.0 / h  # the object's (padded) height becomes 1
    size = max(h, w) * unit
    # Corner (i, j) of the (h+1, w+1) grid; keep the corners that touch object pixels.
    used = np.zeros((h + 1, w + 1), bool)
    for dr in (0, 1):
        for dc in (0, 1):
            used[dr : dr + h, dc : dc + w] |= mask
    index = np.full(used.shape, -1, np.int64)
    count = int(used.sum())
    index[used] = np.arange(count)
    rows, cols = np.nonzero(used)
    x = (cols - w / 2) * unit
    y = (h / 2 - rows) * unit
    rim = _rim_corners(mask)[used]
    bulge = heights[used] * params.depth * size
    bulge[rim] = 0.0
    wall = 0.004 * size  # half the rim's thickness: a thin wall, not a knife edge
    front = np.column_stack([x, y, wall + bulge])
    back = np.column_stack([x, y, -(wall + params.back_depth * bulge)])
    vertices = np.vstack([front, back]).astype(np.float32)

    # Two triangles per object pixel, front (counter-clockwise seen from +Z) and back.
    pr, pc = np.nonzero(mask)
    tl, tr = index[pr, pc], index[pr, pc + 1]
    bl, br = index[pr + 1, pc], index[pr + 1, pc + 1]
    front_faces = np.concatenate([np.column_stack([tl, bl, br]), np.column_stack([tl, br, tr])])
    back_faces = front_faces[:, ::-1] + count
    walls = _walls(mask, index, count)
    faces = np.vstack([front_faces, back_faces, walls])

    corner_colours = _corner_colours(mask, colours)[used]
    back_colours = (corner_colours.astype(np.float32) * 0.8).astype(np.uint8)
    rgba = np.vstack([corner_colours, back_colours])
    rgba = np.column_stack([rgba, np.full(len(rgba), 255, np.uint8)])
    return Relief(vertices, faces, rgba, share)


def _rim_corners(mask: np.ndarray) -> np.ndarray:
    """Corners on the outline: touching both an object pixel and a background pixel."""
    h, w = mask.shape
    inside = np.zeros((h + 1, w + 1), bool)
    outside = np.zeros((h + 1, w + 1), bool)
    padded_out = np.pad(~mask, 1, constant_values=True)
    for dr in (0, 1):
        for dc in (0, 1):
            inside[dr : dr + h, dc : dc + w] |= mask
            outside |= padded_out[1 - dr : 1 - dr + h + 1, 1 - dc : 1 - dc + w + 1]
    return inside & outside


def _walls(mask: np.ndarray, index: np.ndarray, count: int) -> np.ndarray:
    """A quad (two triangles) under every outline edge, joining front to back."""
    quads = []
    # Horizontal pixel edges: between rows r-1 and r at columns c..c+1.
    padded = np.pad(mask, 1)
    above, below = padded[:-1, 1:-1], padded[1:, 1:-1]  # (h+1, w): pixel above/below edge
    for r, c in zip(*np.nonzero(below & ~above), strict=True):  # top outline of the object
        quads.append((index[r, c], index[r, c + 1]))
    for r, c in zip(*np.nonzero(above & ~below), strict=True):  # bottom outline
        quads.append((index[r, c + 1], index[r, c]))
    left, right = padded[1:-1, :-1], padded[1:-1, 1:]  # (h, w+1): pixel left/right of edge
    for r, c in zip(*np.nonzero(right & ~left), strict=True):  # left outline
        quads.append((index[r + 1, c], index[r, c]))
    for r, c in zip(*np.nonzero(left & ~right), strict=True):  # right outline
        quads.append((index[r, c], index[r + 1, c]))
    edges = np.array(quads, np.int64).reshape(-1, 2)
    u, v = edges[:, 0], edges[:, 1]
    # The front face on this edge runs v -> u; the wall runs u -> v on the front, then down.
    return np.concatenate(
        [np.column_stack([u, v, v + count]), np.column_stack([u, v + count, u + count])]
    )


def _corner_colours(mask: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Each corner's colour: the mean of the object pixels around it."""
    h, w = mask.shape
    total = np.zeros((h + 1, w + 1, 3), np.float64)
    weight = np.zeros((h + 1, w + 1), np.float64)
    rgb = colours[..., :3].astype(np.float64) * mask[..., None]
    for dr in (0, 1):
        for dc in (0, 1):
            total[dr : dr + h, dc : dc + w] += rgb
            weight[dr : dr + h, dc : dc + w] += mask
    return (total / np.maximum(weight, 1)[..., None]).round().astype(np.uint8)

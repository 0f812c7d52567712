"""Scaling a decoded picture down without changing it (the window goes on showing it)."""

from __future__ import annotations

import math
from collections.abc import Callable

from PIL import Image


def shrunk(image: Image.Image, side: int) -> Image.Image:
    """A copy of ``image`` at most ``side`` pixels on its longest side: exactly what
    ``image.thumbnail((side, side), LANCZOS)`` makes of a decoded picture, but as a new
    picture, leaving ``image`` as it is (no full-size copy is made first)."""
    width, height = image.size
    if width <= side and height <= side:
        return image.copy()
    aspect = width / height
    if aspect <= 1:  # as Pillow rounds: floor or ceil, whichever keeps the aspect better
        size = (_nearest(side * aspect, lambda n: abs(aspect - n / side)), side)
    else:
        size = (side, _nearest(side / aspect, lambda n: abs(aspect - side / n) if n else 0))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def _nearest(number: float, key: Callable[[int], float]) -> int:
    return max(min(math.floor(number), math.ceil(number), key=key), 1)

"""What a picture to send may be, in numbers and names: the settings, the forms and the batch
queue read them here without loading Pillow (which the window's first frame does not need)."""

from __future__ import annotations

DEFAULT_MAX_SIDE = 1024
MAX_SIDE_RANGE = (256, 4096)  # what may be chosen for the longest side sent
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")  # what file dialogs and folders offer

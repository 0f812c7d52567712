"""Peak memory of preparing a huge picture: a 40-megapixel PNG of a few tens of KB (one
object on a flat background compresses that well) and a 40-megapixel JPEG photo, each
framed for upload (images.prepare) and for the window's preview (preview.load_preview),
each in a fresh process. Target: under 400 MB above what the imports take.

    .venv/bin/python benchmarks/bench_picture_memory.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from common import CACHE, PY, ROOT
from PIL import Image, ImageDraw

SIZE = (7680, 5200)  # 39.9 megapixels, just under the 40 MP limit
TARGET_MB = 400

CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from aiml3d_desktop.core.pictures import cutout  # imports: not the picture's cost
from aiml3d_desktop.core.pictures import images
from aiml3d_desktop.core.generation import preview
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
if {what!r} == "prepare":
    images.prepare({path!r}, 1024, 0.9)
else:
    preview.load_preview({path!r}, fill=0.9)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{{(peak - base) / 1024:.0f}} {{time.perf_counter() - started:.2f}}")
"""


def pictures() -> dict[str, Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    png, jpg = CACHE / "huge-40mp.png", CACHE / "huge-40mp.jpg"
    if not png.exists():
        image = Image.new("RGB", SIZE, (250, 250, 250))
        w, h = SIZE
        ImageDraw.Draw(image).ellipse((w * 0.3, h * 0.2, w * 0.7, h * 0.8), fill=(200, 40, 40))
        image.save(png, optimize=True)
        rng = np.random.default_rng(1)
        noise = rng.integers(-12, 12, (h // 8, w // 8, 3))  # texture, so the JPEG is photo-like
        photo = np.asarray(image, np.int16)
        photo = photo + np.kron(noise, np.ones((8, 8, 1), np.int16))[:h, :w]
        Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).save(jpg, quality=90)
    return {"PNG": png, "JPEG": jpg}


def main() -> None:
    for kind, path in pictures().items():
        for what in ("prepare", "preview"):
            code = CHILD.format(root=str(ROOT), what=what, path=str(path))
            out = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True)
            peak, seconds = out.stdout.split()
            verdict = "ok" if int(peak) < TARGET_MB else "OVER"
            print(
                f"{kind} {SIZE[0]}x{SIZE[1]} ({path.stat().st_size / 1024:,.0f} KB), {what:<8}"
                f" peak +{peak} MB in {seconds} s  [{verdict}: target < {TARGET_MB} MB]"
            )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()

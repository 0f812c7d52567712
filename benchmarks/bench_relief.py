"""The offline generator on each corpus photo, scaled to 1024 x 1024: seconds from picture
file to a checked GLB (read, segment, build, write, load back), and what it made.

Target: under 2 s per 1024 x 1024 picture; 50 to 100 thousand triangles, watertight.
Run: python benchmarks/bench_relief.py [PHOTO ...]  (default: tests/corpus/images/*.png)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT
from PIL import Image

sys.path.insert(0, str(ROOT))
from aiml3d_desktop.core.generation import jobs

RUNS = 3


def main() -> int:
    photos = [Path(p) for p in sys.argv[1:]] or sorted(
        (ROOT / "tests" / "corpus" / "images").glob("*.png")
    )
    if not photos:
        print("no photos: give some")
        return 1
    work = Path(tempfile.mkdtemp(prefix="aiml3d-relief-"))
    ok = True
    for photo in photos:
        big = work / photo.name
        Image.open(photo).resize((1024, 1024), Image.Resampling.LANCZOS).save(big)
        times = []
        for n in range(RUNS):
            start = time.perf_counter()
            result = jobs.generate_local(str(big), work / f"run{n}")
            times.append(time.perf_counter() - start)
        stats = result.loaded.stats
        ok &= max(times) < 2.0 and stats.watertight and 50_000 <= stats.triangles <= 100_000
        print(
            f"{photo.name:<16} 1024x1024  {statistics.median(times):.2f} s median "
            f"(max {max(times):.2f}, n={RUNS})  {stats.triangles:,} triangles  "
            f"watertight {'yes' if stats.watertight else 'NO'}  "
            f"{stats.file_size / 2**20:.1f} MB"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

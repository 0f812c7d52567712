"""Peak memory and time of ``aiml3d generate`` of a huge picture, the real command in its
own process, under ``/usr/bin/time -v``, against the fake AIML API (tests/fake_api.py) on
this machine: no network, no credits. Beside it, what the window's worker does when the
picture is opened (preview.load_preview, framed, prepared for sending where the code can).

The pictures (made once, cached in benchmarks/.cache): a 40-megapixel photo-like PNG
(8000 x 4990: a textured object on a plain, slightly noisy, shaded background), the same
as a JPEG, and a 1-megapixel PNG of the same scene. Each is sent framed (the default) at
the default 1024 px. Targets: the 40 MP PNG under 400 MB peak RSS; the 1 MP picture no
slower than before.

    .venv/bin/python benchmarks/bench_picture_memory.py [--runs N] [--code DIR]

``--code DIR`` runs another checkout's code (its folder goes first on PYTHONPATH); given
more than once, the checkouts' runs alternate, so that a busy machine slows them alike:

    git worktree add /work/tmp/wt-base 2fdedad
    .venv/bin/python benchmarks/bench_picture_memory.py --code /work/tmp/wt-base --code .
    git worktree remove /work/tmp/wt-base
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from common import CACHE, ROOT
from PIL import Image, ImageDraw

BIG = (8000, 4990)  # 39.9 megapixels, under the 40 MP limit
SMALL = (1264, 790)  # 1.0 megapixel
TARGET_MB = 400
AIML3D = ROOT / ".venv" / "bin" / "aiml3d"


def scene(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """A photo-like picture: a light background shaded top to bottom with a little sensor
    noise (in 2 x 2 blocks, so the PNG stays under the 50 MiB limit), and a textured red
    object in the middle."""
    w, h = size
    rng = np.random.default_rng(seed)
    shade = np.linspace(236, 246, h, dtype=np.float32)[:, None, None]
    image = np.empty((h, w, 3), np.float32)
    image[:] = shade
    noise = rng.normal(0, 2.0, ((h + 1) // 2, (w + 1) // 2, 1)).astype(np.float32)
    image += np.repeat(np.repeat(noise, 2, axis=0), 2, axis=1)[:h, :w]
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse((w * 0.16, h * 0.08, w * 0.84, h * 0.92), fill=255)
    inside = np.asarray(mask) > 0
    yy, xx = np.nonzero(inside)
    texture = 25 * np.sin(xx / (w / 90)) * np.cos(yy / (h / 70))
    speckle = rng.normal(0, 6.0, len(yy))
    image[yy, xx] = np.stack(
        [190 + texture + speckle, 45 + texture / 2 + speckle, 40 + speckle], axis=1
    )
    return Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))


def pictures() -> dict[str, Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    made = {
        "40 MP PNG": CACHE / "photo-40mp.png",
        "40 MP JPEG": CACHE / "photo-40mp.jpg",
        "1 MP PNG": CACHE / "photo-1mp.png",
    }
    if not all(p.exists() for p in made.values()):
        big = scene(BIG)
        big.save(made["40 MP PNG"], compress_level=6)
        big.save(made["40 MP JPEG"], quality=92)
        del big
        scene(SMALL, seed=2).save(made["1 MP PNG"])
    return made


# What the window's worker does when a picture is opened: decode it once, for the preview and,
# where the code can (upload=True), for sending. Older code has no upload: it prepares the
# picture again when Generate is pressed.
WINDOW = """
import inspect, sys
from aiml3d_desktop.core.generation import preview
known = inspect.signature(preview.load_preview).parameters
upload = {"upload": True} if "upload" in known else {}
shown = preview.load_preview(sys.argv[1], fill=0.9, max_side=1024, **upload)
assert shown.prepared is not None
"""


def measure(what: str, picture: Path, fake, code: Path | None, work: Path) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of ``aiml3d generate`` of ``picture`` (``what`` =
    "generate"), or of the window's opening it ("window")."""
    env = {
        **os.environ,
        "AIMLAPI_KEY": fake.KEY,
        "AIML3D_HOME": str(work / "home"),  # a library of its own, thrown away after
    }
    env.pop("AIML_API_BASE", None)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
    if what == "generate":
        args = [str(AIML3D), "generate", str(picture), "-o", str(work / "out"), "-q"]
        args += ["--api-base", fake.base_url]
    else:
        args = [str(AIML3D.parent / "python"), "-c", WINDOW, str(picture)]
    done = subprocess.run(
        ["/usr/bin/time", "-v", *args],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stderr[-3000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", done.stderr)
    if not rss or not wall:
        raise RuntimeError(f"no figures from /usr/bin/time:\n{done.stderr[-2000:]}")
    seconds = 0.0
    for part in wall.group(1).split(":"):
        seconds = seconds * 60 + float(part)
    return int(rss.group(1)) / 1024, seconds


def which_code(code: Path | None) -> str:
    """The folder the command's package is imported from, as that command sees it."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    python = AIML3D.parent / "python"
    line = "import aiml3d_desktop, os; print(os.path.dirname(aiml3d_desktop.__file__))"
    return subprocess.run(  # not from here: ``-c`` would import from the current folder
        [str(python), "-c", line], env=env, cwd="/", capture_output=True, text=True, check=True
    ).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each picture (default 3)")
    parser.add_argument(
        "--code",
        type=lambda folder: Path(folder).resolve(),
        action="append",
        help="run this checkout's code instead; given twice or more, their runs alternate "
        "(a fair comparison on a busy machine)",
    )
    parser.add_argument("--only", help="only the pictures whose name has this (e.g. PNG)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.fake_api import FakeAimlApi

    codes: list[Path | None] = args.code or [None]
    for code in codes:
        print(f"code: {which_code(code)}")
    fake = FakeAimlApi()
    ok = True
    try:
        for name, picture in pictures().items():
            if args.only and args.only not in name:
                continue
            with Image.open(picture) as image:
                size = image.size
            print(f"{name} {size[0]}x{size[1]} ({picture.stat().st_size / 2**20:.1f} MiB)")
            for what in ("generate", "window"):
                peaks: dict = {code: [] for code in codes}
                walls: dict = {code: [] for code in codes}
                for _ in range(args.runs):
                    for code in codes:
                        with tempfile.TemporaryDirectory(prefix="aiml3d-bench-") as work:
                            peak, wall = measure(what, picture, fake, code, Path(work))
                        peaks[code].append(peak)
                        walls[code].append(wall)
                label = "aiml3d generate" if what == "generate" else "window opens it"
                for code in codes:
                    peak = max(peaks[code])
                    verdict = ""
                    if name.startswith("40 MP PNG") and what == "generate":
                        ok = ok and peak < TARGET_MB
                        verdict = f"  [{'ok' if peak < TARGET_MB else 'OVER'}: < {TARGET_MB} MB]"
                    print(
                        f"  {label:<16} {str(code or ROOT):<20} peak RSS {peak:.0f} MB "
                        f"(runs {', '.join(f'{p:.0f}' for p in peaks[code])}), wall median "
                        f"{statistics.median(walls[code]):.2f} s (min {min(walls[code]):.2f}, "
                        f"max {max(walls[code]):.2f}, n={len(walls[code])}){verdict}"
                    )
    finally:
        fake.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

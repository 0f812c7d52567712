"""Cold start of the installed app (the .deb in /opt, or any bundle folder given): process
start until its window is on screen, and until it is titled with the model file it was asked
to open (the mesh is read and handed to the viewer), as a double-click on a .glb does.

Run under a display with x11-utils (xwininfo) installed:
  xvfb-run -a -s "-screen 0 1600x1000x24" python benchmarks/bench_installed.py [BUNDLE_DIR]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5


def window_titles() -> str:
    return subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True).stdout


HOME = tempfile.mkdtemp(prefix="aiml3d-bench-")  # one user for all runs: caches as on a 2nd start


def one_run(exe: Path, model: Path) -> tuple[float, float]:
    home = HOME
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(exe), str(model)],
        env={**os.environ, "HOME": home},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    shown = titled = None
    try:
        while titled is None and time.perf_counter() - start < 30:
            titles = window_titles()
            now = time.perf_counter() - start
            if shown is None and "AIML 3D Desktop" in titles:
                shown = now
            if f"{model.name} — AIML 3D Desktop" in titles:
                titled = now
            time.sleep(0.005)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    if titled is None:
        raise RuntimeError(f"{exe} did not show {model.name} within 30 s")
    return shown, titled


def main() -> int:
    bundle = Path(sys.argv[1] if len(sys.argv) > 1 else "/opt/aiml3d-desktop")
    exe = bundle / "aiml3d-desktop"
    model = bundle / "_internal" / "resources" / "samples" / "sample.glb"
    one_run(exe, model)  # warm the disk cache, as any second start is
    results = [one_run(exe, model) for _ in range(RUNS)]
    size = subprocess.run(["du", "-sh", str(bundle)], capture_output=True, text=True).stdout
    print(f"bundle: {bundle} ({size.split()[0]})")
    for label, values in (
        ("window on screen", [r[0] for r in results]),
        ("window showing the model", [r[1] for r in results]),
    ):
        print(
            f"{label:<26} median {statistics.median(values):.2f} s, "
            f"max {max(values):.2f} s (n={len(values)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

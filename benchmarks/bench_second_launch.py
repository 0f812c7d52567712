"""A second `aiml3d-desktop FILE` while the app runs (a double-click in the file manager):
seconds from launching that second process to the mesh on screen in the running window,
beside f3d's cold first frame of the same file. The second process hands the file over and
ends; how long that takes is printed too.

Target: well under f3d's cold first frame.
Run under a display:
    xvfb-run -a -s "-screen 0 1600x1000x24" python benchmarks/bench_second_launch.py
Needs the bench extra (f3d, scikit-image).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import PY, ROOT, big_mesh, stats, time_child

RUNS = 6
LAUNCH = [PY, "-c", "import sys; from aiml3d_desktop.gui.app import main; sys.exit(main())"]


def wait_for(log: Path, words: str, after: int, timeout: float = 60) -> float:
    """When ``words`` first appears in ``log`` past its first ``after`` characters."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        text = log.read_text("utf-8") if log.exists() else ""
        if words in text[after:]:
            return time.perf_counter()
        time.sleep(0.002)
    raise RuntimeError(f"{words!r} not in {log} after {timeout} s")


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="aiml3d-bench-"))
    env = {"AIML3D_HOME": str(home), "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "xcb"}
    mesh = big_mesh()
    copies = [home / f"model-{i}.glb" for i in range(2)]  # each hand-over shows a new mesh
    for copy in copies:
        shutil.copyfile(mesh, copy)
    log = home / "logs" / "aiml3d.log"
    full_env = {**os.environ, **env}
    first = subprocess.Popen(LAUNCH + ["--new-window"], env=full_env)
    try:
        wait_for(log, "started", 0)
        shown, ended = [], []
        for run in range(RUNS + 1):  # the first is a warm-up
            path = copies[run % 2]
            after = len(log.read_text("utf-8"))
            start = time.perf_counter()
            second = subprocess.Popen(LAUNCH + [str(path)], env=full_env)
            second.wait(30)
            done = time.perf_counter()
            on_screen = wait_for(log, f"mesh on screen: {path}", after)
            if run:
                shown.append(on_screen - start)
                ended.append(done - start)
            time.sleep(1.0)  # normals, statistics and the thumbnail of the last one settle
    finally:
        first.terminate()
        first.wait(30)
    f3d = [
        time_child(
            [PY, str(ROOT / "benchmarks" / "_child_f3d.py"), str(mesh), "900", "700"],
            "FIRST_FRAME",
            env,
        )[0]
        for _ in range(RUNS)
    ]
    print(f"mesh: {mesh.name} (1.37M triangles), {RUNS} runs")
    print(f"second launch to mesh on screen in the running window: {stats(shown)}")
    print(f"second process start to exit (hand-over):             {stats(ended)}")
    print(f"f3d cold start to first frame:                          {stats(f3d)}")
    ratio = np.median(shown) / np.median(f3d)
    print(f"ratio {ratio:.2f} x f3d's cold first frame (target: well under 1)")
    return 0 if ratio < 0.8 else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())

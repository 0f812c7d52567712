"""Cold start from source: process start to an interactive main window. Target: < 1.0 s.

Run under a display (xvfb-run -a -s "-screen 0 1600x1000x24" python benchmarks/bench_cold_start.py).
"""

from __future__ import annotations

import sys
import tempfile

from common import PY, ROOT, stats, time_child

RUNS = 7


def main() -> None:
    env = {"AIML3D_HOME": tempfile.mkdtemp(prefix="aiml3d-bench-"), "PYTHONPATH": str(ROOT)}
    child = [PY, str(ROOT / "benchmarks" / "_child_window.py"), "interactive"]
    time_child(child, "READY", env)  # one warm-up: the OS file cache, .pyc files
    times = [time_child(child, "READY", env)[0] for _ in range(RUNS)]
    print(f"cold start to interactive window: {stats(times)}  (target < 1.0 s)")
    return 0 if min(times) < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())

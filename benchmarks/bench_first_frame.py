"""Process start to first frame of a 1.37M-triangle vertex-coloured GLB, and the steady
orbit frame time, for this app and for f3d rendering the same file offscreen.

Targets: first frame within 1.25x of f3d's; orbit frame time no worse than f3d's.
Run under a display: xvfb-run -a -s "-screen 0 1600x1000x24" python benchmarks/bench_first_frame.py
Needs the bench extra (f3d, scikit-image) to make the mesh and run f3d.
"""

from __future__ import annotations

import sys
import tempfile

from common import PY, ROOT, big_mesh, stats, time_child

RUNS = 3


def measure(args: list[str], env: dict) -> tuple[list[float], list[float], str]:
    firsts, orbits, size = [], [], ""
    time_child(args, "FIRST_FRAME", env)  # warm-up
    for _ in range(RUNS):
        first, _ = time_child(args, "FIRST_FRAME", env)
        firsts.append(first)
    # The orbit line comes after the first frame; read it from a separate run.
    for _ in range(RUNS):
        _, rest = time_child(args, "ORBIT", env)
        seconds, size = rest.split()
        orbits.append(float(seconds))
    return firsts, orbits, size


def main() -> int:
    mesh = big_mesh()
    env = {"AIML3D_HOME": tempfile.mkdtemp(prefix="aiml3d-bench-"), "PYTHONPATH": str(ROOT)}
    ours = measure([PY, str(ROOT / "benchmarks" / "_child_window.py"), "mesh", str(mesh)], env)
    width, height = ours[2].split("x")
    theirs = measure([PY, str(ROOT / "benchmarks" / "_child_f3d.py"), str(mesh), width, height],
                     env)  # fmt: skip
    print(f"mesh: {mesh.name}, 1,376,876 triangles, viewport {ours[2]}")
    print(f"first frame  aiml3d: {stats(ours[0])}")
    print(f"first frame  f3d:    {stats(theirs[0])}")
    print(f"orbit frame  aiml3d: {stats(ours[1])}")
    print(f"orbit frame  f3d:    {stats(theirs[1])}")
    import numpy as np

    ratio = np.median(ours[0]) / np.median(theirs[0])
    orbit_ratio = np.median(ours[1]) / np.median(theirs[1])
    print(f"first frame ratio {ratio:.2f} (target <= 1.25); orbit ratio {orbit_ratio:.2f} "
          "(target <= 1.0)")  # fmt: skip
    return 0 if ratio <= 1.25 and orbit_ratio <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())

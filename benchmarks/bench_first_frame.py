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

RUNS = 5


def first_frames(commands: dict[str, list[str]], env: dict) -> dict[str, list[float]]:
    """Seconds from process start to first frame, the commands taking turns (after a warm-up
    run each) so that a slower moment of the machine falls on all of them alike."""
    for args in commands.values():
        time_child(args, "FIRST_FRAME", env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(RUNS):
        for name, args in commands.items():
            times[name].append(time_child(args, "FIRST_FRAME", env)[0])
    return times


def orbit_frames(args: list[str], env: dict) -> tuple[list[float], str]:
    seconds, size = [], ""
    for _ in range(3):
        _, rest = time_child(args, "ORBIT", env)
        value, size = rest.split()
        seconds.append(float(value))
    return seconds, size


def main() -> int:
    mesh = big_mesh()
    env = {"AIML3D_HOME": tempfile.mkdtemp(prefix="aiml3d-bench-"), "PYTHONPATH": str(ROOT)}
    ours = [PY, str(ROOT / "benchmarks" / "_child_window.py"), "mesh", str(mesh)]
    our_orbits, size = orbit_frames(ours, env)
    theirs = [PY, str(ROOT / "benchmarks" / "_child_f3d.py"), str(mesh), *size.split("x")]
    their_orbits, _ = orbit_frames(theirs, env)
    floor = [PY, str(ROOT / "benchmarks" / "_child_floor.py")]
    first = first_frames({"aiml3d": ours, "f3d": theirs, "floor": floor}, env)
    print(f"mesh: {mesh.name}, 1,376,876 triangles, viewport {size}")
    print(f"first frame  aiml3d: {stats(first['aiml3d'])}")
    print(f"first frame  f3d:    {stats(first['f3d'])}")
    print(f"orbit frame  aiml3d: {stats(our_orbits)}")
    print(f"orbit frame  f3d:    {stats(their_orbits)}")
    import numpy as np

    f3d = np.median(first["f3d"])
    ratio = np.median(first["aiml3d"]) / f3d
    orbit_ratio = np.median(our_orbits) / np.median(their_orbits)
    print(
        f"first frame ratio {ratio:.2f} (target <= 1.25); orbit ratio {orbit_ratio:.2f} "
        "(target <= 1.0)"
    )
    # What no PySide6 + pyqtgraph app can go under: the libraries loaded, nothing drawn yet.
    floor = np.median(first["floor"])
    print(
        f"floor: PySide6 and pyqtgraph.opengl imported, QApplication made: "
        f"{stats(first['floor'])} = {floor / f3d:.2f} x f3d's whole first frame"
    )
    return 0 if ratio <= 1.25 and orbit_ratio <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())

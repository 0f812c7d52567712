"""Child of bench_first_frame.py: f3d (PyPI) renders the same file offscreen."""

from __future__ import annotations

import sys
import time

import f3d


def main() -> None:
    path, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    engine = f3d.Engine.create(offscreen=True)
    engine.window.size = (width, height)
    engine.scene.add(path)
    engine.window.render()
    print("FIRST_FRAME", flush=True)
    camera = engine.window.camera
    times = []
    for _ in range(60):
        start = time.perf_counter()
        camera.azimuth(3)
        engine.window.render()
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"ORBIT {times[len(times) // 2]:.4f} {width}x{height}", flush=True)


if __name__ == "__main__":
    main()

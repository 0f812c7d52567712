"""Issue 16's figures: each asset operation's time and peak memory on a TripoSR-like mesh of
about 84k triangles and on the 1.37M one, the whole Game-ready preset end to end, and how
well the bake keeps the colours (mean and 95th percentile, in RGB levels).

Each measurement runs in a child process of its own, so that its peak memory (the child's
maximum resident set) is its own. Targets on a 2-core machine: Game-ready under 3 s (84k)
and under 10 s (1.37M); peak memory under 2 GB.

    python benchmarks/bench_assets.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import BIG_MESH, CACHE, big_mesh, blob_mesh, stats

SMALL_MESH = CACHE / "blob-128-pattern.glb"
STEPS = ("load", "clean", "upright", "decimate", "bake", "check", "repair", "game", "print", "ar")

CHILD = r"""
import json, resource, sys, time
from aiml3d_desktop.core.meshes import mesh
from aiml3d_desktop.core.assets import bake, clean, decimate, pipeline, printing, upright
from aiml3d_desktop.core.assets.recipe import BUILTIN

path, step = sys.argv[1], sys.argv[2]
start = time.perf_counter()
scene = mesh.load(path).scene
loaded = time.perf_counter()
out = {}
if step == "clean":
    clean.clean(scene)
elif step == "upright":
    upright.upright(scene)
elif step == "decimate":
    out["triangles"] = decimate.decimate(scene, 20_000).triangles
elif step == "bake":
    low = decimate.decimate(scene, 20_000)
    loaded = time.perf_counter()  # the bake alone
    baked = bake.bake(low, scene, 2048)
    done = time.perf_counter()
    quality = bake.fidelity(baked, scene, samples=50_000)
    out.update(mean=quality.mean, p95=quality.p95)
elif step == "check":
    out["ready"] = printing.check(scene).ready
elif step == "repair":
    printing.repair(scene)
elif step in ("game", "print", "ar"):
    prepared = pipeline.prepare(scene, BUILTIN[step].recipe)
    out["timings"] = prepared.timings
    if prepared.fidelity:
        out.update(mean=prepared.fidelity.mean, p95=prepared.fidelity.p95)
if step != "bake":
    done = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
out.update(seconds=done - loaded if step != "load" else loaded - start, peak_mb=peak)
print(json.dumps(out))
"""


def measure(path: Path, step: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), step], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{step} on {path.name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each step (default 3)")
    parser.add_argument("--steps", default=",".join(STEPS), help="which steps, comma-separated")
    args = parser.parse_args()
    meshes = {
        "84k (TripoSR-like, patterned)": blob_mesh(128, SMALL_MESH, pattern=True),
        "1.37M": big_mesh(BIG_MESH),
    }
    print("Times exclude reading the file (load is its own step); the step is timed alone.")
    for name, path in meshes.items():
        print(f"\n{name}: {path.name}")
        for step in args.steps.split(","):
            runs = [measure(path, step) for _ in range(args.runs)]
            seconds = [r["seconds"] for r in runs]
            peak = max(r["peak_mb"] for r in runs)
            line = f"  {step:<9} {stats(seconds)}   peak {peak:,.0f} MB"
            if "mean" in runs[0]:
                line += f"   colour error mean {runs[0]['mean']:.2f}, p95 {runs[0]['p95']:.2f}"
            if "timings" in runs[0]:
                parts = ", ".join(f"{k} {v:.2f}" for k, v in runs[0]["timings"].items())
                line += f"\n            ({parts})"
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

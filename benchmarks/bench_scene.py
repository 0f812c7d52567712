"""A composed scene as a user meets it (issues 29 and 28): 20 TripoSR-like models of 84k
triangles (1.7M in all) in a grid, from process start to the scene drawn in a viewer on a
screen of its own, and its steady orbit frame beside one mesh of the same 1.7M triangles;
and the peak memory with one model placed 20 times beside it placed once (each model is
uploaded once, however often it is placed).

A drag of one of the twenty models with the mouse is timed too: from each mouse move to its
frame drawn on the screen.

Targets (issue 29): open in under 3 s; orbit no slower than the one mesh; a drag on the
screen within two frames (of the orbit's); the same model 20 times within 1.2x of it once.

    .venv/bin/python benchmarks/bench_scene.py [--rounds N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from common import CACHE, PY, ROOT, blob_mesh, stats
from screen import virtual_screen

CHILD = ROOT / "benchmarks" / "_child_scene.py"


def make_files(folder: Path) -> dict[str, Path]:
    from aiml3d_desktop.core.composition import assemble, history
    from aiml3d_desktop.core.composition import document as scene_doc
    from aiml3d_desktop.core.composition.document import Source
    from aiml3d_desktop.core.meshes import writers
    from aiml3d_desktop.core.meshes.mesh_arrays import MeshArrays
    from aiml3d_desktop.core.meshes.scene import single

    blob = blob_mesh(128, CACHE / "blob-128.glb")
    for i in range(20):  # twenty models (copies: each read and uploaded as its own)
        shutil.copy(blob, folder / f"model-{i:02d}.glb")
    files = {}
    for name, sources in (
        ("twenty", [Source(file=f"model-{i:02d}.glb") for i in range(20)]),
        ("same20", [Source(file="model-00.glb")] * 20),
        ("same1", [Source(file="model-00.glb")]),
    ):
        composition = history.Composition()
        ids = composition.add([(source, f"model {i}") for i, source in enumerate(sources)])
        models = assemble.read_models(composition.doc, folder)
        composition.arrange(ids, "grid", 0.2, {k: m.outline for k, m in models.items()})
        files[name] = folder / f"{name}.json"
        scene_doc.save(composition.doc, files[name])
        if name == "twenty":  # the same triangles as one mesh
            flat = assemble.flattened(composition.doc, models)
            parts = [p.arrays for p in flat.primitives]
            starts = np.cumsum([0] + [len(a.positions) for a in parts[:-1]])
            one = MeshArrays(
                np.concatenate([a.positions for a in parts]),
                np.concatenate(
                    [a.indices + np.uint32(s) for a, s in zip(parts, starts, strict=True)]
                ),
                np.concatenate([a.colors for a in parts]),
            )
            files["one mesh"] = folder / "one.glb"
            writers.write_glb(single(one), files["one mesh"])
    return files


def run(kind: str, path: Path, display: str) -> tuple[float, float, float, float]:
    """(seconds to the first whole frame, orbit frame, peak MB, drag frame) of one child."""
    env = {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "PYOPENGL_PLATFORM": "glx",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.Popen(
        [PY, str(CHILD), kind, str(path)], stdout=subprocess.PIPE, text=True,
        env={**__import__("os").environ, **env},
    )  # fmt: skip
    first = orbit = peak = dragged = float("nan")
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("FIRST_FRAME"):
            first = time.perf_counter() - start
        elif line.startswith("ORBIT"):
            orbit = float(line.split()[1])
        elif line.startswith("PEAK"):
            peak = float(line.split()[1])
        elif line.startswith("DRAG"):
            _, seconds, moved = line.split()
            dragged = float(seconds) if moved == "moved" else float("inf")
    proc.wait(120)
    return first, orbit, peak, dragged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, virtual_screen() as display:
        files = make_files(Path(tmp))
        cases = {
            name: ("mesh" if name == "one mesh" else "scene", path) for name, path in files.items()
        }
        for kind, path in cases.values():
            run(kind, path, display)  # warm-up: the OS file cache, the shader cache
        seen: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, (kind, path) in cases.items():
                seen[name].append(run(kind, path, display))
    median = {
        name: [statistics.median(r[i] for r in runs) for i in range(4)]
        for name, runs in seen.items()
    }
    for name, runs in seen.items():
        _, orbit, peak, dragged = median[name]
        drag = "" if np.isnan(dragged) else f", drag frame {dragged:.3f} s"
        print(f"  {name:9} open {stats([r[0] for r in runs])}, orbit frame {orbit:.3f} s"
              f"{drag}, peak {peak:.0f} MB", flush=True)  # fmt: skip
    checks = [
        ("20 models open in under 3 s", median["twenty"][0] < 3.0),
        ("orbit no slower than one mesh of as many triangles",
         median["twenty"][1] <= median["one mesh"][1] * 1.05),
        ("a drag on the screen within two frames",
         median["twenty"][3] <= 2 * median["twenty"][1]),
        ("one model placed 20 times within 1.2x of it once",
         median["same20"][2] <= 1.2 * median["same1"][2]),
    ]  # fmt: skip
    for text, ok in checks:
        print(f"  {text}: {'ok' if ok else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

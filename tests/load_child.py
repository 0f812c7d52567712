"""A child process that loads mesh files for the fuzz tests, so that a crash in native code
(a segfault from a bad view into memory) kills this child and not the test run.

Reads one path per line on stdin; answers one JSON line per path: {"ok": [vertices,
triangles]}, {"refused": message} for a MeshLoadError, or {"other": "Type: message"}.
"""

from __future__ import annotations

import json
import sys
import warnings

from aiml3d_desktop.core.common.errors import MeshLoadError
from aiml3d_desktop.core.meshes import mesh


def answer(path: str) -> dict:
    try:
        loaded = mesh.load(path)
        stats = loaded.stats
        arrays = loaded.arrays
        if len(arrays.indices) and int(arrays.indices.max()) >= len(arrays.positions):
            return {"other": "an index past the last vertex came through"}
        return {"ok": [stats.vertices, stats.triangles]}
    except MeshLoadError as exc:
        return {"refused": str(exc)}
    except Exception as exc:  # reported to the test, which fails on it
        return {"other": f"{type(exc).__name__}: {exc}"[:500]}


def main() -> None:
    warnings.simplefilter("ignore")  # numpy overflow notes on garbage data are not failures
    for line in sys.stdin:
        print(json.dumps(answer(line.rstrip("\n"))), flush=True)


if __name__ == "__main__":
    main()

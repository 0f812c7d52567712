"""Shared by the benchmark scripts: the big test mesh, and timing a child process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"
BIG_MESH = CACHE / "blob-512.glb"


def big_mesh(path: Path = BIG_MESH) -> Path:
    """A TripoSR-like mesh: marching cubes at 512³ over a lumpy blob, coloured per vertex,
    about 1.37 million triangles. Made once and cached."""
    return blob_mesh(512, path)


def blob_mesh(n: int, path: Path, pattern: bool = False) -> Path:
    """Marching cubes at n³ over a lumpy blob (n=128: about 86k triangles, TripoSR's usual
    size; 512: 1.37M), coloured by position, or with ``pattern`` by stripes and spots whose
    detail a bake has to keep. Made once and cached."""
    if path.exists():
        return path
    import trimesh
    from skimage.measure import marching_cubes

    axis = np.linspace(-1, 1, n, dtype=np.float32)
    x, y, z = np.meshgrid(axis, axis, axis, indexing="ij", sparse=True)
    r = np.sqrt(x * x + y * y + z * z)
    field = r - 0.745 + 0.03 * (np.sin(7 * x) * np.sin(6 * y) * np.sin(5 * z))
    vertices, faces, _, _ = marching_cubes(field, 0.0, spacing=(2 / (n - 1),) * 3)
    vertices -= 1.0
    colours = np.column_stack([(vertices + 1) / 2 * 255, np.full(len(vertices), 255)])
    if pattern:
        x, y, z = vertices.T
        stripes = (np.sin(18 * y) > 0).astype(np.float64)
        spots = (np.sin(11 * x) * np.sin(13 * z) > 0.4).astype(np.float64)
        colours[:, 0] = 40 + 200 * stripes
        colours[:, 1] = 60 + 150 * spots
        colours[:, 2] = 90 + 120 * (y + 1) / 2
    mesh = trimesh.Trimesh(
        vertices, faces[:, ::-1], vertex_colors=colours.astype(np.uint8), process=False
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(mesh.export(file_type="glb"))
    return path


def time_child(args: list[str], marker: str, env: dict | None = None, timeout=300) -> tuple:
    """Start a process; return (seconds until it prints ``marker``, the rest of that line)."""
    # As on a user's machine, Python may cache compiled modules (a warm-up run writes them).
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env={**base, **(env or {})})
    try:
        for line in proc.stdout:
            if line.startswith(marker):
                return time.perf_counter() - start, line[len(marker) :].strip()
        raise RuntimeError(f"{args} ended without printing {marker!r}")
    finally:
        proc.kill()  # what comes after the marker is not measured
        proc.wait(timeout=timeout)


def stats(values: list[float]) -> str:
    values = sorted(values)
    median = np.median(values)
    return f"median {median:.3f} s (min {values[0]:.3f}, max {values[-1]:.3f}, n={len(values)})"


PY = sys.executable

"""What the GUI runs on worker threads: core calls, plus the GPU-ready preparation that
would otherwise stall the GUI thread. Each takes ``progress`` and ``cancel`` keywords."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtGui import QImage

from aiml3d_desktop import paths
from aiml3d_desktop.core import jobs, mesh, preview
from aiml3d_desktop.core.errors import InputError

LOADING = jobs.LOADING


def generate(source, params, out_dir, options, *, progress, cancel) -> jobs.JobResult:
    result = jobs.generate(source, params, out_dir, options, progress=progress, cancel=cancel)
    result.loaded.arrays.interleaved  # noqa: B018 - build the vertex buffer here, not in paint
    return result


def open_mesh(path: str, *, progress, cancel) -> mesh.LoadedMesh:
    progress(LOADING, None, None)
    loaded = mesh.load(path)
    cancel.check()
    loaded.arrays.interleaved  # noqa: B018
    return loaded


def open_picture(source: str, *, progress, cancel) -> preview.Preview:
    return preview.load_preview(source, progress=progress, cancel=cancel)


def save_pasted_image(image: QImage, *, progress, cancel) -> preview.Preview:
    """A picture from the clipboard or a browser has no file: give it one, then open it."""
    folder = paths.cache_dir() / "pasted"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"pasted-{time.strftime('%Y%m%d-%H%M%S')}.png"
    if not image.save(str(path), "PNG"):
        raise InputError(f"Could not save the pasted picture to {folder}",
                         hint="Free some disk space and paste again.")  # fmt: skip
    return preview.load_preview(str(path), progress=progress, cancel=cancel)


def export_mesh(loaded: mesh.LoadedMesh, dest: str, *, progress, cancel) -> Path:
    progress("exporting", None, None)
    return mesh.export(loaded.mesh, dest)

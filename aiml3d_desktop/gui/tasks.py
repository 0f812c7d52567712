"""What the GUI runs on worker threads: core calls, plus the GPU-ready preparation that
would otherwise stall the GUI thread. Each takes ``progress`` and ``cancel`` keywords.

The core modules behind these are imported inside each task, on the worker thread: they pull
in requests and trimesh, which the window does not need in order to appear.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QImage

from aiml3d_desktop import paths
from aiml3d_desktop.core.errors import InputError

if TYPE_CHECKING:
    from aiml3d_desktop.core.jobs import JobResult
    from aiml3d_desktop.core.mesh import LoadedMesh
    from aiml3d_desktop.core.netpolicy import RetryPolicy
    from aiml3d_desktop.core.params import TriposrParams
    from aiml3d_desktop.core.preview import Preview
    from aiml3d_desktop.core.settings import Settings


def generate(source: str, params: TriposrParams, conf: Settings, api_key: str | None,
             retry: RetryPolicy, *, progress, cancel) -> JobResult:  # fmt: skip
    from aiml3d_desktop.core import jobs

    options = jobs.JobOptions.from_settings(conf, api_key, retry=retry)
    result = jobs.generate(source, params, conf.output_path, options, progress=progress,
                           cancel=cancel)  # fmt: skip
    result.loaded.arrays.prepare()  # here, not on the GUI thread
    return result


def open_mesh(path: str, *, progress, cancel) -> LoadedMesh:
    from aiml3d_desktop.core import mesh

    progress("loading", None, None)
    loaded = mesh.load(path)
    cancel.check()
    loaded.arrays.prepare()
    return loaded


def mesh_normals(loaded: LoadedMesh, *, progress, cancel) -> LoadedMesh:
    loaded.arrays.smooth_normals()
    return loaded


def mesh_stats(loaded: LoadedMesh, *, progress, cancel) -> LoadedMesh:
    loaded.stats  # noqa: B018 - computed here, once; the GUI reads the cached value
    return loaded


def open_picture(source: str, *, progress, cancel) -> Preview:
    from aiml3d_desktop.core import preview

    return preview.load_preview(source, progress=progress, cancel=cancel)


def save_pasted_image(image: QImage, *, progress, cancel) -> Preview:
    """A picture from the clipboard or a browser has no file: give it one, then open it."""
    folder = paths.cache_dir() / "pasted"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"pasted-{time.strftime('%Y%m%d-%H%M%S')}.png"
    if not image.save(str(path), "PNG"):
        raise InputError(f"Could not save the pasted picture to {folder}",
                         hint="Free some disk space and paste again.")  # fmt: skip
    return open_picture(str(path), progress=progress, cancel=cancel)


def export_mesh(loaded: LoadedMesh, dest: str, *, progress, cancel) -> Path:
    from aiml3d_desktop.core import mesh

    progress("exporting", None, None)
    return mesh.export(loaded.mesh, dest)

"""``aiml3d-desktop --self-test``: the installed app checks itself and exits 0 or 1.

It imports what the app only loads later (so that a bundle missing a hidden import fails
here, not in a user's hands), reads the bundled samples through both mesh readers, starts
the real window on the sample GLB, and checks the pixels of the first frame that shows it.
One line per check goes to stdout.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from aiml3d_desktop import APP_NAME, __version__, paths

if TYPE_CHECKING:
    from aiml3d_desktop.gui.widgets.viewer import Viewer

# Loaded lazily by the app (inside tasks, on first use), so a bundle can miss them silently.
LAZY_MODULES = (
    "trimesh",
    "requests",
    "urllib3",
    "keyring",
    "sqlite3",
    "PIL.Image",
    "tqdm",
    "platformdirs",
    "OpenGL.GL",
    "OpenGL.platform.egl",
    "aiml3d_desktop.core.generation.jobs",
    "aiml3d_desktop.core.library.store",
)
TIMEOUT_S = 60


def run() -> int:
    print(f"{APP_NAME} {__version__} self-test", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="aiml3d-self-test-") as home:
        os.environ["AIML3D_HOME"] = home  # the user's settings and library stay untouched
        try:
            ok = _imports() and _mesh_files() and _asset_pipeline() and _window()
        except Exception:  # printed here: a windowed program would show a dialog
            traceback.print_exc(file=sys.stdout)
            ok = False
    print(
        f"self-test {'passed' if ok else 'FAILED'} in {time.monotonic() - started:.1f} s",
        flush=True,
    )
    return 0 if ok else 1


def _report(name: str, ok: bool, detail: str = "") -> bool:
    print(f"  {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
    return ok


def _imports() -> bool:
    missing = []
    for name in LAZY_MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # any failure to import is the finding
            missing.append(f"{name} ({type(exc).__name__}: {exc})")
    return _report("modules", not missing, ", ".join(missing))


def _mesh_files() -> bool:
    from aiml3d_desktop.core.meshes import mesh

    try:
        fast = mesh.load(paths.resource("samples/sample.glb"))  # numpy GLB reader
        general = mesh.load(paths.resource("samples/sample.ply"))  # trimesh
        with tempfile.TemporaryDirectory() as tmp:
            out = mesh.export(general, Path(tmp) / "sample.obj")
            again = mesh.load(out)
    except Exception as exc:  # reported, not raised
        return _report("mesh files", False, f"{type(exc).__name__}: {exc}")
    counts = {len(m.arrays.indices) for m in (fast, general, again)}
    return _report(
        "mesh files",
        len(counts) == 1 and fast.arrays.colors is not None,
        f"GLB, PLY and OBJ read, {counts.pop():,} triangles",
    )


def _asset_pipeline() -> bool:
    """The compiled libraries of core/assets, each used once: decimate, unwrap and bake,
    a watertight check, and USDZ (USD's plugins are data files a bundle can miss)."""
    from aiml3d_desktop.core.assets import pipeline, printing
    from aiml3d_desktop.core.assets.recipe import Recipe
    from aiml3d_desktop.core.meshes import mesh

    try:
        scene = mesh.load(paths.resource("samples/sample.glb")).scene
        recipe = Recipe(clean=True, decimate=500, bake=512, formats=("glb", "usdz"))
        prepared = pipeline.prepare(scene, recipe)
        with tempfile.TemporaryDirectory() as tmp:
            files = pipeline.save(prepared, Path(tmp) / "asset.glb", recipe.formats)
            again = mesh.load(files[0]).scene
            from pxr import Usd

            usd_ok = Usd.Stage.Open(str(files[1])) is not None
        watertight = printing.check(prepared.scene).watertight
    except Exception as exc:  # reported, not raised
        return _report("asset pipeline", False, f"{type(exc).__name__}: {exc}")
    return _report(
        "asset pipeline",
        usd_ok and len(again.textures) == 1 and again.triangles == prepared.scene.triangles,
        f"{again.triangles:,} triangles baked, GLB and USDZ written,"
        f" {'watertight' if watertight else 'open'}",
    )


def _window() -> bool:
    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QImage

    from aiml3d_desktop.gui.main_window import MainWindow
    from aiml3d_desktop.gui.qt_setup import create_app

    app = create_app()
    window = MainWindow([str(paths.resource("samples/sample.glb"))])
    window.resize(1000, 700)
    viewer = window.viewer
    result: list[bool] = []

    def on_frame() -> None:
        if result or not viewer.item.drawn:
            return
        image = viewer.grabFramebuffer().convertToFormat(QImage.Format.Format_RGB888)
        _report("OpenGL", True, _renderer(viewer))
        w, h = image.width(), image.height()
        rows = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
        rgb = rows[:, : w * 3].reshape(h, w, 3).astype(int)
        coloured = float((rgb.max(axis=2) - rgb.min(axis=2) > 60).mean())
        result.append(
            _report(
                "first frame",
                coloured > 0.02,
                f"{w}x{h}, {coloured:.0%} of it the sample's colours",
            )
        )
        app.quit()

    def give_up() -> None:
        if not result:
            result.append(_report("first frame", False, f"nothing drawn in {TIMEOUT_S} s"))
            app.quit()

    viewer.frameSwapped.connect(on_frame)
    QTimer.singleShot(TIMEOUT_S * 1000, give_up)
    window.show()
    app.exec()
    window.close()
    return bool(result and result[0])


def _renderer(viewer: Viewer) -> str:
    """Which OpenGL drew the frame: what to look at first when the check fails."""
    from aiml3d_desktop.gui.opengl_lean import GL

    viewer.makeCurrent()
    try:
        names = (GL.glGetString(n) for n in (GL.GL_RENDERER, GL.GL_VERSION))
        return ", ".join((name or b"?").decode(errors="replace") for name in names)
    finally:
        viewer.doneCurrent()


if __name__ == "__main__":
    sys.exit(run())

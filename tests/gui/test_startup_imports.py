"""What the window imports before its first frame: none of the heavy libraries that only a
command or a panel's work needs (scipy alone is half a second, and once slipped in through
the Prepare asset panel's types, the first frame 45% slower; requests came in through the
Parts panel)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.gui
# The network stack too: only a generation, a download or a split needs it; Pillow only a
# picture, a thumbnail or a turntable (issue 28).
HEAVY = (
    "scipy", "OpenImageIO", "xatlas", "fast_simplification", "manifold3d", "pxr", "trimesh",
    "requests", "urllib3", "keyring", "PIL",
)  # fmt: skip
CHILD = """
import sys
from aiml3d_desktop.gui.qt_setup import create_app
app = create_app()
from aiml3d_desktop.gui.main_window import MainWindow
window = MainWindow()
print(sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1:])))
"""


def run_child(code: str, *args: str, **env: str) -> str:
    """What ``code`` printed, run in a Python of its own (``env`` added to this one's,
    with Qt on the X display); it must end well."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "xcb", **env},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_window_is_built_without_the_heavy_libraries(tmp_path):
    said = run_child(CHILD, *HEAVY, AIML3D_HOME=str(tmp_path))
    assert said.strip().splitlines()[-1] == "[]"


LINECACHE_CHILD = """
import linecache, sys
from aiml3d_desktop.gui.qt_setup import create_app
app = create_app()
import uses_qt_here, plain_here
feature = sys.modules["shibokensupport.feature"].pyside_feature_dict
print(feature["uses_qt_here"], feature["plain_here"], sum("_here" in f for f in linecache.cache))
"""


def test_pyside_asks_which_modules_use_it_without_keeping_their_source(tmp_path):
    """PySide6's question (does this module mention PySide6?) gets the same answers, asked
    of the file's bytes: no module's lines kept in linecache (15 MB and 40 ms at start)."""
    (tmp_path / "uses_qt_here.py").write_text("from PySide6 import QtCore\n")
    (tmp_path / "plain_here.py").write_text("x = 1\n")
    said = run_child(LINECACHE_CHILD, PYTHONPATH=f"{ROOT}{os.pathsep}{tmp_path}")
    uses, plain, cached = said.split()
    assert (uses, plain) == ("0", "-1")
    assert cached == "0"


MIRRORS_CHILD = """
import sys
from aiml3d_desktop.gui.qt_setup import create_app
app = create_app()
from aiml3d_desktop.gui.main_window import MainWindow
window = MainWindow()
window.show()
app.processEvents()
import PySide6.QtGui
import pyqtgraph.Qt as mirrored
held = sum(len(vars(getattr(mirrored, n))) for n in ("QtCore", "QtGui", "QtWidgets"))
same = mirrored.QtGui.QColor is PySide6.QtGui.QColor and mirrored.QtCore.__version__
print(held, bool(same), hasattr(mirrored.QtGui, "__file__"), hasattr(mirrored.QtGui, "NoSuch"))
window.close()  # its workers stopped before the process ends
"""


def test_pyqtgraph_s_mirrors_of_qt_find_names_on_first_use(tmp_path):
    """pyqtgraph copies all of QtCore, QtGui and QtWidgets into modules of its own at
    import, which builds some 700 types and their enums (50 ms of the first frame): the
    window's mirrors find a name in PySide6 when pyqtgraph first asks for it instead, and
    it is PySide6's own."""
    said = run_child(MIRRORS_CHILD, AIML3D_HOME=str(tmp_path))
    held, same, has_file, has_nothing = said.split()[-4:]
    assert int(held) < 150  # of 721 names: what the window drew its first frame with
    assert (same, has_file, has_nothing) == ("True", "False", "False")


WINDOW_MODULE_CHILD = """
import sys
from aiml3d_desktop.gui.qt_setup import create_app
app = create_app()
import aiml3d_desktop.gui.main_window
print(sorted({m.split('.')[0] for m in sys.modules} & {"pyqtgraph", "OpenGL"}))
"""


def test_the_window_module_comes_without_pyqtgraph_and_opengl(tmp_path):
    """A mesh named on the command line starts loading as the window begins to be built,
    before the view brings pyqtgraph and OpenGL (a tenth of a second): importing the
    window's module must not bring them (the Scene tab's handles once did)."""
    said = run_child(WINDOW_MODULE_CHILD, AIML3D_HOME=str(tmp_path))
    assert said.strip().splitlines()[-1] == "[]"


LEAN_PACKAGE_CHILD = """
import sys
from aiml3d_desktop.gui.qt_setup import create_app
app = create_app()
from aiml3d_desktop.gui.main_window import MainWindow
window = MainWindow()
window.show()
app.processEvents()
print("plots", "pyqtgraph.graphicsItems.PlotItem" in sys.modules)
from aiml3d_desktop.gui.pyqtgraph_lean import pg
from pyqtgraph.opengl.GLViewWidget import getConfigOption as kept
print("lean", kept("background"))
names = {}
exec("from pyqtgraph import *", names)  # runs the whole package, as any name does
print("star", "PlotItem" in names, "mkColor" in names)
import importlib.metadata
print("version", pg.__version__ == importlib.metadata.version("pyqtgraph"))
pg.setConfigOptions(background="w")
plot = pg.PlotItem()
plots = "pyqtgraph.graphicsItems.PlotItem" in sys.modules
print("whole", type(plot).__name__, kept("background"), plots)
window.close()
"""


def test_pyqtgraph_s_2d_plots_load_on_first_use(tmp_path):
    """The window draws its first frame without pyqtgraph's 2D plots, widgets and colour
    maps (its package's __init__ imports them all: 40 ms); the first use of one (View >
    Usage) runs the whole package, and an option set then reaches the 3D view's modules."""
    lines = run_child(LEAN_PACKAGE_CHILD, AIML3D_HOME=str(tmp_path)).strip().splitlines()
    said = dict(line.split(" ", 1) for line in lines)
    assert said["plots"] == "False"
    assert said["lean"] == "k"
    assert said["whole"] == "PlotItem w True"
    assert (said["star"], said["version"]) == ("True True", "True")


def test_the_lean_options_are_pyqtgraph_s_defaults():
    """The options the 3D view reads before pyqtgraph's package has run are its defaults
    (asked of pyqtgraph imported whole, in a process of its own)."""
    from aiml3d_desktop.gui.pyqtgraph_lean import OPENGL_OPTIONS

    child = "import json, pyqtgraph; print(json.dumps(pyqtgraph.CONFIG_OPTIONS))"
    defaults = json.loads(run_child(child, QT_QPA_PLATFORM="offscreen"))
    assert {option: defaults[option] for option in OPENGL_OPTIONS} == OPENGL_OPTIONS


ARENAS_CHILD = """
import ctypes, gc, os, sys, threading
if sys.argv[1] == "lean":
    from aiml3d_desktop.gui.app import lean_process
    lean_process()
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.fdopen.restype = ctypes.c_void_p
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
start = threading.Barrier(8)
def allocate():
    start.wait()  # all at once: a new thread that allocates gets a heap of its own, to a limit
    blocks = [libc.malloc(4096) for _ in range(2000)]
    for block in blocks:
        libc.free(block)
threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
reader, writer = os.pipe()
stream = libc.fdopen(writer, b"w")
libc.malloc_info(0, stream)
libc.fclose(stream)
heaps = os.read(reader, 1 << 20).decode().count("<heap nr=")
print(heaps, os.environ.get("OPENBLAS_NUM_THREADS"), gc.isenabled())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc: Linux only")
def test_the_window_s_process_keeps_few_malloc_heaps_and_one_blas_thread(monkeypatch):
    """The window's process is told, before any thread starts, to keep at most two heaps for
    glibc's malloc (each thread that allocates would get its own: 10 MB more in all),
    to start one BLAS thread with numpy, and not to collect garbage by itself while its
    modules import (the window's collector does, on a timer); a process not told keeps
    more heaps, and collects."""
    for name in ("MALLOC_ARENA_MAX", "OPENBLAS_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)

    def heaps(how: str) -> tuple[int, str, str]:
        count, blas, collecting = run_child(ARENAS_CHILD, how).split()
        return int(count), blas, collecting

    from aiml3d_desktop.gui.app import MALLOC_ARENAS

    assert heaps("lean") == (MALLOC_ARENAS, "1", "False")
    plain = heaps("plain")
    assert plain[0] > MALLOC_ARENAS
    assert plain[2] == "True"


FALLBACK_CHILD = """
import sys
sys.modules["pyqtgraph.Transform3D"] = None  # as if pyqtgraph.opengl needed more than is lean
from aiml3d_desktop.gui.qt_setup import create_app
app = create_app()
from aiml3d_desktop.gui.pyqtgraph_lean import gl, pg
plots = "pyqtgraph.graphicsItems.PlotItem" in sys.modules
print(type(pg.PlotItem()).__name__, gl.GLViewWidget.__name__, plots)
"""


def test_a_pyqtgraph_that_will_not_import_lean_is_imported_whole(tmp_path):
    """Should a pyqtgraph release's 3D part take more from its package than the lean one
    holds, the window imports pyqtgraph whole instead of failing to start."""
    said = run_child(FALLBACK_CHILD, AIML3D_HOME=str(tmp_path))
    assert said.split()[-3:] == ["PlotItem", "GLViewWidget", "True"]


GL_FRAMES_CHILD = """
import sys, time
from aiml3d_desktop import paths
from aiml3d_desktop.gui.qt_setup import create_app
app = create_app()
from aiml3d_desktop.gui.main_window import MainWindow
window = MainWindow([str(paths.resource("samples/sample.glb"))])
window.show()
viewer, frames = window.viewer, []
viewer.frameSwapped.connect(lambda: frames.append(viewer.item.drawn))
deadline = time.monotonic() + 60
while sum(frames) < 3 and time.monotonic() < deadline:  # the plain frame, the whole, one more
    app.processEvents()
    time.sleep(0.01)
print("frames", sum(frames))
print("gl4", sorted(m for m in sys.modules if m.startswith("OpenGL.GL.VERSION.GL_4")))
window.close()
"""


def test_the_window_draws_with_gl_3_wrappers_only(tmp_path):
    """PyOpenGL's OpenGL.GL imports the wrappers of every GL version, 1.1 to 4.6, the
    largest library import of the first frame; the window and pyqtgraph's 3D part take them
    to GL 3.3 only: a model's first frame and the whole frames after it (the floor, the
    sun's shadow, the anti-aliasing) import none of GL 4's."""
    lines = run_child(GL_FRAMES_CHILD, AIML3D_HOME=str(tmp_path)).strip().splitlines()
    said = dict(line.split(" ", 1) for line in lines[-2:])
    assert int(said["frames"]) >= 3
    assert said["gl4"] == "[]"


LEAN_GL_CHILD = """
import json, sys
from aiml3d_desktop.gui.opengl_lean import GL, shaders
lean = {k: v for k, v in vars(GL).items() if not k.startswith("__")}
gl4 = any(m.startswith("OpenGL.GL.VERSION.GL_4") for m in sys.modules)
rotate = GL.glRotate  # an alias that only the whole package binds: asking for it runs it
star = {}
exec("from OpenGL.GL import *", star)
print(json.dumps({
    "gl4_while_lean": gl4,
    "differ": sorted(k for k, v in lean.items() if not (vars(GL)[k] is v or vars(GL)[k] == v)),
    "rotate": rotate is GL.glRotated,
    "names": sorted(k for k in vars(GL) if not k.startswith("__")),
    "star": sorted(k for k in star if not k.startswith("__")),
    "shaders": sorted(dir(shaders)),
}))
"""
WHOLE_GL_CHILD = """
import json
from OpenGL import GL
from OpenGL.GL import shaders
names = sorted(k for k in vars(GL) if not k.startswith("__"))
star = {}
exec("from OpenGL.GL import *", star)
print(json.dumps({"names": names, "star": sorted(k for k in star if not k.startswith("__")),
                  "shaders": sorted(dir(shaders))}))
"""


def test_the_lean_opengl_becomes_the_whole_one_on_first_use_of_a_name_it_lacks():
    """OpenGL.GL made lean (GL 1.1 to 3.3) binds what the whole package binds (its GL 4
    modules bind some constants again, equal, and their own glGetPointerv over GL 1.1's),
    and the first name it lacks (glRotate) or a star import runs the whole package in it:
    then it binds every name PyOpenGL's own does. Its shaders module is the same as over
    the whole package but for glProgramParameteri (GL 4.1). Nothing here uses either."""
    env = {"QT_QPA_PLATFORM": "offscreen"}
    lean = json.loads(run_child(LEAN_GL_CHILD, **env).strip().splitlines()[-1])
    whole = json.loads(run_child(WHOLE_GL_CHILD, **env).strip().splitlines()[-1])
    assert lean["gl4_while_lean"] is False
    assert lean["differ"] == ["glGetPointerv"]
    assert lean["rotate"] is True
    assert lean["names"] == whole["names"]
    assert lean["star"] == whole["star"]
    assert set(whole["shaders"]) - set(lean["shaders"]) == {"glProgramParameteri"}
    assert set(lean["shaders"]) <= set(whole["shaders"])


GL_FALLBACK_CHILD = """
import sys
class LaidOutOtherwise:  # as a PyOpenGL release might be: the lean import fails, once
    failed = False
    def find_spec(self, name, path, target=None):
        if name == "OpenGL.GL.VERSION.GL_3_3" and not self.failed:
            self.failed = True
            raise ImportError("no such module")
sys.meta_path.insert(0, LaidOutOtherwise())
from aiml3d_desktop.gui.opengl_lean import GL, shaders
print("__getattr__" in vars(GL), GL.glRotate is GL.glRotated, callable(shaders.compileProgram))
"""


def test_an_opengl_that_will_not_import_lean_is_imported_whole():
    """Should a PyOpenGL release not import lean, OpenGL.GL is imported whole instead of
    the window failing to start."""
    said = run_child(GL_FALLBACK_CHILD, QT_QPA_PLATFORM="offscreen")
    assert said.split()[-3:] == ["False", "True", "True"]


FROZEN_CHILD = """
import gc, sys
from PySide6.QtCore import QTimer
from aiml3d_desktop.gui import app, qt_setup
def report(window):
    from aiml3d_desktop.gui.main_window import MainWindow
    scanned = gc.get_objects()  # what collections look at: not what is set aside
    frozen = not any(o is MainWindow for o in scanned)
    print(gc.isenabled(), gc.get_freeze_count(), frozen, any(o is window for o in scanned))
    window.close()
install = qt_setup.install_excepthook  # start_window calls it with the window it built
def reporting(window):
    install(window)
    QTimer.singleShot(0, lambda: report(window))
qt_setup.install_excepthook = reporting
sys.exit(app.start_window([]))
"""


def test_what_the_window_imported_is_set_aside_from_collection(tmp_path):
    """The window's process imports its modules without collecting garbage, then sets what
    is alive aside for good (the modules and classes: its first timed collection would
    otherwise scan them all, a 30 ms stall), before the window starts any worker: what
    the window makes stays collectable."""
    said = run_child(FROZEN_CHILD, AIML3D_HOME=str(tmp_path)).split()[-4:]
    collecting, frozen_count, classes_frozen, window_scanned = said
    assert collecting == "False"  # the collector's timer does it, on the GUI thread
    assert int(frozen_count) > 10_000
    assert (classes_frozen, window_scanned) == ("True", "True")

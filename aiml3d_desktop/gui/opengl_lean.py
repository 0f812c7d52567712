"""PyOpenGL's OpenGL.GL, imported for the window's first frame: every module takes GL here.

OpenGL.GL's ``__init__`` imports the wrappers of every GL version, 1.1 to 4.6: 190
modules, 75 ms of CPU on the development machine, the largest library import of the first
frame (issue 28). The window and pyqtgraph's 3D part draw with GL 3.3 at most. So the
package is made running the first part of its own ``__init__``, the same imports in the
same order up to GL 3.3 (85 modules, 54 ms), and its shaders module; the first name it
lacks (a GL 4 function, an alias such as glRotate, another submodule, a star import) runs
its whole ``__init__`` in it, and from then on it binds what PyOpenGL's own does. (Until
then glGetPointerv is GL 1.1's, which GL 4.3's replaces in the whole; the shaders module
lacks glProgramParameteri for good, see below. Nothing here uses either.)
Should a PyOpenGL release not import this way, OpenGL.GL is imported whole (and the log
says why); if it was already imported (a test, a tool), it is used as it is.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
import threading
import types

import OpenGL

# The first imports of OpenGL/GL/__init__.py, in its order, up to GL 3.3 (tests compare what
# they bind with the whole package's).
LEAN_INIT = "from OpenGL import error as _error\n" + "".join(
    f"from OpenGL.GL.{module} import *\n"
    for module in (
        "VERSION.GL_1_1", "pointers", "images", "exceptional", "glget",
        "VERSION.GL_1_2", "VERSION.GL_1_3", "VERSION.GL_1_4", "VERSION.GL_1_5",
        "VERSION.GL_2_0", "VERSION.GL_2_1",
        "VERSION.GL_3_0", "VERSION.GL_3_1", "VERSION.GL_3_2", "VERSION.GL_3_3",
    )
)  # fmt: skip
NAME = "OpenGL.GL"


def lean_package() -> types.ModuleType:
    """OpenGL.GL, its ``__init__`` run up to GL 3.3, in sys.modules; the rest on first use."""
    spec = importlib.util.find_spec(NAME)
    assert spec is not None and spec.loader is not None  # a dependency of the app
    loader = spec.loader
    package = importlib.util.module_from_spec(spec)
    state = {"whole": False, "probing": False}
    running = threading.RLock()  # another thread asking meanwhile waits for the whole

    def find(attr: str) -> object:
        if (attr.startswith("__") and attr != "__all__") or state["probing"]:
            raise AttributeError(f"module {NAME!r} has no attribute {attr!r}")
        with running:
            if not state["whole"]:  # a star import asks for __all__ first: it then takes all
                state["whole"] = True  # names it lacks while it runs are not there yet
                try:
                    loader.exec_module(package)
                except BaseException:
                    state["whole"] = False  # tried again, to say why, on the next name asked
                    raise
        try:
            return vars(package)[attr]
        except KeyError:
            raise AttributeError(f"module {NAME!r} has no attribute {attr!r}") from None

    setattr(package, "__getattr__", find)  # noqa: B010  # PEP 562
    sys.modules[NAME] = package
    try:
        exec(LEAN_INIT, vars(package))
        # OpenGL.GL.shaders asks whether GL has each of 260 shader names (hasattr) as it
        # is imported: of those only glProgramParameteri (GL 4.1, used by nothing here) is
        # beyond GL 3.3, so the lean part answers rather than run the whole package for it.
        state["probing"] = True
        importlib.import_module(f"{NAME}.shaders")
    except BaseException:  # nothing of it kept: the whole package is imported afresh
        for name in [n for n in sys.modules if n == NAME or n.startswith(f"{NAME}.")]:
            del sys.modules[name]
        raise
    finally:
        state["probing"] = False
    OpenGL.GL = package  # as the import system binds it
    return package


if NAME not in sys.modules:
    try:
        lean_package()
    except Exception:  # a PyOpenGL that will not import this way: imported whole
        logging.getLogger(__name__).warning("OpenGL.GL imported whole", exc_info=True)

from OpenGL import GL  # noqa: E402
from OpenGL.GL import shaders  # noqa: E402

__all__ = ["GL", "shaders"]

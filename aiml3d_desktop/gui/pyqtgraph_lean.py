"""pyqtgraph, imported for the window's first frame: every widget takes it from here.

At import, pyqtgraph copies every name of PySide6's QtCore, QtGui and QtWidgets into mirror
modules of its own (pyqtgraph.Qt.QtCore and the rest: its Qt4-era namespace). Reading each
name makes PySide6 build the type and its enums, some 700 of them, nearly all never used:
50 ms of the first frame, and a few MB (issue 28). Here the mirrors are made first, empty,
and find each name in PySide6 the first time pyqtgraph asks for it; while pyqtgraph is
imported, ``dir()`` of those three PySide6 modules is empty, so that it copies nothing.
pyqtgraph reads the mirrors only by attribute (no star import, no ``dir`` of them).

Its package's ``__init__`` imports every 2D plot item, widget and colour map as well (40 ms
more, and memory): the 3D view needs none of them. So the package is made without running
it, holding what pyqtgraph.opengl takes from it (two classes and the config options it
reads); the first other name asked of it (``pg.PlotItem``: View > Usage) runs the whole
``__init__`` in it, and from then on it is pyqtgraph as usual.
If pyqtgraph was already imported (a test, a tool), it is used as it is.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib.util
import sys
import types
from collections.abc import Callable, Iterator

import PySide6.QtCore
import PySide6.QtGui
import PySide6.QtWidgets

import aiml3d_desktop.gui.opengl_lean  # noqa: F401  # before pyqtgraph.opengl takes OpenGL.GL

MIRRORED = {"QtCore": PySide6.QtCore, "QtGui": PySide6.QtGui, "QtWidgets": PySide6.QtWidgets}
# Dunder names the mirrors pass on (pyqtgraph reads QtCore's version); the others (a file,
# a spec) would make a mirror claim to be PySide6's module.
PASSED_DUNDERS = ("__version__", "__version_info__")


def mirror(name: str, real: types.ModuleType) -> types.ModuleType:
    """An empty module that finds a name in ``real`` on first use, and keeps it."""
    module = types.ModuleType(f"pyqtgraph.Qt.{name}")

    def find(attr: str) -> object:
        if attr.startswith("__") and attr not in PASSED_DUNDERS:
            raise AttributeError(f"module {module.__name__!r} has no attribute {attr!r}")
        value = getattr(real, attr)
        setattr(module, attr, value)
        return value

    setattr(module, "__getattr__", find)  # noqa: B010  # PEP 562: names found on first use
    return module


@contextlib.contextmanager
def copying_nothing() -> Iterator[None]:
    """``dir()`` of the mirrored PySide6 modules is empty meanwhile."""
    real_dir = builtins.dir
    hidden = tuple(MIRRORED.values())

    def lean_dir(*args: object) -> list[str]:
        if not args:  # the caller's names, as dir() itself gives them
            return sorted(sys._getframe(1).f_locals)
        if any(args[0] is module for module in hidden):
            return []
        return real_dir(*args)

    builtins.dir = lean_dir
    try:
        yield
    finally:
        builtins.dir = real_dir


# The config options pyqtgraph.opengl and what it imports read, at pyqtgraph's defaults
# (tests/gui/test_startup_imports.py holds them to pyqtgraph's own); any other runs it all.
OPENGL_OPTIONS = {
    "background": "k",
    "enableExperimental": False,
    "useCupy": False,
    "useNumba": False,
}


# Names of the whole package that a lean one is asked for too: its version, and the names a
# star import takes (read as __all__ first).
WHOLE_DUNDERS = ("__version__", "__all__")


def lean_package() -> tuple[types.ModuleType, Callable[[], None]]:
    """pyqtgraph's package, its ``__init__`` not run, in sys.modules; and the function that
    marks the end of the lean imports: until then a name it lacks is a submodule to import
    (pyqtgraph's own ``from . import debug``); after, any name it lacks runs ``__init__``."""
    spec = importlib.util.find_spec("pyqtgraph")
    assert spec is not None and spec.loader is not None  # a dependency of the app
    loader = spec.loader
    package = importlib.util.module_from_spec(spec)
    state = {"lean": True, "whole": False}

    def run_whole() -> types.ModuleType:
        if not state["whole"]:
            state["whole"] = True  # names it lacks meanwhile are not there yet: find()
            try:
                loader.exec_module(package)  # its own getConfigOption and options from here
            except BaseException:
                state["whole"] = False  # tried again, to say why, on the next name asked
                raise
        return package

    def find(attr: str) -> object:
        dunder = attr.startswith("__") and attr not in WHOLE_DUNDERS
        if dunder or state["lean"] or state["whole"]:
            raise AttributeError(f"module 'pyqtgraph' has no attribute {attr!r}")
        return getattr(run_whole(), attr)

    def config_option(option: str) -> object:
        """pyqtgraph's getConfigOption, as the lean modules keep it."""
        if state["whole"] or option not in OPENGL_OPTIONS:
            return vars(run_whole())["CONFIG_OPTIONS"][option]
        return OPENGL_OPTIONS[option]

    def lean_done() -> None:
        state["lean"] = False

    setattr(package, "__getattr__", find)  # noqa: B010  # PEP 562
    package.getConfigOption = config_option  # type: ignore[attr-defined]
    sys.modules["pyqtgraph"] = package
    return package, lean_done


def import_lean() -> None:
    """pyqtgraph.opengl, with its package lean (see above)."""
    package, lean_done = lean_package()
    with copying_nothing():
        import pyqtgraph.Qt  # the mirrors' parent, first
    from pyqtgraph.Transform3D import Transform3D
    from pyqtgraph.Vector import Vector

    # Classes in the package, as its __init__ binds them (over their modules).
    package.Transform3D, package.Vector = Transform3D, Vector  # type: ignore[attr-defined]
    import pyqtgraph.opengl
    import pyqtgraph.util.garbage_collector  # noqa: F401  # while lean, as the rest

    lean_done()


if "pyqtgraph" not in sys.modules:
    for _name, _real in MIRRORED.items():
        sys.modules.setdefault(f"pyqtgraph.Qt.{_name}", mirror(_name, _real))
    try:
        import_lean()
    except (ImportError, AttributeError):  # a pyqtgraph whose 3D part takes more: all of it
        for _name in [n for n in sys.modules if n.split(".")[0] == "pyqtgraph"]:
            if _name.removeprefix("pyqtgraph.Qt.") not in MIRRORED:
                del sys.modules[_name]
        with copying_nothing():
            import pyqtgraph  # noqa: F401

import pyqtgraph as pg  # noqa: E402  # after the mirrors
import pyqtgraph.opengl as gl  # noqa: E402
from pyqtgraph.util.garbage_collector import GarbageCollector  # noqa: E402

__all__ = ["GarbageCollector", "gl", "pg"]

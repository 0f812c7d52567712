"""pyqtgraph, imported for the window's first frame: every widget takes it from here.

At import, pyqtgraph copies every name of PySide6's QtCore, QtGui and QtWidgets into mirror
modules of its own (pyqtgraph.Qt.QtCore and the rest: its Qt4-era namespace). Reading each
name makes PySide6 build the type and its enums, some 700 of them, nearly all never used:
50 ms of the first frame, and a few MB (issue 28). Here the mirrors are made first, empty,
and find each name in PySide6 the first time pyqtgraph asks for it; while pyqtgraph is
imported, ``dir()`` of those three PySide6 modules is empty, so that it copies nothing.
pyqtgraph reads the mirrors only by attribute (no star import, no ``dir`` of them).
If pyqtgraph was already imported (a test, a tool), it is used as it is.
"""

from __future__ import annotations

import builtins
import contextlib
import sys
import types
from collections.abc import Iterator

import PySide6.QtCore
import PySide6.QtGui
import PySide6.QtWidgets

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


if "pyqtgraph" not in sys.modules:
    for _name, _real in MIRRORED.items():
        sys.modules.setdefault(f"pyqtgraph.Qt.{_name}", mirror(_name, _real))
    with copying_nothing():
        import pyqtgraph  # noqa: F401  # imported here first

import pyqtgraph as pg  # noqa: E402  # after the mirrors
import pyqtgraph.opengl as gl  # noqa: E402
from pyqtgraph.util.garbage_collector import GarbageCollector  # noqa: E402

__all__ = ["GarbageCollector", "gl", "pg"]

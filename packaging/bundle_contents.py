"""What the bundle carries of PySide6 and of USD (pxr), found from the imports rather than
kept by hand (issue 28: installed size); aiml3d.spec uses it, and `python
packaging/bundle_contents.py` prints it.

- Qt: the PySide6 modules that the app's code and pyqtgraph's import (read from their
  source), and the ones that importing every module of the window loads (pyqtgraph asks for
  some through importlib); every other PySide6 module is excluded, and with it the Qt
  libraries and plugins that only it needs.
- Qt's libraries and plugins: PyInstaller's hooks collect the plugins of the modules
  carried, and the libraries those link; what links the library of a module left out goes
  too (``qt_left_out``: the PDF image plugin, the virtual keyboard, QML's libraries).
- USD: the pxr modules that a USDZ export imports (found by writing one, as the installed
  self-test does); the others (physics, skinning, lights, volumes ... 30 MB) are left out.
  Their schemas stay (pxr's plugInfo files): a stage still knows every type.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run in a child, so that what it imports is what those imports load, nothing else.
QT_CLOSURE = """
import importlib, json, pkgutil, sys
import aiml3d_desktop.gui
for name in sys.argv[1:]:
    importlib.import_module(name)
# Every module of the window, imported: what they and their libraries load as they are
# imported, by any means (pyqtgraph's GL items ask for QtOpenGL through importlib).
for module in pkgutil.walk_packages(aiml3d_desktop.gui.__path__, "aiml3d_desktop.gui."):
    importlib.import_module(module.name)
print(json.dumps(sorted(m for m in sys.modules if m.startswith("PySide6.Qt"))))
"""
USDZ_EXPORT = """
import json, sys, tempfile
from pathlib import Path
from aiml3d_desktop import paths
from aiml3d_desktop.core.meshes import mesh, writers
from pxr import Usd
scene = mesh.load(paths.resource("samples/sample.glb")).scene
with tempfile.TemporaryDirectory() as folder:
    writers.write_usdz(scene, Path(folder) / "sample.usdz")
    assert Usd.Stage.Open(str(Path(folder) / "sample.usdz")) is not None
print(json.dumps(sorted({".".join(m.split(".")[:2]) for m in sys.modules if m.startswith("pxr.")})))
"""


def imported(folder: Path, package: str) -> set[str]:
    """``package``'s modules (``package.X``) that the Python files under ``folder`` import."""
    found: set[str] = set()
    for path in folder.rglob("*.py"):
        try:
            tree = ast.parse(path.read_bytes())
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {".".join(n.split(".")[:2]) for n in found if n.startswith(package + ".")}


def _child(code: str, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def _all(package: str) -> set[str]:
    module = __import__(package)
    return {f"{package}.{m.name}" for m in pkgutil.iter_modules(module.__path__)}


def qt_modules() -> tuple[list[str], list[str]]:
    """(the PySide6 modules the app loads, the ones it never does)."""
    import pyqtgraph

    read = imported(ROOT / "aiml3d_desktop", "PySide6")
    read |= imported(Path(pyqtgraph.__file__).parent, "PySide6")
    qt = {m for m in read if m.split(".")[1].startswith("Qt")}
    used = set(_child(QT_CLOSURE, *sorted(qt)))
    every = {m for m in _all("PySide6") if m.split(".")[1].startswith("Qt")}
    return sorted(used), sorted(every - used)


# A Qt library's file: libQt6Pdf.so.6 (Linux), Qt6Pdf.dll (Windows), QtPdf.framework/...
# (macOS); each is the library of the Qt module of that name (QtPdf).
QT_LIBRARY = re.compile(r"(?:^|[/\\])(?:lib)?Qt6(\w+?)\.(?:so|dll)|(?:^|[/\\@])Qt(\w+)\.framework")


def qt_library(name: str) -> str | None:
    """The Qt module whose library ``name`` (a path or file name) is, or None."""
    found = QT_LIBRARY.search(name)
    return None if found is None else "Qt" + (found[1] or found[2])


def qt_left_out(
    binaries: Iterable[tuple[str, str, str]],
    used: Iterable[str],
    unused: Iterable[str],
    imports: Callable[[str], Iterable[tuple[str, str | None]]] | None = None,
) -> set[str]:
    """Of PyInstaller's ``binaries`` (destination, source, kind), the PySide6 ones to leave
    out: the libraries of the Qt modules ``unused`` that the modules ``used`` do not link
    (PySide6.QtPdf's libQt6Pdf goes; QtDBus's library stays, QtGui links it), and whatever
    links one of those (the PDF image plugin), until nothing more goes. ``imports`` gives
    the libraries (name, path) a binary links (PyInstaller's, by default)."""
    if imports is None:
        from PyInstaller.depend.bindepend import get_imports as imports
    carried = {module.split(".")[1] for module in used}
    links: dict[str, set[str]] = {}  # a binary's path: the Qt modules it links, at any depth

    def linked(path: str) -> set[str]:
        if path not in links:
            links[path] = set()
            for name, found in imports(path):
                module = qt_library(name)
                if module is not None:
                    links[path].add(module)
                if found is not None:
                    links[path] |= linked(found)
        return links[path]

    entries = [
        (dest, qt_library(dest), linked(source))
        for dest, source, _ in binaries
        if dest.replace("\\", "/").startswith("PySide6/")
    ]
    needed = set().union(*(own for dest, _, own in entries if _extension(dest) in carried))
    gone = {module.split(".")[1] for module in unused} - needed - carried
    left_out: set[str] = set()
    while more := [e for e in entries if e[0] not in left_out and (e[1] in gone or e[2] & gone)]:
        for dest, own, _ in more:
            left_out.add(dest)
            if own is not None:
                gone.add(own)
    return left_out


# Left out of Qt whatever modules are carried: Qt's translations of its own dialogs (the app
# installs no translator), QML's files (the app has no QML) and the GTK 3 theme plugin, which
# needs GTK 3 libraries the bundle does not carry (Qt falls back to its own look without it).
QT_NEVER_CARRIED = ("/translations/", "/qml/", "/libqgtk3")


def is_left_out(dest: str, left_out: set[str]) -> bool:
    """Whether the bundle leaves out the file ``dest`` (a binary's or a data file's): one of
    ``left_out`` (qt_left_out's), anything in the folder of a macOS framework left out (its
    Info.plist and symlinks), or what QT_NEVER_CARRIED names. Windows: backslashes, and
    PySide6's files without the Qt/ folder."""
    name = dest.replace("\\", "/")
    if dest in left_out:
        return True
    if not name.startswith("PySide6/"):
        return False
    frameworks = {f.split(".framework/")[0] + ".framework/" for f in left_out if ".framework/" in f}
    return name.startswith(tuple(frameworks)) or any(part in name for part in QT_NEVER_CARRIED)


def _extension(dest: str) -> str:
    """The PySide6 module a binary is the extension of (PySide6/QtGui.abi3.so: QtGui)."""
    parts = dest.replace("\\", "/").split("/")
    return parts[1].split(".")[0] if len(parts) == 2 else ""


def usd_modules() -> tuple[list[str], list[str]]:
    """(the pxr modules a USDZ export loads, the ones it never does)."""
    used = set(_child(USDZ_EXPORT))
    every = {m for m in _all("pxr") if m.split(".")[1][:1].isupper()}
    return sorted(used), sorted(every - used)


if __name__ == "__main__":
    for name, (used, unused) in (("Qt", qt_modules()), ("USD", usd_modules())):
        print(f"{name}: {len(used)} modules carried: {', '.join(used)}")
        print(f"{name}: {len(unused)} left out: {', '.join(unused)}")

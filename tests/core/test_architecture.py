"""core/ stays free of Qt, pyqtgraph and OpenGL, so that it runs headless and in the CLI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import aiml3d_desktop

PACKAGE = Path(aiml3d_desktop.__file__).parent
FORBIDDEN = ("PySide6", "pyqtgraph", "OpenGL", "shiboken6")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_source_imports_no_gui_library():
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            n for n in imported_modules(path) if n.split(".")[0] in FORBIDDEN
        )
        for path in (PACKAGE / "core").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    assert len(offenders) >= 8  # the walk really saw core/


def test_core_and_cli_commands_load_no_gui_library_at_run_time():
    code = (
        "import sys, pkgutil, importlib, aiml3d_desktop.core as core, aiml3d_desktop.cli\n"
        "for m in pkgutil.iter_modules(core.__path__):\n"
        "    importlib.import_module('aiml3d_desktop.core.' + m.name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

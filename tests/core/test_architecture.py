"""core/ stays free of Qt, pyqtgraph and OpenGL, so that it runs headless and in the CLI.
Its imports are checked by the layer contracts (pyproject.toml, lint-imports); this checks
what actually gets loaded at run time, imports inside functions included."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import aiml3d_desktop

PACKAGE = Path(aiml3d_desktop.__file__).parent
FORBIDDEN = ("PySide6", "pyqtgraph", "OpenGL", "shiboken6")


def test_core_and_cli_commands_load_no_gui_library_at_run_time():
    code = (
        "import sys, pkgutil, importlib, aiml3d_desktop.core as core, aiml3d_desktop.cli\n"
        "for m in pkgutil.iter_modules(core.__path__):\n"
        "    importlib.import_module('aiml3d_desktop.core.' + m.name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

"""core/ stays free of Qt, pyqtgraph and OpenGL, so that it runs headless and in the CLI.
Its imports are checked by the layer contracts (pyproject.toml, lint-imports); this checks
what actually gets loaded at run time, imports inside functions included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aiml3d_desktop

PACKAGE = Path(aiml3d_desktop.__file__).parent
FORBIDDEN = ("PySide6", "pyqtgraph", "OpenGL", "shiboken6")

# Every module of core, at any depth (core/assets/*, core/common/*, core/net/*...), found by
# walking the packages: a new one is checked without being listed here. A package that fails
# to import fails the walk rather than being skipped.
LOAD_ALL = f"""
import importlib, json, pkgutil, sys
import aiml3d_desktop.core as core, aiml3d_desktop.cli

def fail(name):
    raise ImportError(f"{{name}} could not be imported")

names = [m.name for m in pkgutil.walk_packages(core.__path__, core.__name__ + ".", onerror=fail)]
for name in names:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {FORBIDDEN!r})
print(json.dumps({{"walked": names, "forbidden": loaded}}))
"""


def _core_modules_on_disk() -> set[str]:
    core = PACKAGE / "core"
    names = set()
    for path in core.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts != ("aiml3d_desktop", "core"):
            names.add(".".join(parts))
    return names


def test_core_and_cli_commands_load_no_gui_library_at_run_time():
    out = subprocess.run(
        [sys.executable, "-c", LOAD_ALL], capture_output=True, text=True, check=True
    )
    found = json.loads(out.stdout)
    assert set(found["walked"]) == _core_modules_on_disk()  # every subpackage, every module
    assert found["forbidden"] == []

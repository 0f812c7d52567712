"""What the window imports before its first frame: none of the heavy libraries that only a
command or a panel's work needs (scipy alone is half a second, and once slipped in through
the Prepare asset panel's types, the first frame 45% slower; requests came in through the
Parts panel)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.gui
# The network stack too: only a generation, a download or a split needs it (issue 28).
HEAVY = (
    "scipy", "OpenImageIO", "xatlas", "fast_simplification", "manifold3d", "pxr", "trimesh",
    "requests", "urllib3", "keyring",
)  # fmt: skip
CHILD = """
import sys
from aiml3d_desktop.gui.qt_setup import create_app
app = create_app()
from aiml3d_desktop.gui.main_window import MainWindow
window = MainWindow()
print(sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1:])))
"""


def test_the_window_is_built_without_the_heavy_libraries(tmp_path):
    env = {**os.environ, "AIML3D_HOME": str(tmp_path), "QT_QPA_PLATFORM": "xcb"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *HEAVY],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"

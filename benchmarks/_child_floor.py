"""Child of bench_first_frame.py: the least any PySide6 + pyqtgraph viewer pays before it can
draw: the two libraries imported and the QApplication made. No window, nothing drawn."""

from __future__ import annotations

import sys

import pyqtgraph.opengl  # noqa: F401
from PySide6.QtWidgets import QApplication

if __name__ == "__main__":
    app = QApplication(sys.argv[:1])
    print("FIRST_FRAME", flush=True)

"""QApplication set-up and the entry point of the desktop app."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from aiml3d_desktop import APP_ID, APP_NAME, __version__


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_ID)
    app.setApplicationVersion(__version__)
    return app


class MainWindow(QMainWindow):
    """A placeholder until the main window lands: it says what the app is and how to use the CLI."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        label = QLabel(
            f"<h2>{APP_NAME} {__version__}</h2>"
            "<p>The desktop window is being built.<br>"
            "Meanwhile: <code>aiml3d generate photo.png -o out/</code></p>"
        )
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(label)
        self.resize(720, 480)


def run(files: list[str]) -> int:
    app = create_app()
    window = MainWindow()
    window.show()
    return app.exec()

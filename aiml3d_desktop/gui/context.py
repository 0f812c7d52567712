"""What a controller is given besides its own panel: the session it works on, the window's
shared services, each typed, and one object to ask the rest of the window for things.
Never the window itself: a controller reaches another only through the session's events or
through these requests, which main_window.py connects to whoever carries them out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from aiml3d_desktop.core.common.errors import Aiml3DError
    from aiml3d_desktop.core.session import Session
    from aiml3d_desktop.gui.widgets.viewer import Viewer
    from aiml3d_desktop.gui.workers import Runner


class Requests(QObject):
    """What controllers ask for; main_window.py connects each signal once."""

    open_entry = Signal(object)  # a library Entry (or one of its versions) to show
    open_path = Signal(str)  # a picture, mesh or link, as if dropped
    compare = Signal(object, object)  # two Entries side by side
    export_entry = Signal(object)  # an Entry's files, to a folder the user picks
    status = Signal(str)  # a line for the status bar
    error = Signal(object, str)  # (Aiml3DError, a title): the one error route


@dataclass(frozen=True)
class Context:
    session: Session
    runner: Runner
    viewer: Viewer
    ui: QSettings  # the window's remembered state (gui/state.py)
    requests: Requests
    parent: QWidget  # what dialogs a controller opens are centred on

    def report_error(self, error: Aiml3DError, title: str = "Something went wrong") -> None:
        self.requests.error.emit(error, title)

    def show_status(self, text: str) -> None:
        self.requests.status.emit(text)

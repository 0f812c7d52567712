"""The one route by which errors reach the user: a message box, plus the log file."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from aiml3d_desktop.core.common.errors import Aiml3DError

log = logging.getLogger(__name__)


def show_error(
    parent: QWidget | None, error: Aiml3DError, title: str = "Something went wrong"
) -> QMessageBox:
    """Say what happened and what to do; details (server body, traceback) on demand.

    The box is opened, not exec'd: the window (and any running job) carries on behind it.
    """
    log.warning("%s: %s", title, error)
    if error.details:
        log.debug("details: %s", error.details)
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        title,
        error.message.rstrip(".") + ".",
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setObjectName("errorBox")
    info = error.hint
    if error.request_id:
        info = f"{info}\n\nRequest id: {error.request_id}".strip()
    box.setInformativeText(info)
    if error.details:
        box.setDetailedText(error.details)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box

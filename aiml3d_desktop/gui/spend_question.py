"""The one question the window asks before money is spent: the session's spending policy
(the command line's), with the limits in Settings, which ask rather than refuse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from aiml3d_desktop.core.spending import budget

if TYPE_CHECKING:
    from aiml3d_desktop.core.session import Session
    from aiml3d_desktop.core.spending import usage


def spend_ok(parent: QObject | None, session: Session, adding: usage.Estimate, title: str) -> bool:
    """Whether to go on with ``adding``: within the limits (the whole queue waiting counts),
    or the user says so when it is above them, of a cost not known yet, or billed in a unit
    no limit is set in."""
    queued = session.with_waiting(adding)
    refused = session.spending.refusal(queued, adding)
    if refused is None:
        return True  # within the limits, or never ask
    said = f"Adding {adding.text}."
    if queued.items != adding.items:
        said += f"\nThe queue would then hold {queued.text}."
    why = f"{refused.text[0].upper()}{refused.text[1:]}."
    if refused.kind != budget.UNKNOWN:
        why += " The limits are set in File > Settings."
    answer = QMessageBox.question(
        parent if isinstance(parent, QWidget) else None, title, f"{said}\n\n{why} Go on anyway?"
    )
    return answer == QMessageBox.StandardButton.Yes

"""Before money is spent: the one question the window asks (the session's spending policy,
the command line's, with the limits in Settings, which ask rather than refuse), and the key
at hand (KeyGate)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.spending import budget

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiml3d_desktop.core.common.errors import Aiml3DError
    from aiml3d_desktop.core.session import Session
    from aiml3d_desktop.core.spending import usage
    from aiml3d_desktop.gui.workers import Runner


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


class KeyGate(QObject):
    """Before a paid call: the API key at hand (the environment, or read already), or
    looked up on a worker first (a keychain may take a while, or ask to be unlocked) and
    the call asked again when it answers; no key at all is one message."""

    def __init__(
        self, session: Session, runner: Runner, report: Callable[[Aiml3DError, str], object]
    ) -> None:
        super().__init__(runner)
        self.session, self.runner, self.report = session, runner, report
        self._then: Callable[[], object] | None = None

    def ready(self, then: Callable[[], object], title: str) -> bool:
        """Whether the call may go now; if not, ``then`` runs once the key is looked up."""
        if not self.session.key_known:
            from aiml3d_desktop.gui import tasks

            self._then = then
            self.runner.start(tasks.read_key, self.session, succeeded=self._read)
            return False
        if self.session.read_key():
            return True
        self.report(
            InputError(
                "No AIML API key is set",
                hint="Save one in File > Settings (or set AIMLAPI_KEY).",
            ),
            title,
        )
        return False

    @Slot(object)
    def _read(self, found: bool) -> None:
        then, self._then = self._then, None
        if then is not None:
            then()

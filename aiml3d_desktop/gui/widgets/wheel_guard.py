"""Inputs in a scrolled panel take the mouse wheel only once they have focus (issue 26): a
wheel turned to scroll the panel, passing over a combo box, spin box or slider, scrolls the
panel instead of changing a setting unseen. A click or Tab gives an input focus; then the
wheel changes it as usual."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSlider, QAbstractSpinBox, QComboBox, QScrollBar, QWidget

INPUTS = (QComboBox, QAbstractSpinBox, QAbstractSlider)


class WheelGuard(QObject):
    """The event filter: a wheel event over an input without focus is ignored, so that Qt
    passes it on to the input's parents, the scroll area among them."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        wheel = event.type() == QEvent.Type.Wheel
        if wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            event.ignore()
            return True
        return False


def guard_wheel(panel: QWidget) -> None:
    """Guard every input in ``panel`` (and ``panel``, if it is one). Safe to call again after
    inputs were added: each is guarded once."""
    guard = panel.findChild(WheelGuard, options=Qt.FindChildOption.FindDirectChildrenOnly)
    guard = guard or WheelGuard(panel)  # lives as long as the panel
    for widget in (panel, *panel.findChildren(QWidget)):
        if _is_input(widget) and not widget.property("wheelGuarded"):
            # Strong focus: Tab and a click give focus; the wheel alone does not.
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            widget.installEventFilter(guard)
            widget.setProperty("wheelGuarded", True)


def _is_input(widget: QWidget) -> bool:
    # A scroll bar (a list's, a text box's) is how a panel scrolls, not a setting.
    return isinstance(widget, INPUTS) and not isinstance(widget, QScrollBar)

"""Issue 26, item 2: the wheel over a scrolled panel scrolls it. A combo box or spin box it
passes over keeps its value unless it has focus. Real wheel events in a real window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QScrollArea, QScrollBar, QWidget

from aiml3d_desktop.gui.widgets.wheel_guard import INPUTS

pytestmark = pytest.mark.gui


@pytest.fixture
def window(stocked_window):
    """The window over the three-entry library (conftest)."""
    return stocked_window


def wheel(widget: QWidget, notches: int) -> None:
    """``notches`` of a mouse wheel over the middle of ``widget`` (negative: towards you),
    given to its window as the windowing system gives it: Qt hands a wheel event on to the
    parents (the scroll area) only when it comes from there, not from sendEvent."""
    top = widget.window()
    pos = widget.mapTo(top, QPoint(widget.width() // 2, widget.height() // 2))
    QTest.wheelEvent(top.windowHandle(), QPointF(pos), QPoint(0, 120 * notches))


def scroll_area(widget: QWidget) -> QScrollArea:
    parent = widget.parentWidget()
    while not isinstance(parent, QScrollArea):
        assert parent is not None, "not in a scroll area"
        parent = parent.parentWidget()
    return parent


def inputs(panel: QWidget) -> list[QWidget]:
    return [
        w
        for w in panel.findChildren(QWidget)
        if isinstance(w, INPUTS) and not isinstance(w, QScrollBar)
    ]


@pytest.fixture
def prepare(qtbot, window):
    """The Prepare asset tab with the Game-ready preset, in a window short enough to scroll."""
    window.resize(1100, 560)
    window.menu_actions["prepare"].trigger()
    panel = window.assets.panel
    qtbot.waitUntil(lambda: window.prepare_dock.isVisible(), timeout=3000)
    panel.preset.setCurrentIndex(panel.preset.findData("game"))
    bar = scroll_area(panel).verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 100, timeout=3000)
    return window, panel, bar


def test_the_wheel_over_an_unfocused_input_scrolls_the_panel(qtbot, prepare):
    _, panel, bar = prepare
    area = scroll_area(panel)
    assert panel.bake.currentText() == "2048 px" and panel.bake.isEnabled()
    for field, value in (
        (panel.bake, panel.bake.currentText),
        (panel.decimate, panel.decimate.value),
    ):
        bar.setValue(0)
        area.ensureWidgetVisible(field)  # under the pointer, with room left to scroll down
        start, before = bar.value(), value()
        assert start < bar.maximum() and not field.hasFocus()
        wheel(field, -1)
        qtbot.waitUntil(lambda s=start: bar.value() > s, timeout=2000)  # it scrolled ...
        assert value() == before, field  # ... and the setting stayed as it was
    assert panel.preset_name() == "game"  # not turned into Custom behind the user's back


def test_the_wheel_changes_an_input_that_has_focus(qtbot, prepare):
    main, panel, bar = prepare
    area = scroll_area(panel)
    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow)
    for field, value, changed in (
        (panel.bake, panel.bake.currentText, "1024 px"),  # up: the smaller size above it
        (panel.decimate, panel.decimate.value, 21_000),  # up: one step more
    ):
        area.ensureWidgetVisible(field)
        field.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(field.hasFocus)
        start = bar.value()
        wheel(field, 1)
        qtbot.waitUntil(lambda v=value, c=changed: v() == c, timeout=2000)
        assert bar.value() == start  # the input took the wheel, the panel stayed


def test_every_scrolled_panel_guards_its_inputs(qtbot, window):
    """The side panel (model parameters, built anew for each model), Prepare asset and
    Parts: every combo box, spin box and slider in them is guarded."""
    panels = [window.side_dock.widget(), window.assets.panel, window.parts.panel]
    for panel in panels:
        assert isinstance(panel, QScrollArea) or scroll_area(panel)
    params = window.params
    for key in ("triposr", "local", params.backend.itemData(params.backend.count() - 2)):
        params.set_backend(key)
        side = inputs(window.side_dock.widget().widget())
        assert side and all(w.property("wheelGuarded") for w in side), key
    for panel in panels[1:]:
        found = inputs(panel)
        assert found and all(w.property("wheelGuarded") for w in found)
        assert all(w.focusPolicy() == Qt.FocusPolicy.StrongFocus for w in found)

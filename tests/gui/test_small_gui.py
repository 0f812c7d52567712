"""Small things a new user sees in the real window: the side panel's forms in one column and
the prompt's added words shown whole, sizes with their unit, the usage view without an
empty plot or crowded labels, and the other windows closing as windows do."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest
import trimesh
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFormLayout

from aiml3d_desktop.core.api.calls import Call
from tests.gui.conftest import open_usage_view

pytestmark = pytest.mark.gui


def field_columns(window) -> set[int]:
    """The x at which each labelled field of the side panel starts."""
    side = window.side_dock.widget()
    role = QFormLayout.ItemRole.FieldRole
    starts = set()
    for form in side.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(row, role)
            widget = field.widget() if field is not None else None
            if label is not None and widget is not None and widget.isVisibleTo(side):
                starts.add(widget.mapTo(side, QPoint(0, 0)).x())
    return starts


def test_the_side_panel_fields_start_in_one_column(qtbot, window):
    qtbot.waitUntil(lambda: len(field_columns(window)) == 1)
    backend = window.params.backend
    for index in range(backend.count()):  # each model's own fields, rebuilt
        backend.setCurrentIndex(index)
        qtbot.waitUntil(lambda: len(field_columns(window)) == 1)
        labels = window.side_dock.widget().findChildren(QFormLayout)
        for form in labels:
            for row in range(form.rowCount()):
                item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
                if item is not None and item.widget().isVisibleTo(window):
                    label = item.widget()
                    assert label.width() >= label.sizeHint().width(), label.text()


def test_the_words_added_to_every_prompt_are_shown_whole(qtbot, window):
    suffix = window.prompt.suffix
    whole = suffix.text()
    assert len(whole) > 60
    qtbot.waitUntil(lambda: suffix.verticalScrollBar().maximum() == 0)
    rows = suffix.document().size().height()  # wrapped rows, all of them in view
    assert rows * suffix.fontMetrics().lineSpacing() <= suffix.viewport().height()
    suffix.setText("a, b")
    window.prompt.suffix.setFocus()
    QTest.keyClick(suffix, Qt.Key.Key_Return)  # one line: Enter adds no break
    assert window.prompt.options()["suffix"] == "a, b"


@pytest.mark.parametrize(
    "name, scale, size",
    # Width × height × depth with Y up: an STL's Z is turned up, as the view shows it.
    [("box.glb", 1, "1.20 × 0.800 × 0.500 m"), ("box.stl", 1000, "1,200 × 500 × 800 mm")],
)
def test_the_size_says_its_unit(qtbot, window, tmp_path, name, scale, size):
    box = trimesh.creation.box(extents=(1.2 * scale, 0.8 * scale, 0.5 * scale))
    path = tmp_path / name
    box.export(path)
    window.open_path(str(path))
    qtbot.waitUntil(lambda: window.stats.text("Size") != "—", timeout=10000)
    assert window.stats.text("Size").replace("\xa0", " ") == size


def calls_in_credits() -> list[Call]:
    """Three weeks of TripoSR calls, billed in credits only, a second to a minute each."""
    today = datetime.now(timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0)
    return [
        Call(
            (today - timedelta(days=n)).isoformat(),
            "triposr",
            True,
            credits=182000.0,
            seconds=1.5 + 3 * n,
        )  # fmt: skip
        for n in range(21)
    ]


@pytest.fixture
def credits_view(qtbot, usage):
    return open_usage_view(qtbot, usage, calls_in_credits())


def test_usage_leaves_out_a_plot_with_nothing_and_thins_log_labels(qtbot, credits_view):
    view = credits_view
    assert not view.dollars.isVisible()  # credits only: no dollars to draw
    qtbot.waitUntil(lambda: view.credits.width() > 0.8 * view.plots.width())
    assert view.times.isVisible() and view.failures.isVisible() is False  # nothing failed
    axis = view.times.getAxis("left")
    low, high = axis.range
    labelled = [
        text
        for _, values in axis.tickValues(low, high, axis.size().height())
        for text in axis.tickStrings(values, 1, 1)
        if text
    ]
    decades = high - low
    assert 0 < len(labelled) <= 3 * math.ceil(decades), labelled
    view._pointer_moved(view.dollars.sceneBoundingRect().center())  # no hover on a hidden one
    assert view.hover.text().strip() == "" or "credits" in view.hover.text()


@pytest.mark.parametrize("key", ["Esc", "Ctrl+W"])
def test_compare_and_usage_close_with_esc_and_ctrl_w(qtbot, window, key):
    from aiml3d_desktop.gui.widgets.compare_window import CompareWindow

    window.usage.show()
    qtbot.waitUntil(lambda: window.usage.view is not None)
    compare = CompareWindow(window.runner, "y")
    qtbot.addWidget(compare)
    for other in (window.usage.view, compare):
        other.show()
        other.activateWindow()
        qtbot.waitUntil(other.isActiveWindow)
        sequence = QKeySequence(key)[0]
        QTest.keyClick(other, sequence.key(), sequence.keyboardModifiers())
        qtbot.waitUntil(lambda o=other: not o.isVisible())
    assert window.isVisible()  # the main window stays

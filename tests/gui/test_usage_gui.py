"""View > Usage and the batch estimate as a person meets them: the plots drawn from a ledger
of known costs (pixels read back), hover, filters, CSV, and a batch above the limit asking
first. The usage view and the controllers on a session; a batch from the window."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox

from aiml3d_desktop.gui.widgets.usage_window import COLOURS
from tests.conftest import make_photo
from tests.gui.test_gui import wait_idle

pytestmark = pytest.mark.gui


def rgb(widget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * image.height())
    rows = data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
    return rows.reshape(image.height(), image.width(), 3).copy()


def share_of(pixels: np.ndarray, colour: str) -> float:
    want = QColor(colour)
    target = np.array([want.red(), want.green(), want.blue()])
    return float((np.abs(pixels.astype(int) - target).max(axis=2) < 12).mean())


def test_the_usage_view_draws_the_ledger(qtbot, usage_view):
    view = usage_view
    assert "21 made" not in view.summary.text()  # Meshy's three calls count as made too
    assert "24 made, 5 failed (rate limit 5)" in view.summary.text()
    assert f"{21 * 182000:,} credits" in view.summary.text() and "US$1.20" in view.summary.text()
    pixels = rgb(view.plots)
    triposr, meshy = COLOURS[1], COLOURS[0]  # colours go by model name, in order
    assert share_of(pixels, triposr) > 0.01, "TripoSR's credit bars are drawn"
    assert share_of(pixels, meshy) > 0.0005, "Meshy's dollars and times are drawn"
    # The pointer over the last day's bar of the credits plot.
    view._pointer_moved(view.credits.vb.mapViewToScene(QPointF(20, 91000)))
    assert (
        f"{date.today():%d %b %Y}" in view.hover.text() and "182,000 credits" in view.hover.text()
    )


def test_filters_and_csv(qtbot, usage_view, tmp_path, monkeypatch):
    view = usage_view
    view.model.setCurrentIndex(view.model.findData("meshy/meshy-6-image-to-3d"))
    assert "3 made, 0 failed" in view.summary.text() and "US$1.20" in view.summary.text()
    view.model.setCurrentIndex(0)
    view.period.setCurrentIndex(1)  # the last 7 days
    assert view.first.date().toPython() == date.today() - timedelta(days=6)
    assert "7 made" in view.summary.text() or "8 made" in view.summary.text()
    dest = tmp_path / "usage.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(dest), ""))
    view.export_button.click()
    qtbot.waitUntil(dest.exists, timeout=5000)
    rows = list(csv.reader(dest.open()))
    assert rows[0][:3] == ["at", "model", "ok"] and len(rows) - 1 == len(view._kept())
    assert all(r[0][:10] >= f"{date.today() - timedelta(days=7)}" for r in rows[1:])


def test_a_batch_above_the_limit_asks_first(qtbot, window, tmp_path, monkeypatch):
    window.conf.confirm_above_credits = 300_000
    pictures = [str(make_photo(tmp_path / f"p{n}.png")) for n in range(2)]
    asked = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No
    )
    window.generation.queue_sources(pictures)
    assert "364,000 credits" in asked[0] and "300,000 credits" in asked[0]
    assert window.batch.queue.items() == [] and "Nothing was queued" in window.status.label.text()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.generation.queue_sources(pictures)
    assert len(window.batch.queue.items()) == 2
    assert "about 364,000 credits" in window.status.label.text()
    qtbot.waitUntil(
        lambda: all(i.status == "done" for i in window.batch.queue.items()), timeout=15000
    )
    wait_idle(qtbot, window)
    assert sum(c.ok for c in window.library.usage.calls()) == 2  # each kept in the ledger


def test_the_whole_waiting_queue_counts_and_an_unknown_cost_asks(
    qtbot, queueing, session, tmp_path, monkeypatch
):
    generation, batch = queueing
    session.conf.confirm_above_credits = 500_000
    batch.panel.set_paused(True)  # the items wait: the queue is what they add up to
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes,
    )
    two = [str(make_photo(tmp_path / f"p{n}.png")) for n in range(2)]
    generation.queue_sources(two)  # 364,000: under the limit, no question
    assert asked == []
    generation.queue_sources(two)  # 728,000 waiting then: above it
    assert "The queue would then hold 4 items: about 728,000 credits" in asked[0]
    backend = generation.params.backend
    backend.setCurrentIndex(backend.findData("magic/image-to-3d"))
    generation.queue_sources(two[:1])  # no history, no figure in the docs
    assert "not known yet" in asked[1]
    assert len(batch.queue.items()) == 5

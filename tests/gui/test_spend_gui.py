"""The window's side of the spending limits (issue 25): the limits in File > Settings ask
before a batch whose cost they cannot count, and the usage view takes any dates its pickers
reach. The generation and batch controllers and the usage view on a session, no window."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtWidgets import QMessageBox

from aiml3d_desktop.core.api.calls import Call, now, params_key
from tests.conftest import make_photo

pytestmark = pytest.mark.gui
MESHY = "meshy/meshy-6-image-to-3d"


def asking(monkeypatch, answer=QMessageBox.StandardButton.No) -> list[str]:
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or answer)
    return asked


def test_a_limit_in_credits_asks_about_a_model_billed_in_dollars(
    qtbot, queueing, session, tmp_path, monkeypatch
):
    generation, batch = queueing
    conf = session.conf
    conf.confirm_above_credits, conf.confirm_above_usd = 1_000_000, 0
    key = params_key(MESHY, {})
    session.library.usage.add([Call(now(), MESHY, True, usd=0.4, params=key)])
    generation.params.backend.setCurrentIndex(generation.params.backend.findData(MESHY))
    asked = asking(monkeypatch)
    generation.queue_sources([str(make_photo(tmp_path / "p.png"))])
    assert len(asked) == 1 and "Meshy 6 reports US dollars, not credits" in asked[0]
    assert batch.queue.items() == []
    # And a limit in dollars alone asks about TripoSR, billed in credits.
    conf.confirm_above_credits, conf.confirm_above_usd = 0, 5.0
    generation.params.backend.setCurrentIndex(generation.params.backend.findData("triposr"))
    generation.queue_sources([str(make_photo(tmp_path / "q.png"))])
    assert len(asked) == 2 and "TripoSR reports credits" in asked[1]
    # With no limit set the window never asks.
    conf.confirm_above_usd = 0
    batch.panel.set_paused(True)
    generation.queue_sources([str(make_photo(tmp_path / "r.png"))])
    assert len(asked) == 2 and len(batch.queue.items()) == 1


def test_the_usage_view_takes_the_pickers_widest_range(qtbot, usage_view):
    view = usage_view
    view.first.setDate(view.first.minimumDate())
    view.last.setDate(view.last.maximumDate())
    first, last = view._range()
    assert (last - first).days < 40_000  # a bar a day: not three million (1752 to 9999)
    assert first <= date(2020, 1, 1) and last >= date(2090, 12, 31)
    assert "24 made, 5 failed" in view.summary.text()  # the whole ledger

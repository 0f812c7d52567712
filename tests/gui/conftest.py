"""Fixtures of the GUI tests: the main window over an empty library and the fake API; a library
of three entries and the window over it with no key; the usage view over a known ledger."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from aiml3d_desktop.core.api.calls import Call
from aiml3d_desktop.core.api.params import TriposrParams
from aiml3d_desktop.core.library.store import Library
from tests.conftest import FAST, corpus_file, make_photo


@pytest.fixture
def window(qtbot, fake_api, monkeypatch, isolated):
    """The main window, shown, its library open, talking to the fake API; on teardown it
    closes with no worker thread left behind."""
    from aiml3d_desktop.gui.main_window import MainWindow
    from aiml3d_desktop.gui.qt_setup import create_app

    create_app()
    monkeypatch.setenv("AIMLAPI_KEY", fake_api.KEY)
    monkeypatch.setenv("AIML_API_BASE", fake_api.base_url)
    before = {t for t in threading.enumerate()}
    win = MainWindow()
    win.session.retry = FAST  # quick retries for the tests
    qtbot.addWidget(win)
    win.resize(1200, 760)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.library is not None, timeout=5000)
    yield win
    win.close()
    assert not win.runner.busy  # no worker thread outlives the window
    leftover = [t for t in threading.enumerate() if t not in before and not t.daemon]
    assert leftover == []


@pytest.fixture
def stocked_library(isolated, fake_api, tmp_path) -> Library:
    """A library with three entries, made before the app starts: two generated (with their
    pictures and parameters) and one imported."""
    lib = Library()
    for title, tags, params in (
        ("Red chair", ["furniture"], TriposrParams(mc_resolution=320)),
        ("Robot", ["toy"], TriposrParams()),
    ):
        with lib.draft() as draft:
            draft.add_file("model.glb", fake_api.glb)
            picture = make_photo(tmp_path / f"{title}.png", size=(300, 200))
            draft.copy_file(picture, "source.png")
            draft.commit(
                title=title,
                mesh_file="model.glb",
                source=str(picture),
                tags=tags,
                source_file="source.png",
                params=params.as_dict(),
                model="triposr",
                stats={"triangles": len(fake_api.mesh.faces)},
            )
    lib.import_mesh(corpus_file("meshes", "Duck.glb"))
    lib.close()
    return lib


@pytest.fixture
def stocked_window(qtbot, stocked_library):
    """The app as a person starts it with no key and no network, over the stocked library.
    A module whose tests all want it names it ``window`` in a fixture of its own."""
    from aiml3d_desktop.gui.main_window import MainWindow
    from aiml3d_desktop.gui.qt_setup import create_app

    create_app()
    before = set(threading.enumerate())
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1400, 860)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.library_panel.model.rowCount() == 3, timeout=5000)
    yield win
    win.close()
    assert not win.runner.busy
    assert [t for t in threading.enumerate() if t not in before and not t.daemon] == []


def history() -> list[Call]:
    """Three weeks up to today: TripoSR every day, Meshy twice, failures now and then."""
    today = datetime.now(timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0)
    calls = []
    for n in range(21):
        at = (today - timedelta(days=20 - n)).isoformat()
        calls.append(Call(at, "triposr", True, credits=182000.0, seconds=8.0 + n % 5))
        if n % 7 == 0:
            calls.append(Call(at, "meshy/meshy-6-image-to-3d", True, usd=0.4, seconds=300))
        if n % 5 == 0:
            calls.append(Call(at, "triposr", False, kind="rate limit"))
    return calls


def open_usage_view(qtbot, window, calls):
    """View > Usage over ``calls``, drawn."""
    window.library.usage.add(calls)
    window.usage.show()
    qtbot.waitUntil(lambda: bool(window.usage.view and window.usage.view.calls), timeout=5000)
    view = window.usage.view
    qtbot.waitExposed(view)
    return view


@pytest.fixture
def usage_view(qtbot, window):
    """View > Usage over three weeks of ``history()``."""
    return open_usage_view(qtbot, window, history())

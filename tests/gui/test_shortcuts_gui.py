"""Every key the real window answers to: bound once, and listed once by Help (F1)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QLabel

from aiml3d_desktop.gui.menus import MOUSE_HELP

pytestmark = pytest.mark.gui
NATIVE = QKeySequence.SequenceFormat.NativeText


def bindings(window) -> list[tuple[str, str]]:
    """(key, what) for every shortcut of every QAction and QShortcut in the window, and for
    each key the 3D view takes itself."""
    bound = [
        (key.toString(NATIVE), action.text())
        for action in window.findChildren(QAction)
        for key in action.shortcuts()
    ]
    bound += [
        (shortcut.key().toString(NATIVE), shortcut.objectName())
        for shortcut in window.findChildren(QShortcut)
        if shortcut.parent().window() is window  # not the Usage window's own Esc
    ]
    viewer = window.viewer
    return bound + [(QKeySequence(k).toString(NATIVE), "3D view") for k in viewer.noRepeatKeys]


def help_keys(qtbot, window) -> Counter:
    """The keys Help > Keyboard and mouse shows, opened as a person does, with F1."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    QTest.keyClick(window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: window.findChild(QDialog, "shortcutsBox") is not None)
    box = window.findChild(QDialog, "shortcutsBox")
    assert box.isVisible()
    cells = re.findall(r"<td><b>(.*?)</b>&nbsp;", box.findChild(QLabel).text())
    box.close()
    mouse = {m for m, _ in MOUSE_HELP}
    return Counter(key for cell in cells if cell not in mouse for key in cell.split(", "))


def test_no_key_is_bound_twice_and_help_lists_each_once(qtbot, window):
    window.usage.show()  # a window of its own, with keys of its own
    qtbot.waitUntil(lambda: window.usage.view is not None)
    window.usage.view.close()
    window.scenes.panel  # noqa: B018  # the Scene tab, with its keys, built as a scene opens
    bound = bindings(window)
    twice = {k: [w for key, w in bound if key == k] for k, n in Counter(k for k, _ in bound).items()
             if n > 1}  # fmt: skip
    assert twice == {}
    listed = help_keys(qtbot, window)
    viewer_only = {"PgUp", "PgDown"}  # taken by pyqtgraph's view, and doing nothing there
    wanted = {key for key, _ in bound} - viewer_only
    assert set(listed) == wanted
    assert [k for k, n in listed.items() if n > 1] == []
    for number in range(1, 6):  # the shading keys, which sit in a submenu
        assert f"Alt+{number}" in listed


def test_parts_and_the_snapshot_sheet_each_have_their_key(
    qtbot, window, fake_api, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QFileDialog

    path = tmp_path / "ball.glb"
    path.write_bytes(fake_api.glb)
    window.open_path(str(path))
    qtbot.waitUntil(lambda: window.loaded is not None, timeout=5000)
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: asked.append(a) or ("", ""))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    shift_ctrl = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    QTest.keyClick(window, Qt.Key.Key_P, shift_ctrl)
    qtbot.waitUntil(lambda: len(asked) == 1)  # the snapshot sheet asked where to save
    assert "snapshot sheet" in asked[0][1]
    window.side_dock.raise_()
    QTest.keyClick(window, Qt.Key.Key_T, shift_ctrl)
    qtbot.waitUntil(lambda: not window.parts.panel.visibleRegion().isEmpty())


def test_the_arrow_keys_help_lists_orbit_the_view(qtbot, window):
    viewer = window.viewer
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    QTest.mouseClick(viewer, Qt.MouseButton.LeftButton)  # ClickFocus
    qtbot.waitUntil(viewer.hasFocus)
    before = viewer.opts["azimuth"]
    QTest.keyClick(viewer, Qt.Key.Key_Left)
    assert viewer.opts["azimuth"] != before

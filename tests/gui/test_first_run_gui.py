"""A new user's first minutes: Generate says what it needs, a missing key offers the ways on,
the empty view's hint follows what is loaded, and what goes wrong is told in words that fit.
Generate's button, the hint and a dropped file in the real window; the key box and the
errors of the generation controller on a session, its parent standing in for the window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from aiml3d_desktop.core.api.params import DEFAULT_BASE
from tests.conftest import make_photo
from tests.core.test_words import refuse_drawings
from tests.gui.conftest import controller_idle, show_picture
from tests.gui.test_gui import drop_file, error_box

pytestmark = pytest.mark.gui


def open_photo(generation, tmp_path) -> None:
    """A photo opened, as a drop of it on the window opens it, into the session."""
    photo = make_photo(tmp_path / "cup.png", size=(300, 300))
    show_picture(generation.session, generation.params, photo)
    assert generation.picture.preview is not None


def key_box(qtbot, parent) -> QMessageBox:
    """The no-key box, on the window (the controller's parent)."""
    qtbot.waitUntil(lambda: parent.findChild(QMessageBox, "keyBox") is not None, timeout=5000)
    return parent.findChild(QMessageBox, "keyBox")


def button(box: QMessageBox, text: str):
    (found,) = [b for b in box.buttons() if b.text() == text]
    return found


def test_generate_waits_for_something_to_make_and_says_what(qtbot, window, tmp_path):
    generate, action = window.generate_button, window.menu_actions["generate"]
    assert not generate.isEnabled() and not action.isEnabled()
    assert generate.toolTip().startswith("Open a picture first")
    assert window.viewer.hint.isVisible() and "Drop a picture" in window.viewer.hint.text()
    window.generation.generate()  # Ctrl+Return from a script: no box, a line in the status
    assert window.findChild(QMessageBox) is None
    assert "Open a picture first" in window.status.label.text()

    window.prompt.text.setText("a red armchair")
    assert generate.isEnabled() and action.isEnabled() and "Draw" in generate.toolTip()
    window.prompt.text.clear()
    assert not generate.isEnabled()

    drop_file(window, make_photo(tmp_path / "cup.png", size=(300, 300)))
    qtbot.waitUntil(lambda: window.image_panel.preview is not None, timeout=5000)
    assert generate.isEnabled() and "3D model of the picture" in generate.toolTip()
    hint = window.viewer.hint
    assert hint.isVisible() and "Drop a picture" not in hint.text()
    assert "Press Generate" in hint.text()


def test_no_key_offers_settings_or_the_offline_relief(
    qtbot, generation, host, tmp_path, monkeypatch
):
    monkeypatch.delenv("AIMLAPI_KEY")
    open_photo(generation, tmp_path)
    generation.generate()  # the Generate button
    box = key_box(qtbot, host)
    offered = sorted(b.text() for b in box.buttons())
    assert offered == ["Cancel", "Make a relief preview (offline)", "Open Settings…"]
    assert generation.job is None  # nothing was sent without a key
    button(box, "Make a relief preview (offline)").click()
    qtbot.waitUntil(lambda: bool(generation.made), timeout=15000)
    controller_idle(qtbot, generation)
    ((entry, _),) = generation.made
    assert entry.model == "local-relief"
    assert generation.params.backend_key() == "aiml"  # the choice stays: the relief was once


def test_open_settings_from_the_no_key_box_then_it_goes_on(
    qtbot, generation, file_actions, host, tmp_path, monkeypatch, memory_keyring, fake_api
):
    from aiml3d_desktop.gui.widgets.settings_dialog import SettingsDialog

    monkeypatch.delenv("AIMLAPI_KEY")
    open_photo(generation, tmp_path)
    generation.generate()
    box = key_box(qtbot, host)

    def type_the_key():
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, SettingsDialog)]
        if not dialogs or not dialogs[0].isVisible():
            return QTimer.singleShot(50, type_the_key)
        dialogs[0].key.setText(fake_api.KEY)
        dialogs[0].accept()

    QTimer.singleShot(50, type_the_key)
    button(box, "Open Settings…").click()
    controller_idle(qtbot, generation)
    assert generation.made and generation.made[-1][0].model == "triposr"


def test_drawing_without_a_key_offers_settings(qtbot, generation, host, monkeypatch):
    monkeypatch.delenv("AIMLAPI_KEY")
    generation.prompt.text.setText("a red armchair")
    generation.prompt.draw_button.click()
    box = key_box(qtbot, host)
    assert sorted(b.text() for b in box.buttons()) == ["Cancel", "Open Settings…"]
    button(box, "Cancel").click()
    assert generation.job is None


def test_a_pdf_named_like_a_photo_is_called_a_pdf(qtbot, window, tmp_path):
    bad = tmp_path / "photo.png"
    bad.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    drop_file(window, bad)
    box = error_box(qtbot, window)
    assert box.text() == "photo.png is not an image: it is a PDF document."
    assert "PNG, JPEG and WEBP" in box.informativeText()


def test_a_refused_drawing_is_not_blamed_on_a_picture(qtbot, generation, host, monkeypatch):
    refuse_drawings(monkeypatch)
    generation.prompt.text.setText("a red armchair")
    generation.prompt.draw_button.click()
    box = error_box(qtbot, host)
    assert "HTTP 400" in box.text()
    assert "image" not in box.informativeText().replace("text-to-image", "")
    assert "Check the prompt" in box.informativeText()


def test_settings_show_the_base_url_in_use_and_where_from(
    qtbot, session, host, fake_api, monkeypatch
):
    from aiml3d_desktop.gui.widgets.settings_dialog import SettingsDialog

    conf = session.conf
    dialog = SettingsDialog(conf, host)  # AIML_API_BASE is the fake API's
    qtbot.addWidget(dialog)
    assert dialog.api_base.text() == DEFAULT_BASE  # the saved one, still editable
    note = dialog.base_note.text()
    assert note.startswith(f"In use: {fake_api.base_url}, from the AIML_API_BASE environment")
    dialog.accept()
    assert conf.api_base == DEFAULT_BASE  # the environment's is not saved as the user's

    monkeypatch.delenv("AIML_API_BASE")
    again = SettingsDialog(conf, host)
    qtbot.addWidget(again)
    assert again.base_note.text().startswith("In use: the default.")


def test_settings_shows_the_saved_key_without_asking_the_keychain_on_this_thread(
    qtbot, file_actions, session, monkeypatch, memory_keyring
):
    """Opening Settings looks the key up on a worker first (a locked keychain may take a
    while, or ask to be unlocked); the dialog then shows it masked."""
    import threading

    from aiml3d_desktop.core.api import keys
    from aiml3d_desktop.gui.widgets.settings_dialog import SettingsDialog

    monkeypatch.delenv("AIMLAPI_KEY")
    keys.set_key("sk-saved-in-the-keychain-4242")
    asked_from = []
    stored = keys.stored_key
    monkeypatch.setattr(
        keys, "stored_key", lambda: asked_from.append(threading.current_thread()) or stored()
    )
    shown = []

    def look_and_close():
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, SettingsDialog)]
        if not dialogs or not dialogs[0].isVisible():
            return QTimer.singleShot(50, look_and_close)
        shown.append(dialogs[0].key.placeholderText())
        dialogs[0].reject()

    QTimer.singleShot(50, look_and_close)
    file_actions.open_settings()
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert shown == [f"saved: {keys.mask('sk-saved-in-the-keychain-4242')} — type to replace"]
    assert asked_from and threading.main_thread() not in asked_from

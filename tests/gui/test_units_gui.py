"""Sizes in the unit chosen in Settings (mm, cm, m, in), whatever the file's own unit: the
model panel's Size and the compare window's captions."""

from __future__ import annotations

import json

import pytest
import trimesh

from aiml3d_desktop.core import settings as settings_mod
from aiml3d_desktop.gui.widgets.stats_panel import dimensions


def test_the_unit_setting_is_checked_as_it_is_read(tmp_path):
    path = tmp_path / "settings.json"
    assert settings_mod.Settings().size_unit == "file"  # an STL in mm, a GLB in m
    path.write_text(json.dumps({"size_unit": "cm"}))
    assert settings_mod.load(path)[0].size_unit == "cm"
    for bad in ("furlong", 3, None):
        path.write_text(json.dumps({"size_unit": bad}))
        conf, warnings = settings_mod.load(path)
        assert conf.size_unit == "file" and "size_unit" in warnings[0]


@pytest.mark.parametrize(
    "size, unit, shown, text",
    [
        ((1.2, 0.8, 0.5), 1.0, "m", "1.20 × 0.800 × 0.500 m"),
        ((1.2, 0.8, 0.5), 1.0, "mm", "1,200 × 800 × 500 mm"),
        ((1200, 800, 500), 0.001, "m", "1.20 × 0.800 × 0.500 m"),
        ((1200, 800, 500), 0.001, "cm", "120 × 80.0 × 50.0 cm"),
        ((254, 25.4, 2.54), 0.001, "in", "10.0 × 1.00 × 0.100 in"),
        ((1200, 800, 500), 0.001, "file", "1,200 × 800 × 500 mm"),
        ((1.2, 0.8, 0.5), 1.0, "file", "1.20 × 0.800 × 0.500 m"),
        ((1.2, 0.8, 0.5), 0.3048, "file", "0.366 × 0.244 × 0.152 m"),  # feet: no choice
    ],
)
def test_dimensions_convert_to_the_chosen_unit(size, unit, shown, text):
    assert dimensions(size, unit, shown).replace("\xa0", " ") == text


def _open(qtbot, window, path):
    window.open_path(str(path))
    qtbot.waitUntil(lambda: window.loaded is not None and window.loaded.path == path, timeout=10000)
    qtbot.waitUntil(lambda: window.stats.text("Size") != "—", timeout=10000)
    return window.stats.text("Size").replace("\xa0", " ")


def test_size_follows_the_setting(qtbot, window, tmp_path):
    stl = tmp_path / "box.stl"
    trimesh.creation.box(extents=(1200, 800, 500)).export(stl)  # millimetres
    window.conf.size_unit = "mm"
    window._settings_changed()  # as the settings dialog's Save does
    assert _open(qtbot, window, stl) == "1,200 × 500 × 800 mm"
    window.conf.size_unit = "in"
    window._settings_changed()  # the size on screen follows at once
    assert window.stats.text("Size").replace("\xa0", " ") == "47.2 × 19.7 × 31.5 in"
    assert "The file is in mm" in window.stats.values["Size"].toolTip()
    glb = tmp_path / "box.glb"
    trimesh.creation.box(extents=(1.2, 0.8, 0.5)).export(glb)  # metres
    window.conf.size_unit = "cm"
    window._settings_changed()
    assert _open(qtbot, window, glb) == "120 × 80.0 × 50.0 cm"
    assert "The file is in m." in window.stats.values["Size"].toolTip()


def test_settings_dialog_saves_the_unit(qtbot, session, host, monkeypatch):
    from aiml3d_desktop.gui.widgets.settings_dialog import SettingsDialog

    dialog = SettingsDialog(session.conf, host)
    qtbot.addWidget(dialog)
    assert dialog.size_unit.currentData() == "file"
    dialog.size_unit.setCurrentIndex(dialog.size_unit.findData("in"))
    dialog.accept()
    assert session.conf.size_unit == "in"
    assert settings_mod.load()[0].size_unit == "in"


def test_compare_captions_use_the_unit(qtbot, window, tmp_path):
    stl = tmp_path / "cube.stl"
    trimesh.creation.box(extents=(250, 250, 250)).export(stl)  # millimetres
    glb = tmp_path / "cube.glb"
    trimesh.creation.box(extents=(0.5, 0.5, 0.5)).export(glb)  # metres
    first, second = window.library.import_mesh(stl), window.library.import_mesh(glb)
    window.conf.size_unit = "cm"
    window.compare(first, second)
    panes = window.compare_window.panes
    qtbot.waitUntil(lambda: all(p.viewer.scene is not None for p in panes), timeout=10000)
    captions = [p.caption.toolTip().replace("\xa0", " ") for p in panes]
    assert "25.0 × 25.0 × 25.0 cm" in captions[0], captions
    assert "50.0 × 50.0 × 50.0 cm" in captions[1], captions

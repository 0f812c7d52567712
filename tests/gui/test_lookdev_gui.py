"""View > Lighting and File > Export image…: real pixels, real files. The look-dev controls
on a session and a real 3D view; the export and the camera keys in the real window."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.conftest import corpus_file
from tests.gui.conftest import show_model
from tests.gui.test_gui import pixels

frame_pixels = pixels

pytestmark = pytest.mark.gui


def show_duck(qtbot, session, viewer) -> None:
    show_model(session, viewer, corpus_file("meshes", "Duck.glb"))
    qtbot.waitUntil(lambda: viewer.item.drawn, timeout=10000)


def open_duck(qtbot, window) -> None:
    window.open_path(str(corpus_file("meshes", "Duck.glb")))
    qtbot.waitUntil(lambda: window.loaded is not None, timeout=10000)
    qtbot.waitUntil(lambda: window.viewer.item.drawn, timeout=10000)


def test_the_lighting_menu_changes_the_light_and_the_background(
    qtbot, lookdev, session, viewer, status, host, tmp_path
):
    show_duck(qtbot, session, viewer)
    before = frame_pixels(viewer).astype(int)
    lookdev.preset_actions["sunset"].trigger()  # prefiltered on a worker
    qtbot.waitUntil(lambda: viewer.lighting.preset == "sunset", timeout=10000)
    lookdev.background_actions["environment"].trigger()
    assert viewer.lighting.background == "environment"
    after = frame_pixels(viewer).astype(int)
    assert np.abs(after - before).mean() > 10
    corner = after[3, 3]
    assert corner[0] > corner[2]  # the warm sky behind, not the grey background
    host.grab().save(str(tmp_path / "sunset.png"))
    lookdev.step({"exposure": 0.5})
    assert viewer.lighting.exposure == 0.5
    assert frame_pixels(viewer).astype(int).mean() > after.mean()
    assert "Lighting: Sunset, +0.5 EV" in status.label.text()


def test_a_broken_environment_file_is_told_and_changes_nothing(
    qtbot, lookdev, route, viewer, tmp_path
):
    broken = tmp_path / "sky.hdr"
    broken.write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 100 +X 40000\n")
    from pathlib import Path

    lookdev.change(file=Path(broken))
    qtbot.waitUntil(lambda: bool(route.seen), timeout=10000)
    shown = [str(error) for error, _ in route.seen]
    assert "sky.hdr is 40000x100" in shown[0]
    assert viewer.lighting.file is None
    assert lookdev.preset_actions["studio"].isChecked()


def test_export_image_writes_a_large_transparent_png(qtbot, window, tmp_path):
    open_duck(qtbot, window)
    out = tmp_path / "duck.png"
    assert window.menu_actions["export_image"].isEnabled()
    window.lookdev.export_image(str(out), (1500, 1000), True)
    qtbot.waitUntil(out.exists, timeout=20000)
    picture = Image.open(out)
    assert picture.mode == "RGBA" and picture.size == (1500, 1000)
    alpha = np.asarray(picture)[:, :, 3]
    assert alpha[0, 0] == 0 and alpha[500, 750] == 255


def test_the_channel_menu_shows_one_input_and_off_shows_the_shading(
    qtbot, lookdev, session, viewer, host, tmp_path
):
    show_duck(qtbot, session, viewer)
    shaded = pixels(viewer).astype(int)
    lookdev.channel_actions["normal"].trigger()
    assert viewer.item.channel == "normal"
    normals = pixels(viewer).astype(int)
    assert np.abs(normals - shaded).mean() > 5
    host.grab().save(str(tmp_path / "normal.png"))
    lookdev.channel_actions[None].trigger()
    assert viewer.item.channel is None
    assert np.abs(pixels(viewer).astype(int) - shaded).mean() < 2


def test_numpad_5_toggles_orthographic_and_help_lists_the_camera_keys(qtbot, window, tmp_path):
    from PySide6.QtCore import Qt

    open_duck(qtbot, window)
    before = pixels(window.viewer).astype(int)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.KeypadModifier)
    qtbot.waitUntil(lambda: window.viewer.orthographic, timeout=3000)
    assert window.lookdev.ortho_action.isChecked()
    assert np.abs(pixels(window.viewer).astype(int) - before).mean() > 1
    window.grab().save(str(tmp_path / "ortho.png"))
    rows = dict(window.menu_actions.shortcut_rows())
    assert rows["5, Num+5"] == "Camera and faces: Orthographic"
    assert rows["Ctrl+7"] == "Bottom view"
    window.lookdev.ortho_action.trigger()
    assert not window.viewer.orthographic


def test_a_slow_environment_does_not_undo_a_later_change(qtbot, window):
    """Changes asked for quickly, the first on a worker: the last asked for is what shows,
    with everything asked for before it."""
    lookdev = window.lookdev
    lookdev.set_preset("sunset")  # prefiltered on a worker
    lookdev.change(exposure=1.5)  # asked for before it answers
    lookdev.set_preset("outdoor")
    lookdev.change(rotation=90.0)
    qtbot.waitUntil(lambda: window.viewer.lighting.preset == "outdoor", timeout=10000)
    qtbot.wait(200)  # any slower answer would land now
    lit = window.viewer.lighting
    assert (lit.preset, lit.exposure, lit.rotation) == ("outdoor", 1.5, 90.0)

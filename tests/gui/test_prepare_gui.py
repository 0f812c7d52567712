"""Prepare asset under Xvfb: a preview drawn with its baked texture, a result kept as a
version of the entry (the original untouched), presets, cancel and a file from disk saved as
files, with the controller on a session and a real 3D view; versions opened and compared,
the turntable export and the panel's fit in the real window."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QFileDialog, QInputDialog

from aiml3d_desktop.core.assets.recipe import Recipe
from aiml3d_desktop.core.meshes import mesh
from tests.conftest import corpus_file
from tests.gui.conftest import show_model
from tests.gui.test_gui import error_box, pixels
from tests.gui.test_library_gui import entry_named

pytestmark = pytest.mark.gui
SMALL = Recipe(clean=True, decimate=800, bake=512, pivot="bottom")


@pytest.fixture
def window(stocked_window):
    """The window over the three-entry library (conftest)."""
    return stocked_window


@pytest.fixture
def tool(stocked_library, assets):
    """Prepare asset on its own, over the three-entry library (made before the session opens
    it: a test names this fixture before any other of the session's)."""
    return assets


def stocked(tool, title: str):
    return next(e for e in tool.ctx.session.library.list() if e.title == title)


def show_entry(tool, title: str):
    """The entry on screen, as the window opens it: drawn, then the session's document."""
    entry = stocked(tool, title)
    show_model(tool.ctx.session, tool.ctx.viewer, entry.mesh_path, entry)
    return entry


def open_duck(qtbot, window):
    duck = entry_named(window, "Duck")
    window.open_entry(duck)
    qtbot.waitUntil(
        lambda: window.entry is not None and window.viewer.scene is not None, timeout=10000
    )
    window.menu_actions["prepare"].trigger()
    qtbot.waitUntil(lambda: window.prepare_dock.isVisible(), timeout=3000)
    return duck


def yellow_share(viewer) -> float:
    rgb = pixels(viewer).astype(int)
    return float(((rgb[..., 0] > 150) & (rgb[..., 1] > 120) & (rgb[..., 2] < 90)).mean())


def wait_done(qtbot, controller, timeout=60000):
    qtbot.waitUntil(
        lambda: controller.worker is None and not controller.panel._busy, timeout=timeout
    )


def test_preview_shows_the_baked_model_and_the_original_comes_back(qtbot, tool, session, viewer):
    duck = show_entry(tool, "Duck")
    original_bytes = duck.mesh_path.read_bytes()
    panel, controller = tool.panel, tool
    assert "Duck" in panel.target.text() and panel.apply_button.text() == "Keep as version"
    panel.set_recipe(SMALL)
    assert panel.preset_name() is None  # the steps are no preset's: Custom
    panel.preview_button.click()
    qtbot.waitUntil(lambda: panel.cancel_button.isEnabled(), timeout=5000)
    wait_done(qtbot, controller)
    prepared = controller.prepared
    assert prepared is not None and viewer.scene is prepared.scene
    assert prepared.scene.triangles <= 800 and len(prepared.scene.textures) == 1
    assert panel.report.toPlainText().startswith("Preview: ")
    qtbot.waitUntil(lambda: yellow_share(viewer) > 0.03, timeout=5000)  # the texture shows
    panel.original_button.click()
    assert viewer.scene is session.loaded.scene
    assert duck.mesh_path.read_bytes() == original_bytes


def test_apply_keeps_a_version_that_opens_and_compares(qtbot, window):
    duck = open_duck(qtbot, window)
    thumbnail = duck.thumbnail_path.read_bytes() if duck.thumbnail_path.exists() else None
    panel, controller = window.assets.panel, window.assets
    panel.set_recipe(SMALL)
    panel.apply_button.click()  # no preview first: it prepares and keeps in one go
    wait_done(qtbot, controller)
    entry = window.library.get(duck.id)
    (version,) = entry.version_list()
    assert version.triangles <= 800 and version.files == ["model.glb"]
    assert panel.versions.count() == 2 and panel.versions.item(1).text().startswith("v1 · custom")
    # Open it: the window shows the version, the list stays the entry's.
    panel.versions.setCurrentRow(1)
    panel.open_button.click()
    qtbot.waitUntil(lambda: window.entry is not None and window.entry.is_version, timeout=10000)
    qtbot.waitUntil(lambda: window.loaded.scene.triangles == version.triangles, timeout=10000)
    assert window.windowTitle().startswith("Duck · custom")
    assert panel.versions.count() == 2
    if thumbnail is not None:
        assert duck.thumbnail_path.read_bytes() == thumbnail  # the tile is the original's
    # Compare with the original.
    panel.compare_button.click()
    compare = window.compare_window
    qtbot.waitExposed(compare)
    left, right = (pane.viewer for pane in compare.panes)
    qtbot.waitUntil(lambda: left.scene is not None and right.scene is not None, timeout=10000)
    assert left.scene.triangles == 4212 and right.scene.triangles == version.triangles


def test_cancel_leaves_no_version(qtbot, tool, session):
    duck = show_entry(tool, "Duck")
    panel, controller = tool.panel, tool
    panel.set_recipe(Recipe(decimate=1000, bake=4096))
    panel.apply_button.click()
    qtbot.waitUntil(lambda: controller.label.text.startswith("Baking"), timeout=20000)
    panel.cancel_button.click()
    wait_done(qtbot, controller)
    assert session.library.get(duck.id).versions == []
    assert panel.report.toPlainText() == "Cancelled: nothing was kept."
    assert not panel.progress.isVisible() and panel.preview_button.isEnabled()


def test_presets_are_chosen_saved_and_deleted(qtbot, tool, monkeypatch):
    show_entry(tool, "Duck")
    panel = tool.panel
    panel.preset.setCurrentIndex(panel.preset.findData("print"))
    assert panel.repair.isChecked() and panel.formats["stl"].isChecked()
    assert panel.size_value.value() == 100 and panel.recipe().size == (100.0, "mm", "height")
    panel.set_recipe(SMALL)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Tiny", True))
    panel.save_button.click()
    assert panel.preset_name() == "Tiny" and panel.delete_button.isEnabled()
    assert tool.presets.get("Tiny").recipe == SMALL.validated()
    panel.delete_button.click()
    assert "Tiny" not in tool.presets.all() and panel.preset.findData("Tiny") == -1


def test_a_wrong_step_is_said_in_words(qtbot, tool, host):
    show_entry(tool, "Duck")
    panel = tool.panel
    panel.turns.setText("x45")
    panel.preview_button.click()
    box = error_box(qtbot, host)
    assert "There is no turn 'x45'" in box.text()
    box.close()


def test_a_file_from_disk_is_saved_as_files(qtbot, tool, session, viewer, tmp_path, monkeypatch):
    show_model(session, viewer, corpus_file("meshes", "bunny.ply"))
    panel, controller = tool.panel, tool
    assert panel.apply_button.text() == "Save as…" and not panel.versions_box.isVisible()
    panel.preset.setCurrentIndex(panel.preset.findData("print"))
    target = tmp_path / "bunny.stl"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    panel.apply_button.click()  # previews first, then asks where
    qtbot.waitUntil(lambda: panel.report.toPlainText().startswith("Saved:"), timeout=60000)
    wait_done(qtbot, controller)
    assert target.exists() and (tmp_path / "bunny.3mf").exists()
    low, high = mesh.load(target).scene.bounds
    assert high[1] - low[1] == pytest.approx(100, abs=0.01)  # millimetres
    assert panel.report.toPlainText().startswith("Saved:")


def test_turntable_export_from_the_window(qtbot, window, tmp_path, monkeypatch):
    from aiml3d_desktop.gui import asset_controller

    open_duck(qtbot, window)
    target = tmp_path / "duck.gif"
    monkeypatch.setattr(asset_controller, "TURNTABLE_FRAMES", 6)
    monkeypatch.setattr(asset_controller, "TURNTABLE_SIZE", (160, 120))
    from aiml3d_desktop.gui.widgets.turntable_dialog import TurntableDialog

    def accept(dialog) -> int:  # the dialog's defaults, saved where the test says
        dialog.path.setText(str(target))
        return TurntableDialog.DialogCode.Accepted

    monkeypatch.setattr(TurntableDialog, "exec", accept)
    heartbeat = []
    window.menu_actions["turntable"].trigger()
    qtbot.waitUntil(lambda: (heartbeat.append(1) or True) and target.exists(), timeout=30000)
    assert len(heartbeat) > 3  # the event loop kept turning while it drew
    image = Image.open(target)
    assert image.n_frames == 6 and image.size == (160, 120)
    image.seek(3)
    rgb = np.asarray(image.convert("RGB")).astype(int)
    assert ((rgb[..., 0] > 150) & (rgb[..., 1] > 120) & (rgb[..., 2] < 90)).mean() > 0.03


def test_a_version_is_exported_in_the_format_asked(qtbot, tool, session, tmp_path, monkeypatch):
    duck = show_entry(tool, "Duck")
    panel, controller = tool.panel, tool
    panel.set_recipe(Recipe(decimate=600, formats=("glb", "usdz")))
    panel.apply_button.click()
    wait_done(qtbot, controller)
    (version,) = session.library.get(duck.id).version_list()
    panel.versions.setCurrentRow(1)
    for name in ("duck.usdz", "duck.stl"):
        target = tmp_path / name
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, t=target, **k: (str(t), ""))
        panel.export_button.click()
        qtbot.waitUntil(lambda t=target: t.exists(), timeout=20000)
    # The USDZ is the version's own file; the STL is converted, in millimetres.
    assert (tmp_path / "duck.usdz").read_bytes() == (version.folder / "model.usdz").read_bytes()
    low, high = mesh.load(tmp_path / "duck.stl").scene.bounds
    glb_low, glb_high = mesh.load(version.mesh_path).scene.bounds
    assert np.allclose(high - low, (glb_high - glb_low) * 1000, rtol=1e-4)


def test_switching_models_drops_the_last_models_preview(qtbot, tool, session, viewer):
    show_entry(tool, "Duck")
    panel, controller = tool.panel, tool
    panel.set_recipe(Recipe(decimate=3000, bake=4096))
    panel.preview_button.click()
    qtbot.waitUntil(lambda: controller.worker is not None, timeout=5000)
    robot = show_entry(tool, "Robot")
    assert session.entry is not None and session.entry.id == robot.id
    wait_done(qtbot, controller)
    assert controller.prepared is None and viewer.scene is session.loaded.scene
    panel.set_recipe(Recipe(decimate=500))
    panel.apply_button.click()
    wait_done(qtbot, controller)
    (version,) = session.library.get(robot.id).version_list()
    assert version.triangles <= 500
    assert session.library.get(stocked(tool, "Duck").id).versions == []


def test_the_panel_fits_the_first_start_window_unscrolled(qtbot, window):
    """Issue 26, item 9: at the first-start size (1600 x 960) Prepare asset needed scrolling
    and its version buttons were cut; with an entry's versions listed it all shows."""
    import shutil

    from PySide6.QtWidgets import QScrollArea

    duck = entry_named(window, "Duck")
    window.library.add_version(
        duck.id, lambda folder: [shutil.copy(duck.mesh_path, folder / "Duck.glb")], "Game-ready"
    )
    window.resize(1600, 960)
    window.open_entry(window.library.get(duck.id))  # as it is now, with its version
    qtbot.waitUntil(lambda: window.entry is not None, timeout=10000)
    window.menu_actions["prepare"].trigger()
    panel = window.assets.panel
    qtbot.waitUntil(lambda: panel.versions.count() == 2, timeout=5000)
    area = next(a for a in window.prepare_dock.findChildren(QScrollArea) if a.widget() is panel)
    qtbot.waitUntil(lambda: area.viewport().height() > 700, timeout=3000)
    qtbot.waitUntil(lambda: panel.width() <= area.viewport().width(), timeout=3000)
    assert area.verticalScrollBar().maximum() == 0
    for widget in (panel.export_button, panel.cancel_button, panel.report, panel.pose):
        corner = widget.mapTo(area.viewport(), widget.rect().bottomRight())
        assert area.viewport().rect().contains(corner), widget
    assert panel.report.height() >= 56

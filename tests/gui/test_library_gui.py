"""The library browser in a real window under Xvfb: browse, search, open, edit, delete and
undo, compare, snapshot sheet; offline, with no key and no server."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

from aiml3d_desktop.core.library.store import Library
from tests.conftest import corpus_file
from tests.gui.test_gui import caption_text, error_box, pixels

pytestmark = pytest.mark.gui


def drawn_fraction(rgb: np.ndarray, background) -> float:
    return float((np.abs(rgb.astype(int) - np.array(background)).sum(axis=2) > 40).mean())


@pytest.fixture
def window(stocked_window):
    """This module's tests run in the window over the three-entry library (conftest)."""
    return stocked_window


def titles(window) -> list[str]:
    model = window.library_panel.model
    return [model.entries[i].title for i in model.rows]


def entry_named(window, title: str):
    return next(e for e in window.library_panel.model.entries.values() if e.title == title)


def test_browse_with_thumbnails_made_off_screen(qtbot, window):
    assert titles(window) == ["Duck", "Robot", "Red chair"]  # newest first
    assert window.library_panel.count.text() == "3 models"
    duck = entry_named(window, "Duck")
    qtbot.waitUntil(
        lambda: all(e.thumbnail_path.exists() for e in window.library_panel.model.entries.values()),
        timeout=15000,
    )
    thumb = QImage(str(duck.thumbnail_path)).convertToFormat(QImage.Format.Format_RGB888)
    assert (thumb.width(), thumb.height()) == (256, 256)
    rgb = np.frombuffer(thumb.constBits(), np.uint8).reshape(256, thumb.bytesPerLine())
    rgb = rgb[:, : 256 * 3].reshape(256, 256, 3)
    yellow = (rgb[..., 0] > 150) & (rgb[..., 1] > 120) & (rgb[..., 2] < 80)
    assert yellow.mean() > 0.05  # the textured duck, drawn by the viewer's renderer
    # The grid now shows the thumbnail, not the placeholder.
    model = window.library_panel.model
    icon = model.data(model.index(model.rows.index(duck.id)), 1)
    assert icon.cacheKey() == model._icons[duck.id].cacheKey()


def test_thumbnail_of_a_big_mesh_is_drawn_from_a_lighter_copy(qtbot, window, monkeypatch):
    """Drawing happens on the GUI thread: a big mesh's thumbnail draws a merged copy."""
    from aiml3d_desktop.gui.widgets import offscreen

    entries = window.library_panel.model.entries.values()
    qtbot.waitUntil(lambda: all(e.thumbnail_path.exists() for e in entries), timeout=15000)
    monkeypatch.setattr(offscreen, "THUMBNAIL_TRIANGLES", 500)  # as if the robot were huge
    monkeypatch.setattr(offscreen, "THUMBNAIL_CELLS", 12)
    drawn = []
    render = offscreen.OffscreenRenderer.render

    def counting(self, scene, *args, **kwargs):
        drawn.append(scene.triangles)
        return render(self, scene, *args, **kwargs)

    monkeypatch.setattr(offscreen.OffscreenRenderer, "render", counting)
    robot = entry_named(window, "Robot")
    robot.thumbnail_path.unlink(missing_ok=True)
    window.thumbnails._asked.discard(robot.id)
    window.thumbnails.request(robot)
    qtbot.waitUntil(lambda: robot.thumbnail_path.exists(), timeout=10000)
    full = robot.stats["triangles"]
    assert drawn and 0 < drawn[-1] < full
    thumb = QImage(str(robot.thumbnail_path)).convertToFormat(QImage.Format.Format_RGB888)
    rgb = np.frombuffer(thumb.constBits(), np.uint8).reshape(256, thumb.bytesPerLine())
    assert drawn_fraction(rgb[:, : 256 * 3].reshape(256, 256, 3), (46, 50, 58)) > 0.05


def test_search_filters_and_sort(qtbot, window):
    panel = window.library_panel
    panel.search.setText("furni")
    assert titles(window) == ["Red chair"] and panel.count.text() == "1 of 3 models"
    panel.search.setText("duck")  # the imported file's source path
    assert titles(window) == ["Duck"]
    panel.search.clear()
    panel.sorts.setCurrentIndex(2)  # title A–Z
    assert titles(window) == ["Duck", "Red chair", "Robot"]
    window.library.update(entry_named(window, "Robot").id, favourite=True)
    panel.favourites.setChecked(True)
    assert titles(window) == ["Robot"]
    panel.favourites.setChecked(False)
    panel.formats.setCurrentIndex(panel.formats.findText("STL"))
    assert titles(window) == []
    panel.formats.setCurrentIndex(0)
    panel.dates.setCurrentIndex(1)  # today: all were made just now
    assert len(titles(window)) == 3


def test_open_entry_restores_mesh_picture_and_parameters(qtbot, window):
    chair = entry_named(window, "Red chair")
    panel = window.library_panel
    panel.view.activated.emit(panel.model.index(panel.model.rows.index(chair.id)))
    qtbot.waitUntil(
        lambda: window.entry is not None and window.image_panel.preview is not None, timeout=5000
    )
    assert window.entry.id == chair.id and window.loaded.path == chair.mesh_path
    assert caption_text(window).startswith("Red chair.png  —  300 × 200")  # its own name
    qtbot.waitUntil(lambda: window.image_panel.width() > 100, timeout=3000)  # opened for it
    assert window.params.params().values["mc_resolution"] == 320  # "generate again" is one click
    assert chair.title in window.windowTitle()
    assert drawn_fraction(pixels(window.viewer), window.viewer.background().getRgb()[:3]) > 0.05
    assert not window.menu_actions["add_to_library"].isEnabled()  # it is in the library already


def test_edit_delete_and_undo(qtbot, window, monkeypatch):
    panel = window.library_panel
    robot = entry_named(window, "Robot")
    monkeypatch.setattr(
        "PySide6.QtWidgets.QInputDialog.getText", lambda *a, **k: ("Big robot", True)
    )
    panel.rename(robot)
    assert "Big robot" in titles(window)
    assert Library().get(robot.id).title == "Big robot"  # kept on disk, not just on screen
    panel.delete([entry_named(window, "Big robot")])
    assert "Big robot" not in titles(window) and not robot.folder.exists()
    assert "Undo" in window.status.label.text()
    edit = window.menuBar().actions()[1].menu()
    edit.aboutToShow.emit()  # Undo says what it would do as the menu opens
    undo = next(a for a in edit.actions() if a.text() == "Undo delete")
    undo.trigger()
    assert "Big robot" in titles(window) and robot.folder.exists()


def flat_framing(viewer) -> list[float]:
    framing = viewer.framing()
    return [*framing["center"], framing["distance"], framing["azimuth"], framing["elevation"]]


def test_compare_two_entries_with_cameras_moving_together(qtbot, window):
    duck, chair = entry_named(window, "Duck"), entry_named(window, "Red chair")
    window.library_panel.compare_requested.emit(duck, chair)
    compare = window.compare_window
    qtbot.waitExposed(compare)
    left, right = (pane.viewer for pane in compare.panes)
    qtbot.waitUntil(lambda: left.scene is not None and right.scene is not None, timeout=10000)
    for viewer in (left, right):
        assert drawn_fraction(pixels(viewer), viewer.background().getRgb()[:3]) > 0.03
    left.orbit(40, 15)
    left.camera_moved.emit()
    assert flat_framing(right) == pytest.approx(
        flat_framing(left)
    )  # seen the same way, each to its own scale
    assert right.camera()["distance"] != pytest.approx(left.camera()["distance"])  # sizes differ
    right.set_view("top")
    assert left.camera()["elevation"] == 90
    for viewer in (left, right):  # each still fills its view: neither a speck nor all of it
        assert 0.03 < drawn_fraction(pixels(viewer), viewer.background().getRgb()[:3]) < 0.9
    assert "Duck" in compare.panes[0].caption.text() and "Red chair" in compare.windowTitle()
    # The caption may be clipped: the tooltip has it whole; a title is shown as written.
    pane = compare.panes[0]
    assert "Duck" in pane.caption.toolTip() and "triangles" in pane.caption.toolTip()
    pane.entry = dataclasses.replace(pane.entry, title="<i>Duck</i> & co")
    pane._caption("2 triangles")
    assert "&lt;i&gt;Duck&lt;/i&gt; &amp; co" in pane.caption.text()
    assert pane.caption.toolTip().startswith("<i>Duck</i> & co")


def test_snapshot_sheet(qtbot, window, tmp_path, monkeypatch):
    chair = entry_named(window, "Red chair")
    window.open_entry(chair)
    qtbot.waitUntil(
        lambda: window.entry is not None and window.image_panel.preview is not None, timeout=5000
    )
    out = tmp_path / "sheet.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    window.files.save_snapshot_sheet()
    qtbot.waitUntil(out.exists, timeout=10000)
    sheet = QImage(str(out)).convertToFormat(QImage.Format.Format_RGB888)
    assert sheet.width() == 3 * 512 + 4 * 16
    data = np.frombuffer(sheet.constBits(), np.uint8).reshape(sheet.height(), sheet.bytesPerLine())
    rgb = data[:, : sheet.width() * 3].reshape(sheet.height(), sheet.width(), 3)
    background = window.viewer.background().getRgb()[:3]
    tiles = []
    for i in range(6):
        x, y = 16 + (i % 3) * 528, 48 + 16 + (i // 3) * (512 + 28 + 16)
        tiles.append(rgb[y : y + 512, x : x + 512])
    red = (tiles[0][..., 0] > 150) & (tiles[0][..., 1] < 80)
    assert red.mean() > 0.05  # the reference picture: a red ellipse
    for tile in tiles[1:]:  # five views, each with the mesh in it
        assert drawn_fraction(tile, background) > 0.03
    assert np.abs(tiles[1].astype(int) - tiles[5]).mean() > 1  # front and top differ


def test_missing_mesh_is_shown_not_a_crash(qtbot, window):
    robot = entry_named(window, "Robot")
    robot.mesh_path.unlink()
    model = window.library_panel.model
    model._icons.pop(robot.id, None)
    icon = model.data(model.index(model.rows.index(robot.id)), 1)
    assert icon.cacheKey() == model._missing.cacheKey()
    window.open_entry(robot)
    assert "missing" in error_box(qtbot, window).text()
    assert window.loaded is None


def test_add_an_opened_file_to_the_library(qtbot, window):
    window.open_path(str(corpus_file("meshes", "bunny.ply")))
    qtbot.waitUntil(lambda: window.loaded is not None, timeout=10000)
    action = window.menu_actions["add_to_library"]
    assert action.isEnabled()
    action.trigger()
    qtbot.waitUntil(lambda: window.library_panel.model.rowCount() == 4, timeout=10000)
    assert titles(window)[0] == "bunny" and window.entry.title == "bunny"
    assert window.entry.mesh_path.read_bytes() == corpus_file("meshes", "bunny.ply").read_bytes()
    assert not action.isEnabled()


def test_tiles_share_the_docks_width_and_name_their_generator(qtbot, window):
    panel = window.library_panel
    window.resize(1440, 900)
    window.resizeDocks([window.library_dock], [290], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: panel.view.gridSize().width() * 2 <= panel.view.viewport().width())
    rects = [panel.view.visualRect(panel.model.index(row)) for row in range(3)]
    assert rects[0].top() == rects[1].top() and rects[1].left() > rects[0].left()  # 2 columns
    assert rects[2].top() > rects[0].top()
    labels = {
        panel.model.entry_at(panel.model.index(r)).title: panel.model.index(r).data()
        for r in range(3)
    }
    assert labels["Robot"].endswith("\nTripoSR") and labels["Duck"].endswith("\nImported")


def test_odd_numbers_and_links_in_the_library_leave_the_window_working(
    qtbot, stocked_library, request
):
    """An entry.json with a number SQLite cannot hold (the index deleted) once kept the
    window on "Opening the library…"; a mesh replaced by a link is not opened."""
    import json

    lib = Library()
    robot = next(e for e in lib.list() if e.title == "Robot")
    lib.close()
    data = json.loads((robot.folder / "entry.json").read_text())
    data["stats"]["triangles"] = 10**30
    (robot.folder / "entry.json").write_text(json.dumps(data))
    (lib.root / "index.sqlite").unlink()
    window = request.getfixturevalue("window")  # waits for all three entries
    assert any("stats.triangles is a number out of range" in w for w in window.library.warnings)
    duck = entry_named(window, "Duck")
    outside = lib.root.parent / "outside.glb"
    duck.mesh_path.rename(outside)
    duck.mesh_path.symlink_to(outside)
    window.open_entry(duck)
    assert "symbolic link" in error_box(qtbot, window).text()
    assert window.loaded is None

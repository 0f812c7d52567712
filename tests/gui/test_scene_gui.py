"""A composed scene opened in the real window (issue 29): read on a worker, shown in the
viewer in place of any model (each model uploaded once), named in the title, counted in the
statistics; a model opened next replaces it. Real OpenGL pixels."""

from __future__ import annotations

import json

import numpy as np
import pytest

from aiml3d_desktop.core.composition import document as scene_doc
from tests.conftest import corpus_file
from tests.gui.test_gui import pixels

pytestmark = pytest.mark.gui


def test_a_scene_opens_in_the_window_and_a_model_replaces_it(qtbot, window, desk, tmp_path):
    window.open_path(str(desk))
    qtbot.waitUntil(lambda: window.session.composition is not None, timeout=10000)
    qtbot.waitUntil(lambda: window.scenes.measured, timeout=10000)
    viewer = window.viewer
    scene = viewer.scene
    assert scene is not None and len(scene.instances) == 3
    assert window.windowTitle().startswith("Desk — ")
    assert window.stats.text("Parts") == "3 placed, 2 models"
    assert window.stats.text("Triangles") == f"{scene.triangles:,}"
    image = pixels(viewer).astype(int)
    red = (image[..., 0] > 150) & (image[..., 1] < 80) & (image[..., 2] < 80)
    yellow = (image[..., 0] > 150) & (image[..., 1] > 130) & (image[..., 2] < 90)
    assert red.sum() > 300 and yellow.sum() > 600  # the box and the ducks, drawn
    assert len(viewer.item._buffers) == len(scene.primitives)  # each model uploaded once
    assert window.session.loaded is None  # the one-model tools have nothing to work on
    window.open_path(str(corpus_file("meshes", "cube.glb")))
    qtbot.waitUntil(lambda: window.session.loaded is not None, timeout=10000)
    assert window.session.composition is None and viewer.scene.instances is None


def test_a_broken_scene_file_is_one_message_and_the_view_stays(qtbot, window, tmp_path, desk):
    window.open_path(str(desk))
    qtbot.waitUntil(lambda: window.session.composition is not None, timeout=10000)
    qtbot.waitUntil(lambda: window.scenes.measured, timeout=10000)
    shown = window.viewer.scene
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"format": "aiml3d-scene", "version": 1, "placements": 5}))
    window.open_path(str(broken))
    said = "broken.json: its placements are not a list"
    qtbot.waitUntil(lambda: said in window.status.label.text(), timeout=10000)
    assert window.viewer.scene is shown
    assert np.isfinite(shown.bounds).all()


def test_the_scene_tab_edits_and_every_edit_undoes(qtbot, window, desk):
    """Choose, delete, undo, duplicate, hide, arrange and save from the Scene tab: the view
    follows each edit (what it draws), the chosen are outlined, the file saved opens as is."""
    from PySide6.QtCore import Qt

    window.open_path(str(desk))
    qtbot.waitUntil(lambda: window.session.composition is not None, timeout=10000)
    qtbot.waitUntil(lambda: window.scenes.measured, timeout=10000)
    scenes, viewer = window.scenes, window.viewer
    panel = scenes.panel
    assert panel.outliner.topLevelItemCount() == 3 and window.scene_dock.isVisible()
    assert not panel.save_button.isEnabled()  # nothing to save yet

    def drawn() -> int:
        return 0 if viewer.scene is None else len(viewer.scene.instances)

    panel.outliner.topLevelItem(0).setSelected(True)  # the box
    assert scenes.chosen == ["p1"] and scenes.handles.boxes is not None  # outlined in the view
    panel.delete_button.click()
    assert (
        drawn() == 2
        and panel.outliner.topLevelItemCount() == 2
        and "not saved" in panel.title.text()
    )
    panel.undo_button.click()
    assert drawn() == 3 and panel.outliner.topLevelItemCount() == 3
    panel.outliner.clearSelection()
    panel.outliner.topLevelItem(1).setSelected(True)  # a duck
    panel.duplicate_button.click()
    assert drawn() == 4 and scenes.chosen == ["p4"]  # the copy, chosen
    copy = window.session.composition.doc.placement("p4")
    original = window.session.composition.doc.placement("p2")
    assert copy.source == original.source and copy.position[0] > original.position[0]
    panel.outliner.topLevelItem(0).setCheckState(0, Qt.CheckState.Unchecked)  # hide the box
    qtbot.waitUntil(lambda: drawn() == 3)
    assert not window.session.composition.doc.placement("p1").visible
    panel.outliner.topLevelItem(2).setText(0, "  Third duck ")  # as a double-click's editor ends
    qtbot.waitUntil(lambda: window.session.composition.doc.placement("p3").name == "Third duck")
    assert window.session.composition.doc.placement("p1").visible is False  # only the name
    before = [p.position for p in window.session.composition.doc.placements]
    panel.outliner.clearSelection()
    panel.layout_choice.setCurrentIndex(panel.layout_choice.findData("circle"))
    panel.arrange_button.click()
    after = [p.position for p in window.session.composition.doc.placements]
    assert after != before
    image = pixels(viewer).astype(int)
    yellow = (image[..., 0] > 150) & (image[..., 1] > 130) & (image[..., 2] < 90)
    assert yellow.sum() > 600  # the ducks, drawn where they now are
    panel.save_button.click()
    assert scene_doc.load(desk) == window.session.composition.doc
    assert not panel.save_button.isEnabled() and "not saved" not in panel.title.text()
    panel.undo_button.click()  # undo after saving: modified again
    assert "not saved" in panel.title.text()


def test_a_second_scene_opened_is_edited_as_the_first(qtbot, window, desk, tmp_path):
    window.open_path(str(desk))
    qtbot.waitUntil(lambda: window.session.composition is not None, timeout=10000)
    qtbot.waitUntil(lambda: window.scenes.measured, timeout=10000)
    first = window.session.composition
    copy = tmp_path / "copy.json"
    copy.write_text(desk.read_text())
    window.open_path(str(copy))
    qtbot.waitUntil(lambda: window.session.composition is not first, timeout=10000)
    qtbot.waitUntil(lambda: window.scenes.measured, timeout=10000)
    panel = window.scenes.panel
    panel.outliner.topLevelItem(0).setSelected(True)
    panel.delete_button.click()
    assert len(window.viewer.scene.instances) == 2  # the view still has the models
    panel.layout_choice.setCurrentIndex(panel.layout_choice.findData("grid"))
    before = [p.position for p in window.session.composition.doc.placements]
    panel.arrange_button.click()
    assert [p.position for p in window.session.composition.doc.placements] != before
    assert first.doc.placements and len(first.doc.placements) == 3  # the first, untouched


def screen_point(viewer, point) -> tuple[int, int]:
    """Where a point of the scene shows in the view, in the widget's pixels."""
    from PySide6.QtGui import QVector4D

    w, h = viewer.width(), viewer.height()
    whole = (0, 0, w, h)
    matrix = viewer.projectionMatrix(whole, whole) * viewer.viewMatrix() * viewer.item.transform()
    clip = matrix.map(QVector4D(float(point[0]), float(point[1]), float(point[2]), 1.0))
    x, y = clip.x() / clip.w(), clip.y() / clip.w()
    return round((x + 1) / 2 * w), round((1 - y) / 2 * h)


def test_a_click_in_the_view_chooses_the_model_it_meets(qtbot, window, desk):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    from aiml3d_desktop.core.composition import arrange

    window.open_path(str(desk))
    qtbot.waitUntil(lambda: window.session.composition is not None, timeout=10000)
    qtbot.waitUntil(lambda: window.scenes.measured, timeout=10000)
    scenes, viewer = window.scenes, window.viewer
    doc = window.session.composition.doc

    def centre(placement_id: str):
        placement = doc.placement(placement_id)
        low, high = arrange.world_box(placement, scenes.outlines[placement.source.key])
        return (low + high) / 2

    QTest.mouseClick(
        viewer, Qt.MouseButton.LeftButton, pos=QPoint(*screen_point(viewer, centre("p1")))
    )
    qtbot.waitUntil(lambda: scenes.chosen == ["p1"], timeout=5000)
    assert [i.data(0, Qt.ItemDataRole.UserRole) for i in scenes.panel.outliner.selectedItems()] == [
        "p1"
    ]
    QTest.mouseClick(
        viewer, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
        QPoint(*screen_point(viewer, centre("p3"))),
    )  # fmt: skip
    qtbot.waitUntil(lambda: scenes.chosen == ["p1", "p3"], timeout=5000)
    QTest.mouseClick(viewer, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))  # the sky
    qtbot.waitUntil(lambda: scenes.chosen == [], timeout=5000)
    assert scenes.handles.boxes is None and not scenes.panel.delete_button.isEnabled()

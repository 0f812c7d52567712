"""Composing a scene in the real window (issue 29): a drag in the view moves the chosen over
the ground (one change to undo, nothing uploaded again), numbers typed in the transform box,
quick turns, a new scene with models added from files and from the library, saved and
reopened, Edit > Undo and Redo, export. Real OpenGL pixels, a real library."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from aiml3d_desktop.core.composition import arrange
from aiml3d_desktop.core.composition import document as scene_doc
from tests.conftest import corpus_file
from tests.gui.test_gui import pixels
from tests.gui.test_scene_gui import screen_point

pytestmark = pytest.mark.gui


def open_desk(qtbot, window, desk):
    window.open_path(str(desk))
    qtbot.waitUntil(lambda: window.session.composition is not None, timeout=10000)
    qtbot.waitUntil(lambda: window.scenes.measured, timeout=10000)
    return window.session.composition


def centre(window, placement_id: str) -> np.ndarray:
    placement = window.session.composition.doc.placement(placement_id)
    low, high = arrange.world_box(placement, window.scenes.outlines[placement.source.key])
    return (low + high) / 2


def mouse(viewer, kind: str, point, buttons) -> None:
    """A real mouse event at a scene point's place on screen (QTest's moves carry no
    buttons, which a drag needs)."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    x, y = screen_point(viewer, point)
    kinds = {
        "press": QEvent.Type.MouseButtonPress,
        "move": QEvent.Type.MouseMove,
        "release": QEvent.Type.MouseButtonRelease,
    }
    button = Qt.MouseButton.NoButton if kind == "move" else Qt.MouseButton.LeftButton
    local = QPointF(x, y)
    event = QMouseEvent(
        kinds[kind], local, viewer.mapToGlobal(local), button, buttons,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(viewer, event)


def red_centre(viewer) -> float:
    image = pixels(viewer).astype(int)
    red = (image[..., 0] > 150) & (image[..., 1] < 80) & (image[..., 2] < 80)
    assert red.sum() > 300
    return float(np.nonzero(red)[1].mean())


def test_a_drag_on_the_chosen_moves_it_over_the_ground_as_one_change(qtbot, window, desk):
    from PySide6.QtCore import Qt

    composition = open_desk(qtbot, window, desk)
    viewer, panel = window.viewer, window.scenes.panel
    panel.outliner.topLevelItem(0).setSelected(True)  # the red box
    start = composition.doc.placement("p1").position
    others = [p.position for p in composition.doc.placements[1:]]
    was = red_centre(viewer)  # drawn: the meshes are on the GPU
    buffers = list(viewer.item._buffers)
    camera = viewer.camera()
    grab = centre(window, "p1")
    left = Qt.MouseButton.LeftButton
    mouse(viewer, "press", grab, left)
    for step in (0.1, 0.25, 0.43):  # the last: snapped to the 0.1 m grid
        mouse(viewer, "move", grab + (step, 0.0, 0.0), left)
    mouse(viewer, "release", grab + (0.43, 0.0, 0.0), Qt.MouseButton.NoButton)
    moved = np.subtract(composition.doc.placement("p1").position, start)
    assert moved == pytest.approx((0.4, 0.0, 0.0), abs=1e-6)  # over the ground, on the grid
    assert [p.position for p in composition.doc.placements[1:]] == others
    assert viewer.camera() == camera  # the model moved, not the camera
    assert composition.undo_label == "Move a model"  # the whole drag: one change
    assert viewer.item._buffers == buffers  # the same meshes on the GPU: nothing uploaded
    assert red_centre(viewer) > was + 10  # drawn where it now is
    composition.undo()
    assert composition.doc.placement("p1").position == start
    assert composition.undo_label is None  # one undo took the whole drag back

    # A drag that starts off the chosen orbits, as always; so does one on a locked model.
    composition.set_locked(["p1"], True)
    mouse(viewer, "press", grab, left)
    mouse(viewer, "move", grab + (0.3, 0.0, 0.0), left)
    mouse(viewer, "release", grab + (0.3, 0.0, 0.0), Qt.MouseButton.NoButton)
    assert composition.doc.placement("p1").position == start
    assert viewer.camera() != camera


def test_numbers_typed_and_quick_turns_change_the_chosen(qtbot, window, desk):
    composition = open_desk(qtbot, window, desk)
    panel = window.scenes.panel
    box = panel.transform
    assert not box.spins["x"].isEnabled()  # nothing chosen
    panel.outliner.topLevelItem(1).setSelected(True)  # a duck
    duck = composition.doc.placement("p2")
    assert box.spins["x"].isEnabled() and box.spins["x"].value() == pytest.approx(
        duck.position[0], abs=1e-3
    )
    box.spins["z"].setValue(1.25)
    assert composition.doc.placement("p2").position[2] == pytest.approx(1.25)
    assert composition.doc.placement("p2").position[0] == duck.position[0]
    box.spins["turn"].setValue(90.0)
    assert arrange.yaw(composition.doc.placement("p2").rotation) == pytest.approx(90.0)
    box.spins["scale"].setValue(2.0)
    assert composition.doc.placement("p2").scale == 2.0
    box.step.setValue(30.0)
    box.right.click()
    assert arrange.yaw(composition.doc.placement("p2").rotation) == pytest.approx(60.0)
    assert box.spins["turn"].value() == pytest.approx(60.0)  # the box follows
    for _ in range(4):
        composition.undo()
    assert composition.doc.placement("p2") == duck
    panel.outliner.topLevelItem(2).setSelected(
        True
    )  # two chosen: the fields are off, turns still go
    assert not box.spins["x"].isEnabled() and box.left.isEnabled()
    assert box.spins["scale"].cleanText() == ""  # no number that is no model's
    box.left.click()
    assert composition.undo_label == "Turn 2 models"


def test_a_new_scene_gets_models_from_files_and_the_library_and_reopens(qtbot, window, tmp_path):
    box = trimesh.creation.box((0.5, 0.3, 0.4))
    box.visual.vertex_colors = [220, 30, 30, 255]
    box.export(tmp_path / "box.glb")
    entry = window.session.library.import_mesh(corpus_file("meshes", "Duck.glb"))
    assert window.scenes._panel is None  # the Scene tab waits for a scene: a quicker start
    assert window.scene_dock.widget() is window.scenes.tab
    window.menu_actions["new_scene"].trigger()
    assert window.scene_dock.widget() is window.scenes.panel
    composition = window.session.composition
    assert composition is not None and not composition.doc.placements
    panel = window.scenes.panel
    assert panel.add_button.isEnabled() and "not saved" in panel.title.text()
    window.scenes.add_files([str(tmp_path / "box.glb")])
    qtbot.waitUntil(lambda: len(composition.doc.placements) == 1, timeout=10000)
    window.library_panel.scene_requested.emit([entry, entry])
    qtbot.waitUntil(lambda: len(composition.doc.placements) == 3, timeout=10000)
    doc = composition.doc
    boxes = [arrange.world_box(p, window.scenes.outlines[p.source.key]) for p in doc.placements]
    for box_, following in zip(boxes, boxes[1:], strict=False):
        assert following[0, 0] == pytest.approx(box_[1, 0] + 0.1, abs=1e-6)  # side by side
    assert all(b[0, 1] == pytest.approx(0.0, abs=1e-6) for b in boxes)  # on the ground
    assert window.scenes.chosen == ["p2", "p3"]  # what was added last, chosen
    assert len(window.viewer.scene.primitives) == 2  # the duck stored once
    # A file that is not a model: one message, nothing added.
    (tmp_path / "notes.glb").write_text("not a model")
    window.scenes.add_files([str(tmp_path / "notes.glb")])
    qtbot.waitUntil(
        lambda: "notes.glb could not be read" in window.status.label.text(), timeout=10000
    )
    assert len(composition.doc.placements) == 3
    saved = tmp_path / "kept" / "room.json"
    saved.parent.mkdir()
    window.scenes.save_as(saved)
    assert "not saved" not in panel.title.text()
    window.open_path(str(corpus_file("meshes", "cube.glb")))
    qtbot.waitUntil(lambda: window.session.composition is None, timeout=10000)
    window.open_path(str(saved))
    qtbot.waitUntil(lambda: window.session.composition is not None, timeout=10000)
    qtbot.waitUntil(lambda: window.scenes.measured, timeout=10000)
    assert window.session.composition.doc == doc
    assert len(window.viewer.scene.instances) == 3


def test_edit_undo_and_redo_follow_the_scene(qtbot, window, desk):
    composition = open_desk(qtbot, window, desk)
    panel = window.scenes.panel
    panel.outliner.topLevelItem(0).setSelected(True)
    panel.delete_button.click()
    assert window.windowTitle().startswith("Desk (not saved) — ")
    edit = window.menuBar().actions()[1].menu()
    edit.aboutToShow.emit()
    undo, redo = window.menu_actions["undo"], window.menu_actions["redo"]
    assert undo.text() == "Undo Delete a model" and redo.text() == "Redo"
    undo.trigger()
    assert len(composition.doc.placements) == 3
    edit.aboutToShow.emit()
    assert redo.text() == "Redo Delete a model"
    redo.trigger()
    assert len(composition.doc.placements) == 2 and len(window.viewer.scene.instances) == 2


def test_the_scene_exports_from_the_window(qtbot, window, desk, tmp_path):
    composition = open_desk(qtbot, window, desk)
    out = tmp_path / "out"
    out.mkdir()
    window.scenes.export(str(out / "desk.glb"))
    window.scenes.export(str(out / "desk.stl"))
    qtbot.waitUntil(
        lambda: (out / "desk.stl").exists() and (out / "desk.glb").exists(), timeout=20000
    )
    qtbot.waitUntil(lambda: "Exported the scene" in window.status.label.text(), timeout=10000)
    glb = trimesh.load(out / "desk.glb", force="scene")
    names = {p.name for p in composition.doc.placements}
    assert names <= set(glb.graph.nodes)  # a node per placement, by name
    assert len(glb.geometry) == 2  # the box and the duck, each stored once
    stl = trimesh.load(out / "desk.stl", force="mesh")
    assert len(stl.faces) == window.viewer.scene.triangles  # merged: every placement


def test_a_new_scene_is_kept_in_the_library_with_a_thumbnail_and_reopens(qtbot, window):
    entry = window.session.library.import_mesh(corpus_file("meshes", "Duck.glb"))
    window.scenes.new_scene()
    window.library_panel.scene_requested.emit([entry])
    composition = window.session.composition
    qtbot.waitUntil(lambda: len(composition.doc.placements) == 1, timeout=10000)
    composition.rename_scene("Pond")
    window.scenes.panel.save_button.click()  # no dialog: into the library
    kept = window.scenes.entry
    assert kept is not None and kept.is_scene and kept.title == "Pond"
    assert scene_doc.load(kept.mesh_path) == composition.doc
    qtbot.waitUntil(kept.thumbnail_path.is_file, timeout=20000)  # drawn from the view's scene
    model = window.library_panel.model
    assert kept.id in model.rows
    row = model.index(model.rows.index(kept.id))
    assert "Composed scene" in model.data(row, Qt.ItemDataRole.DisplayRole)
    thumbnail = np.asarray(Image.open(kept.thumbnail_path).convert("RGB")).astype(int)
    yellow = (thumbnail[..., 0] > 150) & (thumbnail[..., 1] > 130) & (thumbnail[..., 2] < 90)
    assert yellow.sum() > 200  # the duck, drawn
    # Saved again after an edit: the same entry, its file rewritten.
    composition.move(["p1"], (0.5, 0.0, 0.0))
    window.scenes.panel.save_button.click()
    assert window.scenes.entry.id == kept.id and window.session.library.count() == 2
    assert scene_doc.load(kept.mesh_path).placement("p1").position[0] == pytest.approx(
        composition.doc.placement("p1").position[0]
    )
    window.open_path(str(corpus_file("meshes", "cube.glb")))
    qtbot.waitUntil(lambda: window.session.composition is None, timeout=10000)
    window.open_entry(window.session.library.get(kept.id))  # a double-click on its tile
    qtbot.waitUntil(lambda: window.session.composition is not None, timeout=10000)
    assert window.session.composition.doc == composition.doc
    assert window.scenes.entry.id == kept.id


def test_a_scene_in_the_library_without_a_thumbnail_gets_one_drawn(qtbot, window):
    from aiml3d_desktop.core.composition import history
    from aiml3d_desktop.core.composition import in_library as scenes
    from aiml3d_desktop.core.composition.document import Source

    library = window.session.library
    entry = library.import_mesh(corpus_file("meshes", "Duck.glb"))
    composition = history.Composition(scene_doc.SceneDoc(name="Two ducks"))
    composition.add([(Source(entry=entry.id), "Duck")] * 2)
    kept = scenes.add_scene(library, composition.doc, None)
    window.library_panel.add_entry(kept)
    model = window.library_panel.model
    model.data(model.index(model.rows.index(kept.id)), Qt.ItemDataRole.DecorationRole)
    qtbot.waitUntil(kept.thumbnail_path.is_file, timeout=20000)
    thumbnail = np.asarray(Image.open(kept.thumbnail_path).convert("RGB")).astype(int)
    yellow = (thumbnail[..., 0] > 150) & (thumbnail[..., 1] > 130) & (thumbnail[..., 2] < 90)
    assert yellow.sum() > 200  # the ducks, read from the library and drawn


def test_a_scene_is_lit_as_it_says_and_keeps_the_lighting_chosen(qtbot, window, desk):
    import dataclasses

    lit = dataclasses.replace(
        scene_doc.load(desk),
        light=scene_doc.Light(preset="sunset", exposure=-1.0, rotation=90.0, sun=False),
    )
    scene_doc.save(lit, desk)
    composition = open_desk(qtbot, window, desk)
    viewer = window.viewer
    qtbot.waitUntil(lambda: viewer.lighting.preset == "sunset", timeout=10000)
    assert (viewer.lighting.exposure, viewer.lighting.rotation, viewer.lighting.sun) == (
        -1.0, 90.0, False,
    )  # fmt: skip
    assert window.lookdev.preset_actions["sunset"].isChecked()
    window.lookdev.change(exposure=0.5)  # View > Lighting, while the scene is shown
    assert composition.doc.light.exposure == 0.5 and composition.doc.light.preset == "sunset"
    assert composition.undo_label == "Change the lighting"
    composition.undo()
    qtbot.waitUntil(lambda: viewer.lighting.exposure == -1.0)  # the view follows it back
    window.lookdev.set_preset("outdoor")
    qtbot.waitUntil(lambda: composition.doc.light.preset == "outdoor", timeout=10000)
    window.scenes.save()
    assert scene_doc.load(desk).light.preset == "outdoor"


def test_an_edit_that_measures_waits_for_the_outlines_and_says_so(qtbot, window, desk):
    composition = open_desk(qtbot, window, desk)
    window.scenes.outlines.clear()  # as just after the first frame, before they come
    before = composition.doc
    window.scenes.panel.arrange_button.click()
    assert "Measuring the scene's models" in window.status.label.text()
    assert composition.doc is before


def test_the_file_menu_saves_pictures_and_exports_the_scene_shown(qtbot, window, desk, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    open_desk(qtbot, window, desk)
    actions = window.menu_actions
    assert actions["export"].isEnabled() and actions["screenshot"].isEnabled()
    assert actions["export_image"].isEnabled() and actions["sheet"].isEnabled()
    assert actions["turntable"].isEnabled()
    out = desk.parent / "via-menu.glb"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "GLB (*.glb)"))
    actions["export"].trigger()
    qtbot.waitUntil(out.exists, timeout=20000)
    assert {"Box", "Duck"} <= set(trimesh.load(out, force="scene").graph.nodes)


def test_the_outliner_groups_locks_hides_and_renames(qtbot, window, desk):
    composition = open_desk(qtbot, window, desk)
    outliner = window.scenes.panel.outliner
    outliner.topLevelItem(1).setSelected(True)
    outliner.topLevelItem(2).setSelected(True)  # the two ducks
    outliner.group.emit()  # the menu's Group
    (group,) = composition.doc.groups
    assert group.name == "Group 1" and composition.undo_label == "Group 2 models"
    top = outliner.topLevelItem(0)
    assert top.text(0) == "Group 1" and top.childCount() == 2  # the ducks beneath it
    outliner.clearSelection()
    top.setSelected(True)  # choosing the group chooses its models
    assert window.scenes.chosen == ["p2", "p3"]
    top.setCheckState(0, Qt.CheckState.Unchecked)  # hide the group
    qtbot.waitUntil(lambda: not composition.doc.group(group.id).visible)
    assert len(window.viewer.scene.instances) == 1  # only the box drawn
    outliner.row(group.id).setText(0, "Ducks")
    qtbot.waitUntil(lambda: composition.doc.group(group.id).name == "Ducks")
    outliner.locked.emit([group.id], True)  # the menu's Lock
    assert composition.doc.group(group.id).locked
    assert outliner.row(group.id).text(0) == "Ducks  (locked)"
    before = composition.doc
    composition.move(["p2"], (1.0, 0.0, 0.0))  # a locked group's models stay put
    assert composition.doc is before
    outliner.locked.emit([group.id], False)
    outliner.ungroup.emit(group.id)
    assert not composition.doc.groups and outliner.topLevelItemCount() == 3
    for _ in range(5):
        composition.undo()  # ungroup, unlock, lock, rename, hide
    assert composition.doc.group(group.id).name == "Group 1"
    assert composition.doc.group(group.id).visible and not composition.doc.group(group.id).locked


def test_the_sun_stands_where_the_scene_says_and_its_shadow_can_go(qtbot, window, tmp_path):
    ball = trimesh.creation.icosphere(subdivisions=4, radius=0.5)
    ball.visual.vertex_colors = [200, 200, 200, 255]
    ball.export(tmp_path / "ball.glb")
    window.scenes.new_scene()
    window.scenes.add_files([str(tmp_path / "ball.glb")])
    composition = window.session.composition
    qtbot.waitUntil(lambda: len(composition.doc.placements) == 1, timeout=10000)
    window.viewer.set_view("front")
    sun = window.scenes.panel.sun

    def halves() -> tuple[float, float]:
        """The ball's left and right halves' brightness, as drawn."""
        image = pixels(window.viewer).astype(float).mean(axis=2)
        rows, cols = np.nonzero(image > 60)
        third = (cols.max() - cols.min()) // 3
        ball_rows = slice(rows.min(), rows.max())
        return (
            float(image[ball_rows, cols.min() : cols.min() + third].mean()),
            float(image[ball_rows, cols.max() - third : cols.max()].mean()),
        )

    sun.elevation.setValue(10.0)
    sun.azimuth.setValue(90.0)  # from +X: the right, as seen from the front
    qtbot.waitUntil(lambda: window.viewer.lighting.sun_direction == (90.0, 10.0))
    left, right = halves()
    sun.azimuth.setValue(270.0)  # from the left
    qtbot.waitUntil(lambda: window.viewer.lighting.sun_direction == (270.0, 10.0))
    left_lit, right_dim = halves()
    # The studio's own light is brighter on the left; the sun moves the balance.
    assert (right - left) > (right_dim - left_lit) + 8  # 17 here; 0 if the sun were ignored
    assert composition.doc.light.sun_azimuth == 270.0 and composition.undo_label == (
        "Change the lighting"
    )
    assert window.viewer.item.sun_shadow > 0
    sun.shadow.setChecked(False)
    assert not composition.doc.light.shadow and window.viewer.item.sun_shadow == 0
    window.open_path(str(corpus_file("meshes", "cube.glb")))  # a model: its own light again
    qtbot.waitUntil(lambda: window.session.composition is None, timeout=10000)
    qtbot.waitUntil(lambda: window.viewer.lighting.sun_direction is None)
    assert window.viewer.item.sun_shadow > 0


def test_the_sun_casts_one_model_s_shadow_on_another(qtbot, window, tmp_path):
    """A wall between the sun and a duck: with shadows on, the duck's body lies in the
    wall's shadow (darker than with them off); its head, above the shadow, is lit alike."""
    wall = trimesh.creation.box((0.3, 1.0, 1.2))
    wall.visual.vertex_colors = [200, 200, 205, 255]
    body, head = _darker_with_shadows(qtbot, window, _shade_scene(tmp_path, wall))
    # The sun is a share of the light (the rest comes from all round): where the wall
    # takes it, the body is darker; the head, above the shadow, is lit alike.
    assert body > 0.2  # 0.31 here; 0 if no model cast a shadow on another
    assert head < 0.1  # 0.04: the shadow's soft edge


def _shade_scene(tmp_path, wall_mesh) -> Path:
    """A wall between a low sun (from the left, -X) and a duck, as shade.json."""
    from aiml3d_desktop.core.composition import assemble, history
    from aiml3d_desktop.core.composition.document import Source

    wall_mesh.export(tmp_path / "wall.glb")
    composition = history.Composition(scene_doc.SceneDoc(name="Shade"))
    duck = Source(file=str(corpus_file("meshes", "Duck.glb")))
    ids = composition.add([(Source(file="wall.glb"), "Wall"), (duck, "Duck")])
    models = assemble.read_models(composition.doc, tmp_path, None)
    composition.arrange(ids, "row", 0.1, {k: m.outline for k, m in models.items()})
    low_sun = dataclasses.replace(composition.doc.light, sun_azimuth=-90.0, sun_elevation=30.0)
    composition.set_light(low_sun)
    scene_doc.save(composition.doc, tmp_path / "shade.json")
    return tmp_path / "shade.json"


def _darker_with_shadows(qtbot, window, path) -> tuple[float, float]:
    """The shares of the duck's body and head that the sun's shadows on the models darken
    (seen from the front, the duck side on)."""
    window.open_path(str(path))
    qtbot.waitUntil(lambda: window.session.composition is not None, timeout=10000)
    viewer = window.viewer
    viewer.set_view("front")
    qtbot.waitUntil(lambda: viewer.item.shadowed, timeout=10000)
    shaded = pixels(viewer).astype(int)
    window.scenes.panel.sun.shadow.setChecked(False)
    qtbot.waitUntil(lambda: not viewer.item.shadowed, timeout=10000)
    lit = pixels(viewer).astype(int)
    yellow = (lit[..., 0] > 120) & (lit[..., 1] > 90) & (lit[..., 2] < 90)
    rows = np.nonzero(yellow.any(axis=1))[0]
    middle = (rows.min() + rows.max()) // 2
    darker = (lit - shaded).sum(axis=2) > 15
    body, head = yellow.copy(), yellow.copy()
    body[:middle], head[middle:] = False, False
    return float(darker[body].mean()), float(darker[head].mean())


def test_a_cut_out_casts_the_shadow_of_what_is_left_of_it(qtbot, window, tmp_path):
    """A MASK material's texels under its cutoff cast nothing: a wall whose texture is
    wholly transparent lets the sun through to the duck behind it."""
    from PIL import Image as PILImage
    from trimesh.visual import TextureVisuals
    from trimesh.visual.material import PBRMaterial

    wall = trimesh.creation.box((0.3, 1.0, 1.2))
    clear = PILImage.new("RGBA", (8, 8), (200, 200, 200, 0))
    material = PBRMaterial(baseColorTexture=clear, alphaMode="MASK", alphaCutoff=0.5)
    wall.visual = TextureVisuals(uv=np.zeros((len(wall.vertices), 2)), material=material)
    body, _ = _darker_with_shadows(qtbot, window, _shade_scene(tmp_path, wall))
    assert body < 0.05  # 0.31 with a solid wall (the test above)


def test_without_a_shadow_map_the_scene_is_drawn_all_the_same(qtbot, window, desk, monkeypatch):
    """An OpenGL that cannot make the shadow map: the models are drawn, without their
    shadows on each other, and it is not asked again at every frame."""
    from aiml3d_desktop.gui.widgets import shadow_map

    attempts = []

    def refuse(self):
        attempts.append(1)
        raise RuntimeError("no depth textures here")

    monkeypatch.setattr(shadow_map.ShadowMap, "_create", refuse)
    open_desk(qtbot, window, desk)
    viewer = window.viewer
    qtbot.waitUntil(lambda: viewer.item.shadow_map.broken, timeout=10000)
    for _ in range(3):
        viewer.orbit(5, 0)
        qtbot.wait(200)
    assert attempts == [1] and not viewer.item.shadowed
    assert red_centre(viewer) > 0  # the red box is drawn (red_centre asserts its pixels)


def test_a_scene_makes_a_snapshot_sheet_and_a_turntable_in_the_window(
    qtbot,
    window,
    desk,
    tmp_path,
    monkeypatch,
):
    from PySide6.QtWidgets import QFileDialog

    from aiml3d_desktop.gui import asset_controller
    from aiml3d_desktop.gui.widgets.turntable_dialog import TurntableDialog

    open_desk(qtbot, window, desk)
    window.set_shading("flat")  # the sheet shows the scene as the view does
    sheet = tmp_path / "desk-sheet.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(sheet), ""))
    window.menu_actions["sheet"].trigger()
    qtbot.waitUntil(sheet.exists, timeout=20000)
    rgb = np.asarray(Image.open(sheet).convert("RGB")).astype(int)
    front = rgb[64 + 512 + 28 + 16 :, 16 : 16 + 512]  # the second row's first view
    yellow = (rgb[..., 0] > 150) & (rgb[..., 1] > 130) & (rgb[..., 2] < 90)
    red = (rgb[..., 0] > 150) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)
    assert yellow.sum() > 2000 and red.sum() > 1000 and front.size  # ducks and box, drawn
    exact = (rgb == (220, 30, 30)).all(axis=2)
    assert exact.sum() > 1000  # the box's stored colour exactly: Flat, as in the view
    gif = tmp_path / "desk.gif"
    monkeypatch.setattr(asset_controller, "TURNTABLE_FRAMES", 4)
    monkeypatch.setattr(asset_controller, "TURNTABLE_SIZE", (160, 120))

    def accept(dialog) -> int:
        assert dialog.choice().path.stem == "Desk"  # named after the scene
        dialog.path.setText(str(gif))
        return TurntableDialog.DialogCode.Accepted

    monkeypatch.setattr(TurntableDialog, "exec", accept)
    window.menu_actions["turntable"].trigger()
    qtbot.waitUntil(gif.exists, timeout=30000)
    movie = Image.open(gif)
    assert movie.n_frames == 4
    frame = np.asarray(movie.convert("RGB")).astype(int)
    assert ((frame[..., 0] > 150) & (frame[..., 1] > 120) & (frame[..., 2] < 90)).mean() > 0.01


def test_a_library_tile_dropped_in_the_view_stands_where_it_was_dropped(qtbot, window, desk):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    composition = open_desk(qtbot, window, desk)
    box = window.session.library.import_mesh(corpus_file("meshes", "BoxTextured.glb"))
    panel = window.library_panel
    panel.add_entry(box)
    model = panel.model
    mime = model.mimeData([model.index(model.rows.index(box.id))])  # as a tile's drag carries
    assert model.flags(model.index(0)) & Qt.ItemFlag.ItemIsDragEnabled
    target = np.array([0.4, 0.0, 0.9])  # a point of the ground, in front of the desk
    x, y = screen_point(window.viewer, target)
    where = window.viewer.mapTo(window, QPointF(x, y).toPoint())
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    enter = QDragEnterEvent(where, *args)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, QDropEvent(QPointF(where), *args))
    qtbot.waitUntil(lambda: len(composition.doc.placements) == 4, timeout=10000)
    added = composition.doc.placements[-1]
    assert added.name == "BoxTextured" and window.scenes.chosen == [added.id]
    low, high = arrange.world_box(added, window.scenes.outlines[added.source.key])
    assert ((low + high) / 2)[[0, 2]] == pytest.approx(target[[0, 2]], abs=0.02)
    assert low[1] == pytest.approx(0.0, abs=1e-6)  # on the ground
    # With no scene shown, a tile dropped opens its model, as a double-click does.
    window.open_path(str(corpus_file("meshes", "cube.glb")))
    qtbot.waitUntil(lambda: window.session.composition is None, timeout=10000)
    enter = QDragEnterEvent(where, *args)
    QApplication.sendEvent(window, enter)
    QApplication.sendEvent(window, QDropEvent(QPointF(where), *args))
    qtbot.waitUntil(lambda: window.session.entry is not None, timeout=10000)
    assert window.session.entry.id == box.id


def test_changes_not_saved_are_asked_about_before_they_go(qtbot, window, desk, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    composition = open_desk(qtbot, window, desk)
    composition.move(["p1"], (0.5, 0.0, 0.0))
    asked = []
    answer = QMessageBox.StandardButton.Cancel

    def question(parent, title, text, *args):
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "question", question)
    cube = str(corpus_file("meshes", "cube.glb"))
    window.open_path(cube)
    qtbot.waitUntil(lambda: asked == ["Save the changes to Desk?"], timeout=10000)
    assert window.session.composition is composition  # Cancel: the scene stays
    window.scenes.new_scene()
    assert window.session.composition is composition and len(asked) == 2
    window.close()
    assert window.isVisible()  # Cancel: the window stays open too
    answer = QMessageBox.StandardButton.Save
    window.open_path(cube)
    qtbot.waitUntil(lambda: window.session.composition is None, timeout=10000)
    saved = scene_doc.load(desk)
    assert saved.placement("p1").position == composition.doc.placement("p1").position
    window.open_path(str(desk))  # a scene with nothing changed goes without a word
    qtbot.waitUntil(lambda: window.session.composition is not None, timeout=10000)
    window.open_path(cube)
    qtbot.waitUntil(lambda: window.session.composition is None, timeout=10000)
    assert len(asked) == 4


def test_the_box_and_typing_follow_the_one_chosen_model_that_can_move(qtbot, window, desk):
    composition = open_desk(qtbot, window, desk)
    composition.set_locked(["p1"], True)
    outliner = window.scenes.panel.outliner
    outliner.topLevelItem(0).setSelected(True)
    outliner.topLevelItem(1).setSelected(True)  # the locked box and a duck
    box = window.scenes.panel.transform
    duck = composition.doc.placement("p2")
    assert box.spins["x"].value() == pytest.approx(duck.position[0], abs=1e-3)
    box.spins["x"].setValue(3.0)
    assert composition.doc.placement("p2").position[0] == 3.0  # the duck, as shown
    kept = scene_doc.load(desk).placement("p1")
    assert composition.doc.placement("p1").position == kept.position  # the locked box stays


def test_undo_is_the_scenes_in_the_view_and_the_librarys_in_the_library(qtbot, window, desk):
    composition = open_desk(qtbot, window, desk)
    library, panel = window.session.library, window.library_panel
    gone = library.import_mesh(corpus_file("meshes", "cube.glb"))
    panel.add_entry(gone)
    panel.delete([gone])
    composition.move(["p1"], (0.5, 0.0, 0.0))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.viewer.setFocus()
    undo = window.menu_actions["undo"]
    undo.trigger()
    assert composition.undo_label is None  # the move undone
    undo.trigger()  # nothing left in the scene: the library's delete stays deleted
    assert gone.id not in panel.model.rows
    panel.view.setFocus()
    qtbot.waitUntil(lambda: panel.isAncestorOf(QApplication.focusWidget()))
    undo.trigger()
    assert gone.id in panel.model.rows  # with the library's keyboard, its delete undone


def test_a_tile_dropped_outside_the_view_is_refused(qtbot, window, desk):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    composition = open_desk(qtbot, window, desk)
    duck = window.session.library.list()[0]
    model = window.library_panel.model
    window.library_panel.add_entry(duck)
    mime = model.mimeData([model.index(model.rows.index(duck.id))])
    over_library = window.library_panel.mapTo(window, window.library_panel.rect().center())
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    enter = QDragEnterEvent(over_library, *args)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()
    QApplication.sendEvent(window, QDropEvent(QPointF(over_library), *args))
    qtbot.wait(300)
    assert len(composition.doc.placements) == 3


def test_a_lighting_that_cannot_be_had_is_said_once_not_at_every_edit(
    qtbot, window, desk, monkeypatch
):
    import dataclasses

    said = []
    monkeypatch.setattr(window, "report_error", lambda error, title="": said.append(str(error)))
    window.requests.error.disconnect()
    window.requests.error.connect(window.report_error)
    broken = dataclasses.replace(scene_doc.load(desk), light=scene_doc.Light(file="gone.hdr"))
    scene_doc.save(broken, desk)
    composition = open_desk(qtbot, window, desk)
    qtbot.waitUntil(lambda: len(said) == 1, timeout=10000)
    for _ in range(5):  # a drag's moves
        composition.move(["p1"], (0.1, 0.0, 0.0), merge="drag")
    qtbot.wait(500)
    assert len(said) == 1 and "gone.hdr" in said[0]


def test_the_turntable_is_lit_as_the_view_is(qtbot, window, desk, tmp_path, monkeypatch):
    from aiml3d_desktop.gui import asset_controller
    from aiml3d_desktop.gui.widgets.turntable_dialog import TurntableDialog

    open_desk(qtbot, window, desk)
    monkeypatch.setattr(asset_controller, "TURNTABLE_FRAMES", 2)
    monkeypatch.setattr(asset_controller, "TURNTABLE_SIZE", (160, 120))

    def turntable(name: str) -> float:
        gif = tmp_path / name

        def accept(dialog) -> int:
            dialog.path.setText(str(gif))
            return TurntableDialog.DialogCode.Accepted

        monkeypatch.setattr(TurntableDialog, "exec", accept)
        window.menu_actions["turntable"].trigger()
        qtbot.waitUntil(gif.exists, timeout=30000)
        return float(np.asarray(Image.open(gif).convert("RGB")).astype(float).mean())

    bright = turntable("bright.gif")
    window.lookdev.change(exposure=-4.0)
    qtbot.waitUntil(lambda: window.viewer.lighting.exposure == -4.0)
    assert turntable("dark.gif") < bright - 3  # the view's exposure, not the studio's own


def shows(viewer, point, colour) -> bool:
    """Whether the view shows ``colour`` within two pixels of a scene point."""
    x, y = screen_point(viewer, point)
    ratio = viewer.devicePixelRatioF()
    rows = slice(round((y - 2) * ratio), round((y + 3) * ratio))
    columns = slice(round((x - 2) * ratio), round((x + 3) * ratio))
    patch = pixels(viewer)[rows, columns].reshape(-1, 3).astype(int)
    return bool((np.abs(patch - np.asarray(colour)).max(axis=1) < 30).any())


def test_handles_move_turn_and_scale_the_chosen_along_an_axis(qtbot, window, desk):
    """The gizmo: drawn over the chosen, the handle under the mouse lit, and each handle's
    drag one change along (or about) its own axis, snapped to the grid and the turn step."""
    from aiml3d_desktop.core.composition.handles import KNOB, RING, Handle
    from aiml3d_desktop.gui.scene_handles import LIT_COLOUR
    from aiml3d_desktop.gui.widgets.floor_item import AXIS_COLOURS

    lit = np.multiply(LIT_COLOUR[:3], 255)

    composition = open_desk(qtbot, window, desk)
    viewer, scenes = window.viewer, window.scenes
    scenes.panel.outliner.topLevelItem(0).setSelected(True)  # the red box
    handles = scenes.handles
    assert handles.gizmo is not None
    middle, size = handles.centre.copy(), handles.size()
    assert middle == pytest.approx(centre(window, "p1"))
    x, y, z = np.eye(3)
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    others = [p for p in composition.doc.placements[1:]]

    # The handles are drawn over the models: the up arrow shows inside the box. Hovering
    # an arrow lights it.
    green = np.multiply(AXIS_COLOURS["y"], 255)
    assert shows(viewer, middle + 0.3 * size * y, green)
    above = middle + 0.8 * size * y
    assert shows(viewer, above, green) and not shows(viewer, above, lit)
    mouse(viewer, "move", above, none)
    assert handles.lit == Handle("move", 1)
    assert shows(viewer, above, lit) and not shows(viewer, above, green)
    on_arrow = middle + 0.6 * size * x
    mouse(viewer, "move", on_arrow, none)
    assert handles.lit == Handle("move", 0)

    # Its drag moves the box along X only, in 0.1 m steps, as one change.
    start = composition.doc.placement("p1").position
    mouse(viewer, "press", on_arrow, left)
    for along in (0.1, 0.2, 0.33):
        mouse(viewer, "move", on_arrow + along * x + 0.2 * y, left)  # off the axis too
    mouse(viewer, "release", on_arrow + 0.33 * x, none)
    moved = np.subtract(composition.doc.placement("p1").position, start)
    assert moved == pytest.approx((0.3, 0.0, 0.0), abs=1e-9)
    assert composition.undo_label == "Move along X"
    assert list(composition.doc.placements[1:]) == others
    assert handles.centre == pytest.approx(middle + 0.3 * x)  # the handles came along
    composition.undo()
    assert composition.doc.placement("p1").position == start

    # The ring about up turns it about its centre, in 15 degree steps.
    middle = handles.centre.copy()
    on_ring = middle + RING * size * (x + z) / np.sqrt(2)  # 45 degrees
    mouse(viewer, "move", on_ring, none)
    assert handles.lit == Handle("turn", 1)
    mouse(viewer, "press", on_ring, left)
    a = np.radians(45.0 - 50.0)  # 50 degrees on, clockwise seen from above: snapped to -45
    later = middle + RING * size * np.array([np.sin(a), 0.0, np.cos(a)])
    mouse(viewer, "move", later, left)
    mouse(viewer, "release", later, none)
    turned = composition.doc.placement("p1")
    assert arrange.yaw(turned.rotation) == pytest.approx(-45.0)
    assert centre(window, "p1") == pytest.approx(middle, abs=1e-9)  # about its centre
    assert composition.undo_label == "Turn about Y"
    composition.undo()

    # The knob beyond the Z arrow scales it: pulled to 1.5 times as far, 1.5 times as big.
    knob = middle + KNOB * size * z
    mouse(viewer, "move", knob, none)
    assert handles.lit == Handle("scale", 2)
    mouse(viewer, "press", knob, left)
    mouse(viewer, "move", middle + 1.5 * KNOB * size * z, left)
    mouse(viewer, "release", middle + 1.5 * KNOB * size * z, none)
    assert composition.doc.placement("p1").scale == pytest.approx(1.5, abs=0.01)
    assert composition.undo_label == "Scale"
    composition.undo()

    # A click on a handle, or a nudge of a pixel or two, is no click in the view: the
    # chosen stay chosen (the duck behind, or the sky, is not picked in their place).
    tip = middle + 0.9 * size * y
    mouse(viewer, "move", tip, none)
    mouse(viewer, "press", tip, left)
    mouse(viewer, "release", tip, none)
    qtbot.wait(200)  # a click's pick runs on a worker
    assert scenes.chosen == ["p1"] and handles.gizmo is not None
    assert composition.undo_label is None  # nothing changed, nothing to undo

    # The arrow keys orbit the view: the handles keep their size on screen, redrawn.
    from PySide6.QtTest import QTest

    drawn = handles.gizmo
    viewer.setFocus()
    QTest.keyClick(viewer, Qt.Key.Key_Up)
    assert handles.gizmo is not drawn

    # Choosing nothing takes the handles away.
    scenes.panel.outliner.clearSelection()
    assert handles.gizmo is None and handles.centre is None

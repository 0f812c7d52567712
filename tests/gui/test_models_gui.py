"""Every AIML 3D model: the picker and its fields built from the registry, the four picture
slots of a multi-view model, a model the account lacks (the generation controller on a
session), Meshy's further files and Split into parts with a point picked on the model (the
real window), under Xvfb with real pixels."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtWidgets import QCheckBox, QComboBox, QFileDialog, QLineEdit, QSpinBox

from aiml3d_desktop.core.api import models
from aiml3d_desktop.core.generation import parts
from aiml3d_desktop.core.meshes import mesh
from tests.conftest import make_photo
from tests.gui.conftest import controller_idle, show_model, show_picture
from tests.gui.test_gui import drop_file, error_box, pixels, wait_idle

pytestmark = pytest.mark.gui


def pick_model(generation, model_id: str) -> None:
    """Of the parameters panel a GenerationController (or a window) has."""
    combo = generation.params.backend
    combo.setCurrentIndex(combo.findData(model_id))
    assert generation.params.model().id == model_id


def test_the_picker_offers_every_generator_and_builds_its_fields(qtbot, generation):
    params = generation.params
    combo = params.backend
    offered = [combo.itemData(i) for i in range(combo.count())]
    assert offered == [m.id for m in models.GENERATORS] + ["local"]
    assert "tencent/hunyuan-part" not in offered  # it splits a mesh: its own panel
    for model in models.GENERATORS:
        pick_model(generation, model.id)
        assert list(params.fields) == [p.name for p in model.params]
        for param in model.params:
            field = params.field(param.name)
            assert field.toolTip() == param.tip
            kind = {"bool": QCheckBox, "choice": QComboBox, "text": QLineEdit}
            if param.kind == "int":
                assert isinstance(field, QSpinBox)
                assert (field.minimum(), field.maximum()) == (param.low, param.high)
            else:
                assert isinstance(field, kind.get(param.kind, object))
        assert generation.views.isVisible() == (model.takes == models.VIEWS)
    # Values are kept per model while switching.
    pick_model(generation, "meshy/meshy-6-image-to-3d")
    params.field("target_polycount").setValue(5000)
    pick_model(generation, "triposr")
    pick_model(generation, "meshy/meshy-6-image-to-3d")
    assert params.params().values["target_polycount"] == 5000


def test_meshy_from_the_window_sends_the_fields_and_keeps_its_files(
    qtbot, window, fake_api, tmp_path, monkeypatch
):
    pick_model(window, "meshy/meshy-6-image-to-3d")
    window.params.field("topology").setCurrentIndex(1)  # quad
    window.params.field("enable_pbr").setChecked(True)
    window.params.field("texture_prompt").setText("worn brass")
    drop_file(window, make_photo(tmp_path / "lamp.png"))
    qtbot.waitUntil(lambda: window.image_panel.preview is not None, timeout=5000)
    window.generation.generate()
    wait_idle(qtbot, window)
    (call,) = fake_api.calls("api")
    body = {k: v for k, v in call.body.items() if k != "image_url"}
    assert body == {
        "model": "meshy/meshy-6-image-to-3d",
        "topology": "quad",
        "enable_pbr": True,
        "texture_prompt": "worn brass",
    }
    entry = window.entry
    assert entry.model == "meshy/meshy-6-image-to-3d" and len(entry.outputs) == 10
    assert window.conf.model == "meshy/meshy-6-image-to-3d"  # picked again next time
    qtbot.waitUntil(lambda: window.stats.text("Cost") == "US$0.40", timeout=5000)
    # Exported as it came, from the library's menu action.
    dest = tmp_path / "out.fbx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(dest), ""))
    window.library_panel.file_export_requested.emit([entry.output("fbx")])
    qtbot.waitUntil(dest.exists, timeout=5000)
    assert dest.read_bytes() == entry.output("fbx").read_bytes()


def test_four_slots_send_four_views(qtbot, generation, session, host, fake_api, tmp_path):
    views = generation.views
    pick_model(generation, "magic/image-to-3d")
    assert views.isVisible()
    show_picture(session, generation.params, make_photo(tmp_path / "front.png"))
    qtbot.waitUntil(lambda: "front" in views.previews, timeout=5000)
    left = make_photo(tmp_path / "left.png", size=(200, 300))
    views.wanted.emit("left", str(left))  # what Open… does once a file is chosen
    back = QMimeData()
    back.setUrls([QUrl.fromLocalFile(str(make_photo(tmp_path / "back.png")))])
    views.slots["back"]._take(back)  # a drop on the slot
    qtbot.waitUntil(lambda: set(views.previews) == {"front", "left", "back"}, timeout=5000)
    assert not views.slots["left"].thumb.icon().isNull()
    generation.generate()
    controller_idle(qtbot, generation)
    (call,) = fake_api.calls("api")
    assert sorted(call.body) == ["back_image_url", "front_image_url", "left_image_url", "model"]
    assert all(call.body[k].startswith("data:image/png") for k in call.body if k != "model")
    ((entry, _),) = generation.made
    assert entry.extra["views"] == {"left": str(left), "back": str(tmp_path / "back.png")}
    # A slot cleared is not sent; a drop of something that is not a picture says so.
    qtbot.mouseClick(views.slots["back"].clear_button, Qt.MouseButton.LeftButton)
    assert set(session.view_sources()) == {"left"}
    nothing = QMimeData()
    nothing.setText("just words")
    views.slots["right"]._take(nothing)
    assert "not a picture" in error_box(qtbot, host).text()


def test_a_model_the_account_lacks_says_so_and_the_app_carries_on(
    qtbot, generation, session, host, fake_api, tmp_path
):
    fake_api.unavailable.add("meshy/meshy-6-image-to-3d")
    pick_model(generation, "meshy/meshy-6-image-to-3d")
    show_picture(session, generation.params, make_photo(tmp_path / "p.png"))
    assert generation.picture.preview is not None
    generation.generate()
    box = error_box(qtbot, host)
    assert "may not have Meshy 6" in box.informativeText()
    box.close()
    controller_idle(qtbot, generation)
    pick_model(generation, "triposr")
    generation.generate()
    controller_idle(qtbot, generation)
    assert generation.made and generation.made[-1][0].model == "triposr"


def test_split_into_parts_with_a_picked_point(qtbot, window, fake_api, tmp_path, monkeypatch):
    drop_file(window, make_photo(tmp_path / "robot.png"))
    qtbot.waitUntil(lambda: window.image_panel.preview is not None, timeout=5000)
    window.generation.generate()
    wait_idle(qtbot, window)
    entry = window.entry
    panel = window.parts.panel
    assert panel.split_button.isEnabled() and not panel.problem.isVisible()
    qtbot.waitUntil(lambda: window.viewer.item.drawn, timeout=5000)
    # A click on the middle of the sphere picks a point on its near side.
    panel.pick_button.setChecked(True)
    viewer = window.viewer
    centre = viewer.rect().center()
    qtbot.mouseClick(viewer, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.waitUntil(lambda: panel.picked is not None, timeout=5000)
    hit = np.array(panel.picked)
    assert np.all(np.abs(hit) <= 1) and abs(np.linalg.norm(hit) - 1) < 0.1  # on the sphere
    panel.seed.setValue(11)
    qtbot.mouseClick(panel.split_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.entry is not None and window.entry.is_version, timeout=10000)
    wait_idle(qtbot, window)
    body = fake_api.calls("api")[-1].body
    assert body["model"] == "tencent/hunyuan-part" and body["seed"] == 11
    assert body["mesh_url"] == entry.extra["mesh_url"]
    assert [body[f"point_prompt_{a}"] for a in "xyz"] == list(hit)
    assert panel.parts.count() == 3 and panel.masks.count() == 3
    assert "best" in panel.masks.item(1).text() and "0.93" in panel.masks.item(1).text()
    assert "seed 11" in panel.target.text()
    qtbot.waitUntil(lambda: viewer.item.drawn, timeout=5000)
    colours = [tuple(int(c) for c in parts.PALETTE[i]) for i in range(3)]

    def present(rgb: np.ndarray, colour) -> bool:
        close = np.abs(rgb.astype(int) - colour).max(axis=2) < 60
        return close.mean() > 0.002

    rgb = pixels(viewer)
    assert all(present(rgb, c) for c in colours[:3]), "each part in its own colour"
    panel.parts.item(1).setCheckState(Qt.CheckState.Unchecked)  # hide part 2
    qtbot.waitUntil(lambda: not present(pixels(viewer), colours[1]), timeout=5000)
    assert present(pixels(viewer), colours[0])
    # Export one part.
    dest = tmp_path / "part1.stl"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(dest), ""))
    panel.parts.setCurrentRow(0)
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dest.exists, timeout=5000)
    assert mesh.load(dest).scene.triangles == 12
    # The original is untouched and still listed; the version is in the entry.
    assert window.library.get(entry.id).versions[0]["label"] == "Parts (3)"


def test_a_model_from_a_file_cannot_be_split_and_the_panel_says_why(
    qtbot, parts_tool, session, viewer, tmp_path
):
    from tests.fake_api import make_mesh

    path = tmp_path / "ball.glb"
    path.write_bytes(make_mesh().export(file_type="glb"))
    show_model(session, viewer, path)  # opened from a file: no library entry
    panel = parts_tool.panel
    assert panel.problem.isVisibleTo(panel) and "library" in panel.problem.text()
    assert not panel.split_button.isEnabled()


def test_an_entry_opened_shows_its_own_picture_not_the_one_before(qtbot, window, tmp_path):
    drop_file(window, make_photo(tmp_path / "robot.png", size=(300, 200)))
    qtbot.waitUntil(lambda: window.image_panel.preview is not None, timeout=5000)
    window.generation.generate()
    wait_idle(qtbot, window)
    entry = window.entry
    drop_file(window, make_photo(tmp_path / "chair.png", size=(200, 320)))
    qtbot.waitUntil(lambda: "chair" in window.image_panel.preview.source, timeout=5000)
    window.open_entry(entry)
    qtbot.waitUntil(lambda: window.loaded is not None and window.entry is entry, timeout=5000)
    wait_idle(qtbot, window)
    assert window.image_panel.preview.source == str(entry.source_path)
    assert window.image_panel.preview.size == (300, 200)


def test_views_follow_the_framing_and_come_back_with_their_entry(qtbot, window, tmp_path):
    pick_model(window, "magic/image-to-3d")
    drop_file(window, make_photo(tmp_path / "front.png"))
    left = make_photo(tmp_path / "left.png", size=(400, 200))
    window.views.wanted.emit("left", str(left))
    qtbot.waitUntil(lambda: "left" in window.views.previews, timeout=5000)
    assert window.views.previews["left"].prepared is not None  # framed, as sent
    window.params.prepare.click()  # framing off: the view too is shown as it will be sent
    qtbot.waitUntil(lambda: window.views.previews["left"].prepared is None, timeout=5000)
    window.generation.generate()
    wait_idle(qtbot, window)
    made = window.entry
    window.views.slots["left"].clear_button.click()
    assert window.session.view_sources() == {}
    window.open_entry(made)
    kept = str(made.folder / "view-left.png")  # the entry keeps its own copy of each view
    qtbot.waitUntil(lambda: window.session.view_sources() == {"left": kept}, timeout=5000)
    assert (made.folder / "view-left.png").read_bytes() == left.read_bytes()


def test_the_missing_views_are_drawn_marked_and_kept(
    qtbot, window, fake_api, tmp_path, monkeypatch
):
    """One photo: *Draw the missing views* has the editing model draw left, back and right
    from the front (its cost asked first when unknown), each slot marked as drawn with ↻ to
    draw it again; a photo given in a slot's place is not drawn; the model made from them
    keeps the drawn views, and they come back, marked, with its entry."""
    import io

    from PIL import Image
    from PySide6.QtWidgets import QMessageBox

    from tests.fake_api import EDIT_MODELS

    asked = []
    yes = QMessageBox.StandardButton.Yes
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[1]) or yes)
    for side, colour in (("left", "firebrick"), ("back", "seagreen"), ("right", "navy")):
        drawn = io.BytesIO()
        Image.new("RGB", (200, 200), colour).save(drawn, "PNG")
        fake_api.drawn[side] = drawn.getvalue()
    pick_model(window, "magic/image-to-3d")
    drop_file(window, make_photo(tmp_path / "front.png"))
    views = window.views
    qtbot.waitUntil(lambda: views.draw_button.isEnabled(), timeout=5000)
    views.draw_button.click()  # (in the scrolled side panel: perhaps not on screen)
    qtbot.waitUntil(lambda: len(views.previews) == 4, timeout=10000)
    assert asked == ["Draw the missing views?"]
    assert [c.body["model"] for c in fake_api.calls("api")] == [EDIT_MODELS[0]] * 3
    assert views.slots["back"].title.text() == "Back · drawn"
    for side in ("left", "back", "right"):  # each slot shows what was drawn for its side
        assert views.previews[side].rgba[100, 100, :3].tolist() == list(
            Image.open(io.BytesIO(fake_api.drawn[side])).convert("RGB").getpixel((100, 100))
        )
    assert not views.slots["back"].again_button.isHidden()
    assert not views.draw_button.isEnabled()
    # ↻ draws the back again, with a new seed.
    views.slots["back"].again_button.click()
    qtbot.waitUntil(lambda: len(fake_api.calls("api")) == 4, timeout=10000)
    qtbot.waitUntil(lambda: not window.generation._drawing_views, timeout=10000)
    seeds = [c.body["seed"] for c in fake_api.calls("api") if "behind" in c.body["prompt"]]
    assert len(seeds) == 2 and seeds[0] != seeds[1]
    # A photo in the right's place is not drawn.
    right = make_photo(tmp_path / "right-photo.png")
    views.wanted.emit("right", str(right))
    qtbot.waitUntil(lambda: views.previews["right"].source == str(right), timeout=5000)
    assert views.slots["right"].title.text() == "Right"
    assert views.slots["left"].title.text() == "Left · drawn"
    window.generation.generate()
    wait_idle(qtbot, window)
    made = window.entry
    assert sorted(made.extra["drawn_views"]) == ["back", "left"]
    assert made.extra["view_files"] == {s: f"view-{s}.png" for s in ("left", "back", "right")}
    assert (made.folder / "view-right.png").read_bytes() == right.read_bytes()
    assert (made.folder / "view-back.png").read_bytes() == fake_api.drawn["back"]
    # Opened again: the drawn views come back marked.
    for view in ("left", "back", "right"):
        views.slots[view].clear_button.click()
    window.open_entry(made)
    qtbot.waitUntil(lambda: len(window.session.view_sources()) == 3, timeout=5000)
    assert views.slots["left"].title.text() == "Left · drawn"
    assert views.slots["right"].title.text() == "Right"


def test_views_drawn_for_a_picture_since_replaced_are_not_used(
    qtbot, window, fake_api, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox

    yes = QMessageBox.StandardButton.Yes
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: yes)
    fake_api.model_seconds = {"google/nano-banana-edit": 0.5}
    pick_model(window, "magic/image-to-3d")
    drop_file(window, make_photo(tmp_path / "first.png"))
    views = window.views
    qtbot.waitUntil(lambda: views.draw_button.isEnabled(), timeout=5000)
    views.draw_button.click()
    drop_file(window, make_photo(tmp_path / "second.png", size=(300, 200)))  # meanwhile
    qtbot.waitUntil(lambda: not window.generation._drawing_views, timeout=10000)
    assert set(views.previews) == {"front"} and window.session.view_sources() == {}
    assert "for the picture before" in window.status.label.text()

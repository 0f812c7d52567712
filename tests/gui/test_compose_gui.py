"""A scene from a sentence in the real window (issue 30), against the fake API: the plan shown,
edited, checked and priced before anything is paid; the scene of labelled stand-in boxes
opened at once; each model put in as it is made (one step to undo), the scene saved; a
failed object stays a box that *Make the boxes* makes afterwards."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from aiml3d_desktop.core.composition import document as scene_doc


@pytest.fixture
def asked(monkeypatch):
    """The questions the window asks before spending (unknown costs ask), each answered Yes."""
    titles: list[str] = []

    def answer(parent, title, text, *args):
        if title == "The scene is not saved":  # closing after an undo: let it go
            return QMessageBox.StandardButton.Discard
        titles.append(title)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    return titles


def plan_in_dialog(qtbot, window, sentence="A writing desk with a brass lamp"):
    window.compose.open_dialog()
    dialog = window.compose.dialog
    dialog.sentence.setText(sentence)
    qtbot.mouseClick(dialog.plan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=10000)
    return dialog


def stand_ins(window) -> list[str]:
    doc = window.session.composition.doc
    return [p.name for p in doc.placements if p.source.stand_in is not None]


def pale_share(window) -> float:
    """Of the view's pixels, those of the stand-in boxes' pale see-through grey-blue (the
    background and the floor are dark)."""
    image = window.viewer.grabFramebuffer().convertToFormat(
        window.viewer.grabFramebuffer().Format.Format_RGB888
    )
    pixels = np.frombuffer(image.constBits(), np.uint8)[: image.width() * image.height() * 3]
    rgb = pixels.reshape(-1, 3).astype(int)
    return float(((rgb.min(axis=1) > 110) & (rgb[:, 2] >= rgb[:, 0])).mean())


def test_a_sentence_becomes_a_scene_made_in_the_window(qtbot, window, fake_api, asked):
    fake_api.model_seconds = {"triposr": 1.0}
    dialog = plan_in_dialog(qtbot, window)
    assert [c.body["model"] for c in fake_api.calls("api")] == ["openai/gpt-4o"]
    assert asked == ["Plan this scene?"]  # the planner's cost is not known yet: asked first
    assert "2 pictures and 2 3D models" in dialog.cost.text()
    assert [p.name for p in dialog.sketch.placed] == ["desk", "lamp"]

    # Edits are placed and priced again at once; one that cannot be placed says why.
    dialog.table.cellWidget(1, 4).setValue(2)  # two lamps
    assert [p.name for p in dialog.sketch.placed] == ["desk", "lamp", "lamp 2"]
    dialog.table.cellWidget(0, 1).setValue(5.0)  # a desk wider than the 3 m room
    assert "room" in dialog.problem.text() and not dialog.make_button.isEnabled()
    dialog.table.cellWidget(0, 1).setValue(1.2)
    dialog.table.cellWidget(1, 4).setValue(1)
    assert dialog.make_button.isEnabled() and "room" not in dialog.problem.text()
    assert len(fake_api.calls("api")) == 1  # nothing made before Make the scene

    qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.scenes.entry is not None, timeout=10000)
    assert asked[-1] == "Make this scene?"
    qtbot.waitUntil(lambda: len(window.viewer.labels) == 2, timeout=5000)
    assert sorted(text for _, text in window.viewer.labels) == ["desk", "lamp"]
    qtbot.wait(200)
    assert pale_share(window) > 0.1  # the boxes, drawn
    assert "being made" in window.scenes.panel.making.text()

    qtbot.waitUntil(lambda: not stand_ins(window), timeout=30000)
    qtbot.waitUntil(lambda: not window.batch.active, timeout=5000)
    assert window.viewer.labels == []
    composition = window.session.composition
    assert not composition.modified  # saved as each model came
    saved = scene_doc.load(window.scenes.entry.mesh_path)
    entries = {e.id: e for e in window.library.list()}
    made = [entries[p.source.entry] for p in saved.placements]
    assert sorted(e.source_kind for e in entries.values()) == ["prompt", "prompt", "scene"]
    assert {e.title for e in made} == {
        "a wooden desk on a white background",
        "a brass desk lamp on a white background",
    }
    models = window.scenes.models
    from aiml3d_desktop.core.composition import arrange

    desk, lamp = (
        arrange.world_box(p, models[p.source.key].outline) for p in composition.doc.placements
    )
    assert 0.2 < lamp[0, 1] <= desk[1, 1] + 1e-6  # on the desk as made
    # Undo takes the last model out again: its box is back, named in the view.
    label = composition.undo_label
    assert label.startswith("Put in the ")
    composition.undo()
    assert stand_ins(window) == [label.removeprefix("Put in the ")]
    assert [text for _, text in window.viewer.labels] == stand_ins(window)


def test_a_failed_object_stays_a_box_and_is_made_from_the_scene_tab(qtbot, window, fake_api, asked):
    dialog = plan_in_dialog(qtbot, window)
    fake_api.queue("404")  # the first picture asked for after the plan
    qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.scenes.entry is not None, timeout=10000)
    qtbot.waitUntil(lambda: not window.batch.active and len(stand_ins(window)) == 1, timeout=20000)
    panel = window.scenes.panel
    assert panel.making.text() == "1 box stands in for models not made"
    assert panel.making_button.text() == "Make the boxes"
    failed = [i for i in window.batch.queue.items() if i.status == "failed"]
    assert len(failed) == 1 and failed[0].scene["entry"] == window.scenes.entry.id
    qtbot.mouseClick(panel.making_button, Qt.MouseButton.LeftButton)
    assert asked[-1] != "Make the boxes?"  # its cost is known now: within the limits
    qtbot.waitUntil(lambda: not stand_ins(window), timeout=20000)
    assert not panel.making.isVisible()
    saved = json.loads(window.scenes.entry.mesh_path.read_text())
    assert all("entry" in p["source"] for p in saved["placements"])


def make_desk_scene(qtbot, window, asked, picks=None):
    dialog = plan_in_dialog(qtbot, window)
    for name, entry in (picks or {}).items():
        dialog.pick(name, entry.id, entry.title)
    qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.scenes.entry is not None, timeout=10000)
    qtbot.waitUntil(lambda: not stand_ins(window) and not window.batch.active, timeout=30000)
    return dialog


def test_an_object_from_the_library_costs_nothing_and_is_in_place_at_once(
    qtbot, window, fake_api, asked, monkeypatch
):
    from PySide6.QtWidgets import QInputDialog

    from tests.conftest import corpus_file

    duck = window.library.import_mesh(corpus_file("meshes/Duck.glb"), "Duck")
    dialog = plan_in_dialog(qtbot, window)
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: (a[3][0], True))
    dialog.table.cellWidget(0, 5).click()  # the desk: use a library model
    assert dialog.picks == {"desk": (duck.id, "Duck")}
    assert dialog.table.cellWidget(0, 5).text() == "Library: Duck"
    assert "1 pictures and 1 3D models" in dialog.cost.text() and "1 from the library" in (
        dialog.cost.text()
    )
    qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.scenes.entry is not None, timeout=10000)
    desk = next(p for p in window.session.composition.doc.placements if p.name == "desk")
    assert desk.source.entry == duck.id  # in place before anything is made
    qtbot.waitUntil(lambda: not stand_ins(window) and not window.batch.active, timeout=30000)
    drawn = [c.body.get("prompt", "") for c in fake_api.calls("api")]
    assert not any("wooden desk" in p for p in drawn)  # no picture of the desk was paid for


def test_stop_making_cancels_every_model_of_the_scene(qtbot, window, fake_api, asked):
    fake_api.model_seconds = {"triposr": 30.0}
    dialog = plan_in_dialog(qtbot, window)
    qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.scenes.entry is not None, timeout=10000)
    panel = window.scenes.panel
    qtbot.waitUntil(lambda: panel.making_button.text() == "Stop making", timeout=5000)
    qtbot.mouseClick(panel.making_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.batch.active, timeout=20000)
    assert {i.status for i in window.batch.queue.items()} == {"cancelled"}
    assert sorted(stand_ins(window)) == ["desk", "lamp"]  # boxes still, to make later
    qtbot.waitUntil(lambda: panel.making_button.text() == "Make the boxes", timeout=5000)


def test_look_again_applies_the_corrections_twice_at_most(qtbot, window, fake_api, asked):
    from tests.fake_api import CHAT, DEFAULT_PLAN

    make_desk_scene(qtbot, window, asked)
    panel = window.scenes.panel
    assert panel.look_button.isVisible() and panel.look_button.isEnabled()
    composition = window.session.composition
    lamp = next(p for p in composition.doc.placements if p.name == "lamp")
    corrected = json.loads(json.dumps(DEFAULT_PLAN))
    corrected["objects"][1].update(width=0.4, depth=0.4, height=0.9)
    again = json.loads(json.dumps(corrected))
    again["objects"][0]["depth"] = 0.5  # the second round: the desk a little smaller
    fake_api.plans.extend([corrected, again])
    for round_ in (1, 2):
        qtbot.mouseClick(panel.look_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda r=round_: composition.undo_label == f"Look again ({r} of 2)", timeout=10000
        )
    sent = [r.body for r in fake_api.calls("api") if r.path == CHAT][-1]
    picture = sent["messages"][1]["content"][1]["image_url"]["url"]
    assert picture.startswith("data:image/png;base64,") and len(picture) > 10_000
    after = next(p for p in composition.doc.placements if p.name == "lamp")
    assert after.scale == pytest.approx(2 * lamp.scale, rel=1e-6)  # fitted to its new size
    assert not panel.look_button.isEnabled() and panel.look_button.text() == "Looked twice"
    composition.undo()  # the second round taken back: the first is still there
    assert next(p for p in composition.doc.placements if p.name == "lamp").scale == (
        pytest.approx(after.scale)
    )
    composition.undo()
    assert next(p for p in composition.doc.placements if p.name == "lamp") == lamp


def test_a_slow_planner_leaves_the_window_free_and_a_bad_one_is_one_message(
    qtbot, window, fake_api, asked
):
    from PySide6.QtWidgets import QMessageBox as Box

    fake_api.chat_seconds = 1.5
    window.compose.open_dialog()
    dialog = window.compose.dialog
    dialog.sentence.setText("a desk")
    qtbot.mouseClick(dialog.plan_button, Qt.MouseButton.LeftButton)
    assert not dialog.plan_button.isEnabled() and "Planning the scene" in dialog.planning.text()
    ticks = []
    for _ in range(5):  # the GUI thread answers while the planner thinks
        qtbot.wait(100)
        ticks.append(dialog.plan is None)
    assert all(ticks)
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=10000)
    assert dialog.plan_button.isEnabled()

    fake_api.chat_seconds = 0
    fake_api.plans.extend(["refusal", '{"room": {"width": NaN}}'])
    qtbot.mouseClick(dialog.plan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.plan_button.isEnabled(), timeout=10000)
    boxes = [w for w in window.findChildren(Box) if w.objectName() == "errorBox"]
    assert boxes and boxes[-1].windowTitle() == "The scene was not planned"
    assert "gave no answer that could be used" in boxes[-1].text()
    assert [o.name for o in dialog.plan.objects] == ["desk", "lamp"]  # the plan before stays


def test_models_made_while_another_scene_is_shown_go_into_their_own_scene(
    qtbot, window, fake_api, asked
):
    fake_api.model_seconds = {"triposr": 1.0}
    dialog = plan_in_dialog(qtbot, window)
    qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.scenes.entry is not None, timeout=10000)
    scene = window.scenes.entry
    window.scenes.new_scene()  # the user goes on with something else
    assert window.scenes.entry is None

    def delivered() -> bool:
        saved = json.loads(scene.mesh_path.read_text())
        return all("entry" in p["source"] for p in saved["placements"])

    qtbot.waitUntil(delivered, timeout=20000)
    assert window.session.composition.doc.placements == ()  # the new scene is untouched


def test_without_a_key_planning_is_one_message_after_the_key_is_looked_up(
    qtbot, window, fake_api, asked, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox as Box

    monkeypatch.delenv("AIMLAPI_KEY")  # and the keychain (the tests' own) has none
    window.compose.open_dialog()
    dialog = window.compose.dialog
    dialog.sentence.setText("a desk")
    qtbot.mouseClick(dialog.plan_button, Qt.MouseButton.LeftButton)

    def said() -> list[str]:
        return [w.text() for w in window.findChildren(Box) if w.objectName() == "errorBox"]

    qtbot.waitUntil(lambda: bool(said()), timeout=5000)
    assert "No AIML API key is set" in said()[-1]
    assert fake_api.calls("api") == [] and asked == []  # nothing asked, nothing sent

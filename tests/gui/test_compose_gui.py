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

"""A composed scene opened in the real window (issue 29): read on a worker, shown in the
viewer in place of any model (each model uploaded once), named in the title, counted in the
statistics; a model opened next replaces it. Real OpenGL pixels."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

from aiml3d_desktop.core.composition import assemble, history
from aiml3d_desktop.core.composition import document as scene_doc
from aiml3d_desktop.core.composition.document import Source
from tests.conftest import corpus_file
from tests.gui.test_gui import pixels

pytestmark = pytest.mark.gui


@pytest.fixture
def desk(tmp_path, window):
    """A scene of a red box, and a library entry (the corpus duck) placed twice."""
    box = trimesh.creation.box((0.6, 0.6, 0.6))
    box.visual.vertex_colors = [220, 30, 30, 255]
    box.export(tmp_path / "box.glb")
    entry = window.session.library.import_mesh(corpus_file("meshes", "Duck.glb"))
    composition = history.Composition(scene_doc.SceneDoc(name="Desk"))
    duck = Source(entry=entry.id)
    ids = composition.add([(Source(file="box.glb"), "Box"), (duck, "Duck"), (duck, "Duck")])
    models = assemble.read_models(composition.doc, tmp_path, window.session.library)
    composition.arrange(ids, "row", 0.3, {k: m.outline for k, m in models.items()})
    path = tmp_path / "desk.json"
    scene_doc.save(composition.doc, path)
    return path


def test_a_scene_opens_in_the_window_and_a_model_replaces_it(qtbot, window, desk, tmp_path):
    window.open_path(str(desk))
    qtbot.waitUntil(lambda: window.session.composition is not None, timeout=10000)
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
    shown = window.viewer.scene
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"format": "aiml3d-scene", "version": 1, "placements": 5}))
    window.open_path(str(broken))
    said = "broken.json: its placements are not a list"
    qtbot.waitUntil(lambda: said in window.status.label.text(), timeout=10000)
    assert window.viewer.scene is shown
    assert np.isfinite(shown.bounds).all()

"""A composed scene drawn with each model uploaded once and drawn per placement (issue 29,
item 3): the same pixels as the placements flattened into one mesh, turned, scaled and
shadowed; a model placed three times is one set of buffers. Real OpenGL pixels."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from PySide6.QtGui import QColor

from aiml3d_desktop.core.composition import assemble, history
from aiml3d_desktop.core.composition.document import Source
from aiml3d_desktop.core.look.lighting import Lighting
from tests.gui.test_renderer import rgb_of

SIZE = 200
CAMERA = {"center": (0, 0.5, 0), "distance": 7.0, "azimuth": -70.0, "elevation": 30.0}


@pytest.fixture(scope="module")
def composed(qapp, tmp_path_factory):
    folder = tmp_path_factory.mktemp("scene")
    box = trimesh.creation.box((1.0, 1.0, 1.0))
    box.visual.vertex_colors = [220, 30, 30, 255]
    box.export(folder / "box.glb")
    cone = trimesh.creation.cone(0.5, 1.2, sections=24)
    cone.visual.vertex_colors = [30, 60, 220, 255]
    cone.export(folder / "cone.glb")
    composition = history.Composition()
    box_source, cone_source = Source(file="box.glb"), Source(file="cone.glb")
    ids = composition.add([(box_source, "Box"), (cone_source, "Cone")] + [(box_source, "Box")] * 2)
    models = assemble.read_models(composition.doc, folder)
    outlines = {key: model.outline for key, model in models.items()}
    composition.turn(ids[2:], 30)
    composition.transform(ids[3], scale=0.6)
    composition.arrange(ids, "row", 0.4, outlines)
    return composition.doc, models


def picture(renderer, scene, mode: str) -> np.ndarray:
    viewer = renderer.viewer
    viewer.set_shading(mode)
    (image,) = renderer.render(scene, (), SIZE, "y", QColor(120, 120, 120), camera=CAMERA)
    return rgb_of(image, SIZE)


@pytest.mark.parametrize("mode", ["flat", "studio"])
def test_placements_draw_as_the_flattened_scene_does(composed, mode):
    from aiml3d_desktop.gui.widgets.offscreen import OffscreenRenderer

    doc, models = composed
    renderer = OffscreenRenderer()
    renderer.viewer.set_lighting(Lighting(preset="outdoor"))
    renderer.viewer.set_shadow_visible(True)
    instanced = assemble.drawable(doc, models)
    assert len(instanced.primitives) == 2 and len(instanced.instances) == 4
    drawn = picture(renderer, instanced, mode)
    flat = picture(renderer, assemble.flattened(doc, models), mode)
    renderer.close()
    red = (drawn[..., 0] > 150) & (drawn[..., 1] < 90)
    blue = (drawn[..., 2] > 150) & (drawn[..., 0] < 90)
    assert red.sum() > 500 and blue.sum() > 200  # the outlines and the cone
    differ = np.abs(drawn - flat).sum(axis=2) > 24
    assert differ.mean() < 0.002  # the same picture, but for a few edge pixels


def test_a_model_placed_three_times_is_uploaded_once(composed):
    from aiml3d_desktop.gui.widgets.offscreen import OffscreenRenderer

    doc, models = composed
    renderer = OffscreenRenderer()
    scene = assemble.drawable(doc, models)
    captured = {}
    original = renderer.viewer.item._upload

    def upload():
        original()
        captured["buffers"] = len(renderer.viewer.item._buffers)

    renderer.viewer.item._upload = upload
    picture(renderer, scene, "flat")
    renderer.close()
    assert captured["buffers"] == 2  # a box and a cone, for four placements
    low, high = scene.bounds
    assert low[1] == pytest.approx(0, abs=1e-5)  # all rest on the ground
    assert scene.triangles == 3 * 12 + len(trimesh.creation.cone(0.5, 1.2, sections=24).faces)

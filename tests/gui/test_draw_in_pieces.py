"""A big mesh drawn in pieces on a software rasteriser (scene_item.PIECE: llvmpipe bins a
whole draw in memory, 220 MB at 1.37M triangles) gives the very same pixels as one draw:
the model, its sun shadow and its wireframe. Real OpenGL pixels from the off-screen renderer."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from PySide6.QtGui import QColor

from aiml3d_desktop.core.look.lighting import Lighting
from aiml3d_desktop.core.meshes import mesh
from aiml3d_desktop.gui.widgets import scene_item
from aiml3d_desktop.gui.widgets.viewer import SUN_SHADOW, software_gl
from tests.gui.test_renderer import rgb_of

SIZE = 160


@pytest.fixture(scope="module")
def ball(qapp, tmp_path_factory):
    """A vertex-coloured ball of 81,920 triangles (five pieces), resting on the floor."""
    sphere = trimesh.creation.icosphere(6)
    sphere.apply_translation((0, 1.0, 0))
    colours = np.clip((sphere.vertices + 1) * 127, 0, 255).astype(np.uint8)
    sphere.visual.vertex_colors = np.column_stack([colours, np.full(len(colours), 255)])
    path = tmp_path_factory.mktemp("ball") / "ball.glb"
    path.write_bytes(sphere.export(file_type="glb"))
    scene = mesh.load(path).scene.prepare()
    assert scene.triangles * 3 > 4 * scene_item.PIECE
    return scene


def draw(renderer, scene, in_pieces: bool | None = None) -> np.ndarray:
    """A picture, drawn in pieces or not (None: as the view chose)."""
    if in_pieces is not None:
        renderer.viewer.item.in_pieces = in_pieces
    camera = {"center": (0, 0.8, 0), "distance": 5.0, "azimuth": -60.0, "elevation": 35.0}
    (image,) = renderer.render(scene, (), SIZE, "y", QColor(120, 120, 120), camera=camera)
    return rgb_of(image, SIZE)


@pytest.mark.parametrize("wireframe", [False, True], ids=["faces", "wireframe"])
def test_pieces_draw_the_same_pixels_as_one_draw(qapp, ball, wireframe):
    from aiml3d_desktop.gui.widgets.offscreen import OffscreenRenderer

    renderer = OffscreenRenderer()
    viewer = renderer.viewer
    viewer.set_lighting(Lighting(preset="outdoor"))
    viewer.set_shadow_visible(True)
    viewer.set_wireframe(wireframe)
    draw(renderer, ball, in_pieces=False)  # the first picture makes the context (and sets it)
    whole = draw(renderer, ball, in_pieces=False)
    pieces = draw(renderer, ball, in_pieces=True)
    grey = np.ptp(whole, axis=2) < 6
    assert (~grey).mean() > 0.1  # the coloured ball is there ...
    assert (grey & (whole[..., 0] < 120 - 15)).any()  # ... and its shadow on the floor
    assert viewer.item.sun_shadow == SUN_SHADOW
    assert np.array_equal(whole, pieces)
    renderer.close()


def test_software_opengl_draws_in_pieces_and_keeps_no_upload_copy(qapp, ball):
    from aiml3d_desktop.gui.widgets.offscreen import OffscreenRenderer

    renderer = OffscreenRenderer()
    first = draw(renderer, ball)
    assert renderer.viewer.item.in_pieces == software_gl()
    arrays = ball.primitives[0].arrays
    # The GPU holds the interleaved vertices; the copy made for the upload is gone ...
    assert "interleaved" not in arrays.__dict__
    renderer.close()
    # ... and made again when another view (a new context) uploads the same scene.
    again = OffscreenRenderer()
    assert np.array_equal(draw(again, ball), first)
    again.close()

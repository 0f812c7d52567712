"""The scene outline (hide and show a primitive, a material's values) and the texture view
(the UV layout drawn over a texture), on a GLB built here: the outline's controller on a
session and a real 3D view, and once in the real window."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from aiml3d_desktop.core.meshes.scene import single
from aiml3d_desktop.gui.widgets.texture_view import LINE, MAX_TRIANGLES, layout_edges
from tests.gui.conftest import show_model
from tests.scene_files import glb, picture, quad

GREEN = (0, 200, 0, 255)
UV = [[0.25, 0.75], [0.75, 0.75], [0.75, 0.25], [0.25, 0.25]]  # a square in the middle


def two_quads() -> bytes:
    """A plain red quad on the left, a green-textured one on the right."""
    red = {**quad(centre=(-1.2, 0, 0)), "material": 0}
    textured = {**quad(centre=(1.2, 0, 0)), "uvs": UV, "material": 1}
    materials = [
        {
            "name": "Red",
            "pbrMetallicRoughness": {"baseColorFactor": [1, 0, 0, 1], "metallicFactor": 0},
        },
        {
            "name": "Painted",
            "pbrMetallicRoughness": {
                "baseColorTexture": {"index": 0},
                "metallicFactor": 0.25,
                "roughnessFactor": 0.5,
            },
            "alphaMode": "MASK",
        },
    ]
    texture = np.zeros((64, 64, 4), np.uint8) + np.array(GREEN, np.uint8)
    return glb([red, textured], materials, pictures=[picture(texture)])


@pytest.fixture
def opened(outline, session, viewer, qtbot, tmp_path):
    """Two quads on screen, the outline in view listing them."""
    path = tmp_path / "two.glb"
    path.write_bytes(two_quads())
    show_model(session, viewer, path)
    outline.show_outline()
    qtbot.waitUntil(lambda: outline.panel.scene is session.loaded.scene, timeout=5000)
    return outline


def test_the_window_outline_lists_the_model_opened(window, qtbot, tmp_path):
    path = tmp_path / "two.glb"
    path.write_bytes(two_quads())
    window.open_path(str(path))
    qtbot.waitUntil(lambda: window.loaded is not None and window.loaded.path == path, timeout=10000)
    window.outline.show_outline()
    qtbot.waitUntil(lambda: window.outline.panel.scene is window.loaded.scene, timeout=5000)
    assert window.outline_dock.isVisible()
    rows = window.outline.panel.primitive_rows()
    assert [r.text(1) for r in rows] == ["Red", "Painted"]
    rows[1].setCheckState(0, Qt.CheckState.Unchecked)
    assert window.viewer.item.hidden == {1}


def _rgb(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(int)


def test_outline_lists_parts_and_hides_one(opened, viewer, qtbot):
    """Judged by what changes on screen (not by colour: the shading is another test's)."""
    panel = opened.panel
    rows = panel.primitive_rows()
    assert [r.text(1) for r in rows] == ["Red", "Painted"]

    def frame() -> np.ndarray:
        return _rgb(viewer.grabFramebuffer())

    def changed(a: np.ndarray, b: np.ndarray) -> tuple[int, int]:
        """Pixels changed in the left and the right half."""
        moved = np.abs(a - b).sum(axis=2) > 30
        middle = moved.shape[1] // 2
        return int(moved[:, :middle].sum()), int(moved[:, middle:].sum())

    before = frame()
    rows[1].setCheckState(0, Qt.CheckState.Unchecked)
    assert viewer.item.hidden == {1}
    left, right = changed(before, frame())
    assert right > 5000 and left < right / 20  # the right-hand quad went; the left stayed
    panel.show_all.click()
    assert viewer.item.hidden == frozenset()
    assert changed(before, frame()) == (0, 0)
    rows[0].setCheckState(0, Qt.CheckState.Unchecked)
    left, right = changed(before, frame())
    assert left > 5000 and right < left / 20


def test_selecting_a_part_shows_its_material(opened):
    panel = opened.panel
    panel.tree.setCurrentItem(panel.primitive_rows()[1])
    text = panel.details.text()
    assert "Painted" in text and "metallic 0.25" in text and "roughness 0.50" in text
    assert "alpha MASK" in text and "base colour (64×64)" in text
    assert "base colour (1.00, 1.00, 1.00, 1.00)" in text


def test_hidden_again_after_a_preview_of_another_scene(opened, session, viewer, qtbot):
    """Prepare asset shows its preview, then the original again: what was hidden stays so."""
    opened.panel.primitive_rows()[1].setCheckState(0, Qt.CheckState.Unchecked)
    original = session.loaded.scene
    viewer.show_scene(single(original.primitives[0].arrays))  # as a preview does
    assert viewer.item.hidden == frozenset()
    viewer.show_scene(original)
    qtbot.waitUntil(lambda: viewer.item.hidden == {1}, timeout=5000)


def test_a_new_model_shows_every_part_again(opened, session, viewer, qtbot, tmp_path):
    opened.panel.primitive_rows()[0].setCheckState(0, Qt.CheckState.Unchecked)
    assert viewer.item.hidden == {0}
    path = tmp_path / "again.glb"
    path.write_bytes(two_quads())
    show_model(session, viewer, path)
    assert session.loaded.path == path
    assert viewer.item.hidden == frozenset()
    qtbot.waitUntil(lambda: opened.panel.scene is session.loaded.scene, timeout=5000)
    assert opened.panel.hidden() == set()


def test_texture_view_draws_the_uv_layout_over_the_texture(opened, ui, qtbot):
    panel = opened.panel
    panel.tree.setCurrentItem(panel.primitive_rows()[1])
    panel.texture_button.click()
    view = opened.texture_view
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: len(view.canvas.edges) > 0, timeout=5000)  # worked out on a worker
    pixels = _rgb(view.image)
    size = pixels.shape[0]
    assert pixels.shape == (64, 64, 3)
    line, green = np.array(LINE), np.array(GREEN[:3])

    def is_line(y: float, x: float) -> bool:
        """A line pixel at or next to the point (in 0..1 of the picture)."""
        y, x = round(y * size - 0.5), round(x * size - 0.5)
        return bool((pixels[y - 1 : y + 2, x - 1 : x + 2] == line).all(axis=2).any())

    # Along the square's edges, every pixel, and along its diagonal.
    for t in np.linspace(0.26, 0.74, 200):
        assert is_line(0.75, t) and is_line(0.25, t) and is_line(t, 0.25) and is_line(t, 0.75)
        assert is_line(1 - t, t)
    # The texture shows away from the edges: outside the square, and inside it.
    for y, x in ((0.1, 0.1), (0.9, 0.9), (0.45, 0.45), (0.62, 0.62), (0.3, 0.5)):
        assert (pixels[round(y * size), round(x * size)] == green).all(), (y, x)
    assert (pixels == line).all(axis=2).mean() < 0.05
    assert "UV layout of 2 triangles" in view.note.text()
    # Drawn on screen too: magenta and green in the dialog.
    shown = _rgb(view.grab().toImage())
    assert ((shown == line).all(axis=2)).sum() > 50
    assert ((np.abs(shown - green).sum(axis=2)) < 10).sum() > 1000
    view.layout_box.setChecked(False)
    assert not (_rgb(view.image) == line).all(axis=2).any()
    view.grab().save(str(ui.fileName()) + ".texture.png")


def test_layout_edges_are_capped(opened, session):
    scene = session.loaded.scene
    edges, total = layout_edges(scene, 0, cap=1)
    assert total == 2 and len(edges) == 3  # one triangle drawn of two
    assert MAX_TRIANGLES == 200_000

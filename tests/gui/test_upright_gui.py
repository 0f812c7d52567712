"""Stand upright (issue 26, item 3): the Prepare asset panel says which turn it made and why,
offers the other ways and "keep as it was", and keeping keeps the pose. Prepare asset's
controller on a session and a real 3D view."""

from __future__ import annotations

import numpy as np
import pytest

from aiml3d_desktop.core.assets.recipe import Recipe
from aiml3d_desktop.core.meshes.formats import write
from tests.core.test_upright import SIDE, chair, mug, scene_of
from tests.gui.conftest import show_model
from tests.gui.test_prepare_gui import wait_done

pytestmark = pytest.mark.gui


def open_file(assets, path):
    """A model from a file on screen, as the window opens one."""
    show_model(assets.ctx.session, assets.ctx.viewer, path)
    return assets.panel, assets


def preview(qtbot, panel, controller):
    panel.preview_button.click()
    qtbot.waitUntil(lambda: controller.prepared is not None, timeout=20000)
    wait_done(qtbot, controller)


def items(combo) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def test_the_panel_shows_the_turn_offers_the_others_and_keeps_as_it_was(
    qtbot,
    assets,
    session,
    viewer,
    tmp_path,
):
    path = tmp_path / "mug.glb"
    write(scene_of(mug(), SIDE), path)  # a mug lying on its side
    panel, controller = open_file(assets, path)
    panel.set_recipe(Recipe(upright=True, pivot="bottom"))
    assert panel.pose.isEnabled() and panel.pose.currentText().startswith("Automatic")
    preview(qtbot, panel, controller)
    report = panel.report.toPlainText()
    assert "Stand upright: turned -90° about Z: it was lying on its side" in report
    low, high = controller.prepared.scene.bounds
    assert high[1] - low[1] == pytest.approx(0.1, abs=1e-4)  # the mug stands
    # The choices: the one made, the other ways, and keep as it was.
    choices = items(panel.pose)
    assert choices[0] == "Automatic: turned -90° about Z"
    assert choices[-1] == "Keep as it was" and 3 <= len(choices) <= 6
    assert "lying on its side" in panel.pose.itemData(0, 3)  # its tooltip says why
    panel.grab().save(str(tmp_path / "panel.png"))
    # Keep as it was: the preview follows, with the mug as it came.
    panel.pose.setCurrentIndex(len(choices) - 1)
    panel.pose.activated.emit(len(choices) - 1)
    qtbot.waitUntil(lambda: controller.prepared_recipe.rest == (0.0, -1.0, 0.0), timeout=20000)
    wait_done(qtbot, controller)
    kept = controller.prepared.scene.merged.positions
    loaded = session.loaded.scene.merged.positions
    moved = kept - loaded  # the pivot moves it; it turns nothing
    assert np.allclose(moved, moved[0], atol=1e-6)
    assert "Stand upright: kept as it was: as chosen" in panel.report.toPlainText()
    assert panel.pose.currentText() == "Keep as it was" and items(panel.pose) == choices
    assert viewer.scene is controller.prepared.scene


def test_a_standing_model_is_kept_and_another_model_forgets_the_choices(
    qtbot,
    assets,
    tmp_path,
):
    path = tmp_path / "chair.glb"
    write(scene_of(chair()), path)
    panel, controller = open_file(assets, path)
    panel.preset.setCurrentIndex(panel.preset.findData("game"))
    panel.set_recipe(Recipe(upright=True))
    preview(qtbot, panel, controller)
    assert "Stand upright: kept as it was: it stands on a stable base" in (
        panel.report.toPlainText()
    )
    assert panel.pose.itemText(0) == "Automatic: kept as it was"
    assert panel.pose.count() > 1  # the other ways it could stand
    open_file(assets, tmp_path / "chair.glb")  # opened again: a new model
    qtbot.waitUntil(lambda: controller.prepared is None, timeout=10000)
    assert items(panel.pose) == ["Automatic (Preview shows more)"]

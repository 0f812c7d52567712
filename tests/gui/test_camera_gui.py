"""The camera and the layout around it in the real window: a new model is framed from the
home view, a dock that opens keeps the framed model in view, and the batch queue opens at
start only for work still to do."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import trimesh
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from aiml3d_desktop.core.generation import batch
from aiml3d_desktop.gui.widgets.viewer import VIEWS
from tests.conftest import corpus_file
from tests.gui.test_gui import pixels

pytestmark = pytest.mark.gui


def open_and_wait(qtbot, window, path) -> None:
    window.open_path(str(path))
    qtbot.waitUntil(lambda: window.loaded is not None and window.loaded.path == path, timeout=5000)


def direction(viewer) -> tuple[float, float]:
    return viewer.opts["azimuth"], viewer.opts["elevation"]


def test_a_new_model_is_framed_from_the_home_view(qtbot, window):
    duck, cube = corpus_file("meshes", "Duck.glb"), corpus_file("meshes", "cube.glb")
    viewer = window.viewer
    open_and_wait(qtbot, window, duck)
    viewer.orbit(150, -15)  # the duck seen from behind, at floor level
    turned = direction(viewer)
    assert turned != VIEWS["home"]
    open_and_wait(qtbot, window, cube)
    assert direction(viewer) == VIEWS["home"]
    viewer.orbit(150, -15)
    turned = direction(viewer)
    window.open_path(str(cube))  # the same file again: its camera kept
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=5000)
    assert direction(viewer) == turned


def test_an_entrys_versions_keep_the_camera_and_another_entry_starts_at_home(qtbot, window):
    cube = corpus_file("meshes", "cube.glb")
    library = window.library
    first = library.import_mesh(corpus_file("meshes", "Duck.glb"))
    other = library.import_mesh(cube)
    library.add_version(first.id, lambda folder: [shutil.copy(cube, folder / "cube.glb")], "v2")
    first = library.get(first.id)
    version = first.as_version(first.version_list()[0])
    viewer = window.viewer

    def open_entry(entry) -> None:
        window.open_entry(entry)
        qtbot.waitUntil(
            lambda: window.loaded is not None and window.loaded.path == entry.mesh_path,
            timeout=5000,
        )

    open_entry(first)
    viewer.orbit(150, -15)
    turned = direction(viewer)
    open_entry(version)  # the same model, prepared: compared from where it was looked at
    assert direction(viewer) == turned
    open_entry(other)
    assert direction(viewer) == VIEWS["home"]


def model_rows(viewer) -> tuple[float, float, float]:
    """Where the model's pixels are, from top to bottom, as fractions of the view's height,
    and how much of the height they span (the floor is hidden: all else is background)."""
    colour = viewer.background()
    background = np.array([colour.red(), colour.green(), colour.blue()])
    model = np.abs(pixels(viewer).astype(int) - background).sum(axis=2) > 30
    rows = np.flatnonzero(model.any(axis=1))
    height = model.shape[0]
    return rows.min() / height, (rows.max() + 1) / height, (rows.max() + 1 - rows.min()) / height


@pytest.fixture
def tall(qtbot, window, tmp_path):
    """A tall box in the window, on no floor: its height is what framing fits."""
    path = tmp_path / "tall.glb"
    path.write_bytes(trimesh.creation.box(extents=(0.4, 3.0, 0.4)).export(file_type="glb"))
    viewer = window.viewer
    viewer.triad = False
    for hide in (viewer.set_grid_visible, viewer.set_axes_visible, viewer.set_shadow_visible):
        hide(False)
    window.resize(1200, 900)
    open_and_wait(qtbot, window, path)
    viewer.set_view("front")
    return viewer


def open_queue_dock(qtbot, window, height: int = 360) -> None:
    window.queue_dock.show()
    window.resizeDocks([window.queue_dock], [height], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: window.queue_dock.height() >= height - 20, timeout=3000)
    QApplication.processEvents()


def test_a_dock_that_opens_keeps_the_framed_model_in_view(qtbot, window, tall):
    viewer = tall
    top, bottom, span = model_rows(viewer)
    assert 0.68 < span < 0.8 and top > 0.05 and bottom < 0.95
    before = viewer.height()
    open_queue_dock(qtbot, window)
    assert viewer.height() < 0.75 * before  # the view is much lower now
    top, bottom, span = model_rows(viewer)
    assert top > 0.05 and bottom < 0.95, (top, bottom)  # not cut off at the top or bottom
    assert 0.68 < span < 0.8  # framed as before
    window.queue_dock.hide()
    qtbot.waitUntil(lambda: viewer.height() >= before - 2, timeout=3000)
    assert 0.68 < model_rows(viewer)[2] < 0.8  # and framed again once it closes


def test_a_dock_that_opens_keeps_the_users_zoom(qtbot, window, tall):
    viewer = tall
    pos = QPointF(100, 100)
    wheel = QWheelEvent(
        pos,
        viewer.mapToGlobal(pos),
        QPoint(),
        QPoint(0, 240),  # two notches in
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewer, wheel)
    zoomed = viewer.camera()
    open_queue_dock(qtbot, window)
    assert viewer.camera() == zoomed  # the user's close-up is left as it is


def saved_statuses(window) -> list[str]:
    saved = json.loads((window.library.root / batch.QUEUE_FILE).read_text())["items"]
    return [item["status"] for item in saved]


def restart(qtbot, window):
    """Close the window with its queue dock open, as a user would, and start again."""
    from aiml3d_desktop.gui.main_window import MainWindow

    window.queue_dock.show()
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    qtbot.waitUntil(lambda: again.batch.queue is not None, timeout=5000)
    QApplication.processEvents()
    return again


def finish_all(queue, statuses) -> None:
    for status in statuses:
        item = queue.take()
        queue.finish(item.id, status, "from the last run")


def listed(window) -> list[str]:
    panel = window.queue_panel
    return [panel.list.topLevelItem(i).text(0) for i in range(panel.list.topLevelItemCount())]


def test_the_last_runs_finished_items_do_not_reopen_the_queue(qtbot, window):
    queue = window.batch.queue
    queue.add(["made.png", "failed.png", "cancelled.png"])
    finish_all(queue, [batch.DONE, batch.FAILED, batch.CANCELLED])
    again = restart(qtbot, window)
    try:
        assert not again.queue_dock.isVisible()  # nothing to do: the view keeps its room
        assert listed(again) == []  # and when opened, it lists this run's work only
        # The record of them stays in queue.json, as before (Clear finished drops it).
        assert saved_statuses(again) == [batch.DONE, batch.FAILED, batch.CANCELLED]
    finally:
        again.close()


def test_items_still_waiting_reopen_the_queue_without_the_finished_ones(qtbot, window):
    queue = window.batch.queue
    queue.add(["made.png", "failed.png", "waiting.png"])
    finish_all(queue, [batch.DONE, batch.FAILED])
    again = restart(qtbot, window)
    try:
        assert again.queue_dock.isVisible() and again.queue_panel.pause.isChecked()
        assert listed(again) == ["waiting.png"]
        assert "Queue finished" not in again.status.label.text()
    finally:
        again.close()


def test_a_models_first_frame_is_plain_and_the_whole_frame_follows(qtbot, window, monkeypatch):
    """The first frame of a model on screen waits neither for its sun's shadow nor for the
    anti-aliasing pass or the floor (their shaders compile in 40 ms on llvmpipe) nor for the
    corner's axes (QPainter's first use); the next frame, which comes by itself, has them."""
    viewer = window.viewer
    smoothing = viewer._fxaa is not None  # a pass of its own on software OpenGL only
    frames: list[dict[str, bool]] = []  # for each frame: plain, anti-aliased, axes drawn

    def spy(name: str, method):
        def spied(*args):
            frames[-1][name] = True
            return method(*args)

        return spied

    if smoothing:
        monkeypatch.setattr(viewer._fxaa, "begin", spy("smoothed", viewer._fxaa.begin))
    monkeypatch.setattr(viewer, "_paint_triad", spy("axes", viewer._paint_triad))
    original, floor = viewer._paint, viewer.floor.paint

    def paint(*args, **kwargs):
        frames.append({"plain": viewer.item.plain_frame, "smoothed": False, "axes": False})
        original(*args, **kwargs)

    def floor_paint():
        frames[-1]["floor"] = not viewer.floor.held
        floor()

    monkeypatch.setattr(viewer, "_paint", paint)
    monkeypatch.setattr(viewer.floor, "paint", floor_paint)
    open_and_wait(qtbot, window, corpus_file("meshes", "Duck.glb"))
    qtbot.waitUntil(lambda: any(f["plain"] for f in frames), timeout=5000)
    qtbot.waitUntil(lambda: not frames[-1]["plain"] and len(frames) >= 2, timeout=5000)
    plain = [i for i, frame in enumerate(frames) if frame["plain"]]
    assert len(plain) == 1  # one plain frame: the model's first
    assert frames[plain[0]] == {"plain": True, "smoothed": False, "axes": False, "floor": False}
    # The next frame came by itself, whole (anti-aliased where that is a pass of its own).
    whole = {"plain": False, "smoothed": smoothing, "axes": True, "floor": True}
    assert frames[plain[0] + 1] == whole

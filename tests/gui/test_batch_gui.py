"""Text to 3D and the batch queue, under Xvfb, against the fake API: from start to end in the
real window, and the generation and batch controllers on a session without one."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtWidgets import QMessageBox

from aiml3d_desktop.core.generation import batch
from tests.conftest import FAST, library_files, make_photo
from tests.gui.test_gui import coloured_fraction, drop, pixels, wait_idle

pytestmark = pytest.mark.gui


def statuses(controller) -> list[str]:
    """Of the items in a BatchController's queue."""
    return [item.status for item in controller.queue.items()]


def queue_settled(controller) -> bool:
    return not controller.active and batch.WAITING not in statuses(controller)


def status_cells(panel) -> list[str]:
    return [panel.list.topLevelItem(i).text(1) for i in range(panel.list.topLevelItemCount())]


def drop_paths(win, *paths) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    drop(win, mime)


def test_prompt_is_drawn_shown_then_built(qtbot, window, fake_api):
    window.prompt.text.setText("a red armchair")
    window.prompt.model.setCurrentText("flux/dev")
    window.prompt.suffix.setText(", on white")
    qtbot.mouseClick(window.prompt.draw_button, Qt.MouseButton.LeftButton)
    assert "Drawing" in window.status.label.text()
    wait_idle(qtbot, window)
    preview = window.image_panel.preview
    assert preview is not None and preview.drawing is not None, window.status.label.text()
    assert "Drawn by flux/dev from “a red armchair”" in window.image_panel.caption.text()
    served = np.asarray(Image.open(io.BytesIO(fake_api.photo)).convert("RGBA"))
    assert np.array_equal(preview.rgba, served)  # the very picture the model drew
    (asked,) = fake_api.calls("api")
    assert asked.body["prompt"] == "a red armchair, on white" and asked.body["model"] == "flux/dev"
    assert window.loaded is None  # nothing is built before the user has seen the picture
    assert "press Generate" in window.status.label.text()

    qtbot.mouseClick(window.generate_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    built = fake_api.calls("api")[1].body
    assert built["model"] == "triposr" and built["image_url"] == preview.drawing.url
    entry = window.entry
    assert entry is not None and entry.title == "a red armchair"
    stored = json.loads((entry.folder / "entry.json").read_text())
    assert stored["source_kind"] == "prompt" and stored["extra"]["prompt_suffix"] == ", on white"
    assert stored["extra"]["text_to_image"]["model"] == "flux/dev"
    assert (entry.folder / stored["source_file"]).read_bytes() == fake_api.photo
    assert coloured_fraction(pixels(window.viewer)) > 0.05
    assert (window.conf.image_model, window.conf.prompt_suffix) == ("flux/dev", ", on white")


def test_generate_with_only_a_prompt_draws_then_builds(qtbot, generation, fake_api):
    generation.prompt.text.setText("a teapot")
    generation.generate()
    qtbot.waitUntil(lambda: bool(generation.made), timeout=15000)
    assert generation.picture.preview.drawing.prompt == "a teapot"  # shown on the way
    assert [c.body["model"] for c in fake_api.calls("api")] == ["flux/schnell", "triposr"]


def test_prompt_errors_reach_the_user_and_keep_nothing(qtbot, generation, host, fake_api, isolated):
    from tests.gui.test_gui import error_box

    generation.draw()  # nothing typed
    box = error_box(qtbot, host)
    assert "Type what to make first" in box.text()
    box.close()
    qtbot.waitUntil(lambda: host.findChild(QMessageBox, "errorBox") is None, timeout=5000)
    generation.prompt.text.setText("a lamp")
    fake_api.queue("403")
    generation.draw()
    box = error_box(qtbot, host)
    assert "out of credits" in box.text()
    assert generation.picture.preview is None and library_files(isolated) == []


def test_dropped_folder_runs_in_parallel_with_one_failing_item(qtbot, window, fake_api, tmp_path):
    folder = tmp_path / "shoot"
    folder.mkdir()
    for n in range(3):
        make_photo(folder / f"good-{n}.png")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n but no picture")
    fake_api.slow_seconds = 0.5
    fake_api.queue("slow", "slow")  # so that two run side by side
    drop_paths(window, folder)  # searched on a worker, then queued
    qtbot.waitUntil(window.queue_dock.isVisible, timeout=5000)
    qtbot.waitUntil(lambda: statuses(window.batch).count(batch.RUNNING) == 2, timeout=5000)
    assert window.generation.job is None  # the window stays free for a single generation
    panel = window.queue_panel
    qtbot.waitUntil(
        lambda: any(text.startswith("Generating… ") for text in status_cells(panel)), timeout=5000
    )
    qtbot.waitUntil(lambda: queue_settled(window.batch), timeout=20000)
    items = {i.label: i for i in window.batch.queue.items()}
    assert [items[f"good-{n}.png"].status for n in range(3)] == [batch.DONE] * 3
    assert items["broken.png"].status == batch.FAILED
    assert "broken.png" in items["broken.png"].message
    rows = {
        panel.list.topLevelItem(i).text(0): panel.list.topLevelItem(i)
        for i in range(panel.list.topLevelItemCount())
    }
    assert rows["broken.png"].text(1) == "Failed" and rows["good-0.png"].text(1) == "Done"
    assert "3 done" in panel.summary.text() and "1 failed" in panel.summary.text()
    assert sorted(window.library_panel.model.rows) == sorted(
        i.entry_id for i in items.values() if i.entry_id
    )

    # Fix the picture and retry it from the panel.
    make_photo(folder / "broken.png")
    rows["broken.png"].setSelected(True)
    assert panel.retry.isEnabled()
    qtbot.mouseClick(panel.retry, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: queue_settled(window.batch), timeout=10000)
    assert statuses(window.batch) == [batch.DONE] * 4 and len(window.library.list()) == 4
    # A done item opens its model; Clear finished empties the list.
    panel.list.itemDoubleClicked.emit(rows["good-1.png"], 0)
    qtbot.waitUntil(lambda: window.entry is not None, timeout=5000)
    assert window.entry.id == items["good-1.png"].entry_id
    qtbot.mouseClick(panel.clear, Qt.MouseButton.LeftButton)
    assert panel.list.topLevelItemCount() == 0 and window.batch.queue.items() == []


def test_cancel_and_remove_from_the_queue(qtbot, queueing, session, fake_api, tmp_path):
    generation, queue = queueing
    panel = queue.panel
    panel.jobs.setValue(1)
    fake_api.slow_seconds = 30
    fake_api.queue("slow")
    generation.queue_sources([str(make_photo(tmp_path / f"p{n}.png")) for n in range(3)])
    qtbot.waitUntil(lambda: statuses(queue)[0] == batch.RUNNING, timeout=5000)
    first, second, third = (panel.list.topLevelItem(i) for i in range(3))
    second.setSelected(True)
    qtbot.mouseClick(panel.remove, Qt.MouseButton.LeftButton)  # a waiting one just goes
    assert [i.label for i in queue.queue.items()] == ["p0.png", "p2.png"]
    panel.list.clearSelection()
    first.setSelected(True)
    qtbot.waitUntil(lambda: len(fake_api.calls("api")) == 1, timeout=5000)  # in its request
    qtbot.mouseClick(panel.cancel, Qt.MouseButton.LeftButton)  # the running one stops
    qtbot.waitUntil(lambda: queue_settled(queue), timeout=5000)
    assert statuses(queue) == [batch.CANCELLED, batch.DONE]
    assert len(session.library.list()) == 1
    assert session.conf.batch_jobs == 1


def test_no_credits_pauses_the_queue_instead_of_failing_every_item(
    qtbot, queueing, host, fake_api, tmp_path
):
    from tests.gui.test_gui import error_box

    generation, queue = queueing
    panel = queue.panel
    fake_api.queue("403")
    generation.queue_sources([str(make_photo(tmp_path / f"p{n}.png")) for n in range(4)])
    box = error_box(qtbot, host)
    assert "out of credits" in box.text() and box.windowTitle() == "The queue is paused"
    qtbot.waitUntil(lambda: not queue.active, timeout=5000)
    assert panel.pause.isChecked() and panel.pause.text() == "Resume"
    assert batch.FAILED not in statuses(queue)  # the pictures were not at fault
    assert statuses(queue).count(batch.WAITING) >= 3
    box.close()
    qtbot.mouseClick(panel.pause, Qt.MouseButton.LeftButton)  # credits bought
    qtbot.waitUntil(lambda: queue_settled(queue), timeout=10000)
    assert statuses(queue) == [batch.DONE] * 4


def test_pending_items_survive_a_restart(qtbot, window, fake_api, tmp_path, isolated):
    from aiml3d_desktop.gui.main_window import MainWindow

    sources = [str(make_photo(tmp_path / f"p{n}.png")) for n in range(3)]
    fake_api.slow_seconds = 30
    fake_api.queue("slow", "slow")
    window.generation.queue_sources(sources)
    qtbot.waitUntil(lambda: statuses(window.batch).count(batch.RUNNING) == 2, timeout=5000)
    window.close()  # mid-request: both go back to waiting
    saved = json.loads((window.library.root / batch.QUEUE_FILE).read_text())["items"]
    assert [i["status"] for i in saved] == [batch.WAITING] * 3
    fake_api.faults.clear()

    again = MainWindow()
    again.session.retry = FAST
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.batch.queue is not None, timeout=5000)
    assert again.queue_dock.isVisible() and again.queue_panel.pause.isChecked()
    assert "from last time" in again.status.label.text()
    assert statuses(again.batch) == [batch.WAITING] * 3  # paused: nothing is spent unasked
    assert library_files(isolated) == [batch.QUEUE_FILE]  # and the killed drafts are gone
    qtbot.mouseClick(again.queue_panel.pause, Qt.MouseButton.LeftButton)  # Resume
    qtbot.waitUntil(lambda: queue_settled(again.batch), timeout=20000)
    assert statuses(again.batch) == [batch.DONE] * 3
    assert sorted(e.source for e in again.library.list()) == sorted(sources)  # once each
    again.close()


def test_a_second_window_on_the_same_library_keeps_its_own_queue(qtbot, window, tmp_path):
    """`aiml3d-desktop --new-window`: two windows must not rewrite one queue.json."""
    from aiml3d_desktop.gui.main_window import MainWindow

    window.batch.queue.add(["kept.png"])
    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    try:
        qtbot.waitUntil(lambda: second.batch.queue is not None, timeout=5000)
        assert second.batch.queue.path is None
        assert "Another window uses this library's batch queue" in second.status.label.text()
        second.batch.queue.add(["only-here.png"])
    finally:
        second.close()
    saved = json.loads((second.library.root / batch.QUEUE_FILE).read_text())
    assert [item["source"] for item in saved["items"]] == ["kept.png"]

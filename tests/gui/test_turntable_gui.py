"""File > Export turntable asks for frames, size and fps (remembered between uses), says
inline what cannot be written, and writes what was asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.look import turntable
from aiml3d_desktop.gui.widgets.turntable_dialog import TurntableChoice, TurntableDialog
from tests.conftest import corpus_file
from tests.gui.conftest import show_model


def _dialog(qtbot, choice: TurntableChoice) -> TurntableDialog:
    dialog = TurntableDialog(choice)
    qtbot.addWidget(dialog)
    return dialog


def _export_enabled(dialog: TurntableDialog) -> bool:
    return dialog.buttons.button(dialog.buttons.StandardButton.Save).isEnabled()


def test_the_dialog_says_what_cannot_be_written(qtbot, tmp_path):
    dialog = _dialog(qtbot, TurntableChoice(tmp_path / "turn.gif", 72, (640, 640), 24))
    assert _export_enabled(dialog) and dialog.problem.isHidden()
    assert dialog.format.text() == "GIF" and dialog.length.text() == "3.0 s a turn"
    dialog.path.setText(str(tmp_path / "turn.avi"))
    assert not _export_enabled(dialog) and "Cannot write a turntable as .avi" in (
        dialog.problem.text()
    )
    dialog.path.setText(str(tmp_path / "turn.webp"))
    assert _export_enabled(dialog) and dialog.format.text() == "animated WebP"
    # As large as the fields allow: refused by core.look.turntable.check_size, in its words.
    dialog.frames.setValue(10_000)
    dialog.width_box.setValue(10_000)
    dialog.height_box.setValue(10_000)
    assert (dialog.frames.value(), dialog.width_box.value()) == (720, 8192)
    with pytest.raises(InputError) as refused:
        turntable.check_size(720, (8192, 8192), ".webp")
    assert dialog.problem.text() == str(refused.value) and "GB of memory" in str(refused.value)
    assert not _export_enabled(dialog) and not dialog.problem.isHidden()
    dialog.accept()  # refused: stays open
    assert dialog.result() != TurntableDialog.DialogCode.Accepted
    dialog.fps.setValue(0)
    assert dialog.fps.value() == 1
    dialog.frames.setValue(24)
    dialog.width_box.setValue(320)
    dialog.height_box.setValue(240)
    assert _export_enabled(dialog) and dialog.problem.text() == ""
    assert dialog.choice() == TurntableChoice(tmp_path / "turn.webp", 24, (320, 240), 1)


def test_turntable_takes_frames_size_and_fps(
    qtbot, assets, session, viewer, runner, tmp_path, monkeypatch
):
    show_model(session, viewer, corpus_file("meshes", "Duck.glb"))
    target = tmp_path / "duck.gif"
    seen: list[TurntableChoice] = []

    def accept(dialog) -> int:
        seen.append(dialog.choice())
        dialog.path.setText(str(target))
        dialog.frames.setValue(5)
        dialog.width_box.setValue(96)
        dialog.height_box.setValue(64)
        dialog.fps.setValue(4)
        return TurntableDialog.DialogCode.Accepted

    monkeypatch.setattr(TurntableDialog, "exec", accept)
    assets.export_turntable()  # File > Export turntable…
    qtbot.waitUntil(target.exists, timeout=30000)
    # The first time: the defaults, named after the model, in the export folder.
    assert seen[0].frames == 72 and seen[0].size == (640, 640) and seen[0].fps == 24
    assert seen[0].path == session.conf.output_path / "Duck.gif"
    image = Image.open(target)
    assert image.n_frames == 5 and image.size == (96, 64)
    assert image.info["duration"] == 250  # 4 frames a second
    qtbot.waitUntil(lambda: assets._turntable is None and not runner.busy)
    # The next time: what was chosen, in the same folder and format.
    monkeypatch.setattr(TurntableDialog, "exec", lambda dialog: seen.append(dialog.choice()) or 0)
    assets.export_turntable()
    assert seen[1] == TurntableChoice(Path(tmp_path) / "Duck.gif", 5, (96, 64), 4)

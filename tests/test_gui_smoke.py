"""The desktop window opens for real (under Xvfb in CI) and shows itself."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.gui


def test_window_opens_and_draws(qtbot):
    from aiml3d_desktop import APP_NAME
    from aiml3d_desktop.gui.app import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == APP_NAME
    image = window.grab().toImage()
    assert image.width() > 100 and image.height() > 100
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colours) > 2  # text was drawn, not a blank frame

"""Where the main window's panels go: the side panel, the library and the batch-queue docks,
and the layout kept from one run to the next (gui/state.py's file). The window makes the
widgets and connects them; this only places them."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import (
    QDockWidget,
    QGroupBox,
    QHBoxLayout,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

_Feature = QDockWidget.DockWidgetFeature


def add_docks(
    window: QMainWindow, side: QWidget, library: QWidget, queue: QWidget
) -> tuple[QDockWidget, QDockWidget, QDockWidget]:
    """The side panel on the right, the library on the left, the queue below (hidden until
    something is queued)."""
    side_dock = _dock(window, "Generate and inspect", "sideDock", side)
    side_dock.setFeatures(_Feature.DockWidgetMovable | _Feature.DockWidgetFloatable)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, side_dock)
    library_dock = _dock(window, "Library", "libraryDock", library)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, library_dock)
    queue_dock = _dock(window, "Batch queue", "queueDock", queue)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, queue_dock)
    queue_dock.hide()
    return side_dock, library_dock, queue_dock


def side_panel(
    prompt: QWidget, params: QWidget, generate: QWidget, cancel: QWidget, stats: QWidget
) -> QWidget:
    """Text to 3D, the generation's parameters and buttons, and the model's statistics."""
    side = QWidget()
    layout = QVBoxLayout(side)
    text = QGroupBox("Text to 3D")
    QVBoxLayout(text).addWidget(prompt)
    layout.addWidget(text)
    box = QGroupBox("Generate")
    inner = QVBoxLayout(box)
    inner.addWidget(params)
    buttons = QHBoxLayout()
    buttons.addWidget(generate, 1)
    buttons.addWidget(cancel)
    inner.addLayout(buttons)
    model = QGroupBox("Model")
    QVBoxLayout(model).addWidget(stats)
    layout.addWidget(box)
    layout.addWidget(model)
    layout.addStretch(1)
    return side


def restore(window: QMainWindow, ui: QSettings, splitter: QSplitter, library: QDockWidget) -> None:
    """The geometry, docks and splitter of the last run; on a first start, most of the
    screen (three panels want room), at most 1600 x 960."""
    geometry = ui.value("geometry")
    layout = ui.value("windowState")
    if isinstance(geometry, QByteArray) and window.restoreGeometry(geometry):
        window.restoreState(layout if isinstance(layout, QByteArray) else QByteArray())
    else:
        screen = window.screen().availableGeometry()
        window.resize(min(1600, int(screen.width() * 0.9)), min(960, int(screen.height() * 0.9)))
    sizes = ui.value("splitter")
    if not (isinstance(sizes, QByteArray) and splitter.restoreState(sizes)):
        splitter.setSizes([420, 600])
        window.resizeDocks([library], [320], Qt.Orientation.Horizontal)


def save(window: QMainWindow, ui: QSettings, splitter: QSplitter) -> None:
    ui.setValue("geometry", window.saveGeometry())
    ui.setValue("windowState", window.saveState())
    ui.setValue("splitter", splitter.saveState())


def _dock(window: QMainWindow, title: str, name: str, widget: QWidget) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(name)  # the key of its place in the saved layout
    dock.setWidget(widget)
    dock.setFeatures(
        _Feature.DockWidgetMovable | _Feature.DockWidgetFloatable | _Feature.DockWidgetClosable
    )
    return dock

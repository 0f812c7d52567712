"""Where the main window's panels go: the side panel, the library and the batch-queue docks,
and the layout kept from one run to the next (gui/state.py's file). The window makes the
widgets and connects them; this only places them."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

_Feature = QDockWidget.DockWidgetFeature
DOCK_WIDTHS = (290, 320)  # library (two columns of tiles), side panel: first start
PICTURE_SHARE = 0.32  # of the centre, for the picture, when it first opens
QUEUE_DOCK = "queueDock"


def add_docks(
    window: QMainWindow, side: QWidget, library: QWidget, queue: QWidget
) -> tuple[QDockWidget, QDockWidget, QDockWidget]:
    """The side panel on the right, the library on the left, both full height; the queue
    below the picture and the 3D view (hidden until something is queued), so that it never
    squeezes the side panel."""
    window.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
    window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
    side_dock = _dock(window, "Generate", "sideDock", _scrolled(side))
    side_dock.setFeatures(_Feature.DockWidgetMovable | _Feature.DockWidgetFloatable)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, side_dock)
    library_dock = _dock(window, "Library", "libraryDock", library)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, library_dock)
    queue_dock = _dock(window, "Batch queue", QUEUE_DOCK, queue)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, queue_dock)
    queue_dock.hide()
    return side_dock, library_dock, queue_dock


def centre(picture: QWidget, viewer: QWidget) -> QSplitter:
    """The picture beside the 3D view; the picture can close, the 3D view cannot."""
    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.addWidget(picture)
    splitter.addWidget(viewer)
    splitter.setStretchFactor(0, 2)
    splitter.setStretchFactor(1, 3)
    splitter.setCollapsible(1, False)
    return splitter


def side_panel(
    prompt: QWidget,
    params: QWidget,
    views: QWidget,
    generate: QWidget,
    cancel: QWidget,
    stats: QWidget,
) -> QWidget:
    """Text to 3D, the generation's parameters (and a multi-view model's picture slots) and
    buttons, and the model's statistics."""
    side = QWidget()
    layout = QVBoxLayout(side)
    text = QGroupBox("Text to 3D")
    QVBoxLayout(text).addWidget(prompt)
    layout.addWidget(text)
    box = QGroupBox("Generate")
    inner = QVBoxLayout(box)
    inner.addWidget(params)
    inner.addWidget(views)
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


# Dock tabs a little tighter than the style's, so that the five beside the side panel fit
# its width, drawn in the palette's colours.
TAB_STYLE = """
QTabBar::tab { padding: 3px 8px; border: 1px solid palette(dark); background: palette(button);
               color: palette(button-text); }
QTabBar::tab:selected { background: palette(window); border-top: 2px solid palette(highlight); }
"""


def restore(
    window: QMainWindow, ui: QSettings, splitter: QSplitter, docks: tuple[QDockWidget, ...]
) -> None:
    """The geometry and docks of the last run; on a first start, most of the screen, at
    most 1600 x 960, with the library and side panel narrow enough to leave the 3D view more
    than half of it. The picture panel starts closed: it opens when there is a picture."""
    geometry = ui.value("geometry")
    layout = ui.value("windowState")
    if isinstance(geometry, QByteArray) and window.restoreGeometry(geometry):
        window.restoreState(layout if isinstance(layout, QByteArray) else QByteArray())
        # In its place, but closed: the queue opens when it has work (the window asks),
        # not because it was open when the last run ended.
        for dock in window.findChildren(QDockWidget, QUEUE_DOCK):
            dock.hide()
    else:
        screen = window.screen().availableGeometry()
        window.resize(min(1600, int(screen.width() * 0.9)), min(960, int(screen.height() * 0.9)))
        window.resizeDocks(list(docks), list(DOCK_WIDTHS), Qt.Orientation.Horizontal)
    splitter.setSizes([0, max(splitter.width(), 1)])
    # Tabbed docks: whole names, the bar scrolling when they do not fit ("P…", "O…", "S…"
    # said nothing).
    for bar in window.findChildren(QTabBar):
        bar.setElideMode(Qt.TextElideMode.ElideNone)
        bar.setUsesScrollButtons(True)
        bar.setStyleSheet(TAB_STYLE)


def picture_shown(splitter: QSplitter, ui: QSettings, shown: bool) -> None:
    """Open the picture panel (at the share of the centre it had last) or close it."""
    sizes = splitter.sizes()
    total = max(sum(sizes), 1000)  # before the window is shown: proportions only
    if sizes[0] and not shown:
        ui.setValue("pictureShare", sizes[0] / total)
    if shown and not sizes[0]:
        share = min(max(_number(ui.value("pictureShare"), PICTURE_SHARE), 0.15), 0.7)
        splitter.setSizes([round(total * share), total - round(total * share)])
    elif not shown:
        splitter.setSizes([0, total])


def _number(value: object, default: float) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def save(window: QMainWindow, ui: QSettings, splitter: QSplitter) -> None:
    ui.setValue("geometry", window.saveGeometry())
    ui.setValue("windowState", window.saveState())
    sizes = splitter.sizes()
    if sizes[0]:
        ui.setValue("pictureShare", sizes[0] / max(sum(sizes), 1))


def tab_dock(
    window: QMainWindow,
    panel: QWidget,
    side_dock: QDockWidget,
    title: str,
    name: str,
    scrolled: bool = True,
) -> QDockWidget:
    """Prepare asset, Split into parts, Outline: tabs beside the side panel (the generation's
    tab stays in front). A panel that scrolls itself (the outline's tree) is not ``scrolled``."""
    dock = _dock(window, title, name, _scrolled(panel) if scrolled else panel)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.tabifyDockWidget(side_dock, dock)
    side_dock.raise_()
    return dock


def _scrolled(widget: QWidget) -> QScrollArea:
    """A short window scrolls a panel rather than clipping it."""
    scroll = QScrollArea()
    scroll.setWidget(widget)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return scroll


def _dock(window: QMainWindow, title: str, name: str, widget: QWidget) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(name)  # the key of its place in the saved layout
    dock.setWidget(widget)
    dock.setFeatures(
        _Feature.DockWidgetMovable | _Feature.DockWidgetFloatable | _Feature.DockWidgetClosable
    )
    return dock

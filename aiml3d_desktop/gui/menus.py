"""The menu bar and its actions, with their shortcuts (Blender-like numbers for views)."""

from __future__ import annotations

import html
from functools import partial

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QKeySequence
from PySide6.QtWidgets import (
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QVBoxLayout,
)

from aiml3d_desktop import APP_NAME, __version__
from aiml3d_desktop.core.look.studio import MODE_NAMES, MODES
from aiml3d_desktop.core.pictures import images
from aiml3d_desktop.gui import state
from aiml3d_desktop.gui.lookdev import Lookdev

VIEW_SHORTCUTS = [
    ("front", "Front", "1"),
    ("back", "Back", "Ctrl+1"),
    ("right", "Right", "3"),
    ("left", "Left", "Ctrl+3"),
    ("top", "Top", "7"),
    ("bottom", "Bottom", "Ctrl+7"),
]
MOUSE_HELP = [
    ("Left drag", "Orbit"),
    ("Middle drag, or Shift + left drag", "Pan"),
    ("Right drag, or wheel", "Zoom"),
]
# Keys the 3D view takes itself once clicked (pyqtgraph's GLViewWidget): no action may be
# bound to them, and Help lists them with the actions.
VIEWER_KEYS = [(("Left", "Right", "Up", "Down"), "Orbit (click the 3D view first)")]


class Actions(QObject):
    """Owns the actions; the window calls the few methods that keep them in step."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        viewer = window.viewer
        bar = window.menuBar()
        files = window.files
        file_menu = bar.addMenu("&File")
        self._file_menu(file_menu, files)

        edit = bar.addMenu("&Edit")
        self._add(
            edit, "Undo delete", window.library_panel.undo_delete, QKeySequence.StandardKey.Undo
        )
        self._add(edit, "Find in library", self._find, QKeySequence.StandardKey.Find)

        model = bar.addMenu("&Model")
        generation = window.generation
        self.generate = self._add(model, "Generate 3D model", generation.generate, "Ctrl+Return")
        self._add(model, "Draw a picture from the text", generation.draw, "Ctrl+D")
        self._add(model, "Cancel", generation.cancel, "Esc")
        model.addSeparator()
        self.prepare = self._add(
            model, "Prepare asset…", partial(self._raise, window.prepare_dock), "Ctrl+Shift+R"
        )
        self._add(
            model, "Split into parts…", partial(self._raise, window.parts_dock), "Ctrl+Shift+T"
        )

        view = bar.addMenu("&View")
        self._add(view, "Frame model", viewer.frame, "F")
        self._add(view, "Reset view", partial(viewer.set_view, "home"), "Home")
        for name, label, key in VIEW_SHORTCUTS:
            self._add(view, f"{label} view", partial(viewer.set_view, name), key)
        view.addSeparator()
        self._view_toggles(view)
        self._add(view, "Background colour…", self._choose_background)
        self._shading_menu(view.addMenu("Shading"))
        self.lookdev = Lookdev(window, view, file_menu, before=self.turntable)
        up = view.addMenu("Up axis")
        group = QActionGroup(self)
        self.up_actions = {}
        for axis, label in (("y", "Y is up (glTF, TripoSR exports)"), ("z", "Z is up")):
            action = self._add(up, label, partial(self.window.set_up_axis, axis))
            action.setCheckable(True)  # checked state is the group's; triggered still fires
            group.addAction(action)
            self.up_actions[axis] = action
        view.addSeparator()
        view.addAction(window.side_dock.toggleViewAction())
        view.addAction(window.prepare_dock.toggleViewAction())
        view.addAction(window.parts_dock.toggleViewAction())
        self._add(view, "Usage…", window.usage.show, "Ctrl+U")
        library = window.library_dock.toggleViewAction()
        library.setShortcut(QKeySequence("Ctrl+B"))
        view.addAction(library)
        queue = window.queue_dock.toggleViewAction()
        queue.setShortcut(QKeySequence("Ctrl+J"))
        view.addAction(queue)
        # Inspection (the outline and texture view: gui/outline_controller.py).
        view.addSeparator()
        view.addAction(window.outline_dock.toggleViewAction())
        self._add(view, "Texture and UV layout…", window.outline.show_texture)

        help_menu = bar.addMenu("&Help")
        self._add(
            help_menu, "Keyboard and mouse", self._shortcuts, QKeySequence.StandardKey.HelpContents
        )
        self._add(help_menu, "Open log folder", files.open_log_folder)
        self._add(help_menu, f"About {APP_NAME}", self._about)
        self.rebuild_recent()
        self.set_mesh_available(False)

    def _file_menu(self, file, files) -> None:
        window = self.window
        self._add(file, "Open picture…", files.choose_picture, QKeySequence.StandardKey.Open)
        self._add(file, "Open 3D model…", files.choose_mesh, "Ctrl+Shift+O")
        self._add(file, "Paste picture or link", window.paste, QKeySequence.StandardKey.Paste)
        self.recent_menu = file.addMenu("Recent files")
        file.addSeparator()
        self._add(
            file, "Add pictures to the queue…", files.choose_pictures_for_queue, "Ctrl+Shift+A"
        )
        self._add(file, "Add a folder to the queue…", files.choose_folder_for_queue)
        file.addSeparator()
        self.export = self._add(file, "Export 3D model…", files.export_mesh, "Ctrl+E")
        self.add_to_library = self._add(
            file, "Add to library", window.add_to_library, "Ctrl+Shift+L"
        )
        self.screenshot = self._add(file, "Save screenshot…", files.save_screenshot, "Ctrl+Shift+S")
        self.sheet = self._add(
            file, "Save snapshot sheet…", files.save_snapshot_sheet, "Ctrl+Shift+P"
        )
        self.turntable = self._add(file, "Export turntable…", window.assets.export_turntable)
        file.addSeparator()
        self._add(file, "Settings…", files.open_settings, QKeySequence.StandardKey.Preferences)
        file.addSeparator()
        self._add(file, "Quit", window.close, QKeySequence.StandardKey.Quit)

    def _add(self, menu, text, slot, shortcut=None, checkable=False) -> QAction:
        """A menu entry; a checkable one calls ``slot(checked)``, others ``slot()``."""
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if checkable:
            action.toggled.connect(slot)
        else:
            action.triggered.connect(lambda *_: slot())
        menu.addAction(action)
        return action

    def shortcut_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """What Help > Keyboard and mouse lists, read from the menus themselves (submenus
        included), then the 3D view's own keys and the mouse: (title, [(key, what)])."""
        sections = []
        for menu_action in self.window.menuBar().actions():
            rows = _menu_rows(menu_action.menu())
            if rows:
                sections.append((menu_action.text().replace("&", ""), rows))
        native = QKeySequence.SequenceFormat.NativeText
        viewer = [
            (", ".join(QKeySequence(k).toString(native) for k in keys), what)
            for keys, what in VIEWER_KEYS
        ]
        return [*sections, ("3D view", viewer), ("Mouse", MOUSE_HELP)]

    def shortcut_rows(self) -> list[tuple[str, str]]:
        return [row for _, rows in self.shortcut_sections() for row in rows]

    # Kept in step by the window

    def sync_view_options(self) -> None:
        """Apply the remembered view options to the viewer."""
        for action, apply in self.toggles.values():
            apply(action.isChecked())
        color = QColor(str(self.window.ui.value("background", "")))
        if color.isValid():
            self.window.viewer.setBackgroundColor(color)
        self.up_actions[self.window.viewer.up_axis].setChecked(True)

    def set_mesh_available(self, available: bool, in_library: bool = False) -> None:
        for action in (
            self.export,
            self.screenshot,
            self.sheet,
            self.turntable,
            self.lookdev.export_action,
        ):
            action.setEnabled(available)
        self.add_to_library.setEnabled(available and not in_library)

    def add_recent(self, source: str) -> None:
        state.add_recent(self.window.ui, source)
        self.rebuild_recent()

    def rebuild_recent(self) -> None:
        self.recent_menu.clear()
        recent = state.recent_files(self.window.ui)
        for source in recent:
            label = source if images.is_url(source) else source.replace("\\", "/").split("/")[-1]
            action = self.recent_menu.addAction(label)
            action.setToolTip(source)
            action.triggered.connect(lambda *_, s=source: self.window.open_path(s))
        self.recent_menu.setEnabled(bool(recent))

    # Small dialogs

    def _view_toggles(self, view) -> None:
        viewer, ui = self.window.viewer, self.window.ui
        self.toggles = {}
        for key, label, shortcut, default, apply in (
            ("wireframe", "Wireframe", "W", False, viewer.set_wireframe),
            ("grid", "Grid", "G", True, viewer.set_grid_visible),
            ("axes", "Axes", "A", True, viewer.set_axes_visible),
        ):
            action = self._add(view, label, partial(self._toggle, key, apply), shortcut, True)
            action.setChecked(state.flag(ui, key, default))
            self.toggles[key] = (action, apply)

    def _shading_menu(self, shading) -> None:
        group = QActionGroup(self)
        self.shading_actions = {}
        chosen = self.window.ui.value("shading", "studio")
        for number, mode in enumerate(MODES, start=1):
            action = self._add(
                shading, MODE_NAMES[mode], partial(self._shade, mode), f"Alt+{number}"
            )
            action.setCheckable(True)
            group.addAction(action)
            self.shading_actions[mode] = action
        self._shade(chosen if chosen in MODES else "studio")

    def _shade(self, mode: str) -> None:
        self.shading_actions[mode].setChecked(True)
        self.window.viewer.set_shading(mode)
        self.window.ui.setValue("shading", mode)

    def _toggle(self, key: str, apply, on: bool) -> None:
        apply(on)
        self.window.ui.setValue(key, on)

    def _raise(self, dock) -> None:
        dock.show()
        dock.raise_()

    def _find(self) -> None:
        self.window.library_dock.show()
        self.window.library_panel.search.setFocus()
        self.window.library_panel.search.selectAll()

    def _choose_background(self) -> None:
        color = QColorDialog.getColor(self.window.viewer.background(), self.window, "Background")
        if color.isValid():
            self.window.viewer.setBackgroundColor(color)
            self.window.ui.setValue("background", color.name())

    def _shortcuts(self) -> None:
        """The list in two columns of sections: one column would be taller than a laptop's
        screen. A dialog, not a message box, which would wrap every line; opened, not exec'd,
        like the error boxes."""
        sections = self.shortcut_sections()
        split = _balanced_split([len(rows) + 2 for _, rows in sections])  # a title: 2 rows
        columns = "".join(
            f"<td valign='top' style='padding-right: 24px'>"
            f"{''.join(_section_html(*section) for section in part)}</td>"
            for part in (sections[:split], sections[split:])
        )
        box = QDialog(self.window)
        box.setWindowTitle("Keyboard and mouse")
        box.setObjectName("shortcutsBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(box.close)
        layout = QVBoxLayout(box)
        layout.addWidget(QLabel(f"<table><tr>{columns}</tr></table>"))
        layout.addWidget(buttons)
        box.open()

    def _about(self) -> None:
        QMessageBox.about(
            self.window,
            f"About {APP_NAME}",
            f"<h3>{APP_NAME} {__version__}</h3><p>Pictures in, 3D models out: TripoSR through "
            "the AIML API, viewed with pyqtgraph, kept on your computer.</p>",
        )


def build_menus(window) -> Actions:
    return Actions(window)


def _menu_rows(menu, prefix: str = "") -> list[tuple[str, str]]:
    """(key, what) for each action of ``menu`` with a shortcut, its submenus' included."""
    rows = []
    for action in menu.actions():
        if action.menu() is not None:
            rows += _menu_rows(action.menu(), f"{prefix}{action.text()}: ")
        elif not action.shortcut().isEmpty():
            native = QKeySequence.SequenceFormat.NativeText
            key = ", ".join(k.toString(native) for k in action.shortcuts())  # 5, Num+5
            rows.append((key, prefix + action.text().rstrip("…")))
    return rows


def _balanced_split(heights: list[int]) -> int:
    """Where to cut the sections, in order, into two columns of the closest heights."""
    total = sum(heights)
    return min(range(len(heights) + 1), key=lambda n: abs(total - 2 * sum(heights[:n])))


def _section_html(title: str, rows: list[tuple[str, str]]) -> str:
    cells = "".join(
        f"<tr><td><b>{html.escape(k)}</b>&nbsp;&nbsp;</td><td>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<p><b>{html.escape(title)}</b></p><table>{cells}</table>"

"""The window's menus as a table (gui/menus.py builds it): every entry, its shortcut (Blender-
like numbers for the views), when it can be used and what it does. Adding an entry is adding
a row; tests/gui/test_shortcuts_gui.py checks that no two share a key."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Protocol

from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtWidgets import QApplication, QColorDialog, QMenu, QMessageBox

from aiml3d_desktop import APP_NAME, __version__
from aiml3d_desktop.core.look.studio import MODE_NAMES, MODES
from aiml3d_desktop.core.net.policy import is_url
from aiml3d_desktop.gui import state
from aiml3d_desktop.gui.menus import Row, separator

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QDockWidget, QWidget

    from aiml3d_desktop.core.composition.history import Composition
    from aiml3d_desktop.core.session import Session
    from aiml3d_desktop.gui.asset_controller import AssetController
    from aiml3d_desktop.gui.compose_controller import ComposeController
    from aiml3d_desktop.gui.file_actions import FileActions
    from aiml3d_desktop.gui.generation import GenerationController
    from aiml3d_desktop.gui.likeness_controller import LikenessController
    from aiml3d_desktop.gui.lookdev import Lookdev
    from aiml3d_desktop.gui.menus import Menus
    from aiml3d_desktop.gui.outline_controller import OutlineController
    from aiml3d_desktop.gui.scene_controller import SceneController
    from aiml3d_desktop.gui.usage_controller import UsageController
    from aiml3d_desktop.gui.widgets.library_panel import LibraryPanel
    from aiml3d_desktop.gui.widgets.viewer import Viewer

Keys = QKeySequence.StandardKey
VIEW_SHORTCUTS = [
    ("front", "Front", "1"),
    ("back", "Back", "Ctrl+1"),
    ("right", "Right", "3"),
    ("left", "Left", "Ctrl+3"),
    ("top", "Top", "7"),
    ("bottom", "Bottom", "Ctrl+7"),
]
VIEW_TOGGLES = [  # (key kept in the window state, text, shortcut, default)
    ("wireframe", "Wireframe", "W", False),
    ("grid", "Grid", "G", True),
    ("axes", "Axes", "A", True),
]


class MainWindow(Protocol):
    """What the entries act on: the window's parts (gui/main_window.py has them all)."""

    session: Session
    files: FileActions
    generation: GenerationController
    assets: AssetController
    outline: OutlineController
    usage: UsageController
    lookdev: Lookdev
    viewer: Viewer
    ui: QSettings
    library_panel: LibraryPanel
    scenes: SceneController
    compose: ComposeController
    likeness: LikenessController
    recent: RecentFiles
    menu_actions: Menus
    side_dock: QDockWidget
    prepare_dock: QDockWidget
    parts_dock: QDockWidget
    outline_dock: QDockWidget
    library_dock: QDockWidget
    queue_dock: QDockWidget

    def window(self) -> QWidget: ...
    def close(self) -> bool: ...
    def paste(self) -> None: ...
    def open_path(self, source: str) -> None: ...
    def add_to_library(self) -> None: ...
    def set_shading(self, mode: str) -> None: ...
    def set_up_axis(self, axis: str) -> None: ...


def has_model(session: Session) -> bool:
    return session.loaded is not None


def shown(session: Session) -> bool:
    """A model or a composed scene is on screen."""
    return session.loaded is not None or session.composition is not None


def outside_library(session: Session) -> bool:
    return session.loaded is not None and session.entry is None


def rows(w: MainWindow) -> list[Row]:
    """The window's menus, top to bottom. ``w`` gives the parts the entries act on; none
    keeps it."""
    files, generation, viewer, ui = w.files, w.generation, w.viewer, w.ui
    toggles = _toggles(w)
    shading = str(ui.value("shading", "studio"))
    return [
        # File
        Row("open_picture", "&File", "Open picture…", files.choose_picture, Keys.Open),
        Row("open_mesh", "&File", "Open 3D model…", files.choose_mesh, "Ctrl+Shift+O"),
        Row("paste", "&File", "Paste picture or link", w.paste, Keys.Paste),
        Row("new_scene", "&File", "New scene", w.scenes.new_scene, "Ctrl+Shift+N"),
        Row("compose_scene", "&File", "Compose a scene from a sentence…", w.compose.open_dialog),
        Row("recent", "&File", build=w.recent.attach),
        separator("&File"),
        Row(
            "queue_pictures",
            "&File",
            "Add pictures to the queue…",
            files.choose_pictures_for_queue,
            "Ctrl+Shift+A",
        ),
        Row("queue_folder", "&File", "Add a folder to the queue…", files.choose_folder_for_queue),
        separator("&File"),
        Row("export", "&File", "Export 3D model…", partial(_export, w), "Ctrl+E", shown),
        Row(
            "add_to_library",
            "&File",
            "Add to library",
            w.add_to_library,
            "Ctrl+Shift+L",
            outside_library,
        ),
        Row(
            "screenshot",
            "&File",
            "Save screenshot…",
            files.save_screenshot,
            "Ctrl+Shift+S",
            shown,
        ),
        Row(
            "sheet",
            "&File",
            "Save snapshot sheet…",
            files.save_snapshot_sheet,
            "Ctrl+Shift+P",
            shown,
        ),
        Row("export_image", "&File", "Export image…", w.lookdev.export_image, None, shown),
        Row(
            "turntable",
            "&File",
            "Export turntable…",
            w.assets.export_turntable,
            None,
            shown,
        ),
        separator("&File"),
        Row("settings", "&File", "Settings…", files.open_settings, Keys.Preferences),
        separator("&File"),
        Row("quit", "&File", "Quit", w.close, Keys.Quit),
        # Edit
        Row("undo", "&Edit", "Undo", partial(_undo, w, False), Keys.Undo),
        Row("redo", "&Edit", "Redo", partial(_undo, w, True), Keys.Redo),
        Row("undo_names", "&Edit", build=partial(_name_undo, w)),
        separator("&Edit"),
        Row("find", "&Edit", "Find in library", partial(_find, w), Keys.Find),
        # Model
        Row("generate", "&Model", "Generate 3D model", generation.generate, "Ctrl+Return"),
        Row("draw", "&Model", "Draw a picture from the text", generation.draw, "Ctrl+D"),
        Row("cancel", "&Model", "Cancel", generation.cancel, "Esc"),
        separator("&Model"),
        Row("prepare", "&Model", "Prepare asset…", partial(_raise, w.prepare_dock), "Ctrl+Shift+R"),
        Row("parts", "&Model", "Split into parts…", partial(_raise, w.parts_dock), "Ctrl+Shift+T"),
        Row(
            "compare_photo",
            "&Model",
            "Compare with the photo…",
            w.likeness.compare,
            enabled_when=_made_from_a_picture,
        ),
        # View
        Row("frame", "&View", "Frame model", viewer.frame, "F"),
        Row("home", "&View", "Reset view", partial(viewer.set_view, "home"), "Home"),
        *[
            Row(f"view_{name}", "&View", f"{label} view", partial(viewer.set_view, name), key)
            for name, label, key in VIEW_SHORTCUTS
        ],
        separator("&View"),
        *[
            Row(
                key,
                "&View",
                text,
                partial(_toggle, w, key, toggles[key]),
                shortcut,
                checkable=True,
                checked=state.flag(ui, key, default),
            )
            for key, text, shortcut, default in VIEW_TOGGLES
        ],
        Row("background", "&View", "Background colour…", partial(_choose_background, w)),
        *[
            Row(
                f"shading_{mode}",
                "&View/Shading",
                MODE_NAMES[mode],
                partial(w.set_shading, mode),
                f"Alt+{number}",
                group="shading",
                checked=mode == shading,
            )
            for number, mode in enumerate(MODES, start=1)
        ],
        Row("lookdev", "&View", build=w.lookdev.add_menus),
        *[
            Row(
                f"up_{axis}",
                "&View/Up axis",
                text,
                partial(w.set_up_axis, axis),
                group="up",
                checked=axis == viewer.up_axis,
            )
            for axis, text in (("y", "Y is up (glTF, TripoSR exports)"), ("z", "Z is up"))
        ],
        separator("&View"),
        Row("side_panel", "&View", dock=w.side_dock),
        Row("prepare_panel", "&View", dock=w.prepare_dock),
        Row("parts_panel", "&View", dock=w.parts_dock),
        Row("usage", "&View", "Usage…", w.usage.show, "Ctrl+U"),
        Row("library", "&View", shortcut="Ctrl+B", dock=w.library_dock),
        Row("queue", "&View", shortcut="Ctrl+J", dock=w.queue_dock),
        separator("&View"),
        Row("outline", "&View", dock=w.outline_dock),
        Row("texture", "&View", "Texture and UV layout…", w.outline.show_texture),
        # Help
        Row(
            "shortcuts",
            "&Help",
            "Keyboard and mouse",
            lambda: w.menu_actions.show_shortcuts(w.window()),
            Keys.HelpContents,
        ),
        Row("log_folder", "&Help", "Open log folder", files.open_log_folder),
        Row("about", "&Help", f"About {APP_NAME}", partial(_about, w)),
    ]


class RecentFiles:
    """File > Recent files: what was opened last, kept in the window state."""

    def __init__(self, w: MainWindow) -> None:
        self.ui, self.open_path = w.ui, w.open_path
        self.menu: QMenu | None = None

    def attach(self, file_menu: QMenu) -> None:
        self.menu = file_menu.addMenu("Recent files")
        self.rebuild()

    def add(self, source: str) -> None:
        state.add_recent(self.ui, source)
        self.rebuild()

    def rebuild(self) -> None:
        if self.menu is None:
            return
        self.menu.clear()
        recent = state.recent_files(self.ui)
        for source in recent:
            label = source if is_url(source) else source.replace("\\", "/").split("/")[-1]
            action = self.menu.addAction(label)
            action.setToolTip(source)
            action.triggered.connect(lambda *_, s=source: self.open_path(s))
        self.menu.setEnabled(bool(recent))


def _toggles(w: MainWindow) -> dict[str, Callable[[bool], object]]:
    viewer = w.viewer
    return {
        "wireframe": viewer.set_wireframe,
        "grid": viewer.set_grid_visible,
        "axes": viewer.set_axes_visible,
    }


def apply_view_options(w: MainWindow) -> None:
    """The remembered view options (toggles, background) applied to the viewer."""
    for key, apply in _toggles(w).items():
        apply(w.menu_actions[key].isChecked())
    color = QColor(str(w.ui.value("background", "")))
    if color.isValid():
        w.viewer.setBackgroundColor(color)


def _toggle(w: MainWindow, key: str, apply: Callable[[bool], object], on: bool) -> None:
    apply(on)
    w.ui.setValue(key, on)


def _raise(dock: QDockWidget) -> None:
    dock.show()
    dock.raise_()


def _export(w: MainWindow) -> None:
    """The model on screen, or the composed scene (a node per placement, or merged)."""
    if w.session.composition is not None:
        w.scenes.choose_export()
    else:
        w.files.export_mesh()


def _made_from_a_picture(session: Session) -> bool:
    """A library model on screen, made from a picture (or a prompt): one to compare (its
    own, not a version of it: a prepared asset is not what the photo was made into)."""
    entry = session.entry
    return (
        entry is not None
        and session.loaded is not None
        and not entry.is_scene
        and not entry.is_version
        and (entry.uploaded_file is not None or entry.source_file is not None)
    )


def _scene_history(w: MainWindow) -> Composition | None:
    """The scene's history, when Undo means it: a scene is shown and the library, whose
    Undo brings back what was deleted, is not where the keyboard is."""
    focus = QApplication.focusWidget()
    if focus is not None and w.library_panel.isAncestorOf(focus):
        return None
    return w.session.composition


def _undo(w: MainWindow, redo: bool) -> None:
    history = _scene_history(w)
    if history is not None:  # the scene's, even with nothing left: not the library's
        if redo:
            history.redo()
        else:
            history.undo()
    elif not redo:
        w.library_panel.undo_delete()


def _name_undo(w: MainWindow, menu: QMenu) -> None:
    """Undo and Redo say what they would do, each time the Edit menu opens."""

    def name() -> None:
        history = _scene_history(w)
        undo = history.undo_label if history is not None else None
        redo = history.redo_label if history is not None else None
        if history is None and w.library_panel.deleted:
            undo = "delete"
        w.menu_actions["undo"].setText(f"Undo {undo}" if undo else "Undo")
        w.menu_actions["redo"].setText(f"Redo {redo}" if redo else "Redo")

    menu.aboutToShow.connect(name)


def _find(w: MainWindow) -> None:
    w.library_dock.show()
    w.library_panel.search.setFocus()
    w.library_panel.search.selectAll()


def _choose_background(w: MainWindow) -> None:
    color = QColorDialog.getColor(w.viewer.background(), w.window(), "Background")
    if color.isValid():
        w.viewer.setBackgroundColor(color)
        w.ui.setValue("background", color.name())


def _about(w: MainWindow) -> None:
    QMessageBox.about(
        w.window(),
        f"About {APP_NAME}",
        f"<h3>{APP_NAME} {__version__}</h3><p>Pictures in, 3D models out: TripoSR through "
        "the AIML API, viewed with pyqtgraph, kept on your computer.</p>",
    )

"""The menu bar, built from a table of actions: each row says where it goes, what it is
called, its shortcut, when it can be used (a test of the session) and what it does.
gui/window_actions.py writes the window's table; this module turns it into QActions, keeps
their enabled state in step with the session, and lists the shortcuts for Help."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMenu, QMenuBar, QVBoxLayout

from aiml3d_desktop.core.session import DOCUMENT, ENTRY, SCENE

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget, QWidget

    from aiml3d_desktop.core.session import Session

Shortcut = Union[str, QKeySequence.StandardKey]  # noqa: UP007  # a runtime alias on 3.10
MOUSE_HELP = [
    ("Left drag", "Orbit"),
    ("Middle drag, or Shift + left drag", "Pan"),
    ("Right drag, or wheel", "Zoom"),
    ("Left drag on a chosen model", "Move the chosen over the ground (a composed scene)"),
    ("Left drag on a handle", "Move along, turn about or scale from its axis (arrow, ring, cube)"),
    ("Click, Shift + click", "Choose a scene's model, add it to the chosen"),
]
# Keys the 3D view takes itself once clicked (pyqtgraph's GLViewWidget): no action may be
# bound to them, and Help lists them with the actions.
VIEWER_KEYS = [(("Left", "Right", "Up", "Down"), "Orbit (click the 3D view first)")]
# Keys of a panel's own, where it has the keyboard.
PANEL_KEYS = [((QKeySequence.StandardKey.Delete,), "Delete the chosen (Scene tab's list)")]
SEPARATOR = "-"  # a row with this id is a line between groups of entries


@dataclass(frozen=True)
class Row:
    """One entry of the table. ``menu`` is a top menu's title, or "Title/Submenu"."""

    id: str
    menu: str
    text: str = ""
    handler: Callable[..., object] | None = None  # (), or (checked) when checkable
    shortcut: Shortcut | tuple[Shortcut, ...] | None = None
    enabled_when: Callable[[Session], bool] | None = None
    checkable: bool = False
    checked: bool = False
    group: str | None = None  # one of the group's entries is checked at a time
    dock: QDockWidget | None = None  # the entry shows or hides this dock
    build: Callable[[QMenu], object] | None = None  # adds entries of its own to the menu


def separator(menu: str) -> Row:
    return Row(SEPARATOR, menu)


class Menus(QObject):
    """The QActions of a table, by id (``menus["export"]``)."""

    def __init__(self, bar: QMenuBar, rows: list[Row], session: Session) -> None:
        super().__init__(bar)
        self.bar, self.session, self.rows = bar, session, rows
        self.actions: dict[str, QAction] = {}
        self.menus: dict[str, QMenu] = {}
        self._groups: dict[str, QActionGroup] = {}
        for row in rows:
            self._add(row)
        for event in (DOCUMENT, ENTRY, SCENE):  # a model or a scene shown, or one kept
            session.listen(event, lambda *_: self.refresh())
        self.refresh()

    def __getitem__(self, action_id: str) -> QAction:
        return self.actions[action_id]

    def menu(self, path: str) -> QMenu:
        if path not in self.menus:
            parent, _, title = path.rpartition("/")
            self.menus[path] = (self.menu(parent) if parent else self.bar).addMenu(title)
        return self.menus[path]

    def _add(self, row: Row) -> None:
        menu = self.menu(row.menu)
        if row.id == SEPARATOR:
            menu.addSeparator()
            return
        if row.build is not None:
            row.build(menu)
            return
        action = row.dock.toggleViewAction() if row.dock is not None else QAction(row.text, self)
        shortcuts = row.shortcut if isinstance(row.shortcut, tuple) else (row.shortcut,)
        keys = [QKeySequence(s) for s in shortcuts if s is not None]
        action.setShortcuts([k for k in keys if not k.isEmpty()])  # a standard key may be none
        if row.checkable or row.group:
            action.setCheckable(True)
            action.setChecked(row.checked)
        if row.group:
            self._groups.setdefault(row.group, QActionGroup(self)).addAction(action)
        if row.handler is not None:
            handler = row.handler
            if row.checkable:
                action.toggled.connect(handler)
            else:
                action.triggered.connect(lambda *_: handler())
        menu.addAction(action)
        self.actions[row.id] = action

    def refresh(self) -> None:
        """Each entry enabled as its test of the session says."""
        for row in self.rows:
            if row.enabled_when is not None:
                self.actions[row.id].setEnabled(row.enabled_when(self.session))

    def shortcut_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """What Help > Keyboard and mouse lists, read from the menus themselves (submenus
        included), then the 3D view's own keys and the mouse: (title, [(key, what)])."""
        sections = []
        for menu_action in self.bar.actions():
            menu = menu_action.menu()
            rows = _menu_rows(menu) if isinstance(menu, QMenu) else []
            if rows:
                sections.append((menu_action.text().replace("&", ""), rows))
        native = QKeySequence.SequenceFormat.NativeText
        viewer = [
            (", ".join(QKeySequence(k).toString(native) for k in keys), what)
            for keys, what in VIEWER_KEYS
        ]
        panels = [
            (", ".join(QKeySequence(k).toString(native) for k in keys), what)
            for keys, what in PANEL_KEYS
        ]
        return [*sections, ("3D view", viewer), ("Panels", panels), ("Mouse", MOUSE_HELP)]

    def shortcut_rows(self) -> list[tuple[str, str]]:
        return [row for _, rows in self.shortcut_sections() for row in rows]

    def show_shortcuts(self, parent: QWidget) -> None:
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
        box = QDialog(parent)
        box.setWindowTitle("Keyboard and mouse")
        box.setObjectName("shortcutsBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(box.close)
        layout = QVBoxLayout(box)
        layout.addWidget(QLabel(f"<table><tr>{columns}</tr></table>"))
        layout.addWidget(buttons)
        box.open()


def _menu_rows(menu: QMenu, prefix: str = "") -> list[tuple[str, str]]:
    """(key, what) for each action of ``menu`` with a shortcut, its submenus' included."""
    rows = []
    for action in menu.actions():
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            rows += _menu_rows(submenu, f"{prefix}{action.text()}: ")
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

"""The Scene tab's outliner: the scene's groups, each with its models beneath, and the models
in no group; a tick shows or hides, a double-click renames, the menu locks, groups and
ungroups, Delete deletes. Placements and groups share one space of ids ("p3", "g1"), so the
signals carry an id and SceneController tells which it is."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QMenu, QTreeWidget, QTreeWidgetItem, QWidget

from aiml3d_desktop.core.composition.document import SceneDoc

ID_ROLE = Qt.ItemDataRole.UserRole
NAME_ROLE = Qt.ItemDataRole.UserRole + 1  # the name and visibility shown: what changed is
VISIBLE_ROLE = Qt.ItemDataRole.UserRole + 2  # told apart when the tree says an item did
GROUP_ROLE = Qt.ItemDataRole.UserRole + 3  # True for a group's row
LOCKED = "  (locked)"


class Outliner(QTreeWidget):
    chosen = Signal(list)  # the ids of the placements chosen (a group chosen: all of its)
    shown = Signal(str, bool)  # a placement's or a group's id, ticked or not
    renamed = Signal(str, str)  # a placement's or a group's id, its new name
    locked = Signal(list, bool)  # ids of placements and groups, locked or not
    group = Signal()  # the chosen, into a new group
    ungroup = Signal(str)  # a group's id
    delete = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filling = False
        self._shown: tuple | None = None  # what the rows show now
        self.setHeaderHidden(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.itemSelectionChanged.connect(self._chosen)
        self.itemChanged.connect(self._changed)
        deleting = QShortcut(QKeySequence.StandardKey.Delete, self)
        deleting.setContext(Qt.ShortcutContext.WidgetShortcut)
        deleting.activated.connect(self.delete.emit)

    def show_doc(self, doc: SceneDoc | None, selected: list[str]) -> None:
        """The rows of ``doc``, made again only when what they show changed (not for a
        move: a drag would rebuild them at every step, and scroll the list to the top)."""
        doc = doc or SceneDoc(placements=(), groups=())  # no scene: no rows
        shown = (
            doc.groups,
            tuple((p.id, p.name, p.visible, doc.editable(p), p.group) for p in doc.placements),
        )
        if shown == self._shown:
            self.select(selected)
            return
        self._shown = shown
        scroll = self.verticalScrollBar().value()  # kept: a tick must not jump to the top
        collapsed = {
            item.data(0, ID_ROLE)
            for item in self.rows()
            if item.data(0, GROUP_ROLE) and not item.isExpanded()
        }
        self._filling = True
        self.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for group in doc.groups:
            item = self._item(group.id, group.name, group.visible, group.locked, True)
            self.addTopLevelItem(item)
            groups[group.id] = item
        for placement in doc.placements:
            locked = not doc.editable(placement)  # itself, or its group
            item = self._item(placement.id, placement.name, placement.visible, locked, False)
            parent = groups.get(placement.group or "")
            if parent is not None:
                parent.addChild(item)
            else:
                self.addTopLevelItem(item)
            item.setSelected(placement.id in selected)
        for item in groups.values():
            item.setExpanded(item.data(0, ID_ROLE) not in collapsed)
        self.verticalScrollBar().setValue(scroll)
        self._filling = False

    def _item(
        self, item_id: str, name: str, visible: bool, locked: bool, group: bool
    ) -> QTreeWidgetItem:
        item = QTreeWidgetItem([name + (LOCKED if locked else "")])
        for role, value in (
            (ID_ROLE, item_id),
            (NAME_ROLE, name),
            (VISIBLE_ROLE, visible),
            (GROUP_ROLE, group),
        ):
            item.setData(0, role, value)
        flags = item.flags() | Qt.ItemFlag.ItemIsUserCheckable
        if not locked:
            flags |= Qt.ItemFlag.ItemIsEditable
        item.setFlags(flags)
        item.setCheckState(0, Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked)
        if group:
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
        return item

    def rows(self) -> list[QTreeWidgetItem]:
        """Every row, groups before their models, top to bottom."""
        found: list[QTreeWidgetItem] = []
        for item in map(self.topLevelItem, range(self.topLevelItemCount())):
            if item is not None:
                found.append(item)
                found += [c for c in map(item.child, range(item.childCount())) if c is not None]
        return found

    def row(self, item_id: str) -> QTreeWidgetItem:
        return next(item for item in self.rows() if item.data(0, ID_ROLE) == item_id)

    def select(self, ids: list[str]) -> None:
        """The selection made ``ids`` (chosen in the view), without telling back."""
        self._filling = True
        for item in self.rows():
            item.setSelected(item.data(0, ID_ROLE) in ids)
        self._filling = False

    def _chosen(self) -> None:
        if self._filling:
            return
        ids: list[str] = []
        for item in self.selectedItems():
            if item.data(0, GROUP_ROLE):
                children = map(item.child, range(item.childCount()))
                ids += [child.data(0, ID_ROLE) for child in children if child is not None]
            else:
                ids.append(item.data(0, ID_ROLE))
        self.chosen.emit(list(dict.fromkeys(ids)))

    def _changed(self, item: QTreeWidgetItem) -> None:
        """A tick or a new name: said once the tree has finished with the item (the edit
        fills the tree again, which must not happen inside the item's own signal)."""
        if self._filling:
            return
        item_id = item.data(0, ID_ROLE)
        visible = item.checkState(0) == Qt.CheckState.Checked
        name = item.text(0).removesuffix(LOCKED)
        if visible != item.data(0, VISIBLE_ROLE):
            QTimer.singleShot(0, lambda: self.shown.emit(item_id, visible))
        elif name != item.data(0, NAME_ROLE):
            QTimer.singleShot(0, lambda: self.renamed.emit(item_id, name))

    def _menu(self, pos: QPoint) -> None:
        clicked = self.itemAt(pos)
        items = self.selectedItems() or ([clicked] if clicked else [])
        if not items:
            return
        ids = [item.data(0, ID_ROLE) for item in items]
        any_locked = any(item.text(0).endswith(LOCKED) for item in items)
        menu = QMenu(self)
        if clicked is not None and not clicked.text(0).endswith(LOCKED):
            menu.addAction("Rename", lambda: self.editItem(clicked, 0))
        menu.addAction(
            "Unlock" if any_locked else "Lock", lambda: self.locked.emit(ids, not any_locked)
        )
        if any(not item.data(0, GROUP_ROLE) for item in items):
            menu.addAction("Group", self.group.emit)
        for item in items:
            if item.data(0, GROUP_ROLE):
                group_id: str = item.data(0, ID_ROLE)
                menu.addAction(
                    f"Ungroup {item.data(0, NAME_ROLE)}", partial(self.ungroup.emit, group_id)
                )
        menu.addSeparator()
        menu.addAction("Delete", self.delete.emit)
        menu.exec(self.viewport().mapToGlobal(pos))
        menu.deleteLater()

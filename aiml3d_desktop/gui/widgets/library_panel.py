"""The library browser: a thumbnail grid with search, filters and sort, and the actions on
entries (open, compare, rename, tags, notes, favourite, reveal, export, delete with undo).

It holds every entry in memory (10,000 take a few MB) and asks the index only for the ids
that match, so that a search answers in milliseconds. It reports to the window by signals.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QDesktopServices,
    QIcon,
    QImage,
    QPainter,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from aiml3d_desktop.core.api.params import LOCAL_MODEL
from aiml3d_desktop.core.common.errors import Aiml3DError
from aiml3d_desktop.core.library.store import Entry, Library
from aiml3d_desktop.core.meshes import formats as mesh_formats
from aiml3d_desktop.gui.widgets.offscreen import ThumbnailMaker

ICON = 148  # placeholders' size; tiles are as wide as the dock allows (see _Grid)
MIN_TILE = 120  # no column narrower than this
GENERATORS = {"triposr": "TripoSR", LOCAL_MODEL: "Relief preview"}
DATES = (("Any time", None), ("Today", 0), ("Last 7 days", 7), ("Last 30 days", 30))
FORMATS = (("All formats", None), *((f.short, f.key) for f in mesh_formats.readable()))
SORTS = (
    ("Newest", "created", True),
    ("Oldest", "created", False),
    ("A–Z", "title", False),
    ("Largest", "triangles", True),
)
EntryRole = Qt.ItemDataRole.UserRole
ENTRY_MIME = "application/x-aiml3d-entries"  # tiles dragged out: their ids, one a line


def _placeholder(text: str, colour: QColor) -> QIcon:
    pixmap = QPixmap(ICON, ICON)
    pixmap.fill(QColor(46, 50, 58))
    painter = QPainter(pixmap)
    painter.setPen(colour)
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return QIcon(pixmap)


class LibraryModel(QAbstractListModel):
    def __init__(self, thumbnails: ThumbnailMaker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.entries: dict[str, Entry] = {}
        self.rows: list[str] = []
        self._icons: dict[str, QIcon] = {}
        self._waiting = _placeholder("rendering…", QColor(150, 155, 165))
        self._missing = _placeholder("mesh file missing", QColor(230, 120, 110))
        self._broken = _placeholder("unreadable mesh", QColor(230, 120, 110))
        thumbnails.made.connect(self._thumbnail_made)
        thumbnails.broken.connect(self._thumbnail_broken)

    def rowCount(
        self,
        parent: QModelIndex | QPersistentModelIndex = QModelIndex(),  # noqa: B008 - Qt's own signature
    ) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        entry = self.entries[self.rows[index.row()]]
        if role == Qt.ItemDataRole.DisplayRole:
            return ("★ " if entry.favourite else "") + entry.title + "\n" + generator(entry)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icon(entry)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(entry)
        if role == EntryRole:
            return entry
        return None

    def _icon(self, entry: Entry) -> QIcon:
        icon = self._icons.get(entry.id)
        if icon is None:
            if entry.missing:
                return self._missing
            if entry.thumbnail_path.is_file():  # a 256-pixel PNG: about a millisecond
                icon = self._icons[entry.id] = QIcon(QPixmap(str(entry.thumbnail_path)))
            else:
                self.thumbnails.request(entry)
                return self._waiting
        return icon

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return super().flags(index) | Qt.ItemFlag.ItemIsDragEnabled  # into a scene

    def mimeTypes(self) -> list[str]:
        return [ENTRY_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # type: ignore[override]
        mime = QMimeData()
        ids = "\n".join(self.rows[i.row()] for i in indexes if i.isValid())
        mime.setData(ENTRY_MIME, QByteArray(ids.encode()))
        return mime

    def set_rows(self, ids: list[str]) -> None:
        self.beginResetModel()
        self.rows = [i for i in ids if i in self.entries]
        self.endResetModel()

    def put(self, entry: Entry) -> None:
        """A new or changed entry."""
        self.entries[entry.id] = entry
        if entry.id in self.rows:
            row = self.index(self.rows.index(entry.id))
            self.dataChanged.emit(row, row)

    def entry_at(self, index: QModelIndex) -> Entry:
        return self.entries[self.rows[index.row()]]

    @Slot(str, QImage)
    def _thumbnail_made(self, entry_id: str, image: QImage) -> None:
        self._icons[entry_id] = QIcon(QPixmap.fromImage(image))
        self._changed(entry_id)

    @Slot(str)
    def _thumbnail_broken(self, entry_id: str) -> None:
        self._icons[entry_id] = self._broken
        self._changed(entry_id)

    def _changed(self, entry_id: str) -> None:
        if entry_id in self.rows:
            row = self.index(self.rows.index(entry_id))
            self.dataChanged.emit(row, row, [Qt.ItemDataRole.DecorationRole])


class LibraryPanel(QWidget):
    open_requested = Signal(object)  # Entry
    compare_requested = Signal(object, object)  # two entries
    export_requested = Signal(object)  # Entry
    scene_requested = Signal(list)  # Entries to add to the scene shown (or a new one)
    file_export_requested = Signal(list)  # Paths: files a model came with (Meshy's FBX...)
    status = Signal(str)
    error = Signal(object)  # Aiml3DError

    def __init__(self, thumbnails: ThumbnailMaker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library: Library | None = None
        self.deleted: list[Entry] = []  # for undo, most recent last
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search titles, tags, notes, sources")
        self.search.setClearButtonEnabled(True)
        self.dates, self.formats, self.sorts = QComboBox(), QComboBox(), QComboBox()
        for combo, items in ((self.dates, DATES), (self.formats, FORMATS), (self.sorts, SORTS)):
            for label, *data in items:
                combo.addItem(label, data)
            combo.currentIndexChanged.connect(self.refresh)
        # The filters share the room and may shrink: the dock leaves the 3D view room.
        shrinks = QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        for combo, letters in ((self.dates, 5), (self.formats, 6), (self.sorts, 5)):
            combo.setSizeAdjustPolicy(shrinks)
            combo.setMinimumContentsLength(letters)  # their labels whole, and no wider
        self.favourites = QToolButton()
        self.favourites.setText("★")
        self.favourites.setToolTip("Favourites only")
        self.favourites.setCheckable(True)
        self.favourites.toggled.connect(self.refresh)
        self.search.textChanged.connect(self.refresh)

        self.model = LibraryModel(thumbnails, self)
        self.view = _Grid()
        self.view.setObjectName("libraryGrid")
        self.view.setModel(self.model)
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setWordWrap(False)  # each line, title and generator, elided on its own
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)  # to the view
        self.view.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.activated.connect(self._activated)
        self.count = QLabel("Opening the library…")
        self.count.setWordWrap(True)

        search = QHBoxLayout()
        search.addWidget(self.search, 1)
        search.addWidget(self.favourites)
        filters = QHBoxLayout()
        filters.addWidget(self.dates)
        filters.addWidget(self.formats)
        filters.addWidget(self.sorts, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(search)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count)

    # Content

    def set_library(self, library: Library, entries: list[Entry]) -> None:
        self.library = library
        self.model.entries = {e.id: e for e in entries}
        self.refresh()

    def add_entry(self, entry: Entry) -> None:
        self.model.put(entry)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        if self.library is None:
            return
        days = self.dates.currentData()[0]
        since = None
        if days is not None:
            start = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
            since = (start - timedelta(days=days)).astimezone(timezone.utc).isoformat()
        _, sort, descending = SORTS[self.sorts.currentIndex()]
        try:
            favourite = self.favourites.isChecked() or None
            ids = self.library.ids(
                self.search.text(),
                favourite=favourite,
                since=since,
                fmt=self.formats.currentData()[0],
                sort=sort,
                descending=descending,
            )
        except Aiml3DError as exc:
            self.error.emit(exc)
            return
        self.model.set_rows(ids)
        total = len(self.model.entries)
        noun = "model" if total == 1 else "models"
        self.count.setText(
            f"{len(ids):,} of {total:,} {noun}"
            if len(ids) != total
            else f"{total:,} {noun}"
            if total
            else "No models yet: each one you make or add is kept here"
        )

    def selected(self) -> list[Entry]:
        return [self.model.entry_at(i) for i in self.view.selectionModel().selectedIndexes()]

    # Actions

    @Slot(QModelIndex)
    def _activated(self, index: QModelIndex) -> None:
        self.open_requested.emit(self.model.entry_at(index))

    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        if not self.view.selectionModel().isSelected(index):
            self.view.setCurrentIndex(index)
        chosen = self.selected()
        entry = self.model.entry_at(index)
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.open_requested.emit(entry))
        compare = menu.addAction(
            "Compare the two selected", lambda: self.compare_requested.emit(*chosen[:2])
        )
        models = [e for e in chosen if not e.is_scene]  # a scene holds models, not scenes
        compare.setEnabled(len(models) == 2 == len(chosen))
        add = menu.addAction(
            f"Add {len(models)} to the scene" if len(models) > 1 else "Add to the scene",
            lambda: self.scene_requested.emit(models),
        )
        add.setEnabled(bool(models))
        menu.addSeparator()
        menu.addAction("Rename…", lambda: self.rename(entry))
        menu.addAction("Tags…", lambda: self.edit_tags(entry))
        menu.addAction("Notes…", lambda: self.edit_notes(entry))
        favourite = QAction("Favourite", menu)
        favourite.setCheckable(True)
        favourite.setChecked(entry.favourite)
        favourite.toggled.connect(lambda on: self._update(entry, favourite=on))
        menu.addAction(favourite)
        menu.addSeparator()
        menu.addAction(
            "Show in file manager",
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(entry.folder))),
        )
        if not entry.is_scene:  # a scene exports from the Scene tab, once open
            menu.addAction("Export or convert…", lambda: self.export_requested.emit(entry))
        if entry.outputs:
            files = menu.addMenu("Export a file it came with")
            paths = [entry.folder / out["file"] for out in entry.outputs]
            for out, path in zip(entry.outputs, paths, strict=True):
                label = f"{role_label(out['role'])} ({path.suffix.lstrip('.').upper()})…"
                files.addAction(label, self._file_exporter([path]))
            files.addSeparator()
            files.addAction("All of them…", lambda: self.file_export_requested.emit(paths))
        menu.addSeparator()
        menu.addAction(
            f"Delete {len(chosen)} models" if len(chosen) > 1 else "Delete",
            lambda: self.delete(chosen),
        )
        menu.exec(self.view.viewport().mapToGlobal(pos))
        menu.deleteLater()  # its actions' lambdas hold entries: let them go

    def _file_exporter(self, paths: list[Path]) -> Callable[[], None]:
        return lambda: self.file_export_requested.emit(paths)

    def rename(self, entry: Entry) -> None:
        title, ok = QInputDialog.getText(self, "Rename", "Title:", text=entry.title)
        if ok:
            self._update(entry, title=title)

    def edit_tags(self, entry: Entry) -> None:
        tags, ok = QInputDialog.getText(
            self, "Tags", "Tags, separated by spaces or commas:", text=" ".join(entry.tags)
        )
        if ok:
            self._update(entry, tags=tags)

    def edit_notes(self, entry: Entry) -> None:
        notes, ok = QInputDialog.getMultiLineText(
            self, "Notes", f"Notes on {entry.title}:", entry.notes
        )
        if ok:
            self._update(entry, notes=notes)

    def _update(self, entry: Entry, **changes: object) -> None:
        assert self.library is not None  # the menu that asks is shown once it is set
        try:
            self.model.put(self.library.update(entry.id, **changes))
        except Aiml3DError as exc:
            self.error.emit(exc)
            return
        self.refresh()

    def delete(self, entries: list[Entry]) -> None:
        assert self.library is not None  # the menu that asks is shown once it is set
        for entry in entries:
            try:
                self.library.delete(entry.id)
            except Aiml3DError as exc:
                self.error.emit(exc)
                break
            self.model.entries.pop(entry.id, None)
            self.deleted.append(entry)
        self.refresh()
        names = entries[0].title if len(entries) == 1 else f"{len(entries)} models"
        self.status.emit(f"Deleted {names} — Edit > Undo (Ctrl+Z) brings it back")

    def undo_delete(self) -> None:
        if not self.deleted or self.library is None:
            return
        entry = self.deleted.pop()
        try:
            restored = self.library.restore(entry.id)
        except Aiml3DError as exc:
            self.error.emit(exc)
            return
        self.add_entry(restored)
        self.status.emit(f"Restored {restored.title}")


FORMAT_NAMES = {"fbx": "FBX", "obj": "OBJ", "usdz": "USDZ", "stl": "STL", "blend": "Blender"}


def role_label(role: str) -> str:
    """A further file's role as a person reads it: "FBX", "Base colour texture 1"."""
    if role in FORMAT_NAMES:
        return FORMAT_NAMES[role]
    if role.startswith("texture "):
        _, kind, number = role.split(" ", 2)
        return f"{kind.replace('_', ' ').replace('color', 'colour').capitalize()} texture {number}"
    return role.capitalize()


def generator(entry: Entry) -> str:
    """Which generator made the entry, in a word."""
    if entry.is_scene:
        return "Composed scene"
    if entry.model:
        return GENERATORS.get(entry.model, entry.model)
    return "Imported" if entry.source_kind == "import" else "Unknown generator"


class _Grid(QListView):
    """Icon-mode tiles that share the dock's width: as many columns as fit MIN_TILE."""

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Room for a scroll bar is kept whether or not one shows: no layout loop.
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        width = self.width() - 2 * self.frameWidth() - bar - 4  # 4: the layout's own margin
        columns = max(1, width // MIN_TILE)
        cell = max(width // columns, 60)
        if self.gridSize().width() != cell:
            icon = cell - 14
            self.setIconSize(QSize(icon, icon))
            self.setGridSize(QSize(cell, icon + 44))


def _tooltip(entry: Entry) -> str:
    stats = entry.stats or {}
    lines = [entry.title, entry.created.replace("T", " ")[:16] + " UTC", generator(entry)]
    if stats.get("triangles"):
        lines.append(f"{stats['triangles']:,} triangles · {entry.format.upper()}")
    if entry.tags:
        lines.append("Tags: " + ", ".join(entry.tags))
    if entry.source:
        lines.append(("Prompt: " if entry.source_kind == "prompt" else "From: ") + entry.source)
    if entry.missing:
        lines.append("The mesh file is missing from the library folder.")
    return "\n".join(lines)

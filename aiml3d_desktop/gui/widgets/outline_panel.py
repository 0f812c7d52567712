"""The scene outline: the loaded scene's nodes, their primitives (each with a box to hide or
show it) and its materials, with a selected row's material summed up in a line below.
It draws and emits signals; the window tells the viewer what to leave out."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from aiml3d_desktop.core.meshes.scene import PLAIN, TEXTURE_SLOTS, Material, Scene

PRIMITIVE_ROLE = Qt.ItemDataRole.UserRole  # a primitive's index in Scene.primitives
MATERIAL_ROLE = Qt.ItemDataRole.UserRole + 1  # a material's index; -1: the plain one
MAX_ROWS = 5000  # primitives listed; a file with more lists the first ones and says so


def slot_label(name: str) -> str:
    """A texture slot's name as the window words it: "base colour", "metallic roughness"."""
    return name.replace("_", " ").replace("color", "colour")


def material_summary(material: Material, scene: Scene) -> str:
    """The material's key values in one line: base colour factor, metallic, roughness,
    alpha mode and which textures it has."""
    colour = ", ".join(f"{c:.2f}" for c in material.base_color)
    slots = material.slots()
    textures = (
        ", ".join(
            f"{slot_label(name)} ({_size(scene, slot.texture)})"
            for name in TEXTURE_SLOTS
            if (slot := slots.get(name)) is not None
        )
        or "none"
    )
    alpha = material.alpha_mode
    if alpha == "MASK":
        alpha += f" at {material.alpha_cutoff:.2f}"
    return (
        f"{material.name or '(unnamed material)'}: base colour ({colour}), "
        f"metallic {material.metallic:.2f}, roughness {material.roughness:.2f}, "
        f"alpha {alpha}{', double-sided' if material.double_sided else ''}; "
        f"textures: {textures}"
    )


def _size(scene: Scene, index: int) -> str:
    if not 0 <= index < len(scene.textures):
        return "missing"
    height, width = scene.textures[index].image.shape[:2]
    return f"{width}×{height}"


class OutlinePanel(QWidget):
    hidden_changed = Signal(object)  # set[int]: the primitives to leave out
    texture_requested = Signal(int)  # a texture's index in Scene.textures

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene: Scene | None = None
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Name", "Material", "Triangles"])
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.tree.itemDoubleClicked.connect(lambda *_: self._view_texture())
        self.details = QLabel("Open a model to see its parts.")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_all = QPushButton("Show all")
        self.show_all.clicked.connect(lambda: self._set_all(True))
        self.texture_button = QPushButton("View texture…")
        self.texture_button.setToolTip(
            "The selected material's texture (or the model's first) with its UV layout"
        )
        self.texture_button.clicked.connect(self._view_texture)
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_all)
        buttons.addWidget(self.texture_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        self._updating = False
        self.set_scene(None)

    def set_scene(self, scene: Scene | None) -> None:
        """List ``scene`` (every primitive shown again)."""
        self.scene = scene
        self._updating = True
        self.tree.clear()
        if scene is not None:
            self._fill(scene)
        self._updating = False
        has_textures = scene is not None and bool(scene.textures)
        self.texture_button.setEnabled(has_textures)
        self.show_all.setEnabled(scene is not None)
        self.details.setText(
            "Open a model to see its parts."
            if scene is None
            else "Untick a part to hide it; select one for its material."
        )

    def _fill(self, scene: Scene) -> None:
        parts = QTreeWidgetItem(self.tree, ["Nodes", "", f"{scene.triangles:,}"])
        nodes: dict[str, QTreeWidgetItem] = {}
        flags = Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsAutoTristate
        parts.setFlags(parts.flags() | flags)
        for i, primitive in enumerate(scene.primitives[:MAX_ROWS]):
            node = nodes.get(primitive.node)
            if node is None:
                node = QTreeWidgetItem(parts, [primitive.node or "(node)"])
                node.setFlags(node.flags() | flags)
                nodes[primitive.node] = node
            material = scene.material(primitive)
            row = QTreeWidgetItem(
                node,
                [
                    f"Primitive {i}",
                    material.name or "(unnamed)",
                    f"{len(primitive.arrays.indices):,}",
                ],
            )
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(0, Qt.CheckState.Checked)
            row.setData(0, PRIMITIVE_ROLE, i)
            row.setData(0, MATERIAL_ROLE, primitive.material)
            row.setToolTip(1, material_summary(material, scene))
        if len(scene.primitives) > MAX_ROWS:
            QTreeWidgetItem(parts, [f"… and {len(scene.primitives) - MAX_ROWS:,} more"])
        materials = QTreeWidgetItem(self.tree, ["Materials", "", ""])
        for index, material in enumerate(scene.materials):
            row = QTreeWidgetItem(materials, [material.name or f"Material {index}", "", ""])
            row.setData(0, MATERIAL_ROLE, index)
            row.setToolTip(0, material_summary(material, scene))
        if not scene.materials:
            row = QTreeWidgetItem(materials, ["(no material)"])
            row.setData(0, MATERIAL_ROLE, -1)
        parts.setExpanded(True)
        materials.setExpanded(True)
        if len(nodes) <= 20:
            for node in nodes.values():
                node.setExpanded(True)

    def primitive_rows(self) -> list[QTreeWidgetItem]:
        """The primitives' rows, in the scene's order."""
        rows: list[QTreeWidgetItem] = []
        top = self.tree.topLevelItem(0)
        for node in _children(top):
            rows.extend(_children(node))
        return rows

    def hidden(self) -> set[int]:
        return {
            int(row.data(0, PRIMITIVE_ROLE))
            for row in self.primitive_rows()
            if row.checkState(0) != Qt.CheckState.Checked
        }

    def set_primitive_shown(self, index: int, shown: bool) -> None:
        state = Qt.CheckState.Checked if shown else Qt.CheckState.Unchecked
        for row in self.primitive_rows():
            if row.data(0, PRIMITIVE_ROLE) == index:
                row.setCheckState(0, state)

    def _set_all(self, shown: bool) -> None:
        top = self.tree.topLevelItem(0)
        if top is not None:
            top.setCheckState(0, Qt.CheckState.Checked if shown else Qt.CheckState.Unchecked)

    @Slot(QTreeWidgetItem, int)
    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._updating or column != 0:
            return
        # A node's box changes its children one by one: emit once, when the set is final.
        self._updating = True
        try:
            hidden = self.hidden()
        finally:
            self._updating = False
        self.hidden_changed.emit(hidden)

    @Slot(QTreeWidgetItem, QTreeWidgetItem)
    def _current_changed(
        self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None = None
    ) -> None:
        index = self._material_of(item)
        if self.scene is None or index is None:
            return
        material = self.scene.materials[index] if index >= 0 else PLAIN
        self.details.setText(material_summary(material, self.scene))

    def _material_of(self, item: QTreeWidgetItem | None) -> int | None:
        if item is None:
            return None
        value = item.data(0, MATERIAL_ROLE)
        return None if value is None else int(value)

    def _texture_of_selection(self) -> int:
        """The texture of the selected row's material (its base colour first), else 0."""
        index = self._material_of(self.tree.currentItem())
        if self.scene is not None and index is not None and index >= 0:
            slots = self.scene.materials[index].slots()
            for name in TEXTURE_SLOTS:
                if name in slots:
                    return slots[name].texture
        return 0

    @Slot()
    def _view_texture(self) -> None:
        if self.scene is not None and self.scene.textures:
            self.texture_requested.emit(self._texture_of_selection())


def _children(item: QTreeWidgetItem | None) -> list[QTreeWidgetItem]:
    if item is None:
        return []
    return [child for n in range(item.childCount()) if (child := item.child(n)) is not None]

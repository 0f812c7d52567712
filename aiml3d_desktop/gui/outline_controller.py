"""The scene outline's tab and the texture view: fills the outline when it is looked at (not
at every model shown while it is closed), tells the viewer which primitives to leave out, and
opens the texture view on request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot

from aiml3d_desktop.core.session import DOCUMENT
from aiml3d_desktop.gui.context import Context
from aiml3d_desktop.gui.widgets.outline_panel import OutlinePanel

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget

    from aiml3d_desktop.core.library.entry import Entry
    from aiml3d_desktop.core.meshes.mesh import LoadedMesh
    from aiml3d_desktop.core.meshes.scene import Scene
    from aiml3d_desktop.gui.widgets.texture_view import TextureView


class OutlineController(QObject):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx.parent)
        self.ctx = ctx
        self.panel = OutlinePanel()
        self.panel.hidden_changed.connect(self._hidden_changed)
        self.panel.texture_requested.connect(self.show_texture)
        self.dock: QDockWidget | None = None
        self.texture_view: TextureView | None = None
        self._scene: Scene | None = None
        self._hidden: frozenset[int] = frozenset()  # of the scene the panel lists
        # A preview (Prepare asset, Parts) shows another scene, and the viewer forgets what
        # was hidden: when the listed scene is back on screen, it is hidden again.
        ctx.viewer.frameSwapped.connect(self._frame_shown)
        ctx.session.listen(DOCUMENT, self._document_changed)

    def attach(self, dock: QDockWidget) -> None:
        self.dock = dock
        dock.visibilityChanged.connect(self._visibility_changed)

    def _document_changed(self, loaded: LoadedMesh | None, entry: Entry | None) -> None:
        self.model_changed(loaded.scene if loaded is not None else None)

    def model_changed(self, scene: Scene | None) -> None:
        """A new model on screen (every part shown): listed now if the outline is in view,
        else when it comes into view."""
        self._scene = scene
        if (
            self.dock is not None
            and self.dock.isVisible()
            and not self.dock.visibleRegion().isEmpty()
        ):
            self._list(scene)
        if self.texture_view is not None and self.texture_view.isVisible():
            if scene is not None and scene.textures:
                self.texture_view.show_texture(scene, 0)
            else:
                self.texture_view.hide()

    @Slot(bool)
    def _visibility_changed(self, visible: bool) -> None:
        if visible and self.panel.scene is not self._scene:
            self._list(self._scene)

    def _list(self, scene: Scene | None) -> None:
        self.panel.set_scene(scene)
        self._hidden = frozenset()

    @Slot()
    def _frame_shown(self) -> None:
        viewer = self.ctx.viewer
        if self._hidden and viewer.scene is self.panel.scene and viewer.item.hidden != self._hidden:
            viewer.set_hidden(self._hidden)

    @Slot(object)
    def _hidden_changed(self, hidden: set[int]) -> None:
        self._hidden = frozenset(hidden)
        viewer = self.ctx.viewer
        if self.panel.scene is not None and viewer.scene is self.panel.scene:
            viewer.set_hidden(hidden)

    def show_outline(self) -> None:
        if self.dock is not None:
            self.dock.show()
            self.dock.raise_()

    @Slot(int)
    def show_texture(self, texture: int = 0) -> None:
        """The texture view, made on first use, showing ``texture`` of the model on screen."""
        scene = self._scene
        if scene is None or not scene.textures:
            self.ctx.show_status("The model on screen has no textures")
            return
        if self.texture_view is None:
            from aiml3d_desktop.gui.widgets.texture_view import TextureView

            self.texture_view = TextureView(self.ctx.runner, self.ctx.parent)
        self.texture_view.show_texture(scene, texture)
        self.texture_view.show()
        self.texture_view.raise_()

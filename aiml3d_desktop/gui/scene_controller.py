"""Composed scenes in the window (core/composition): a scene.json opened (a drop, File >
Open, ``aiml3d view desk.json``) is read on a worker, each model once, and shown in the
viewer in place of any model, framed from the home view. What it could not find is said
in the status bar; the scene stays what it is on disk (nothing here writes it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot

from aiml3d_desktop.gui import tasks

if TYPE_CHECKING:
    from aiml3d_desktop.core.composition.history import Composition
    from aiml3d_desktop.core.meshes.scene import Scene
    from aiml3d_desktop.gui.context import Context


class SceneController(QObject):
    def __init__(self, context: Context) -> None:
        super().__init__(context.parent)
        self.context = context

    def open(self, path: str) -> None:
        self.context.runner.start(
            tasks.open_scene, path, self.context.session, succeeded=self._opened
        )

    @Slot(object)
    def _opened(self, result: tuple[Composition, Path, Scene, list[str]]) -> None:
        composition, path, scene, missing = result
        context = self.context
        context.viewer.show_scene(scene, view="home")
        context.session.show_scene(composition, path)
        doc = composition.doc
        shown = scene.instances or []
        line = f"{doc.name}: {len(shown)} models shown, {scene.triangles:,} triangles"
        if missing:
            line += f"; {len(missing)} could not be found (the first: {missing[0]})"
        context.show_status(line)


def is_scene_file(source: str) -> bool:
    """A scene.json (or any .json file: reading it says if it is not a scene)."""
    return Path(source).suffix.lower() == ".json"

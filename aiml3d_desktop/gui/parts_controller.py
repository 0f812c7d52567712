"""Split into parts in the window: a point picked by clicking the model, the call run on a
worker, the parts kept as a new version of the entry and shown, each in its colour, to be
shown, hidden and exported one by one; the masks shown on request."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QFileDialog

from aiml3d_desktop.core.api.models import HUNYUAN_PART
from aiml3d_desktop.core.common.errors import Aiml3DError, InputError
from aiml3d_desktop.core.common.stages import RetryNote, Stage
from aiml3d_desktop.core.generation import parts
from aiml3d_desktop.core.library.entry import VERSIONS
from aiml3d_desktop.core.meshes import formats
from aiml3d_desktop.core.session import DOCUMENT
from aiml3d_desktop.gui import tasks
from aiml3d_desktop.gui.context import Context
from aiml3d_desktop.gui.widgets.parts_panel import PartsPanel

if TYPE_CHECKING:
    import numpy as np

    from aiml3d_desktop.core.library.entry import Entry, Version
    from aiml3d_desktop.core.meshes.mesh import LoadedMesh
    from aiml3d_desktop.core.meshes.scene import Scene
    from aiml3d_desktop.gui.workers import Worker


class PartsController(QObject):
    status = Signal(str)
    done = Signal()  # a split finished, made or failed

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx.parent)
        self.ctx = ctx
        self.panel = PartsPanel()
        self.loaded: LoadedMesh | None = None
        self.entry: Entry | None = None  # the library entry (not the version) on screen
        self.version: Version | None = None  # a version on screen
        self.recipe: dict = {}  # what the parts on screen were split with, and found
        self.folder: Path | None = None  # where their mask files are
        self.shown: list[bool] = []  # each part's visibility
        self.worker: Worker | None = None
        self.splitting: Entry | None = None  # the entry the running split is for
        panel = self.panel
        panel.pick.connect(self._picking)
        panel.split.connect(self.split)
        panel.cancel.connect(self.cancel)
        panel.part_toggled.connect(self._part_toggled)
        panel.export_part.connect(self.export_part)
        panel.show_mask.connect(self.show_mask)
        panel.show_parts.connect(self._show_parts)
        panel.show_all.connect(self._show_all)
        ctx.viewer.clicked.connect(self._clicked)
        ctx.session.listen(DOCUMENT, self.model_changed)

    def model_changed(self, loaded: LoadedMesh | None, entry: Entry | None) -> None:
        self.loaded, self.version = loaded, None
        self.panel.set_point(None)
        base = self._base(entry)
        self.entry = base
        problem = None
        if loaded is not None and base is None:
            problem = (
                "Only a model in the library made through the API can be split: the "
                "service takes the mesh by the link the API gave for it. A mesh that is "
                "online can be split from the command line: aiml3d parts https://…"
            )
        elif base is not None:
            try:
                parts.mesh_url_of(base)
            except InputError as exc:
                problem = exc.message
        title = None if loaded is None else (base.title if base else loaded.path.name)
        running = self.splitting
        if running is not None and (base is None or base.id != running.id):
            problem = f"{running.title} is being split: one split at a time."
        self.panel.set_target(title, problem)
        if running is not None and problem is None:
            self.panel.set_busy(True, "Splitting…")
        version = self._find_version(entry)
        recipe, self.folder = None, None
        if version is not None:
            recipe, self.folder = version.recipe.get("parts"), version.folder
        elif base is not None and base.model == HUNYUAN_PART.id:  # a mesh link split
            recipe, self.folder = base.extra.get("parts"), base.folder
        self.recipe = recipe if isinstance(recipe, dict) else {}
        if recipe and loaded is not None:
            self.shown = [True] * len(loaded.scene.primitives)
            self.panel.show_result(recipe.get("parts", []), recipe.get("masks", []))
            self.panel.target.setText(_made_with(recipe, title))
        else:
            self.shown = []
            self.panel.show_result([], [])

    def _base(self, entry: Entry | None) -> Entry | None:
        if entry is None or not entry.is_version:
            return entry
        library = self.ctx.session.library
        try:
            return library.get(entry.id) if library is not None else None
        except Aiml3DError:
            return None

    def _find_version(self, entry: Entry | None) -> Version | None:
        """The version ``entry`` shows (an entry seen through one of its versions)."""
        if entry is None or not entry.is_version or self.entry is None:
            return None
        version_id = entry.mesh_file.split("/")[1] if entry.mesh_file.startswith(VERSIONS) else ""
        try:
            self.version = self.entry.version(version_id)
        except KeyError:
            return None
        return self.version

    # Picking a point

    @Slot(bool)
    def _picking(self, on: bool) -> None:
        if on:
            self.status.emit("Click the part you want on the model")

    @Slot(object, object)
    def _clicked(self, origin: np.ndarray, direction: np.ndarray) -> None:
        if not self.panel.pick_button.isChecked() or self.loaded is None:
            return
        if self.version is not None and not self.recipe:
            # The link sent is the original's: a turned or scaled version is another frame.
            self.status.emit("Pick on the original model (or its parts), not a prepared version")
            return
        scene = self._parts_scene() or self.loaded.scene  # hidden parts catch no click
        self.ctx.runner.start(tasks.pick_point, scene, origin, direction, succeeded=self._picked)

    @Slot(object)
    def _picked(self, point: np.ndarray | None) -> None:
        if self.loaded is None:
            return
        if point is None:
            self.status.emit("That missed the model: click on it")
            return
        self.panel.set_point(parts.point_prompt(point, self.loaded.scene.bounds))
        self.status.emit("Point picked: press Split into parts")

    # The call

    @Slot()
    def split(self) -> None:
        library = self.ctx.session.library
        if self.entry is None or self.worker is not None or library is None:
            return
        self.worker = self.ctx.runner.start(
            tasks.split_parts,
            self.ctx.session,
            library,
            self.entry.id,
            self.panel.picked,
            self.panel.seed_value(),
            self.panel.values(),
            succeeded=self._split,
            failed=self._failed,
            progress=self._progress,
        )
        self.splitting = self.entry
        self.panel.set_busy(True, "Sending the mesh link…")

    @Slot()
    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.status.emit("Cancelling… (a call already made may still be charged)")

    @Slot(object, object, object)
    def _progress(self, stage: Stage | RetryNote, done: int | None, total: int | None) -> None:
        if self.entry is None or self.splitting is None or self.entry.id != self.splitting.id:
            return  # another model is on screen: its panel is not this split's
        text = (
            "Splitting on the service…" if stage is Stage.GENERATING else "Downloading the parts…"
        )
        if isinstance(stage, RetryNote):
            text = stage.text()
        self.panel.set_busy(True, text)

    @Slot(object)
    def _split(self, result: tuple[Entry, parts.Split]) -> None:
        entry, done = result
        self.worker = self.splitting = None
        self.panel.set_busy(False)
        self.done.emit()
        self.ctx.session.versions_changed(entry)
        assert done.version is not None  # an entry's split is always a version
        if self.entry is not None and self.entry.id == entry.id:
            self.ctx.requests.open_entry.emit(entry.as_version(done.version))
        self.status.emit(f"{entry.title}: {len(done.parts)} parts, kept as a new version")

    @Slot(object)
    def _failed(self, error: Aiml3DError) -> None:
        self.worker = self.splitting = None
        self.panel.set_busy(False)
        self.done.emit()
        self.ctx.report_error(error, "Could not split the model")

    # The parts on screen

    def _parts_scene(self) -> Scene | None:
        if self.loaded is None or not self.shown:
            return None
        scene = self.loaded.scene
        kept = [p for p, on in zip(scene.primitives, self.shown, strict=True) if on]
        return replace(scene, primitives=kept)

    @Slot(int, bool)
    def _part_toggled(self, index: int, on: bool) -> None:
        if not 0 <= index < len(self.shown):
            return
        self.shown[index] = on
        if not any(self.shown):  # an empty view says nothing: the last part stays
            self.shown[index] = True
            self.panel.set_part_shown(index, True)
            self.status.emit("At least one part stays shown")
            return
        self._show_parts()

    def _listed(self) -> tuple[list, list]:
        return self.recipe.get("parts", []), self.recipe.get("masks", [])

    @Slot()
    def _show_all(self) -> None:
        self.shown = [True] * len(self.shown)
        self._show_parts()

    @Slot()
    def _show_parts(self) -> None:
        scene = self._parts_scene()
        if scene is not None:
            self.ctx.viewer.show_scene(scene, frame=False)

    @Slot(int)
    def export_part(self, index: int) -> None:
        if self.loaded is None or not 0 <= index < len(self.loaded.scene.primitives):
            return
        title = self.entry.title if self.entry else self.loaded.path.stem
        suggested = self.ctx.session.conf.output_path / f"{title}-part{index + 1}.glb"
        path, chosen = QFileDialog.getSaveFileName(
            self.ctx.parent,
            f"Export part {index + 1}",
            str(suggested),
            formats.dialog_filter("save"),
        )
        if path:
            path = formats.extension_for_filter(chosen, path)
            one = replace(self.loaded.scene, primitives=[self.loaded.scene.primitives[index]])
            self.ctx.runner.start(tasks.export_mesh, one, path, succeeded=self._exported)

    @Slot(object)
    def _exported(self, path: Path) -> None:
        self.status.emit(f"Saved {path}")

    @Slot(int)
    def show_mask(self, number: int) -> None:
        if self.folder is None:
            return
        masks = {m["number"]: m for m in self._listed()[1]}
        if number in masks:
            path = self.folder / masks[number]["file"]
            self.ctx.runner.start(tasks.open_mesh, str(path), succeeded=self._mask_opened)

    @Slot(object)
    def _mask_opened(self, loaded: LoadedMesh) -> None:
        self.ctx.viewer.show_scene(loaded.scene, frame=False)
        item = self.panel.masks.currentItem()
        shown = item.text() if item is not None else loaded.path.name
        self.status.emit(f"{shown} shown: Show parts goes back")


def _made_with(recipe: dict, title: str | None) -> str:
    """What a parts version was split with, for the panel's heading."""
    point = recipe.get("point")
    where = "x {:+.2f}, y {:+.2f}, z {:+.2f}".format(*point) if point else "no point"
    seed = f", seed {recipe['seed']}" if recipe.get("seed") else ""
    return f"{title}: {len(recipe.get('parts', []))} parts ({where}{seed})."

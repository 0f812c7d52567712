"""Prepare asset (issue 16) in the window: the panel's recipe run on a worker for a preview
in the 3D view, kept as a new version of the library entry (or saved as files for a model
opened from disk), the entry's versions opened, compared and exported; presets; and the
turntable export, drawn a frame per event-loop turn so the window never stalls."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QInputDialog

from aiml3d_desktop import paths
from aiml3d_desktop.core.assets.recipe import Presets, Recipe, same_steps
from aiml3d_desktop.core.common.errors import Aiml3DError, InputError
from aiml3d_desktop.core.session import DOCUMENT, VERSIONS
from aiml3d_desktop.gui import tasks
from aiml3d_desktop.gui.context import Context
from aiml3d_desktop.gui.widgets.prepare_panel import PreparePanel

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiml3d_desktop.core.assets.pipeline import Prepared
    from aiml3d_desktop.core.common.stages import RetryNote, Stage
    from aiml3d_desktop.core.library.entry import Entry, Version
    from aiml3d_desktop.core.meshes.mesh import LoadedMesh
    from aiml3d_desktop.gui.widgets.turntable_dialog import TurntableChoice
    from aiml3d_desktop.gui.workers import Worker

T = TypeVar("T")

TURNTABLE_FRAMES = 72
TURNTABLE_SIZE = (640, 640)
TURNTABLE_FPS = 24


class AssetController(QObject):
    status = Signal(str)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx.parent)
        self.ctx = ctx
        self.runner = ctx.runner
        ctx.session.listen(VERSIONS, self.versions_changed)
        ctx.session.listen(DOCUMENT, self.model_changed)
        self.panel = PreparePanel()
        self.presets = Presets(paths.config_dir() / "presets.json")
        self.panel.set_presets(self.presets.all())
        self.label = tasks.StepLabel()
        self.loaded: LoadedMesh | None = None
        self.entry: Entry | None = None  # the library entry whose versions are listed
        self.prepared: Prepared | None = None
        self.prepared_recipe: Recipe | None = None
        self.worker: Worker | None = None
        self._running_recipe: Recipe | None = None
        self._running_for: LoadedMesh | None = None  # the model a preview is made from
        self._apply_after_preview = False
        self._turntable: QTimer | None = None
        panel = self.panel
        panel.preview.connect(self.preview)
        panel.apply.connect(self.apply)
        panel.cancel.connect(self.cancel)
        panel.show_original.connect(self.show_original)
        panel.save_preset.connect(self.save_preset)
        panel.delete_preset.connect(self.delete_preset)
        panel.open_version.connect(self.open_version)
        panel.compare_versions.connect(self.compare_versions)
        panel.export_version.connect(self.export_version)
        panel.pose_chosen.connect(self._pose_chosen)

    # What is on screen

    def model_changed(self, loaded: LoadedMesh | None, entry: Entry | None) -> None:
        """A new model in the window (a version of the listed entry keeps the list). Work
        still running on the last model is cancelled; its result would belong to it."""
        self.cancel()
        self._apply_after_preview = False
        self.loaded, self.prepared, self.prepared_recipe = loaded, None, None
        title = None if loaded is None else entry.title if entry else loaded.path.name
        same = entry is not None and self.entry is not None and entry.id == self.entry.id
        if entry is not None and entry.is_version:
            entry = self.entry if same else self._base(entry)
        self.entry = entry
        self.panel.set_upright(None)  # the last model's ways to stand
        self.panel.set_target(title, in_library=entry is not None)
        if not same:  # the same entry's list keeps its selection
            self.panel.set_versions(entry.version_list() if entry is not None else None)

    def versions_changed(self, entry: Entry) -> None:
        """A version was added to ``entry`` elsewhere (Split into parts): its list, if shown."""
        if self.entry is not None and self.entry.id == entry.id:
            self.entry = entry
            self.panel.set_versions(entry.version_list())

    def _base(self, entry: Entry) -> Entry | None:
        library = self.ctx.session.library
        try:
            return library.get(entry.id) if library is not None else None
        except Aiml3DError:
            return None

    # The work

    def _recipe(self) -> Recipe | None:
        try:
            return self.panel.recipe()
        except InputError as exc:
            self.ctx.report_error(exc, "Cannot prepare the asset")
            return None

    @Slot()
    def preview(self) -> None:
        recipe = self._recipe()
        if recipe is None or self.loaded is None or self.worker is not None:
            return
        self._running_recipe, self._running_for = recipe, self.loaded
        self._start(
            tasks.prepare_asset, self.loaded.scene, recipe, self.label, succeeded=self._previewed
        )

    @Slot(object)
    def _previewed(self, prepared: Prepared) -> None:
        # A bound slot (not a lambda): Qt then calls it on the GUI thread.
        if self._running_for is not self.loaded:
            return  # made from a model no longer on screen
        self.prepared, self.prepared_recipe = prepared, self._running_recipe
        self.panel.set_upright(prepared.upright)
        self.ctx.viewer.show_scene(prepared.scene)
        texture = ""
        if prepared.scene.textures:
            side = prepared.scene.textures[0].image.shape[0]
            texture = f", a {side} px texture"
        first = f"Preview: {prepared.scene.triangles:,} triangles{texture}."
        self.panel.show_report([first, *prepared.lines()])
        self.status.emit(first + " Apply keeps it; Show original goes back.")

    @Slot()
    def _pose_chosen(self) -> None:
        """Another way to stand it, picked while a preview is shown: the preview follows."""
        if self.prepared is not None:
            self.preview()

    @Slot()
    def apply(self) -> None:
        recipe = self._recipe()
        if recipe is None or self.loaded is None or self.worker is not None:
            return
        fresh = self.prepared is not None and self.prepared_recipe == recipe
        if self.entry is None:  # a file from disk: the result goes to files the user names
            if not fresh:
                self._apply_after_preview = True
                self.preview()
                return
            self._save_as(recipe)
            return
        title = self._title(recipe)
        source = self.prepared if fresh else self.loaded.scene
        self._start(
            tasks.keep_version, self.ctx.session.library, self.entry, recipe, title, source,
            self.label, succeeded=self._kept,
        )  # fmt: skip

    def _title(self, recipe: Recipe) -> str:
        for preset in self.presets.all().values():
            if same_steps(preset.recipe, recipe):
                return preset.title
        return "custom"

    @Slot(object)
    def _kept(self, result: tuple[Entry, Version]) -> None:
        entry, version = result
        if self.entry is None or entry.id != self.entry.id:
            self.status.emit(f"Kept {entry.title} · {version.label} as a new version")
            return  # another model is on screen now: its list stays
        self.entry = entry
        self.panel.set_versions(entry.version_list())
        self.panel.show_report(
            [f"Kept as version {len(entry.versions)}: {', '.join(version.files)}", *version.report]
        )
        self.status.emit(f"Kept {entry.title} · {version.label} as a new version")

    def _save_as(self, recipe: Recipe) -> None:
        assert self.loaded is not None and self.prepared is not None
        first = recipe.formats[0]
        suggested = self.ctx.session.conf.output_path / f"{self.loaded.path.stem}.{first}"
        path, _ = QFileDialog.getSaveFileName(
            self.ctx.parent,
            "Save the prepared asset",
            str(suggested),
            f"{first.upper()} (*.{first})",
        )
        if path:
            self._start(
                tasks.save_prepared, self.prepared, path, recipe.formats, succeeded=self._saved
            )

    @Slot(object)
    def _saved(self, files: list[Path]) -> None:
        self.panel.show_report(["Saved:", *map(str, files)])
        self.status.emit(f"Saved {len(files)} file{'s' if len(files) != 1 else ''}")

    def _start(self, fn: Callable[..., T], *args: object, succeeded: Callable[[T], object]) -> None:
        self.panel.set_busy(True)
        worker = self.runner.start(
            fn, *args, succeeded=succeeded, failed=self._failed, progress=self._progress
        )
        worker.finished.connect(self._finished)
        self.worker = worker

    @Slot(object, object, object)
    def _progress(self, stage: Stage | RetryNote, done: int | None, total: int | None) -> None:
        if done is not None and total:
            self.panel.set_progress(self.label.text, round(1000 * done / total))
        else:
            self.panel.set_progress("Writing the files", self.panel.progress.value())

    @Slot(object)
    def _failed(self, error: Aiml3DError) -> None:
        self._apply_after_preview = False
        if error.message != "Cancelled":
            self.ctx.report_error(error, "Cannot prepare the asset")
        else:
            self.panel.show_report(["Cancelled: nothing was kept."])
            self.status.emit("Cancelled: nothing was kept")

    @Slot()
    def _finished(self) -> None:
        self.worker = None
        self.panel.set_busy(False)
        if self._apply_after_preview and self.prepared is not None:
            self._apply_after_preview = False
            self.apply()  # a model from disk: previewed first, now asked where to save

    @Slot()
    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    @Slot()
    def show_original(self) -> None:
        if self.loaded is not None:
            self.ctx.viewer.show_scene(self.loaded.scene)
            self.status.emit("Showing the model as it was")

    # Presets

    @Slot()
    def save_preset(self) -> None:
        recipe = self._recipe()
        if recipe is None:
            return
        name, ok = QInputDialog.getText(self.ctx.parent, "Save as preset", "Name of the preset:")
        if not ok:
            return
        try:
            preset = self.presets.save(name, recipe)
        except Aiml3DError as exc:
            self.ctx.report_error(exc, "Cannot save the preset")
            return
        self.panel.set_presets(self.presets.all(), preset.name)
        self.status.emit(f"Saved the preset {preset.name}")

    @Slot(str)
    def delete_preset(self, name: str) -> None:
        try:
            self.presets.delete(name)
        except Aiml3DError as exc:
            self.ctx.report_error(exc, "Cannot delete the preset")
            return
        self.panel.set_presets(self.presets.all())

    # Versions

    def _as_entry(self, version: Version | None) -> Entry | None:
        if self.entry is None:
            return None
        return self.entry if version is None else self.entry.as_version(version)

    @Slot(object)
    def open_version(self, version: Version | None) -> None:
        entry = self._as_entry(version)
        if entry is not None:
            self.ctx.requests.open_entry.emit(entry)

    @Slot(object, object)
    def compare_versions(self, first: Version | None, second: Version | None) -> None:
        a, b = self._as_entry(first), self._as_entry(second)
        if a is not None and b is not None:
            self.ctx.requests.compare.emit(a, b)

    @Slot(object)
    def export_version(self, version: Version | None) -> None:
        if self.entry is None:
            return
        if version is None:
            self.ctx.requests.export_entry.emit(self.entry)
            return
        from aiml3d_desktop.core.meshes import formats

        stem = f"{self.entry.title} {version.label}"
        path, chosen = QFileDialog.getSaveFileName(
            self.ctx.parent,
            "Export version",
            str(self.ctx.session.conf.output_path / stem),
            formats.dialog_filter("save"),
        )
        if path:
            path = formats.extension_for_filter(chosen, path)
            self.runner.start(
                tasks.version_file, self.entry, version, path, succeeded=self._saved_one
            )

    @Slot(object)
    def _saved_one(self, path: Path) -> None:
        self.status.emit(f"Saved {path}")

    # Turntable

    @Slot()
    def export_turntable(self) -> None:
        """Ask where, how many frames, what size and how fast (remembered for next time),
        then draw and write it."""
        if self.ctx.viewer.scene is None or self._turntable is not None:
            return
        from aiml3d_desktop.gui.widgets.turntable_dialog import TurntableDialog

        dialog = TurntableDialog(self._last_turntable(), self.ctx.parent)
        if dialog.exec() != TurntableDialog.DialogCode.Accepted:
            return
        choice = dialog.choice()
        ui = self.ctx.ui
        ui.setValue("turntable/folder", str(choice.path.parent))
        ui.setValue("turntable/suffix", choice.path.suffix.lower())
        ui.setValue("turntable/frames", choice.frames)
        ui.setValue("turntable/width", choice.size[0])
        ui.setValue("turntable/height", choice.size[1])
        ui.setValue("turntable/fps", choice.fps)
        self.record_turntable(choice.path, choice.frames, choice.size, choice.fps)

    def _last_turntable(self) -> TurntableChoice:
        """What was chosen last time (a name of the model on screen, in the folder and
        format used then), or the defaults."""
        from aiml3d_desktop.gui.widgets.turntable_dialog import TurntableChoice

        ui = self.ctx.ui

        def number(key: str, default: int) -> int:
            try:
                return int(str(ui.value(f"turntable/{key}", default)))
            except (TypeError, ValueError):
                return default

        from aiml3d_desktop.core.look.turntable import FORMATS  # with Pillow: on first use

        folder = str(ui.value("turntable/folder", "") or self.ctx.session.conf.output_path)
        suffix = str(ui.value("turntable/suffix", ".gif"))
        suffix = suffix if suffix in FORMATS else ".gif"
        composition = self.ctx.session.composition
        stem = (
            self.loaded.path.stem
            if self.loaded is not None
            else composition.doc.name
            if composition is not None
            else "turntable"
        )
        return TurntableChoice(
            Path(folder) / f"{stem}{suffix}",
            number("frames", TURNTABLE_FRAMES),
            (number("width", TURNTABLE_SIZE[0]), number("height", TURNTABLE_SIZE[1])),
            number("fps", TURNTABLE_FPS),
        )

    def record_turntable(
        self,
        dest: Path,
        frames: int | None = None,
        size: tuple[int, int] | None = None,
        fps: int | None = None,
    ) -> None:
        """Draw the turn one frame per event-loop turn, then encode it on a worker."""
        frames = frames or TURNTABLE_FRAMES
        size = size or TURNTABLE_SIZE
        fps = fps or TURNTABLE_FPS
        from aiml3d_desktop.gui.render import rgb_array
        from aiml3d_desktop.gui.widgets.offscreen import OffscreenRenderer

        viewer = self.ctx.viewer
        assert viewer.scene is not None  # a model, or a composed scene, as it is shown
        renderer = OffscreenRenderer()
        renderer.look_like(viewer)
        renderer.start_turntable(viewer.scene, size, viewer.up_axis, viewer.background())
        pictures: list = []
        timer = QTimer(self)
        self._turntable = timer

        def step() -> None:
            pictures.append(rgb_array(renderer.turntable_frame(len(pictures) / frames)))
            self.status.emit(f"Drawing the turntable… {len(pictures)} of {frames}")
            if len(pictures) == frames:
                timer.stop()
                timer.timeout.disconnect()  # no cycle of timer and closure left to collect
                timer.deleteLater()
                renderer.finish_turntable()
                renderer.close()
                self._turntable = None
                self.runner.start(
                    tasks.write_turntable, pictures, dest, fps, succeeded=self._saved_one
                )

        timer.timeout.connect(step)
        timer.start(0)

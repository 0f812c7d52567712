"""Composed scenes in the window (core/composition): a scene.json opened (a drop, File >
Open, ``aiml3d view desk.json``) or a new one, read on a worker, each model once, and shown
in the viewer in place of any model; the Scene tab (widgets/scene_panel.py) lists its
placements and edits them through the scene's history, so that every edit can be undone;
models are added from files and from the library; a drag in the view that starts on a
chosen model moves the chosen over the ground (core/composition/drag.py); Save writes
scene.json, Export the scene as any format. The chosen are outlined by their boxes.

An edit that only moves models draws the same meshes (assemble.drawable's ``like``): the
view uploads nothing, so a drag reaches the screen in the next frame."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from aiml3d_desktop import APP_NAME
from aiml3d_desktop.core.common.errors import Aiml3DError, InputError
from aiml3d_desktop.core.session import SCENE
from aiml3d_desktop.gui import tasks

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget

    from aiml3d_desktop.core.composition.assemble import Models
    from aiml3d_desktop.core.composition.document import Placement, SceneDoc, Source
    from aiml3d_desktop.core.composition.history import Composition, Outlines
    from aiml3d_desktop.core.composition.plan import Plan
    from aiml3d_desktop.core.composition.planned import Layout
    from aiml3d_desktop.core.library.entry import Entry
    from aiml3d_desktop.core.look.lighting import Lighting
    from aiml3d_desktop.core.meshes.scene import Scene
    from aiml3d_desktop.gui.context import Context
    from aiml3d_desktop.gui.widgets.scene_panel import ScenePanel


class SceneController(QObject):
    lighting_wanted = Signal(object)  # the scene's Lighting, for the viewer to take
    saved = Signal(object, object)  # the library's scene Entry, the Scene drawn (a thumbnail)
    boxes_wanted = Signal(object, object)  # the scene's Entry and SceneDoc: make its stand-ins
    stop_wanted = Signal(str)  # a scene entry's id: cancel the making of its models
    look_wanted = Signal(str, bytes)  # a scene entry's id, a PNG of it: Look again

    def __init__(self, context: Context) -> None:
        super().__init__(context.parent)
        self.context = context
        self.dock: QDockWidget | None = None
        self.entry: Entry | None = None  # the library's entry of the scene, when it is one
        self.models: Models = {}
        self.outlines: dict[str, np.ndarray] = {}  # a model's key to its outline
        self.chosen: list[str] = []
        self._click: tuple[SceneDoc | None, bool] = (None, False)  # a click's scene, Shift
        self._let_go: Composition | None = None  # a scene whose changes the user let go
        self._lit_as: tuple | None = None  # the scene light the viewer was last given
        # The tab is built when a scene is first shown (or the tab asked for): until then a
        # line and a button stand in, and the window's first frame does not wait for it.
        self._panel: ScenePanel | None = None
        self.tab = QWidget()
        column = QVBoxLayout(self.tab)
        hint = QLabel(
            "Compose several models into one scene: start one here, open a scene.json, or "
            "let File > Compose a scene from a sentence plan and make one."
        )
        hint.setWordWrap(True)
        start = QPushButton("New scene")
        start.clicked.connect(self.new_scene)
        column.addWidget(hint)
        column.addWidget(start)
        column.addStretch(1)
        # Imported here, with the view: it brings pyqtgraph and OpenGL (a tenth of a second),
        # which a mesh given on the command line starts loading before (MainWindow).
        from aiml3d_desktop.gui.scene_handles import SceneHandles

        self.handles = SceneHandles(self, context.viewer)  # the chosen's boxes and handles
        context.viewer.clicked.connect(self._clicked)
        context.session.listen(SCENE, self._scene_changed)

    @property
    def panel(self) -> ScenePanel:
        """The Scene tab, built on first use in place of the stand-in."""
        if self._panel is None:
            from aiml3d_desktop.gui.widgets import scene_panel

            self._panel = panel = scene_panel.ScenePanel()
            self._connect(panel)
            if self.dock is not None:
                self.dock.setWidget(panel)
                self.tab.deleteLater()
        return self._panel

    def _connect(self, panel: ScenePanel) -> None:
        outliner = panel.outliner
        outliner.chosen.connect(self._choose)
        outliner.shown.connect(self._show_item)
        outliner.renamed.connect(self._rename)
        outliner.locked.connect(self._lock)
        outliner.group.connect(self._group)
        outliner.ungroup.connect(lambda group: self._edit(lambda c: c.ungroup(group)))
        panel.undo.connect(lambda: self._edit(lambda c: c.undo()))
        panel.redo.connect(lambda: self._edit(lambda c: c.redo()))
        panel.duplicate.connect(self._duplicate)
        panel.delete.connect(self._delete)
        panel.arrange.connect(
            lambda how, gap: self._measured_edit(
                lambda c: c.arrange(self._targets(), how, gap, self.outlines)
            )
        )
        panel.rest.connect(
            lambda: self._measured_edit(lambda c: c.rest_on_ground(self._targets(), self.outlines))
        )
        panel.save.connect(self.save)
        panel.new_scene.connect(self.new_scene)
        panel.add_files.connect(self.choose_files)
        panel.export.connect(self.choose_export)
        panel.transform.typed.connect(self._typed)
        panel.transform.turn.connect(
            lambda degrees: self._edit(lambda c: c.turn(self.chosen, degrees))
        )
        panel.sun.changed.connect(self._sun)
        panel.make_boxes.connect(self._make_boxes)
        panel.look_again.connect(self._look_again)
        panel.stop_making.connect(
            lambda: self.stop_wanted.emit(self.entry.id) if self.entry is not None else None
        )

    # The scene shown and its file are the session's (core/session.py): read, not copied.

    @property
    def composition(self) -> Composition | None:
        return self.context.session.composition

    @property
    def path(self) -> Path | None:
        return self.context.session.scene_file

    @path.setter
    def path(self, path: Path | None) -> None:
        self.context.session.scene_file = path

    def attach(self, dock: QDockWidget) -> None:
        self.dock = dock

    def open(self, path: str, entry: Entry | None = None) -> None:
        """A scene.json, or the library's scene ``entry`` (its file is ``path``)."""
        if not self.may_leave():
            return
        self.context.runner.start(
            tasks.open_scene, path, self.context.session, entry, succeeded=self._opened
        )

    def may_leave(self) -> bool:
        """Whether the scene shown may give way to something else: it has nothing to lose,
        or the user saves it (and the save works) or lets the changes go."""
        composition = self.composition
        if (
            composition is None
            or composition is self._let_go
            or not (composition.modified or (self.path is None and composition.doc.placements))
        ):
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.context.parent,
            "The scene is not saved",
            f"Save the changes to {composition.doc.name}?",
            buttons.Save | buttons.Discard | buttons.Cancel,
            buttons.Save,
        )
        if answer == buttons.Save:
            self.save()
            return not composition.modified and self.path is not None
        if answer == buttons.Discard:
            self._let_go = composition  # asked once: not again as what replaces it arrives
        return answer == buttons.Discard

    def new_scene(self) -> None:
        """An empty scene, not saved anywhere yet, in place of what is shown."""
        from aiml3d_desktop.core.composition import assemble
        from aiml3d_desktop.core.composition.document import SceneDoc
        from aiml3d_desktop.core.composition.history import Composition

        if not self.may_leave():
            return
        lit = assemble.with_lighting(SceneDoc(), self.context.viewer.lighting, None)
        self._show(Composition(lit), None, None, {})  # lit as the view is now
        self.context.show_status("A new scene: add models from files or from the library")

    @Slot(object)
    def _opened(self, opened: tasks.OpenedScene) -> None:
        if not self.may_leave():
            return
        self._show(opened.composition, opened.path, opened.scene, opened.models)
        self.entry = opened.entry
        self._show_panel()  # with its entry: the boxes of it being made
        self.context.runner.start(tasks.scene_outlines, opened.models, succeeded=self._measured)
        context = self.context
        doc = opened.composition.doc
        line = f"{doc.name}: {len(opened.scene.placements())} models shown, "
        line += f"{opened.scene.triangles:,} triangles"
        if opened.missing:
            line += f"; {len(opened.missing)} could not be found (the first: {opened.missing[0]})"
        context.show_status(line)

    def _show(
        self,
        composition: Composition,
        path: Path | None,
        scene: Scene | None,
        models: Models,
    ) -> None:
        self.context.viewer.show_scene(scene, view="home")
        # The session first lets go of any scene shown (-> _scene_changed clears), then
        # shows this one; its models are kept after that.
        self.context.session.show_scene(composition, path)
        self.models, self.outlines, self.chosen = dict(models), {}, []
        self.entry = None
        composition.listen(self._changed)
        self._label_boxes(composition.doc)
        self.handles.attach(True)
        self._lit_as = None  # a scene shown anew is lit anew
        self._light(composition.doc)
        self._show_panel()
        if self.dock is not None:
            self.dock.show()
            self.dock.raise_()

    @Slot(object)
    def _measured(self, outlines: Outlines) -> None:
        """The outlines of the models of the scene opened (of this one, or none now)."""
        for key, outline in outlines.items():
            if key in self.models:
                self.outlines.setdefault(key, outline)
        self.handles.refresh()

    @property
    def measured(self) -> bool:
        """Every model of the scene has its outline (they come after the first frame)."""
        return all(m.scene is None or key in self.outlines for key, m in self.models.items())

    def _measuring(self) -> bool:
        """Not yet measured: an edit that measures waits, and says so."""
        if not self.measured:
            self.context.show_status("Measuring the scene's models: try again in a moment")
        return not self.measured

    def _scene_changed(self, composition: Composition | None, path: Path | None) -> None:
        """The session's scene: this one, or none (a model was opened in its place)."""
        if composition is None:
            from aiml3d_desktop.gui.widgets.viewer import SUN_SHADOW

            self.models, self.outlines, self.chosen, self.entry = {}, {}, [], None
            self._lit_as = None
            viewer = self.context.viewer
            viewer.set_labels([])
            self.handles.attach(False)
            viewer.item.set_sun_shadow(SUN_SHADOW)  # a model's own light again
            if viewer.lighting.sun_direction is not None:
                self.lighting_wanted.emit(replace(viewer.lighting, sun_direction=None))
            self.handles.refresh()
        self._show_panel()

    # Edits

    def _edit(self, change: object) -> None:
        """Apply ``change`` (a function of the composition); a refusal is said, not raised."""
        if self.composition is None:
            return
        try:
            change(self.composition)  # type: ignore[operator]
        except Aiml3DError as exc:
            self.context.report_error(exc, "The scene was not changed")

    def _measured_edit(self, change: object) -> None:
        """An edit that measures the models, once they are measured."""
        if not self._measuring():
            self._edit(change)

    def _changed(self, doc: SceneDoc) -> None:
        """After every edit, undo and redo: the view and the list follow the document."""
        from aiml3d_desktop.core.composition import assemble

        if self.composition is None or doc is not self.composition.doc:
            return  # a scene no longer shown
        present = {p.id for p in doc.placements}
        self.chosen = [pid for pid in self.chosen if pid in present]
        try:
            scene = assemble.drawable(doc, self.models, like=self.context.viewer.scene)
        except InputError:
            scene = None  # nothing shown: every model hidden or deleted
        viewer = self.context.viewer
        viewer.show_scene(scene, frame=viewer.scene is None)  # the first model: framed
        self._label_boxes(doc)
        self._light(doc)
        self.handles.refresh()
        self._show_panel()

    def _label_boxes(self, doc: SceneDoc) -> None:
        """Each stand-in box shown is named in the view, above its top."""
        from aiml3d_desktop.core.composition import arrange

        labels = []
        for placement in doc.placements:
            model = self.models.get(placement.source.key)
            if placement.source.stand_in is None or model is None or not doc.shown(placement):
                continue
            low, high = arrange.world_box(placement, model.box)
            top = ((low[0] + high[0]) / 2, high[1], (low[2] + high[2]) / 2)
            labels.append((tuple(map(float, top)), placement.name))
        self.context.viewer.set_labels(labels)  # type: ignore[arg-type]

    def _light(self, doc: SceneDoc) -> None:
        """The viewer lit as the scene says (opened, or its lighting changed or undone): the
        lighting, its sun, and the sun's shadow or none. Only when that changed: a lighting
        that cannot be had (a file gone) is said once, not at every edit."""
        from aiml3d_desktop.core.composition import assemble
        from aiml3d_desktop.gui.widgets.viewer import SUN_SHADOW

        if self._lit_as == (doc.light, doc.background):
            return
        self._lit_as = (doc.light, doc.background)
        self.context.viewer.item.set_sun_shadow(SUN_SHADOW if doc.light.shadow else 0.0)
        try:
            self.lighting_wanted.emit(assemble.lighting(doc, self._base()))
        except InputError as exc:  # a preset of a newer app
            self.context.report_error(exc, "The scene's lighting cannot be used")

    def _sun(self, azimuth: float, elevation: float, shadow: bool) -> None:
        if self.composition is not None:
            light = self.composition.doc.light
            changed = replace(light, sun_azimuth=azimuth, sun_elevation=elevation, shadow=shadow)
            self._edit(lambda c: c.set_light(changed))

    @Slot(object)
    def lit(self, lighting: Lighting) -> None:
        """The lighting menu used while a scene is shown: the scene keeps it (a change to
        undo like any other)."""
        from aiml3d_desktop.core.composition import assemble

        if self.composition is not None:
            doc = self.composition.doc
            lit = assemble.with_lighting(doc, lighting, self.path and self._base())
            if lit != doc:
                self.composition.apply("Change the lighting", lit)

    def _base(self) -> Path:
        """Where the scene's relative paths start: its folder (the current one, unsaved)."""
        return self.path.resolve().parent if self.path is not None else Path.cwd()

    # The outliner's rows: placements and groups, told apart by their ids

    def _is_group(self, item_id: str) -> bool:
        return self.composition is not None and any(
            g.id == item_id for g in self.composition.doc.groups
        )

    def _show_item(self, item_id: str, on: bool) -> None:
        if self._is_group(item_id):
            self._edit(lambda c: c.change_group(item_id, visible=on))
        else:
            self._edit(lambda c: c.set_visible([item_id], on))

    def _rename(self, item_id: str, name: str) -> None:
        if self._is_group(item_id):
            self._edit(lambda c: c.change_group(item_id, name=name))
        elif self.composition is not None and self.composition.doc.placement(item_id).name != name:
            self._edit(lambda c: c.rename(item_id, name))

    def _lock(self, ids: list[str], on: bool) -> None:
        groups = [i for i in ids if self._is_group(i)]
        placements = [i for i in ids if i not in groups]

        def lock(composition: Composition) -> None:
            if placements:
                composition.set_locked(placements, on)
            for group in groups:
                composition.change_group(group, locked=on)

        self._edit(lock)
        self._choose(self.chosen)  # the transform box: a locked model cannot be moved

    def _group(self) -> None:
        if self.composition is not None and self.chosen:
            name = f"Group {len(self.composition.doc.groups) + 1}"
            self._edit(lambda c: c.group(self.chosen, name))

    def _delete(self) -> None:
        """The chosen deleted; locked ones stay, and the status says so."""
        if self.composition is None:
            return
        locked = len(self.chosen) - len(self._movable())
        self._edit(lambda c: c.remove(self.chosen))
        if locked:
            self.context.show_status(
                f"{locked} locked {'model stays' if locked == 1 else 'models stay'}: "
                "unlock them (the list's menu) to delete them"
            )

    def _duplicate(self) -> None:
        """Copies of the chosen, beside them (their width and a little more along +X)."""
        if self.composition is None or not self.chosen or self._measuring():
            return
        from aiml3d_desktop.core.composition import arrange

        doc = self.composition.doc
        widths = [
            arrange.world_box(p, self.outlines[p.source.key])
            for p in doc.placements
            if p.id in self.chosen and p.source.key in self.outlines
        ]
        step = max((float(b[1, 0] - b[0, 0]) for b in widths), default=0.5) + 0.1

        def duplicate(composition: Composition) -> None:
            copies = composition.duplicate(self.chosen, (step, 0.0, 0.0))
            self.chosen = copies
            self._show_panel()  # the copies chosen in the list too
            self.handles.refresh()

        self._edit(duplicate)

    def _targets(self) -> list[str]:
        """The chosen placements, or all of them when none is chosen."""
        if self.composition is None:
            return []
        return self.chosen or [p.id for p in self.composition.doc.placements]

    def _typed(self, field: str, value: float) -> None:
        """A number typed in the transform box, for the one chosen model."""
        from aiml3d_desktop.core.composition import arrange

        movable = self._movable()  # what the box shows: the one chosen that can move
        if len(movable) != 1:
            return
        placement = movable[0]
        pid = placement.id
        if field == "turn":
            turn = value - arrange.yaw(placement.rotation)
            self._edit(lambda c: c.turn([pid], turn))
        elif field == "scale":
            self._edit(lambda c: c.transform(pid, scale=value))
        else:
            position = list(placement.position)
            position["xyz".index(field)] = value
            self._edit(lambda c: c.transform(pid, position=position))

    def snapping(self) -> tuple[float, float]:
        """What a drag in the view snaps to: the Scene tab's drag grid and turn step."""
        transform = self.panel.transform
        return transform.grid.value(), transform.step.value()

    # Adding models

    def choose_files(self) -> None:
        from aiml3d_desktop.core.meshes import formats

        paths, _ = QFileDialog.getOpenFileNames(
            self.context.parent, "Add models to the scene", "", formats.dialog_filter("open")
        )
        self.add_files(paths)

    def add_files(self, paths: list[str]) -> None:
        from aiml3d_desktop.core.composition.document import Source

        self._add([(Source(file=str(Path(p).resolve())), Path(p).stem) for p in paths])

    @Slot(list)
    def add_entries(self, entries: list[Entry], ray: tuple | None = None) -> None:
        """Library entries into the scene shown (a new scene when none is); one dropped in
        the view stands where ``ray`` (origin, direction) meets the ground."""
        from aiml3d_desktop.core.composition import arrange
        from aiml3d_desktop.core.composition.document import Source

        if self.composition is None:
            self.new_scene()
        where = None
        if ray is not None and len(entries) == 1:
            where = arrange.on_the_ground(list(ray[0]), list(ray[1]))
        # An entry seen through a version (Entry.as_version) names it in its mesh file.
        version = [e.mesh_file.split("/")[1] if e.is_version else None for e in entries]
        self._add(
            [
                (Source(entry=e.id, version=v), e.title)
                for e, v in zip(entries, version, strict=True)
            ],
            where,
        )

    def _add(self, items: list[tuple[Source, str]], where: tuple | None = None) -> None:
        """The models read on a worker (each once), then placed at ``where`` or beside the
        scene."""
        if self.composition is None or not items or self._measuring():
            return
        self.context.runner.start(
            tasks.models_to_add,
            items,
            self._base(),
            self.context.session,
            where,
            succeeded=self._read,
        )

    @Slot(object)
    def _read(self, read: tasks.ModelsToAdd) -> None:
        items, models, outlines, where = read
        if self.composition is None:
            return
        missing = [m.missing for m in models.values() if m.scene is None]
        found = [(s, n) for s, n in items if models[s.key].scene is not None]
        for key, model in models.items():
            known = self.models.get(key)
            if model.scene is not None and (known is None or known.scene is None):
                self.models[key] = model  # one in the scene already: the one read first
                self.outlines[key] = outlines[key]
        if found:
            self._edit(lambda c: self._choose(c.add(found, self.outlines, where)))
            self.panel.select(self.chosen)
            names = ", ".join(name for _, name in found)
            self.context.show_status(f"Added {names} beside the scene")
        if missing:
            self.context.report_error(
                InputError(missing[0]), f"{len(missing)} of the models could not be added"
            )

    # A planned scene's models, as they are made

    def put_in(self, standing: Source, read: tasks.ModelsToAdd, layout: Layout | None) -> bool:
        """A model made for the stand-in ``standing`` of the scene shown, in its place
        (core/composition/planned.py), as one step to undo; the scene saved with it unless
        it had changes not saved. False when the scene no longer has that stand-in."""
        from aiml3d_desktop.core.composition import planned

        composition = self.composition
        if composition is None or all(p.source != standing for p in composition.doc.placements):
            return False
        source, model = read.items[0][0], read.models[read.items[0][0].key]
        name = next(p.name for p in composition.doc.placements if p.source == standing)
        if model.scene is None:
            self.context.report_error(InputError(model.missing), f"{name} could not be shown")
            return True
        self.models[source.key], self.outlines[source.key] = model, read.outlines[source.key]
        saved = not composition.modified and self.entry is not None
        after = planned.arrive(composition.doc, standing, source, model, self.models, layout)
        self._edit(lambda c: c.apply(f"Put in the {name}", after))
        if saved:
            self.save()
        return True

    def _make_boxes(self) -> None:
        """The stand-ins' models wanted: the scene is saved first (the models made go to
        its library entry, so a scene kept as a file of its own cannot take them)."""
        if self.composition is None:
            return
        if self.entry is None and self.path is not None:
            self.context.report_error(
                InputError(
                    "The boxes of a scene kept as a file are not made here",
                    hint="Add the scene to the library (Save it as a new scene), or run "
                    "`aiml3d scene make` on a scene in the library.",
                ),
                "Nothing was made",
            )
            return
        if self.entry is None or self.composition.modified:
            self.save()
        if self.entry is not None:
            self.boxes_wanted.emit(self.entry, self.composition.doc)

    def _look_again(self) -> None:
        """The scene rendered as the view shows it (1024 x 768), for Look again."""
        from aiml3d_desktop.gui.widgets import offscreen

        viewer, scene = self.context.viewer, self.context.viewer.scene
        if self.entry is None or scene is None:
            return
        renderer = offscreen.OffscreenRenderer()  # lit as the view is, from the front
        renderer.look_like(viewer)
        try:
            (image,) = renderer.render(scene, ("home",), (1024, 768), viewer.up_axis,
                                       viewer.background())  # fmt: skip
        finally:
            renderer.close()
        self.look_wanted.emit(self.entry.id, offscreen.png_bytes(image))

    @Slot(str, object)
    def revise(self, scene: str, plan: Plan) -> None:
        """The corrections of Look again applied to the scene shown (one step to undo)."""
        from aiml3d_desktop.core.composition import assemble, planned
        from aiml3d_desktop.core.composition.plan import PlanError
        from aiml3d_desktop.core.composition.review import MAX_ROUNDS

        layout = self.context.session.scene_layouts.get(scene)
        composition = self.composition
        if composition is None or layout is None or self.entry is None or self.entry.id != scene:
            self.context.show_status("Look again answered for a scene no longer shown: unused")
            return
        saved = not composition.modified
        try:
            after = planned.revise(composition.doc, layout, plan)
        except PlanError as exc:
            self.context.report_error(exc, "The corrections could not be placed")
            return
        for placement in after.placements:  # a new object's box: its model, read here
            key = placement.source.key
            if placement.source.stand_in is not None and key not in self.models:
                self.models[key] = model = assemble.read_model(placement.source, Path("."))
                self.outlines[key] = model.outline
        layout.reviews += 1
        self._edit(lambda c: c.apply(f"Look again ({layout.reviews} of {MAX_ROUNDS})", after))
        if saved:
            self.save()

    @Slot()
    def refresh_making(self) -> None:
        """The queue moved on: how many of the scene's boxes are being made."""
        if self._panel is not None and self.composition is not None:
            self._show_panel()

    # Files

    def save(self) -> None:
        """Into the library (a new scene becomes an entry of its own, with a thumbnail),
        or back to the scene.json it was opened from."""
        from aiml3d_desktop.core.composition import document
        from aiml3d_desktop.core.composition import in_library as scenes

        composition, library = self.composition, self.context.session.library
        if composition is None:
            return
        try:
            if self.path is not None and self.entry is None:
                document.save(composition.doc, self.path)
            elif library is None:
                raise InputError("The library is not open yet", hint="Save again in a moment.")
            elif self.entry is None:
                self.entry = scenes.add_scene(library, composition.doc, None)
                self.path = self.entry.mesh_path
            else:  # a new entry, if the one it was has been deleted meanwhile
                self.entry = scenes.save_scene(library, self.entry, composition.doc)
                self.path = self.entry.mesh_path
        except (Aiml3DError, OSError) as exc:
            error = exc if isinstance(exc, Aiml3DError) else InputError(f"Could not save: {exc}")
            self.context.report_error(error, "The scene was not saved")
            return
        composition.mark_saved()
        self._show_panel()
        if self.entry is not None:
            self.saved.emit(self.entry, self.context.viewer.scene)
        where = "in the library" if self.entry is not None else str(self.path)
        self.context.show_status(f"Saved {composition.doc.name} {where}")

    def save_as(self, path: Path) -> None:
        """The scene as a scene.json file of its own (tests, and scenes kept by hand)."""
        if self.composition is None:
            return
        self.path, self.entry = path, None
        self.save()

    def choose_export(self) -> None:
        from aiml3d_desktop.core.meshes import formats

        if self.composition is None:
            return
        folder = self.context.session.conf.output_path
        path, chosen = QFileDialog.getSaveFileName(
            self.context.parent,
            "Export scene",
            str(folder / self.composition.doc.name),
            formats.dialog_filter("save"),
        )
        if path:
            self.export(formats.extension_for_filter(chosen, path))

    def export(self, dest: str) -> None:
        """The scene as ``dest``'s format: GLB and glTF keep a node per placement, the
        others (STL, 3MF: on the plate in millimetres) one merged model."""
        if self.composition is not None:
            self.context.runner.start(
                tasks.export_scene,
                self.composition.doc,
                self.models,
                dest,
                succeeded=self._exported,
            )

    @Slot(object)
    def _exported(self, path: Path) -> None:
        self.context.show_status(f"Exported the scene to {path}")

    # Choosing

    @Slot(object, object)
    def _clicked(self, origin: np.ndarray, direction: np.ndarray) -> None:
        """A click in the view chooses the model it meets (Shift: adds it, or takes it
        away); a click on nothing chooses nothing. Found on a worker: a big scene's
        triangles take a while."""
        scene = self.context.viewer.scene
        if self.composition is None or scene is None or scene.instances is None:
            return
        adding = bool(QGuiApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._click = (self.composition.doc, adding)
        self.context.runner.start(
            tasks.pick_placement, scene, origin, direction, succeeded=self._picked
        )

    @Slot(object)
    def _picked(self, index: int | None) -> None:
        from aiml3d_desktop.core.composition import assemble

        doc, adding = self._click
        if self.composition is None or self.composition.doc is not doc:
            return  # the scene changed meanwhile: the click meant another one
        order = [p.id for p, _ in assemble.placed(doc, self.models)]  # drawable's order
        hit = order[index] if index is not None and index < len(order) else None
        chosen = [pid for pid in self.chosen if pid != hit] if adding else []
        if hit is not None and (not adding or hit not in self.chosen):
            chosen.append(hit)
        self._choose(chosen)
        self.panel.select(chosen)

    def _choose(self, ids: list[str]) -> None:
        self.chosen = list(ids)
        self.handles.refresh()
        self.panel.set_chosen(len(self.chosen))
        self.panel.show_chosen(self._movable())

    def _movable(self) -> list[Placement]:
        if self.composition is None:
            return []
        doc = self.composition.doc
        return [p for p in doc.placements if p.id in self.chosen and doc.editable(p)]

    def _show_panel(self) -> None:
        """The Scene tab, and the window's title, as the scene now is."""
        composition = self.composition
        if composition is None:
            if self._panel is not None:
                self._panel.show_doc(None, [], None, None, False)
            return
        unsaved = composition.modified or self.path is None
        self.context.parent.setWindowTitle(
            f"{composition.doc.name}{' (not saved)' if unsaved else ''} — {APP_NAME}"
        )
        self.panel.show_doc(
            composition.doc,
            self.chosen,
            composition.undo_label,
            composition.redo_label,
            unsaved,
        )
        self.panel.show_chosen(self._movable())
        boxes, pending = self._making()
        self.panel.show_making(boxes, pending)
        layout = self.context.session.scene_layouts.get(self.entry.id) if self.entry else None
        if layout is not None and not boxes and not pending:
            from aiml3d_desktop.core.composition.review import MAX_ROUNDS

            self.panel.show_review(MAX_ROUNDS - layout.reviews)
        else:
            self.panel.show_review(None)

    def _making(self) -> tuple[int, int]:
        """The scene's stand-in boxes, and how many of them are being made."""
        from aiml3d_desktop.core.composition import planned
        from aiml3d_desktop.core.generation import scene_making

        assert self.composition is not None
        boxes = len(planned.waiting(self.composition.doc))
        queue = self.context.session.queue
        if not boxes or self.entry is None or queue is None:
            return boxes, 0
        return boxes, len(scene_making.pending(queue, self.entry.id))


def is_scene_file(source: str) -> bool:
    """A scene.json (or any .json file: reading it says if it is not a scene)."""
    return Path(source).suffix.lower() == ".json"

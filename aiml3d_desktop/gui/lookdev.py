"""The window's look-dev controls, in the menus the window's table builds: View > Lighting
(presets, an HDR/EXR environment, exposure, rotation, background, sun), View > Channel (one
input of the materials), View > Camera and faces (orthographic, field of view, vertex
colours, back faces) and File > Export image… (any size up to 8192, transparent or not).
The light itself is core/look/lighting.py's ``Lighting``; it is kept for the session only, so a
start-up never waits on a prefilter."""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QKeyCombination, QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QMenu,
    QSpinBox,
)

from aiml3d_desktop.core.common.errors import Aiml3DError
from aiml3d_desktop.core.look import lighting as looks
from aiml3d_desktop.core.look.studio import CHANNEL_NAMES, CHANNELS
from aiml3d_desktop.gui.context import Context

if TYPE_CHECKING:
    from typing import TypedDict

    from PySide6.QtWidgets import QWidget
    from typing_extensions import Unpack

    from aiml3d_desktop.core.common.cancel import CancelToken
    from aiml3d_desktop.core.common.stages import Progress

    class LightingChange(TypedDict, total=False):
        """What Lookdev.change() may change in a Lighting: any of its fields."""

        preset: str
        file: Path | None
        rotation: float
        exposure: float
        background: str
        sun: bool


EXPOSURE_STEP = 0.5  # EV
ROTATION_STEP = 45.0  # degrees
BACKGROUND_NAMES = {"colour": "Plain colour", "environment": "Environment (blurred)"}


class Lookdev(QObject):
    """The lighting submenu's actions, kept in step with the viewer's lighting."""

    lit = Signal(object)  # the Lighting the viewer took (a composed scene keeps it)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx.parent)
        self.ctx = ctx
        self._wanted: looks.Lighting | None = None  # the lighting asked for last

    def add_menus(self, view_menu: QMenu) -> None:
        """Lighting, Channel and Camera and faces, as submenus of ``view_menu``."""
        menu = view_menu.addMenu("Lighting")
        self.menu = menu
        group = QActionGroup(self)
        self.preset_actions: dict[str, QAction] = {}
        for preset in looks.PRESETS:
            action = menu.addAction(looks.PRESET_NAMES[preset])
            action.setCheckable(True)
            action.triggered.connect(partial(self.set_preset, preset))
            group.addAction(action)
            self.preset_actions[preset] = action
        self.file_action = menu.addAction("Environment from file (HDR, EXR)…")
        self.file_action.setCheckable(True)
        self.file_action.triggered.connect(self.choose_file)
        group.addAction(self.file_action)
        menu.addSeparator()
        for text, change in (
            ("Brighter (+½ EV)", {"exposure": EXPOSURE_STEP}),
            ("Darker (−½ EV)", {"exposure": -EXPOSURE_STEP}),
            ("Turn the light left (45°)", {"rotation": ROTATION_STEP}),
            ("Turn the light right (45°)", {"rotation": -ROTATION_STEP}),
        ):
            menu.addAction(text).triggered.connect(partial(self.step, change))
        menu.addAction("Reset exposure and turn").triggered.connect(self.reset)
        menu.addSeparator()
        backgrounds = QActionGroup(self)
        self.background_actions: dict[str, QAction] = {}
        for key, text in BACKGROUND_NAMES.items():
            action = menu.addAction(f"Background: {text}")
            action.setCheckable(True)
            action.triggered.connect(partial(self.change, background=key))
            backgrounds.addAction(action)
            self.background_actions[key] = action
        self.sun_action = menu.addAction("Sun (key light)")
        self.sun_action.setCheckable(True)
        self.sun_action.triggered.connect(lambda on: self.change(sun=bool(on)))
        self._channel_menu(view_menu.addMenu("Channel"))
        self._camera_menu(view_menu.addMenu("Camera and faces"))
        self._sync()

    def _channel_menu(self, menu: QMenu) -> None:
        group = QActionGroup(self)
        self.channel_actions: dict[str | None, QAction] = {}
        for channel in (None, *CHANNELS):
            text = "Off (the shading)" if channel is None else CHANNEL_NAMES[channel]
            action = menu.addAction(text)
            action.setCheckable(True)
            action.triggered.connect(partial(self.set_channel, channel))
            group.addAction(action)
            self.channel_actions[channel] = action
            if channel is None:
                menu.addSeparator()
        self.channel_actions[None].setChecked(True)

    def _camera_menu(self, menu: QMenu) -> None:
        viewer = self.ctx.viewer
        self.ortho_action = menu.addAction("Orthographic")
        self.ortho_action.setCheckable(True)
        # 5 on the number row and on the keypad (Blender's key), whichever the keyboard has.
        keypad = QKeyCombination(Qt.KeyboardModifier.KeypadModifier, Qt.Key.Key_5)
        self.ortho_action.setShortcuts([QKeySequence("5"), QKeySequence(keypad)])
        self.ortho_action.toggled.connect(viewer.set_orthographic)
        menu.addAction("Field of view…").triggered.connect(lambda *_: self.ask_fov())
        menu.addSeparator()
        self.colours_action = menu.addAction("Vertex colours")
        self.colours_action.setCheckable(True)
        self.colours_action.setChecked(True)
        self.colours_action.toggled.connect(viewer.set_vertex_colours)
        group = QActionGroup(self)
        self.back_face_actions: dict[str, QAction] = {}
        for how, text in (
            ("material", "Back faces as the material says"),
            ("shown", "Back faces shown"),
            ("culled", "Back faces culled"),
        ):
            action = menu.addAction(text)
            action.setCheckable(True)
            action.triggered.connect(partial(viewer.set_back_faces, how))
            group.addAction(action)
            self.back_face_actions[how] = action
        self.back_face_actions["material"].setChecked(True)

    def ask_fov(self) -> None:
        from aiml3d_desktop.gui.widgets.viewer import FOV_RANGE

        viewer = self.ctx.viewer
        low, high = FOV_RANGE
        degrees, ok = QInputDialog.getInt(
            self.ctx.parent,
            "Field of view",
            f"Degrees across the view ({low} to {high}):",
            round(viewer.opts["fov"]),
            low,
            high,
        )
        if ok:
            viewer.set_fov(degrees)

    def set_channel(self, channel: str | None) -> None:
        self.channel_actions[channel].setChecked(True)
        self.ctx.viewer.set_channel(channel)
        self.ctx.show_status(
            "Showing the shading" if channel is None else f"Channel: {CHANNEL_NAMES[channel]}"
        )

    @property
    def lighting(self) -> looks.Lighting:
        return self.ctx.viewer.lighting

    def change(self, **fields: Unpack[LightingChange]) -> None:
        """Light the viewer with the current lighting changed by ``fields``. A new preset or
        file is prefiltered on a worker first (a preset 0.35 s, a file more: not on the GUI
        thread); a file that cannot be used is said in words and changes nothing."""
        # Made from the lighting asked for last (still being prefiltered, perhaps): a
        # slower answer to an earlier change must not undo a later one.
        lighting = dataclasses.replace(self._wanted or self.lighting, **fields)
        self._wanted = lighting
        current = self.lighting
        if (lighting.preset, lighting.file) != (current.preset, current.file):
            self.ctx.runner.start(
                _prefiltered, lighting, succeeded=self._lit, failed=self._unusable
            )
        else:
            self._lit(lighting)  # its environment is the one on screen: prefiltered

    @Slot(object)
    def _lit(self, lighting: looks.Lighting) -> None:
        if self._wanted is not None and lighting != self._wanted:
            return  # asked for before the lighting asked for last
        try:
            self.ctx.viewer.set_lighting(lighting)  # prefiltered: from the cache
        except Aiml3DError as error:  # a file changed since it was read
            self._unusable(error)
            return
        self._sync()
        self.lit.emit(lighting)
        source = lighting.file.name if lighting.file else looks.PRESET_NAMES[lighting.preset]
        self.ctx.show_status(
            f"Lighting: {source}, {lighting.exposure:+g} EV, turned {lighting.rotation:g}°"
        )

    @Slot(object)
    def _unusable(self, error: Aiml3DError) -> None:
        self._wanted = None  # the lighting on screen stays, and changes start from it
        self.ctx.report_error(error, "The environment cannot be used")
        self._sync()

    @Slot(object)
    def show_lighting(self, lighting: looks.Lighting) -> None:
        """Light as ``lighting`` says, whole (a composed scene's own)."""
        if lighting != self.lighting:
            self.change(**dataclasses.asdict(lighting))

    def set_preset(self, preset: str) -> None:
        self.change(preset=preset, file=None)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.ctx.parent, "Environment", "", "Equirectangular HDR (*.hdr *.exr)"
        )
        if path:
            self.change(file=Path(path))
        else:
            self._sync()

    def step(self, change: dict) -> None:
        light = self.lighting
        if "exposure" in change:
            self.change(exposure=max(-10.0, min(10.0, light.exposure + change["exposure"])))
        else:
            self.change(rotation=(light.rotation + change["rotation"]) % 360.0)

    def reset(self) -> None:
        self.change(exposure=0.0, rotation=0.0)

    def _sync(self) -> None:
        light = self.lighting
        if light.file is not None:
            self.file_action.setChecked(True)
        else:
            self.preset_actions[light.preset].setChecked(True)
        background = light.background if light.background in BACKGROUND_NAMES else "colour"
        self.background_actions[background].setChecked(True)
        self.sun_action.setChecked(light.sun)

    # File > Export image…

    def export_image(
        self,
        path: str | None = None,
        size: tuple[int, int] | None = None,
        transparent: bool | None = None,
    ) -> Path | None:
        """The view as it is, drawn off screen at any size up to 8192, with a transparent
        background if asked; written as PNG (arguments given skip the dialogs: tests)."""
        viewer = self.ctx.viewer
        scene = viewer.item.scene
        if scene is None:
            return None
        if size is None or transparent is None:
            asked = _ask_size(self.ctx.parent, viewer.device_size())
            if asked is None:
                return None
            size, transparent = asked
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self.ctx.parent, "Export image", "view.png", "PNG picture (*.png)"
            )
            if not path:
                return None
            if not path.lower().endswith(".png"):
                path += ".png"
        from aiml3d_desktop.gui import tasks
        from aiml3d_desktop.gui.widgets.offscreen import OffscreenRenderer

        # The picture shows at least what the window shows: the field of view is across,
        # so a picture wider than the view steps back until the view's height fits.
        camera = {**viewer.camera(), "fov": viewer.opts["fov"]}
        tall = (max(viewer.height(), 1) / max(viewer.width(), 1)) / (size[1] / size[0])
        camera["distance"] *= max(1.0, tall)
        renderer = OffscreenRenderer()
        try:
            copy = renderer.viewer
            copy.set_shading(viewer.item.mode)
            copy.set_channel(viewer.item.channel)
            copy.set_orthographic(viewer.orthographic)
            copy.set_vertex_colours(viewer.item.vertex_colours)
            copy.set_back_faces(viewer.item.back_faces)
            copy.set_wireframe(viewer.item.wireframe)
            copy.set_lighting(viewer.lighting)
            copy.set_grid_visible(viewer._floor_parts["lines"] and not transparent)
            copy.set_axes_visible(viewer._floor_parts["axes"] and not transparent)
            copy.set_shadow_visible(bool(viewer._floor_parts["shadow"]))
            copy.item.set_sun_shadow(viewer.item.sun_shadow)  # a scene's may be off
            (image,) = renderer.render(
                scene,
                (),
                size,
                viewer.up_axis,
                viewer.background(),
                transparent=transparent,
                camera=camera,
            )
        except Aiml3DError as error:
            self.ctx.report_error(error, "The image cannot be made")
            return None
        finally:
            renderer.close()
        self.ctx.runner.start(
            tasks.save_image,
            image,
            path,
            succeeded=lambda out: self.ctx.show_status(f"Saved {out}"),
        )
        return Path(path)


def _ask_size(parent: QWidget, current: tuple[int, int]) -> tuple[tuple[int, int], bool] | None:
    from aiml3d_desktop.gui.widgets.offscreen import MAX_PICTURE

    box = QDialog(parent)
    box.setWindowTitle("Export image")
    form = QFormLayout(box)
    spins = []
    for label, value in (("Width (px)", current[0]), ("Height (px)", current[1])):
        spin = QSpinBox(box)
        spin.setRange(16, MAX_PICTURE)
        spin.setValue(max(16, min(MAX_PICTURE, value)))
        form.addRow(label, spin)
        spins.append(spin)
    clear = QCheckBox("Transparent background (no grid)", box)
    form.addRow(clear)
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(box.accept)
    buttons.rejected.connect(box.reject)
    form.addRow(buttons)
    if box.exec() != QDialog.DialogCode.Accepted:
        return None
    return (spins[0].value(), spins[1].value()), clear.isChecked()


def _prefiltered(
    lighting: looks.Lighting, *, progress: Progress, cancel: CancelToken
) -> looks.Lighting:
    """A worker's task: ``lighting`` with its environment read and prefiltered (cached, so
    that lighting the viewer with it on the GUI thread then costs nothing)."""
    lighting.environment()
    return lighting

"""The 3D viewer: a pyqtgraph GLViewWidget with the scene item on a floor (grid, axes and
contact shadow, and the sun's shadow that the scene item casts), and a small axis triad in
the corner.

Mouse: left-drag orbits, middle-drag or Shift+left-drag pans, right-drag or the wheel zooms
(as in f3d; Blender users find orbit/pan on the same buttons with the modifiers they know).
A left-drag that starts on something a ``dragger`` grabs (a composed scene's chosen model)
moves that instead of the camera.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QImage,
    QMatrix4x4,
    QMouseEvent,
    QOffscreenSurface,
    QOpenGLContext,
    QPainter,
    QPainterPath,
    QPen,
    QResizeEvent,
    QSurfaceFormat,
    QVector3D,
    QVector4D,
    QWheelEvent,
)
from PySide6.QtWidgets import QLabel, QWidget

from aiml3d_desktop.core.look.lighting import Lighting
from aiml3d_desktop.core.meshes.scene import Scene
from aiml3d_desktop.gui import state
from aiml3d_desktop.gui.opengl_lean import GL
from aiml3d_desktop.gui.pyqtgraph_lean import gl
from aiml3d_desktop.gui.widgets.floor_item import AXIS_COLOURS, FloorItem
from aiml3d_desktop.gui.widgets.fxaa import Fxaa
from aiml3d_desktop.gui.widgets.gl_state import clean_vertex_state
from aiml3d_desktop.gui.widgets.scene_item import BackgroundItem, SceneItem

# Camera (azimuth, elevation) for each named view, in the viewer's Z-up world where the model's
# front faces -Y once its up axis is applied.
VIEWS = {
    "front": (-90.0, 0.0),
    "back": (90.0, 0.0),
    "right": (0.0, 0.0),
    "left": (180.0, 0.0),
    "top": (-90.0, 90.0),
    "bottom": (-90.0, -90.0),
    "iso": (-45.0, 35.264),  # the true isometric: each axis at the same angle to the screen
    "home": (-60.0, 20.0),
}
UP_AXES = ("y", "z")
FILL = 0.75  # of the view that a framed model spans, across its wider direction
SHADOW = 0.45  # the contact shadow's darkness under the model
SUN_SHADOW = 0.4  # the sun's shadow on the floor (shown with the contact shadow)
DEFAULT_BACKGROUND = QColor(46, 50, 58)
DEFAULT_FOV, FOV_RANGE = 40, (10, 100)  # degrees, across the view (pyqtgraph's)


class Dragger(Protocol):
    """Takes left-drags that start on what it holds; rays are as ``Viewer.ray_at`` gives."""

    def grab(self, origin: np.ndarray, direction: np.ndarray) -> bool: ...
    def drag(self, origin: np.ndarray, direction: np.ndarray) -> None: ...
    def drop(self) -> None: ...
    def hover(self, origin: np.ndarray, direction: np.ndarray) -> None: ...  # no button down


class Viewer(gl.GLViewWidget):
    """Shows one scene. Holds view state only; what to show comes from the main window."""

    camera_moved = Signal()  # by the user or a view command; not by set_camera()
    clicked = Signal(object, object)  # a click (not a drag): the ray's origin and direction

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        fmt = QSurfaceFormat.defaultFormat()
        # Smooth edges, rendered into the widget's own multisampled framebuffer. Free on a
        # GPU; on software OpenGL (Mesa llvmpipe) it doubles the frame time, so it is off there.
        fmt.setSamples(0 if software_gl() else 4)
        self.setFormat(fmt)
        self.setMinimumSize(240, 200)
        self.opts["fov"] = DEFAULT_FOV
        self.orthographic = False  # parallel projection: parallel edges stay parallel
        self.up_axis = "y"
        self.floor = FloorItem()
        self.item = SceneItem()
        self.backdrop = BackgroundItem(self.item)  # the environment, when it is shown
        for item in (self.backdrop, self.floor, self.item):
            self.addItem(item)
        self.floor.setVisible(False)  # until there is a model to stand on it
        self._floor_parts: dict[str, Any] = {"lines": True, "axes": True, "shadow": SHADOW}
        self.item.set_sun_shadow(SUN_SHADOW)
        self.setBackgroundColor(DEFAULT_BACKGROUND)
        self._bounds = np.array([[-1, -1, -1], [1, 1, 1]], dtype=np.float32)
        self._outline = np.array(np.meshgrid(*self._bounds.T)).T.reshape(-1, 3)
        # Whether the camera still frames the model as frame() left it (orbiting keeps
        # that; a pan or zoom of the user's does not): a resized view then frames it again.
        self.framed = True
        self._layout_scene()
        self.set_view("home")
        self.triad = True  # the corner's axes (off for pictures made off screen)
        self._fxaa: Fxaa | None = None  # software OpenGL's edge smoothing (see initializeGL)
        # Smoothing costs 8% of a big mesh's frame: frames skip it while the camera moves,
        # and the one after the camera stops has it.
        self._still = QTimer(self)
        self._still.setSingleShot(True)
        self._still.setInterval(150)
        self._still.timeout.connect(self.update)
        self.dragger: Dragger | None = None
        self._dragging = False
        self._grabbed = False  # the press began a drag: its release is not a click
        # Words at points of the shown scene (its own coordinates): a stand-in box's name.
        self.labels: list[tuple[tuple[float, float, float], str]] = []
        self.hint = QLabel(self)  # what to do, while nothing is shown
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #9aa0ab; background: transparent; font-size: 15px")
        self.hint.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hint.hide()

    def set_hint(self, text: str) -> None:
        self.hint.setText(text)
        self.hint.setVisible(bool(text) and self.item.scene is None)

    def paintGL(self, *args: object, **kwargs: object) -> None:
        with no_collection():
            self._paint(*args, **kwargs)

    def _paint(self, *args: object, **kwargs: object) -> None:
        clean_vertex_state()
        width, height = self.device_size()
        self.item.moving = self._still.isActive()
        # A model's plain first frame: the model alone (see SceneItem.plain_frame).
        plain = self.item.plain_frame
        self.floor.held = plain
        # The whole framebuffer: Qt's own viewport truncates where its framebuffer rounds.
        GL.glViewport(0, 0, width, height)
        if (
            self._fxaa is not None
            and self.item.scene is not None
            and self.item.shading not in ("flat", "channel")  # exact values: no filter
            and self.opts["bgcolor"][3] >= 1.0  # the filter's output is opaque
            and not self._still.isActive()  # while the camera moves, frames come first
            and not plain
        ):
            self._fxaa.begin(width, height)
            super().paintGL(*args, **kwargs)
            self._fxaa.finish(self.defaultFramebufferObject(), width, height)
        else:
            super().paintGL(*args, **kwargs)
        if self.triad and self.item.scene is not None and not plain:
            self._paint_triad()
        if self.labels and self.item.scene is not None and not plain:
            self._paint_labels()

    def device_size(self) -> tuple[int, int]:
        """The framebuffer's size in device pixels (at 2x scale, twice the widget's size),
        rounded as Qt rounds it when it makes the framebuffer."""
        size = self.size() * self.devicePixelRatioF()
        return size.width(), size.height()

    def release_gl(self) -> None:
        """Free what the view holds on the GPU, before it goes (nothing if it never drew)."""
        if not self.isValid():
            return
        with no_collection():  # its context current throughout
            self.makeCurrent()
            self.item.release_gl()
            self.backdrop.release_gl()
            self.floor.release_gl()
            if self._fxaa is not None:
                self._fxaa.release()
            self.doneCurrent()

    def grabFramebuffer(self) -> QImage:  # Qt's name
        """Qt's grab, which calls back into Python (resize, paint) between its own GL calls:
        no collection anywhere in it, for the reason paintGL has none."""
        with no_collection():
            return super().grabFramebuffer()

    def _paint_triad(self) -> None:
        """The model's axes, small, in the lower left corner: which way is which, whatever
        the floor shows."""
        azimuth, elevation = (math.radians(self.opts[k]) for k in ("azimuth", "elevation"))
        right = np.array([-math.sin(azimuth), math.cos(azimuth), 0.0])
        back = np.array(
            [
                math.cos(elevation) * math.cos(azimuth),
                math.cos(elevation) * math.sin(azimuth),
                math.sin(elevation),
            ]
        )
        up = np.cross(right, -back)
        world = {"x": (1, 0, 0), "y": (0, 0, 1), "z": (0, -1, 0)}
        if self.up_axis == "z":
            world = {"x": (1, 0, 0), "y": (0, 1, 0), "z": (0, 0, 1)}
        origin, length = QPointF(40, self.height() - 40), 24.0
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = painter.font()
        font.setBold(True)
        font.setPixelSize(11)
        painter.setFont(font)
        # Farthest first, so that the axis pointing at the viewer is drawn on top.
        for name in sorted(world, key=lambda n: float(np.dot(world[n], back))):
            direction = np.array(world[name], dtype=float)
            across, upward = float(direction @ right), float(direction @ up)
            tip = origin + QPointF(across * length, -upward * length)
            colour = QColor.fromRgbF(*AXIS_COLOURS[name])
            painter.setPen(QPen(colour, 2))
            painter.drawLine(origin, tip)
            if math.hypot(across, upward) > 0.3:  # an axis seen end-on gets no label
                label = origin + (tip - origin) * 1.45 + QPointF(-4, 4)
                # As a path: text through the GL paint engine's glyph cache came out
                # speckled on software OpenGL.
                path = QPainterPath()
                path.addText(label, font, name.upper())
                painter.fillPath(path, colour)
        painter.end()

    def set_labels(self, labels: list[tuple[tuple[float, float, float], str]]) -> None:
        if labels != self.labels:
            self.labels = labels
            self.update()

    def _paint_labels(self) -> None:
        """Each label on a dark tag centred above its point (none behind the camera)."""
        w, h = max(self.width(), 1), max(self.height(), 1)
        whole = (0, 0, w, h)
        matrix = self.projectionMatrix(whole, whole) * self.viewMatrix() * self.item.transform()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = painter.font()
        font.setPixelSize(12)
        metrics = QFontMetricsF(font)
        for point, text in self.labels:
            clip = matrix.map(QVector4D(*point, 1.0))
            if clip.w() <= 1e-6:
                continue
            x = (clip.x() / clip.w() + 1) / 2 * w
            y = (1 - clip.y() / clip.w()) / 2 * h - 12
            size = metrics.size(0, text)
            tag = QRectF(x - size.width() / 2 - 5, y - size.height() / 2 - 2,
                         size.width() + 10, size.height() + 4)  # fmt: skip
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(20, 24, 30, 200))
            painter.drawRoundedRect(tag, 4, 4)
            path = QPainterPath()  # as a path: see _paint_triad
            path.addText(QPointF(tag.left() + 5, tag.top() + 2 + metrics.ascent()), font, text)
            painter.fillPath(path, QColor("#e8ecf2"))
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.hint.setGeometry(self.rect().adjusted(24, 24, -24, -24))
        if self.framed and self.item.scene is not None:
            # A dock opened or closed, the window was resized: the model stays in view
            # (pyqtgraph's field of view is horizontal: a lower view cuts the model off).
            self.frame()

    def initializeGL(self) -> None:
        with no_collection():
            super().initializeGL()
            self._fxaa = Fxaa() if software_gl() else None
            self.item.in_pieces = software_gl()
            if _remember_renderer() != software_gl():  # another GPU or driver since last time
                log.info("OpenGL renderer changed; multisampling follows from the next start")

    # What is shown

    @property
    def scene(self) -> Scene | None:
        return self.item.scene

    def show_scene(self, scene: Scene | None, frame: bool = True, view: str | None = None) -> None:
        """Show ``scene``, framed (unless ``frame`` is False) from the named ``view``, or
        from the direction the camera looks now when ``view`` is None."""
        self.item.set_scene(scene)
        self.floor.setVisible(scene is not None)  # no shadow, and no grid under the hint
        self.hint.setVisible(bool(self.hint.text()) and scene is None)
        self._layout_scene()
        if view is not None:
            self.set_view(view)
        elif frame:
            self.frame()

    def normals_changed(self) -> None:
        self.item.normals_changed()

    def set_hidden(self, indices: Iterable[int]) -> None:
        """Leave out these primitives of the scene shown (until another scene is shown)."""
        self.item.hidden = frozenset(indices)
        self.item.update()

    def set_up_axis(self, axis: str) -> None:
        """'y' for glTF-style Y-up files (TripoSR's exports), 'z' for Z-up ones."""
        if axis not in UP_AXES:
            raise ValueError(axis)
        self.up_axis = axis
        self._layout_scene()
        self.frame()

    def set_wireframe(self, on: bool) -> None:
        self.item.set_wireframe(on)

    @property
    def lighting(self) -> Lighting:
        return self.item.lighting

    def set_lighting(self, lighting: Lighting) -> None:
        """Light the model with ``lighting`` (prefiltered here: a file that cannot be used
        raises InputError and leaves the light as it was)."""
        self.item.set_lighting(lighting)
        self.update()

    def set_orthographic(self, on: bool) -> None:
        """A parallel (orthographic) view, or perspective; the model keeps its size."""
        self.orthographic = on
        self.update()
        self.camera_moved.emit()

    def set_fov(self, degrees: float) -> None:
        """The field of view across the view, in degrees (FOV_RANGE); a framed model is
        framed again, so it keeps its size on screen."""
        low, high = FOV_RANGE
        self.opts["fov"] = float(min(max(degrees, low), high))
        if self.framed:
            self.frame()
        self.update()
        self.camera_moved.emit()

    def set_vertex_colours(self, on: bool) -> None:
        self.item.set_vertex_colours(on)

    def set_back_faces(self, how: str) -> None:
        """As the material says ("material"), "shown" or "culled" (scene_item.BACK_FACES)."""
        self.item.set_back_faces(how)

    def set_channel(self, channel: str | None) -> None:
        """Show one input of the materials (core.look.studio.CHANNELS), or None: shading again."""
        self.item.set_channel(channel)

    def set_shading(self, mode: str) -> None:
        """One of scene_item.MODES."""
        self.item.set_mode(mode)

    def set_grid_visible(self, on: bool) -> None:
        self._set_floor(lines=on)

    def set_axes_visible(self, on: bool) -> None:
        self._set_floor(axes=on)

    @property
    def shadow_visible(self) -> bool:
        return bool(self._floor_parts["shadow"])

    def set_shadow_visible(self, on: bool) -> None:
        self.item.set_sun_shadow(SUN_SHADOW if on else 0.0)
        self._set_floor(shadow=SHADOW if on else 0.0)

    def _set_floor(self, **parts: bool | float) -> None:
        self._floor_parts.update(parts)
        self.floor.set_parts(**self._floor_parts)
        self.update()

    def background(self) -> QColor:
        return QColor.fromRgbF(*self.opts["bgcolor"])

    def _up_transform(self) -> QMatrix4x4:
        transform = QMatrix4x4()
        if self.up_axis == "y":
            transform.rotate(90, 1, 0, 0)  # +Y becomes +Z, and the model's front (+Z) faces -Y
        return transform

    def _layout_scene(self) -> None:
        """Orient the mesh, then lay the floor under it: at its lowest point, its grid sized to
        it, its axes through the model's origin."""
        transform = self._up_transform()
        self.item.setTransform(transform)
        scene = self.item.scene
        if scene is not None:
            corners = np.array(np.meshgrid(*scene.bounds.T)).T.reshape(-1, 3)
            mapped = np.array([_map(transform, c) for c in corners])
            self._bounds = np.stack([mapped.min(axis=0), mapped.max(axis=0)])
            self._outline = _sample(scene, transform)
        low, high = self._bounds.astype(np.float64)
        extent = float(max(high[0] - low[0], high[1] - low[1], 1e-6))
        centre, half = (low[:2] + high[:2]) / 2, (high[:2] - low[:2]) / 2
        floor = QMatrix4x4()
        floor.translate(0.0, 0.0, float(low[2]))
        self.floor.setTransform(floor)
        reach = float(np.abs(centre).max()) + 2.5 * extent  # the grid fades out before its edge
        axes = ("x", "z") if self.up_axis == "y" else ("x", "y")
        self.floor.set_layout(
            reach,
            10 ** math.floor(math.log10(extent / 4)),
            (float(centre[0]), float(centre[1]), float(half[0]), float(half[1])),
            axes,
        )
        # The sun's shadow fades out where the grid does, or farther for a tall model.
        fade = max(reach, 3.0 * float(high[2] - low[2]))
        self.item.set_floor(float(low[2]), (float(centre[0]), float(centre[1])), fade)
        self.update()

    # Camera

    def frame(self) -> None:
        """Fit the whole mesh in view, keeping the direction the camera looks from: the
        camera comes as close as lets the model's outline (a sample of its vertices) fit in
        FILL of the view."""
        low, high = self._bounds.astype(np.float64)
        center = (low + high) / 2
        corners = self._outline - center
        azimuth, elevation = (math.radians(self.opts[k]) for k in ("azimuth", "elevation"))
        back = np.array(  # from the centre towards the camera, as pyqtgraph places it
            [
                math.cos(elevation) * math.cos(azimuth),
                math.cos(elevation) * math.sin(azimuth),
                math.sin(elevation),
            ]
        )
        right = np.array([-math.sin(azimuth), math.cos(azimuth), 0.0])
        up = np.cross(right, -back)
        aspect = max(self.width(), 1) / max(self.height(), 1)
        across = FILL * math.tan(math.radians(self.opts["fov"]) / 2)  # pyqtgraph's fov: horizontal
        depth = corners @ back
        needed = np.maximum(
            np.abs(corners @ right) / across, np.abs(corners @ up) / (across / aspect)
        )
        radius = max(float(np.linalg.norm(high - low)) / 2, 1e-6)
        self.opts["center"] = QVector3D(*map(float, center))
        self.opts["distance"] = max(float((depth + needed).max()), radius * 1.05)
        self.framed = True
        self.update()
        self.camera_moved.emit()

    def set_view(self, name: str) -> None:
        azimuth, elevation = VIEWS[name]
        self.opts["azimuth"], self.opts["elevation"] = azimuth, elevation
        self.frame()

    def camera(self) -> dict:
        center = self.opts["center"]
        return {
            "center": (center.x(), center.y(), center.z()),
            "distance": self.opts["distance"],
            "azimuth": self.opts["azimuth"],
            "elevation": self.opts["elevation"],
        }

    def set_camera(self, camera: dict) -> None:
        self.framed = False  # a camera set on purpose stays as set
        self.opts["center"] = QVector3D(*camera["center"])
        for key in ("distance", "azimuth", "elevation"):
            self.opts[key] = camera[key]
        self.update()

    def framing(self) -> dict:
        """The camera relative to the mesh's own size and centre: two meshes of any scale
        seen the same way share this."""
        camera, (center, radius) = self.camera(), self._sphere()
        return {
            **camera,
            "center": tuple((np.array(camera["center"]) - center) / radius),
            "distance": camera["distance"] / radius,
        }

    def set_framing(self, framing: dict) -> None:
        center, radius = self._sphere()
        self.set_camera(
            {
                **framing,
                "center": tuple(center + np.array(framing["center"]) * radius),
                "distance": framing["distance"] * radius,
            }
        )

    def _sphere(self) -> tuple[np.ndarray, float]:
        low, high = self._bounds.astype(np.float64)
        return (low + high) / 2, max(float(np.linalg.norm(high - low)) / 2, 1e-6)

    def projectionMatrix(self, region: Sequence[int], viewport: Sequence[int]) -> QMatrix4x4:
        # pyqtgraph clips at distance/1000 and *1000: a 10^6 depth range that makes fine meshes
        # flicker. Clip close around the mesh instead.
        x0, y0, w, h = viewport
        dist = self.opts["distance"]
        radius = float(np.linalg.norm(self._bounds[1] - self._bounds[0])) / 2
        near = max(dist - radius * 4, dist * 0.01)
        far = dist + radius * 8
        if self.orthographic:  # as wide as the perspective view is at the model's centre
            near = dist - radius * 4  # a parallel view may show what is behind the eye
        width = dist if self.orthographic else near
        r = width * math.tan(0.5 * math.radians(self.opts["fov"]))
        t = r * h / w
        left = r * ((region[0] - x0) * (2.0 / w) - 1)
        right = r * ((region[0] + region[2] - x0) * (2.0 / w) - 1)
        bottom = t * ((region[1] - y0) * (2.0 / h) - 1)
        top = t * ((region[1] + region[3] - y0) * (2.0 / h) - 1)
        matrix = QMatrix4x4()
        if self.orthographic:
            matrix.ortho(left, right, bottom, top, near, far)
        else:
            matrix.frustum(left, right, bottom, top, near, far)
        return matrix

    # Mouse

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:
        pos = ev.position()
        last = getattr(self, "mousePos", pos)
        diff = pos - last
        self.mousePos = pos
        buttons, mods = ev.buttons(), ev.modifiers()
        left, middle, right = (
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.MiddleButton,
            Qt.MouseButton.RightButton,
        )
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if buttons == Qt.MouseButton.NoButton:  # mouse tracking: the dragger's hover
            if self.dragger is not None:
                self.dragger.hover(*self.ray_at(pos.x(), pos.y()))
            return
        if self._dragging and self.dragger is not None:
            self._still.start()  # frames come first while it moves, as for the camera
            self.dragger.drag(*self.ray_at(pos.x(), pos.y()))
            return
        if buttons == middle or (buttons == left and shift):
            self.pan(diff.x(), diff.y(), 0, relative="view")
            self.framed = False
        elif buttons == left:
            self.orbit(-diff.x(), diff.y())  # says so itself
            return
        elif buttons == right:
            self.opts["distance"] *= 1.01 ** diff.y()
            self.framed = False
            self.update()
        self._still.start()
        self.camera_moved.emit()

    def orbit(self, *args: float, **kwargs: float) -> None:
        """The mouse's orbit, and the arrow keys' (pyqtgraph's keyPressEvent calls this)."""
        self._still.start()
        super().orbit(*args, **kwargs)
        self.camera_moved.emit()

    def mousePressEvent(self, ev: QMouseEvent) -> None:
        self._pressed_at = pos = ev.position()
        super().mousePressEvent(ev)
        self._dragging = self._grabbed = (
            ev.button() == Qt.MouseButton.LeftButton
            and ev.modifiers() == Qt.KeyboardModifier.NoModifier
            and self.dragger is not None
            and self.dragger.grab(*self.ray_at(pos.x(), pos.y()))
        )

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:
        super().mouseReleaseEvent(ev)
        if self._dragging and self.dragger is not None:
            self._dragging = False
            self.dragger.drop()
        pressed = getattr(self, "_pressed_at", None)
        grabbed, self._grabbed = self._grabbed, False
        if ev.button() == Qt.MouseButton.LeftButton and pressed is not None and not grabbed:
            moved = ev.position() - pressed
            if abs(moved.x()) + abs(moved.y()) < 4:  # a click, not the end of an orbit
                self.clicked.emit(*self.ray_at(ev.position().x(), ev.position().y()))

    def eye(self) -> np.ndarray:
        """The camera's position in the shown scene's own coordinates (as ``ray_at``)."""
        inverse, _ = self.item.transform().inverted()
        camera = self.cameraPosition()
        return _map(inverse, (camera.x(), camera.y(), camera.z()))

    def ray_at(self, x: float, y: float) -> tuple[np.ndarray, np.ndarray]:
        """The ray through the widget's point (x, y), in the shown scene's own coordinates
        (before the view turns it Z-up): what a click on the model points at."""
        w, h = max(self.width(), 1), max(self.height(), 1)
        whole = (0, 0, w, h)
        matrix = self.projectionMatrix(whole, whole) * self.viewMatrix() * self.item.transform()
        inverse, _ = matrix.inverted()
        ndc_x, ndc_y = 2 * x / w - 1, 1 - 2 * y / h
        ends = []
        for depth in (-1.0, 1.0):
            point = inverse.map(QVector4D(ndc_x, ndc_y, depth, 1.0))
            ends.append(np.array([point.x(), point.y(), point.z()]) / point.w())
        return ends[0], ends[1] - ends[0]

    def wheelEvent(self, ev: QWheelEvent) -> None:
        delta = ev.angleDelta().y() or ev.angleDelta().x()
        self.opts["distance"] *= 0.999**delta
        self.framed = False
        self._still.start()
        self.update()
        self.camera_moved.emit()


log = logging.getLogger(__name__)
SOFTWARE_GL_KEY = "softwareOpenGL"


@functools.cache
def software_gl() -> bool:
    """Whether OpenGL is a software rasteriser. Asking GL needs a current context (35 ms
    at start-up), so the answer is kept in window.ini; each viewer's first frame checks it."""
    known = state.window_state().value(SOFTWARE_GL_KEY)
    if known in ("true", "false"):
        return known == "true"
    context = QOpenGLContext.globalShareContext()
    surface = QOffscreenSurface()
    surface.create()
    if context is None or not context.makeCurrent(surface):
        return False
    try:
        return _remember_renderer()
    finally:
        context.doneCurrent()


@functools.cache
def picture_limit() -> int:
    """The largest side of a picture this OpenGL draws off screen: its largest texture and
    renderbuffer (asked once, on the shared context; 0 when it cannot be asked)."""
    context = QOpenGLContext.globalShareContext()
    surface = QOffscreenSurface()
    surface.create()
    if context is None or not context.makeCurrent(surface):
        return 0
    try:
        limits = (GL.GL_MAX_TEXTURE_SIZE, GL.GL_MAX_RENDERBUFFER_SIZE)
        return min(int(GL.glGetIntegerv(name)) for name in limits)
    finally:
        context.doneCurrent()


def _remember_renderer() -> bool:
    """Read the current context's renderer, keep the answer, and return it."""
    renderer = (GL.glGetString(GL.GL_RENDERER) or b"").decode(errors="replace").lower()
    software = any(name in renderer for name in ("llvmpipe", "softpipe", "swiftshader", "software"))
    state.window_state().setValue(SOFTWARE_GL_KEY, "true" if software else "false")
    return software


@contextlib.contextmanager
def no_collection() -> Iterator[None]:
    """No garbage collection while GL calls run: collecting another GL widget makes its
    context current, and the next call would go to that one (a crash in the driver)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _sample(scene: Scene, transform: QMatrix4x4, count: int = 4096) -> np.ndarray:
    """About ``count`` of the scene's vertices, spread over all of it, in the view's world."""
    matrix = np.array(transform.data(), dtype=np.float64).reshape(4, 4).T  # column-major
    return scene.sample(count) @ matrix[:3, :3].T + matrix[:3, 3]


def _map(matrix: QMatrix4x4, point: Sequence[float] | np.ndarray) -> np.ndarray:
    mapped = matrix.map(QVector3D(*map(float, point)))
    return np.array([mapped.x(), mapped.y(), mapped.z()])

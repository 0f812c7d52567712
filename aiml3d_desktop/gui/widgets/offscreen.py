"""Pictures of meshes drawn off screen with the viewer's own renderer: library thumbnails
(made lazily, one at a time, and cached beside each entry) and the snapshot sheet.

Meshes are read, made lighter and given smooth normals on worker threads; only the drawing,
which needs the GL context, happens on the GUI thread.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRect, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from aiml3d_desktop.core.common.errors import Aiml3DError
from aiml3d_desktop.core.library.store import Entry, Library
from aiml3d_desktop.core.meshes.scene import Scene
from aiml3d_desktop.gui import tasks
from aiml3d_desktop.gui.workers import Runner

if TYPE_CHECKING:
    from aiml3d_desktop.gui.widgets.viewer import Viewer

log = logging.getLogger(__name__)
THUMBNAIL_SIZE = 256
# A thumbnail of a mesh over 150k triangles is drawn from a copy merged on a 128-cell grid:
# the same picture at 256 px (looked at), drawn in 30 ms instead of 300 ms on software GL.
THUMBNAIL_CELLS, THUMBNAIL_TRIANGLES = 128, 150_000
SHEET_VIEWS = ("front", "back", "left", "right", "top")


MAX_PICTURE = 8192  # the largest side of a picture drawn off screen
COMPARED = (200, 202, 206)  # the plain background of the renders a model is compared on


def png_bytes(image: QImage) -> bytes:
    """``image`` as PNG bytes (what a chat model is shown)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # PySide6's stubs
    return bytes(data.data())


def render_pngs(
    renderer: OffscreenRenderer,
    scene: Scene,
    views: tuple[str, ...],
    size: int | tuple[int, int],
    up_axis: str = "y",
) -> dict[str, bytes]:
    """``scene`` from each of ``views`` as PNG bytes, on a plain light background."""
    images = renderer.render(scene, views, size, up_axis, QColor(*COMPARED))
    return {view: png_bytes(image) for view, image in zip(views, images, strict=True)}


def check_size(size: tuple[int, int]) -> None:
    """Refuse a picture larger than MAX_PICTURE or than this GPU can draw (its largest
    texture and renderbuffer), in words."""
    from aiml3d_desktop.core.common.errors import InputError
    from aiml3d_desktop.gui.widgets.viewer import picture_limit

    limit = min(MAX_PICTURE, picture_limit() or MAX_PICTURE)
    if max(size) > limit:
        raise InputError(
            f"A picture of {size[0]}x{size[1]} is too large: at most {limit} pixels a side"
            + ("" if limit == MAX_PICTURE else " on this computer's OpenGL"),
            hint=f"Ask for {limit} pixels or fewer a side.",
        )


class OffscreenRenderer:
    """A viewer that is never on screen, for drawing meshes into images."""

    def __init__(self) -> None:
        from aiml3d_desktop.gui.widgets.viewer import Viewer

        self.viewer = Viewer()
        self.viewer.item.plain_first_frame = False  # each picture is one frame, whole
        self.viewer.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        self.viewer.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)
        self.viewer.set_grid_visible(False)
        self.viewer.set_axes_visible(False)
        self.viewer.set_shadow_visible(False)
        self.viewer.triad = False
        # An alpha channel, for pictures with a transparent background (grabbed as ARGB).
        fmt = self.viewer.format()
        fmt.setAlphaBufferSize(8)
        fmt.setStencilBufferSize(8)  # the sun's shadow (scene_item), whatever the default
        self.viewer.setFormat(fmt)
        self._size = (1, 1)  # of the pictures being made, in pixels
        self._transparent = False

    def look_like(self, viewer: Viewer) -> None:
        """Shaded, lit and projected as ``viewer`` shows its scene: its mode, its lighting (a
        scene's sun, a preset chosen), its shadows as it has them (a scene's sun may cast
        none), its field of view and orthographic or not. The grid stays out of pictures."""
        self.viewer.set_shading(viewer.item.mode)
        self.viewer.set_shadow_visible(viewer.shadow_visible)
        self.viewer.set_lighting(viewer.lighting)
        self.viewer.item.set_sun_shadow(viewer.item.sun_shadow)
        self.viewer.set_orthographic(viewer.orthographic)
        self.viewer.set_fov(viewer.opts["fov"])

    def render(
        self,
        scene: Scene,
        views: tuple[str, ...],
        size: int | tuple[int, int],
        up_axis: str = "y",
        background: QColor | None = None,
        transparent: bool = False,
        camera: dict | None = None,
    ) -> list[QImage]:
        """One picture of ``scene`` per view, ``size`` pixels square or (width, height);
        ``transparent``: alpha 0 where nothing is drawn (ARGB pictures); ``camera`` (a
        viewer's camera(), with its "fov"): one picture from there, in place of the views."""
        viewer = self.viewer
        self._size = (size, size) if isinstance(size, int) else size
        check_size(self._size)
        self._fit()
        if background is not None or transparent:
            colour = QColor(background if background is not None else viewer.background())
            colour.setAlpha(0 if transparent else 255)
            viewer.setBackgroundColor(colour)
        self._transparent = transparent
        viewer.set_up_axis(up_axis)
        viewer.show_scene(scene)
        images = []
        if camera is not None:
            viewer.opts["fov"] = camera.get("fov", viewer.opts["fov"])
            viewer.set_camera(camera)
            images.append(self._grab())
        for view in views if camera is None else ():
            viewer.set_view(view)
            images.append(self._grab())
        viewer.show_scene(None)  # frees the GPU buffers
        return images

    def turntable(
        self,
        scene: Scene,
        frames: int,
        size: tuple[int, int],
        up_axis: str = "y",
        background: QColor | None = None,
        elevation: float = 20.0,
    ) -> list[QImage]:
        """A full turn in ``frames`` pictures (see start_turntable)."""
        self.start_turntable(scene, size, up_axis, background, elevation)
        images = [self.turntable_frame(k / frames) for k in range(frames)]
        self.finish_turntable()
        return images

    def start_turntable(
        self,
        scene: Scene,
        size: tuple[int, int],
        up_axis: str = "y",
        background: QColor | None = None,
        elevation: float = 20.0,
    ) -> None:
        """Ready to draw a turn from the front round to the left, at one distance that fits
        the model from every side (no pumping); then turntable_frame() per picture, and
        finish_turntable()."""
        from aiml3d_desktop.gui.widgets.viewer import VIEWS

        viewer = self.viewer
        self._size = size
        self._fit()
        if background is not None:
            viewer.setBackgroundColor(background)
        viewer.set_up_axis(up_axis)
        viewer.show_scene(scene)
        self._start = VIEWS["front"][0]
        self._distance = 0.0
        for k in range(8):
            viewer.opts["azimuth"], viewer.opts["elevation"] = self._start + 45.0 * k, elevation
            viewer.frame()
            self._distance = max(self._distance, viewer.opts["distance"])

    def turntable_frame(self, turned: float) -> QImage:
        """The picture ``turned`` of the way round (0 to 1)."""
        self.viewer.opts["azimuth"] = self._start + 360.0 * turned
        self.viewer.opts["distance"] = self._distance
        self.viewer.update()
        return self._grab()

    def _fit(self) -> None:
        """Size the viewer so that its framebuffer, in device pixels, holds the picture asked
        for: at 1.5x scale, 214 x 214 for a 320 px picture (321 px, one cropped)."""
        viewer, (width, height) = self.viewer, self._size
        viewer.setMinimumSize(1, 1)
        ratio = viewer.devicePixelRatioF()
        viewer.resize(math.ceil(width / ratio), math.ceil(height / ratio))
        viewer.show()

    def _grab(self) -> QImage:
        """The frame at exactly the size asked for, whatever the screen's scale: a picture
        written to a file or put in a sheet is counted in pixels, not in logical ones."""
        frame = self.viewer.grabFramebuffer()
        width, height = self._size
        if (frame.width(), frame.height()) != (width, height):
            frame = frame.copy(
                (frame.width() - width) // 2, (frame.height() - height) // 2, width, height
            )
        frame.setDevicePixelRatio(1.0)
        if not self._transparent and frame.hasAlphaChannel():
            frame = frame.convertToFormat(QImage.Format.Format_RGB32)
        return frame

    def finish_turntable(self) -> None:
        self.viewer.show_scene(None)

    def close(self) -> None:
        self.viewer.release_gl()
        self.viewer.close()
        self.viewer.deleteLater()


class ThumbnailMaker(QObject):
    """Makes missing thumbnails in the order asked, one mesh at a time."""

    made = Signal(str, QImage)  # entry id, thumbnail
    broken = Signal(str)  # entry id whose mesh could not be read

    def __init__(self, runner: Runner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.library: Library | None = None
        self._queue: list[tuple[Entry, Scene | None]] = []  # the scene, if in memory
        self._asked: set[str] = set()
        self._current: Entry | None = None
        self._renderer: OffscreenRenderer | None = None
        self.up_axis = "y"  # as the main viewer's
        self._closed = False

    def renderer(self) -> OffscreenRenderer:
        if self._renderer is None:
            self._renderer = OffscreenRenderer()
        return self._renderer

    def request(self, entry: Entry) -> None:
        if entry.id not in self._asked:
            self._asked.add(entry.id)
            self._queue.append((entry, None))
            self._next()

    def expect(self, entry: Entry) -> None:
        """The window is showing this entry: its thumbnail will come from offer(), without
        reading the mesh a second time."""
        if not entry.thumbnail_path.exists():
            self._asked.add(entry.id)

    def offer(self, entry: Entry, scene: Scene, again: bool = False) -> None:
        """A scene already in memory, for an entry with no thumbnail (or ``again``: a
        composed scene saved anew): made next."""
        if self.library is not None and (again or not entry.thumbnail_path.exists()):
            self._queue.insert(0, (entry, scene))
            self._next()

    def _next(self) -> None:
        if self._current is not None or not self._queue or self.library is None or self._closed:
            return
        entry, scene = self._queue.pop(0)
        self._current = entry
        source: object = entry.mesh_path if scene is None else scene
        if scene is None and entry.is_scene:  # a scene.json: its models, from the library
            source = entry.mesh_path, self.library
        self.runner.start(
            tasks.lighter_mesh,
            source,
            THUMBNAIL_CELLS,
            THUMBNAIL_TRIANGLES,
            succeeded=self._loaded,
            failed=self._failed,
        )

    @Slot(object)
    def _loaded(self, scene: Scene) -> None:
        entry, self._current = self._current, None
        assert entry is not None  # set by _next() until its job answers
        if self._closed:
            return
        (image,) = self.renderer().render(scene, ("home",), THUMBNAIL_SIZE, self.up_axis)
        # Encoded and written on a worker (a file write can take longer than a frame).
        self.runner.start(tasks.save_thumbnail, self.library, entry, image, failed=self._not_saved)
        self.made.emit(entry.id, image)
        self._next()

    @Slot(object)
    def _not_saved(self, error: Aiml3DError) -> None:
        log.warning("a thumbnail was not saved: %s", error)  # shown now, made again next time

    @Slot(object)
    def _failed(self, error: Aiml3DError) -> None:
        entry, self._current = self._current, None
        assert entry is not None  # set by _next() until its job answers
        log.warning("no thumbnail for %s: %s", entry.id, error)
        self.broken.emit(entry.id)
        self._next()

    def close(self) -> None:
        self._closed = True
        self._queue.clear()
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


def compose_sheet(
    title: str, reference: QImage | None, views: list[QImage], names: tuple[str, ...] = SHEET_VIEWS
) -> QImage:
    """The reference picture and the views in a grid of 3 x 2 tiles, each labelled."""
    tile = views[0].width()
    pad, caption = 16, 28
    columns = 3
    rows = 2
    width = columns * tile + (columns + 1) * pad
    height = 48 + rows * (tile + caption) + (rows + 1) * pad
    sheet = QImage(width, height, QImage.Format.Format_RGB32)
    sheet.fill(QColor(30, 33, 39))
    painter = QPainter(sheet)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.setPen(QColor(235, 235, 240))
    font = QFont()
    font.setPointSize(14)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(QRect(pad, 8, width - 2 * pad, 40), Qt.AlignmentFlag.AlignVCenter, title)
    font.setPointSize(10)
    font.setBold(False)
    painter.setFont(font)
    tiles = [("reference", reference)] + list(zip(names, views, strict=True))
    for i, (name, image) in enumerate(tiles):
        x = pad + (i % columns) * (tile + pad)
        y = 48 + pad + (i // columns) * (tile + caption + pad)
        box = QRect(x, y, tile, tile)
        painter.fillRect(box, QColor(46, 50, 58))
        if image is not None and not image.isNull():
            fitted = image.scaled(
                tile,
                tile,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            painter.drawImage(
                x + (tile - fitted.width()) // 2, y + (tile - fitted.height()) // 2, fitted
            )
        else:
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, "no reference picture")
        painter.drawText(
            QRect(x, y + tile, tile, caption), Qt.AlignmentFlag.AlignCenter, name.capitalize()
        )
    painter.end()
    return sheet

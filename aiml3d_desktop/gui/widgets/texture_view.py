"""A texture of the scene on screen, flat, with the UV layout of the primitives that use it
drawn over it: each triangle's edges in UV space, rasterised with numpy into the picture
(so that 200,000 triangles take a fraction of a second, where QPainter would take seconds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QRectF, Qt, Slot
from PySide6.QtGui import QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from aiml3d_desktop.core.meshes.scene import TEXTURE_SLOTS, Scene
from aiml3d_desktop.gui.widgets.outline_panel import slot_label

if TYPE_CHECKING:
    from aiml3d_desktop.core.common.cancel import CancelToken
    from aiml3d_desktop.core.common.stages import Progress
    from aiml3d_desktop.gui.workers import Runner

LINE = (255, 0, 255)  # the UV edges' colour: magenta, rare in textures
MAX_TRIANGLES = 200_000  # drawn per texture; a denser layout shows its first ones
MAX_SIDE = 2048  # the picture's longest side, as drawn (a larger texture is scaled down)
MAX_SAMPLES = 40_000_000  # points along all edges together: bounds the memory of one drawing


def users(scene: Scene, texture: int) -> list[tuple[int, str]]:
    """The primitives whose material reads ``texture``, with the slot it is read by."""
    found = []
    for i, primitive in enumerate(scene.primitives):
        if primitive.material < 0:
            continue
        for name, slot in scene.materials[primitive.material].slots().items():
            if slot.texture == texture:
                found.append((i, name))
                break
    return found


def layout_edges(scene: Scene, texture: int, cap: int = MAX_TRIANGLES) -> tuple[np.ndarray, int]:
    """(E, 2, 2) float UV end points of the distinct triangle edges of the primitives that use
    ``texture`` (at most ``cap`` triangles in all, each moved into the 0..1 tile its corner
    nearest the origin lies in), and how many triangles use it in all."""
    chunks, total, left = [], 0, cap
    for i, name in users(scene, texture):
        primitive = scene.primitives[i]
        slot = scene.materials[primitive.material].slots()[name]
        uvs = primitive.arrays.uvs1 if slot.uv_set == 1 else primitive.arrays.uvs
        if uvs is None:
            continue
        triangles = primitive.arrays.indices.reshape(-1, 3)
        total += len(triangles)
        if left <= 0:
            continue
        triangles = triangles[:left]
        left -= len(triangles)
        uv = np.asarray(uvs, np.float64)
        if slot.transform is not None:
            matrix = np.asarray(slot.transform, np.float64).reshape(3, 3)
            uv = uv @ matrix[:2, :2].T + matrix[:2, 2]
        corners = uv[triangles]  # (T, 3, 2)
        corners = corners - np.floor(corners.min(axis=1, keepdims=True))  # into its tile
        edges = np.stack([corners, np.roll(corners, -1, axis=1)], axis=2).reshape(-1, 2, 2)
        chunks.append(edges)
    if not chunks:
        return np.zeros((0, 2, 2)), total
    edges = np.concatenate(chunks)
    # An edge two triangles share is drawn once.
    a, b = edges[:, 0], edges[:, 1]
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    ordered = np.where(swap[:, None, None], edges[:, ::-1], edges)
    edges = np.unique(ordered.reshape(-1, 4).round(7), axis=0).reshape(-1, 2, 2)
    return edges, total


def draw_edges(pixels: np.ndarray, edges: np.ndarray, colour: tuple[int, int, int] = LINE) -> None:
    """Draw ``edges`` (UV end points, 0..1 across the picture) one pixel wide into the
    (H, W, 4) ``pixels``, in place."""
    height, width = pixels.shape[:2]
    if not len(edges):
        return
    ends = edges * np.array([width, height]) - 0.5  # pixel centres
    # Two samples a pixel: one a pixel would skip pixels where rounding goes both ways.
    steps = 2 * np.ceil(np.abs(ends[:, 1] - ends[:, 0]).max(axis=1)).astype(np.int64) + 1
    steps = np.minimum(steps, 4 * max(width, height))
    keep = np.cumsum(steps) <= MAX_SAMPLES
    ends, steps = ends[keep], steps[keep]
    owner = np.repeat(np.arange(len(steps)), steps)
    first = np.cumsum(steps) - steps
    t = (np.arange(len(owner)) - first[owner]) / np.maximum(steps[owner] - 1, 1)
    points = ends[owner, 0] + (ends[owner, 1] - ends[owner, 0]) * t[:, None]
    x = np.rint(points[:, 0]).astype(np.int64)
    y = np.rint(points[:, 1]).astype(np.int64)
    inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    pixels[y[inside], x[inside], :3] = colour
    pixels[y[inside], x[inside], 3] = 255


def plain_picture(scene: Scene, texture: int) -> QImage:
    """The texture as a picture, at most MAX_SIDE across."""
    image = np.ascontiguousarray(scene.textures[texture].image, np.uint8)
    height, width = image.shape[:2]
    picture = QImage(image.data, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()
    if max(width, height) > MAX_SIDE:
        picture = picture.scaled(
            MAX_SIDE,
            MAX_SIDE,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    return picture


def with_edges(picture: QImage, edges: np.ndarray) -> QImage:
    """A copy of ``picture`` (RGBA8888) with ``edges`` drawn into it, a pixel wide."""
    picture = picture.convertToFormat(QImage.Format.Format_RGBA8888)  # a copy
    pixels = np.frombuffer(picture.bits(), np.uint8).reshape(
        picture.height(), picture.bytesPerLine() // 4, 4
    )[:, : picture.width()]
    draw_edges(pixels, edges)
    return picture


def describe(scene: Scene, texture: int, total: int | None) -> str:
    """What the view shows, in a line: the texture's size, and how much layout is drawn."""
    height, width = scene.textures[texture].image.shape[:2]
    note = f"{width}×{height}"
    if total is not None:
        drawn = min(total, MAX_TRIANGLES)
        note += f"; UV layout of {drawn:,} triangles" if total else "; no primitive maps it"
        if total > MAX_TRIANGLES:
            note += f" (the first {MAX_TRIANGLES:,} of {total:,})"
    return note


class _Canvas(QWidget):
    """The texture scaled to fit, on a dark ground, and the layout drawn over it at the
    screen's resolution (a pixel wide however large or small the texture is)."""

    def __init__(self) -> None:
        super().__init__()
        self.texture = QImage()
        self.edges = np.zeros((0, 2, 2))
        self._overlay: tuple[tuple[int, int], QImage] | None = None
        self.setMinimumSize(256, 256)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_texture(self, texture: QImage, edges: np.ndarray) -> None:
        self.texture, self.edges, self._overlay = texture, edges, None
        self.update()

    def target(self) -> QRectF:
        """Where the texture is drawn in the widget."""
        if self.texture.isNull():
            return QRectF()
        scale = min(self.width() / self.texture.width(), self.height() / self.texture.height())
        w, h = self.texture.width() * scale, self.texture.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def _overlay_for(self, width: int, height: int) -> QImage:
        if self._overlay is None or self._overlay[0] != (width, height):
            pixels = np.zeros((height, width, 4), np.uint8)
            draw_edges(pixels, self.edges)
            image = QImage(pixels.data, width, height, 4 * width, QImage.Format.Format_RGBA8888)
            self._overlay = ((width, height), image.copy())
        return self._overlay[1]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.darkGray)
        if not self.texture.isNull():
            target = self.target()
            # Smooth when shrinking; enlarged, each texel stays a sharp square.
            smooth = target.width() < self.texture.width()
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
            painter.drawImage(target, self.texture)
            if len(self.edges):
                ratio = self.devicePixelRatioF()
                overlay = self._overlay_for(
                    max(1, round(target.width() * ratio)), max(1, round(target.height() * ratio))
                )
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
                painter.drawImage(target, overlay)
        painter.end()


class TextureView(QDialog):
    """A non-modal window: a chooser of the scene's textures, the picture, the layout toggle."""

    def __init__(self, runner: Runner, parent: QWidget | None = None) -> None:
        """``runner``: where the layout's edges are worked out (a second at 300k triangles:
        not on the GUI thread)."""
        super().__init__(parent)
        self.runner = runner
        self.setWindowTitle("Texture and UV layout")
        self.scene: Scene | None = None
        self.chooser = QComboBox()
        self.chooser.currentIndexChanged.connect(lambda _: self._draw())
        self.layout_box = QCheckBox("UV layout")
        self.layout_box.setChecked(True)
        self.layout_box.toggled.connect(lambda _: self._draw())
        self.note = QLabel()
        self.canvas = _Canvas()
        top = QHBoxLayout()
        top.addWidget(self.chooser, 1)
        top.addWidget(self.layout_box)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.note)
        self.resize(640, 700)

    @property
    def image(self) -> QImage:
        """The texture as shown (at most MAX_SIDE across), with the layout drawn into it at
        the texture's own resolution."""
        if self.canvas.texture.isNull() or not len(self.canvas.edges):
            return self.canvas.texture
        return with_edges(self.canvas.texture, self.canvas.edges)

    def show_texture(self, scene: Scene, texture: int = 0) -> None:
        if scene is not self.scene:
            self.scene = scene
            self.chooser.blockSignals(True)
            self.chooser.clear()
            for i, entry in enumerate(scene.textures):
                used = sorted({name for name, _ in _users_named(scene, i)})
                what = ", ".join(slot_label(n) for n in used) or "unused"
                height, width = entry.image.shape[:2]
                self.chooser.addItem(f"{i}: {entry.name or 'texture'} ({width}×{height}; {what})")
            self.chooser.blockSignals(False)
        self.chooser.setCurrentIndex(max(0, min(texture, len(scene.textures) - 1)))
        self._draw()

    def _draw(self) -> None:
        scene, index = self.scene, self.chooser.currentIndex()
        if scene is None or not 0 <= index < len(scene.textures):
            self.canvas.set_texture(QImage(), np.zeros((0, 2, 2)))
            self.note.setText("This model has no textures.")
            return
        self.canvas.set_texture(plain_picture(scene, index), np.zeros((0, 2, 2)))
        self.note.setText(describe(scene, index, None))
        if self.layout_box.isChecked():
            self.note.setText("Drawing the UV layout…")
            self.runner.start(_edges, scene, index, succeeded=self._edges_ready)

    @Slot(object)
    def _edges_ready(self, found: tuple[Scene, int, np.ndarray, int]) -> None:
        scene, index, edges, total = found
        if scene is not self.scene or index != self.chooser.currentIndex():
            return  # another texture was chosen meanwhile: its own edges are on their way
        if self.layout_box.isChecked():
            self.canvas.set_texture(self.canvas.texture, edges)
            self.note.setText(describe(scene, index, total))


def _edges(
    scene: Scene, index: int, *, progress: Progress, cancel: CancelToken
) -> tuple[Scene, int, np.ndarray, int]:
    """A worker's task: the layout's edges of texture ``index``."""
    edges, total = layout_edges(scene, index)
    return scene, index, edges, total


def _users_named(scene: Scene, texture: int) -> list[tuple[str, int]]:
    """(slot name, material) pairs that read ``texture``."""
    return [
        (name, m)
        for m, material in enumerate(scene.materials)
        for name in TEXTURE_SLOTS
        if (slot := material.slots().get(name)) is not None and slot.texture == texture
    ]

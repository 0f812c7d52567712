"""The sun's shadow on the models of a composed scene (and on themselves): a shadow map. The
scene's depth seen from the sun is drawn into a depth texture, with a parallel projection
fitted to the scene's box; the Studio shading then dims the sun's light where a point lies
behind that depth (pbr_shaders.py, SHADOWED). The shadow on the ground stays scene_item's
flattened one, which costs less and has no texels to show.

Only a scene's sun casts it: its direction is fixed in the world, so the map is drawn again
only when the scene or the sun changes, not as the camera orbits.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np
from OpenGL.error import GLError

from aiml3d_desktop.gui.opengl_lean import GL
from aiml3d_desktop.gui.widgets import gl_state, pbr_shaders

log = logging.getLogger(__name__)

SIZE = 2048  # texels a side: 16 MB of depth, sharp enough for a table top of props
UNIT = 6  # the texture unit it is sampled from: after the environment and five material maps
BIAS_TEXELS = 1.5  # how far (in texels) a surface may stand in front of itself and stay lit
PAD = 0.02  # of the scene's size, around its box: no shadow cut at the map's edge


class Buffers(Protocol):
    """A primitive's buffers on the GPU (scene_item's): positions first in each vertex."""

    vbo: int
    ibo: int
    stride: int  # floats per vertex


B = TypeVar("B", bound=Buffers)


@dataclass(frozen=True)
class Cutout:
    """A cut-out (MASK) material's primitive: where its base colour texture's alpha, times
    ``alpha``, is under ``cutoff``, it casts no shadow."""

    texture: int  # the GL texture
    uv_offset: int  # floats from a vertex's start to its texture coordinates
    uv_matrix: np.ndarray  # (3, 3) on (u, v, 1), rows as written
    alpha: float
    cutoff: float


Casters = Sequence[tuple[np.ndarray, Sequence[tuple[B, Cutout | None]]]]


def light_matrix(sun: np.ndarray, corners: np.ndarray) -> tuple[np.ndarray, float]:
    """(4, 4): the view's world to the map's clip space, a parallel projection along ``sun``
    (towards the sun) fitted around ``corners`` (n, 3); and the depth bias, in the map's
    depth units, that BIAS_TEXELS stand for."""
    towards = np.asarray(sun, dtype=np.float64) / np.linalg.norm(sun)
    helper = np.array([0.0, 0.0, 1.0]) if abs(towards[2]) < 0.99 else np.array([1.0, 0.0, 0.0])
    right = np.cross(helper, towards)
    right /= np.linalg.norm(right)
    up = np.cross(towards, right)
    turn = np.stack([right, up, towards])  # rows: the light's x, y, and z towards the sun
    seen = np.asarray(corners, dtype=np.float64) @ turn.T
    low, high = seen.min(axis=0), seen.max(axis=0)
    pad = PAD * float((high - low).max()) + 1e-6
    low, high = low - pad, high + pad
    scale = 2.0 / (high - low)
    out = np.eye(4)
    out[:3, :3] = turn * scale[:, None]
    out[:3, 3] = -(low + high) / 2 * scale
    out[2] *= -1  # nearest the sun: depth 0
    texel = float((high - low)[:2].max()) / SIZE
    return out, BIAS_TEXELS * texel / float(high[2] - low[2])


class ShadowMap:
    """The depth texture, its framebuffer and the program that fills it (the view's GL
    context current in every method but the constructor)."""

    def __init__(self) -> None:
        self._texture: int | None = None
        self._fbo: int | None = None
        self._program: int | None = None
        self._masked: int | None = None  # the program for cut-outs, made on first use
        self._drawn_for: tuple = ()  # what the texture shows: (scene, sun, hidden)
        self.broken = False  # this OpenGL could not make one: not asked again
        self.matrix = np.eye(4)  # the view's world to the map's clip space
        self.bias = 0.0

    def update(
        self,
        key: tuple,
        sun: np.ndarray,
        corners: np.ndarray,
        placed: Casters[B],
        draw: Callable[[B], None],
    ) -> bool:
        """Draw the map for ``key`` (the scene, then what else it depends on: the sun, what
        is hidden) unless it shows it: each of ``placed`` (a placement's matrix to the view's
        world, its buffers each with its Cutout or None). False when this OpenGL cannot make
        one: the models are then drawn without their shadows (said once in the log), never
        not at all."""
        if self.broken:
            return False
        drawn = self._drawn_for
        if drawn and key[0] is drawn[0] and key[1:] == drawn[1:]:
            return True
        try:
            if self._texture is None:
                self._create()
            self.matrix, self.bias = light_matrix(sun, corners)
            self._draw(placed, draw)
        except (RuntimeError, GLError) as exc:
            log.warning("the models are drawn without the sun's shadow on them: %s", exc)
            self.broken = True
            self.release()
            return False
        self._drawn_for = key
        return True

    def _draw(self, placed: Casters[B], draw: Callable[[B], None]) -> None:
        previous = int(GL.glGetIntegerv(GL.GL_FRAMEBUFFER_BINDING))
        viewport = GL.glGetIntegerv(GL.GL_VIEWPORT)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._fbo)
        try:
            GL.glViewport(0, 0, SIZE, SIZE)
            GL.glDepthMask(GL.GL_TRUE)
            GL.glEnable(GL.GL_DEPTH_TEST)
            GL.glClear(GL.GL_DEPTH_BUFFER_BIT)
            GL.glDisable(GL.GL_CULL_FACE)
            GL.glEnable(GL.GL_POLYGON_OFFSET_FILL)  # slopes away from the sun keep their light
            GL.glPolygonOffset(2.0, 4.0)
            GL.glEnableVertexAttribArray(0)
            for matrix, casters in placed:
                mvp = (self.matrix @ matrix).astype(np.float32)
                for each, cutout in casters:
                    program = self._use(cutout)
                    GL.glUniformMatrix4fv(GL.glGetUniformLocation(program, "u_mvp"), 1, True, mvp)
                    GL.glBindBuffer(GL.GL_ARRAY_BUFFER, each.vbo)
                    GL.glVertexAttribPointer(
                        0, 3, GL.GL_FLOAT, False, each.stride * 4, ctypes.c_void_p(0)
                    )
                    uv = GL.glGetAttribLocation(program, "a_uv") if cutout else -1
                    if cutout is not None and uv != -1:
                        offset = ctypes.c_void_p(cutout.uv_offset * 4)
                        GL.glVertexAttribPointer(uv, 2, GL.GL_FLOAT, False, each.stride * 4, offset)
                        GL.glEnableVertexAttribArray(uv)
                    GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, each.ibo)
                    draw(each)
                    if uv != -1:
                        GL.glDisableVertexAttribArray(uv)
        finally:
            GL.glDisableVertexAttribArray(0)
            GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, 0)
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)
            GL.glUseProgram(0)
            GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
            GL.glDisable(GL.GL_POLYGON_OFFSET_FILL)
            GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, previous)
            GL.glViewport(*(int(v) for v in viewport))

    def _use(self, cutout: Cutout | None) -> int:
        """The program for a caster, in use, with its cut-out's texture and numbers."""
        if cutout is None:
            assert self._program is not None
            GL.glUseProgram(self._program)
            return self._program
        if self._masked is None:
            self._masked = pbr_shaders.link_depth(masked=True)
        program = self._masked
        GL.glUseProgram(program)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindTexture(GL.GL_TEXTURE_2D, cutout.texture)
        GL.glUniform1i(GL.glGetUniformLocation(program, "u_tex"), 0)
        GL.glUniformMatrix3fv(GL.glGetUniformLocation(program, "u_uvm"), 1, True, cutout.uv_matrix)
        GL.glUniform1f(GL.glGetUniformLocation(program, "u_alpha"), cutout.alpha)
        GL.glUniform1f(GL.glGetUniformLocation(program, "u_cutoff"), cutout.cutoff)
        return program

    def bind(self) -> None:
        GL.glActiveTexture(GL.GL_TEXTURE0 + UNIT)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self._texture)
        GL.glActiveTexture(GL.GL_TEXTURE0)

    def forget(self) -> None:
        """Draw it again next time (the scene's buffers were uploaded anew)."""
        self._drawn_for = ()

    def _create(self) -> None:
        self._program = pbr_shaders.link_depth()
        self._texture = GL.glGenTextures(1)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self._texture)
        GL.glTexImage2D(
            GL.GL_TEXTURE_2D, 0, GL.GL_DEPTH_COMPONENT24, SIZE, SIZE, 0,
            GL.GL_DEPTH_COMPONENT, GL.GL_UNSIGNED_INT, None,
        )  # fmt: skip
        gl_state.linear_clamped(  # linear: four depth tests a lookup, blended
            (GL.GL_TEXTURE_COMPARE_MODE, GL.GL_COMPARE_REF_TO_TEXTURE),
            (GL.GL_TEXTURE_COMPARE_FUNC, GL.GL_LEQUAL),
        )
        GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
        previous = int(GL.glGetIntegerv(GL.GL_FRAMEBUFFER_BINDING))
        self._fbo = GL.glGenFramebuffers(1)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._fbo)
        GL.glFramebufferTexture2D(
            GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT, GL.GL_TEXTURE_2D, self._texture, 0
        )
        GL.glDrawBuffer(GL.GL_NONE)  # depth alone (the framebuffer's own state)
        GL.glReadBuffer(GL.GL_NONE)
        complete = GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, previous)
        if complete != GL.GL_FRAMEBUFFER_COMPLETE:
            self.release()
            raise RuntimeError(f"the shadow map's framebuffer is not complete ({complete})")

    def release(self) -> None:
        if self._fbo is not None:
            GL.glDeleteFramebuffers(1, [self._fbo])
        if self._texture is not None:
            GL.glDeleteTextures([self._texture])
        for program in (self._program, self._masked):
            if program is not None:
                GL.glDeleteProgram(program)
        self._fbo = self._texture = self._program = self._masked = None
        self._drawn_for = ()

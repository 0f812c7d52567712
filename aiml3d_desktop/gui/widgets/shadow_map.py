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
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

import numpy as np
from OpenGL import GL

from aiml3d_desktop.gui.widgets import gl_state, pbr_shaders

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
        self._drawn_for: tuple = ()  # what the texture shows: (scene, sun, hidden)
        self.matrix = np.eye(4)  # the view's world to the map's clip space
        self.bias = 0.0

    def update(
        self,
        key: tuple,
        sun: np.ndarray,
        corners: np.ndarray,
        placed: Sequence[tuple[np.ndarray, Sequence[B]]],
        draw: Callable[[B], None],
    ) -> None:
        """Draw the map for ``key`` (the scene, then what else it depends on: the sun, what
        is hidden) unless it shows it: each of ``placed`` (a placement's matrix to the view's
        world, its buffers)."""
        drawn = self._drawn_for
        if drawn and key[0] is drawn[0] and key[1:] == drawn[1:]:
            return
        self.matrix, self.bias = light_matrix(sun, corners)
        if self._texture is None:
            self._create()
        previous = int(GL.glGetIntegerv(GL.GL_FRAMEBUFFER_BINDING))
        viewport = GL.glGetIntegerv(GL.GL_VIEWPORT)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._fbo)
        GL.glViewport(0, 0, SIZE, SIZE)
        GL.glDepthMask(GL.GL_TRUE)
        GL.glEnable(GL.GL_DEPTH_TEST)
        GL.glClear(GL.GL_DEPTH_BUFFER_BIT)
        GL.glDisable(GL.GL_CULL_FACE)
        GL.glEnable(GL.GL_POLYGON_OFFSET_FILL)  # slopes away from the sun keep their light
        GL.glPolygonOffset(2.0, 4.0)
        GL.glUseProgram(self._program)
        location = GL.glGetUniformLocation(self._program, "u_mvp")
        GL.glEnableVertexAttribArray(0)
        for matrix, buffers in placed:
            mvp = (self.matrix @ matrix).astype(np.float32)
            GL.glUniformMatrix4fv(location, 1, True, mvp)
            for each in buffers:
                GL.glBindBuffer(GL.GL_ARRAY_BUFFER, each.vbo)
                GL.glVertexAttribPointer(
                    0, 3, GL.GL_FLOAT, False, each.stride * 4, ctypes.c_void_p(0)
                )
                GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, each.ibo)
                draw(each)
        GL.glDisableVertexAttribArray(0)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, 0)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)
        GL.glUseProgram(0)
        GL.glDisable(GL.GL_POLYGON_OFFSET_FILL)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, previous)
        GL.glViewport(*(int(v) for v in viewport))
        self._drawn_for = key

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
        if self._program is not None:
            GL.glDeleteProgram(self._program)
        self._fbo = self._texture = self._program = None
        self._drawn_for = ()

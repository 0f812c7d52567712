"""Small pieces of OpenGL state the view's own passes share."""

from __future__ import annotations

import ctypes

import numpy as np

from aiml3d_desktop.gui.opengl_lean import GL

_attributes: int | None = None  # GL_MAX_VERTEX_ATTRIBS, asked once
_QUAD = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float32)


def clean_vertex_state() -> None:
    """No buffer bound and no vertex array enabled: what others (Qt's painter, a driver)
    left enabled would be read by the next draw, from memory that may be gone."""
    global _attributes
    if _attributes is None:
        _attributes = int(GL.glGetIntegerv(GL.GL_MAX_VERTEX_ATTRIBS))
    GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)
    GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, 0)
    for index in range(_attributes):
        GL.glDisableVertexAttribArray(index)


def linear_clamped(*extra: tuple[int, int]) -> None:
    """The bound 2D texture filtered linearly and clamped at its edges, with ``extra``
    (name, value) parameters."""
    for name, value in (
        (GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR),
        (GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR),
        (GL.GL_TEXTURE_WRAP_S, GL.GL_CLAMP_TO_EDGE),
        (GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_EDGE),
        *extra,
    ):
        GL.glTexParameteri(GL.GL_TEXTURE_2D, name, value)


class Quad:
    """The square -1..1 in a buffer of its own (made in the first context it is drawn in),
    drawn through one 2-component attribute."""

    def __init__(self) -> None:
        self._buffer: int | None = None

    def draw(self, location: int) -> None:
        if self._buffer is None:
            self._buffer = GL.glGenBuffers(1)
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._buffer)
            GL.glBufferData(GL.GL_ARRAY_BUFFER, _QUAD.nbytes, _QUAD, GL.GL_STATIC_DRAW)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._buffer)
        GL.glEnableVertexAttribArray(location)
        GL.glVertexAttribPointer(location, 2, GL.GL_FLOAT, False, 0, ctypes.c_void_p(0))
        GL.glDrawArrays(GL.GL_TRIANGLE_FAN, 0, 4)
        GL.glDisableVertexAttribArray(location)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)

    def release(self) -> None:
        if self._buffer is not None:
            GL.glDeleteBuffers(1, [self._buffer])
            self._buffer = None

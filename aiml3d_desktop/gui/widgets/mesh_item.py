"""A pyqtgraph GL item that draws a mesh from one interleaved VBO, an index buffer and an
optional texture. ``GLMeshItem`` cannot draw UV textures and computes normals in a Python
loop; this draws 1M+ triangles with per-vertex colour or texture, headlight shading and an
optional wireframe overlay.

Normals live in a buffer of their own: a big mesh is drawn flat-shaded (face normals from
screen-space derivatives) as soon as it is read, and smooth once its normals are computed."""

from __future__ import annotations

import ctypes

import numpy as np
from OpenGL import GL
from OpenGL.GL import shaders
from pyqtgraph.opengl import GLGraphicsItem

from aiml3d_desktop.core.mesh import MeshArrays

DEFAULT_COLOR = (0.72, 0.74, 0.78, 1.0)
WIRE_COLOR = (0.05, 0.05, 0.08, 1.0)

# One source, compiled per case with #defines, so that each case passes on only what it uses:
# under software OpenGL every varying costs time at each of a big mesh's million vertices.
VERTEX_SHADER = """
uniform mat4 u_mvp;
uniform mat4 u_modelview;
uniform mat3 u_normal;
attribute vec3 a_position;
attribute vec4 a_color;
varying vec4 v_color;
#ifdef SMOOTH
attribute vec3 a_normal;
varying vec3 v_normal;
#else
varying vec3 v_eye;
#endif
#ifdef TEXTURED
attribute vec2 a_uv;
varying vec2 v_uv;
#endif
void main() {
#ifdef SMOOTH
    v_normal = u_normal * a_normal;
#else
    v_eye = (u_modelview * vec4(a_position, 1.0)).xyz;
#endif
#ifdef TEXTURED
    v_uv = a_uv;
#endif
    v_color = a_color;
    gl_Position = u_mvp * vec4(a_position, 1.0);
}
"""

FRAGMENT_SHADER = """
uniform bool u_lit;
uniform bool u_wire;
uniform vec4 u_wire_color;
varying vec4 v_color;
#ifdef SMOOTH
varying vec3 v_normal;
#else
varying vec3 v_eye;
#endif
#ifdef TEXTURED
uniform sampler2D u_texture;
varying vec2 v_uv;
#endif
void main() {
    if (u_wire) { gl_FragColor = u_wire_color; return; }
#ifdef TEXTURED
    vec4 base = texture2D(u_texture, v_uv);
#else
    vec4 base = v_color;
#endif
    if (!u_lit) { gl_FragColor = base; return; }
    // A headlight plus a key light from above left, both two-sided: generated meshes often
    // have some faces wound the wrong way, and those should not turn black.
#ifdef SMOOTH
    vec3 n = normalize(v_normal);
#else
    vec3 n = normalize(cross(dFdx(v_eye), dFdy(v_eye)));  // flat, until normals come
#endif
    float head = abs(n.z);
    float key = abs(dot(n, normalize(vec3(-0.4, 0.6, 0.7))));
    float light = 0.28 + 0.45 * head + 0.35 * key;
    gl_FragColor = vec4(base.rgb * min(light, 1.15), base.a);
}
"""


class MeshItem(GLGraphicsItem.GLGraphicsItem):
    def __init__(self) -> None:
        super().__init__()
        self.setGLOptions("opaque")
        self.arrays: MeshArrays | None = None
        self.lit = True
        self.wireframe = False
        self._dirty = False
        self._programs: dict[tuple[bool, bool], int] = {}  # (smooth, textured): program
        self._vbo = self._ibo = self._nbo = self._texture = None
        self._count = 0
        self._layout: tuple[int, int] = (0, 0)  # floats per vertex, width of the last attribute

    def set_arrays(self, arrays: MeshArrays | None) -> None:
        """Show ``arrays`` (or nothing). Touch ``arrays.interleaved`` off the GUI thread first."""
        self.arrays = arrays
        self._dirty = True
        self.update()

    def normals_changed(self) -> None:
        """``arrays.normals`` has been filled in: shade smoothly from the next frame."""
        self.update()

    def set_lit(self, on: bool) -> None:
        self.lit = on
        self.update()

    def set_wireframe(self, on: bool) -> None:
        self.wireframe = on
        self.update()

    # Everything below runs with the view's GL context current (from paint()).

    def _upload(self) -> None:
        self._release()
        self._dirty = False
        arrays = self.arrays
        if arrays is None:
            return
        data = arrays.interleaved
        self._layout = (data.shape[1], data.shape[1] - 3)
        self._vbo, self._ibo = GL.glGenBuffers(2)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._vbo)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, data.nbytes, data, GL.GL_STATIC_DRAW)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, self._ibo)
        GL.glBufferData(
            GL.GL_ELEMENT_ARRAY_BUFFER, arrays.indices.nbytes, arrays.indices, GL.GL_STATIC_DRAW
        )
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, 0)
        self._count = arrays.indices.size
        if arrays.texture is not None and arrays.uvs is not None:
            self._texture = _upload_texture(arrays.texture)

    def _upload_normals(self) -> None:
        self._nbo = GL.glGenBuffers(1)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._nbo)
        normals = self.arrays.normals
        GL.glBufferData(GL.GL_ARRAY_BUFFER, normals.nbytes, normals, GL.GL_STATIC_DRAW)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)

    def _release(self) -> None:
        if self._vbo is not None:
            GL.glDeleteBuffers(2, [self._vbo, self._ibo])
        if self._nbo is not None:
            GL.glDeleteBuffers(1, [self._nbo])
        if self._texture is not None:
            GL.glDeleteTextures([self._texture])
        self._vbo = self._ibo = self._nbo = self._texture = None
        self._count = 0

    def _program(self, smooth: bool, textured: bool) -> int:
        key = (smooth, textured)
        if key not in self._programs:
            defines = "#version 120\n" + "".join(
                f"#define {name}\n"
                for name, on in (("SMOOTH", smooth), ("TEXTURED", textured))
                if on
            )
            self._programs[key] = shaders.compileProgram(
                shaders.compileShader(defines + VERTEX_SHADER, GL.GL_VERTEX_SHADER),
                shaders.compileShader(defines + FRAGMENT_SHADER, GL.GL_FRAGMENT_SHADER),
                validate=False,  # validation needs a bound VAO on some drivers
            )
        return self._programs[key]

    def paint(self) -> None:
        self.setupGLState()
        if self._dirty:
            self._upload()
        if not self._count:
            return
        if self._nbo is None and self.arrays.normals is not None:
            self._upload_normals()
        smooth = self._nbo is not None
        textured = self._texture is not None
        program = self._program(smooth, textured)
        mvp = np.array(self.mvpMatrix().data(), dtype=np.float32)
        modelview = np.array(self.modelViewMatrix().data(), dtype=np.float32)
        normal = np.array(self.modelViewMatrix().normalMatrix().data(), dtype=np.float32)
        stride, extra = self._layout
        GL.glUseProgram(program)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._vbo)
        enabled = []

        def attribute(name: str, size: int, offset: int, stride: int = stride) -> None:
            loc = GL.glGetAttribLocation(program, name)
            if loc != -1:
                GL.glVertexAttribPointer(
                    loc, size, GL.GL_FLOAT, False, stride * 4, ctypes.c_void_p(offset * 4)
                )
                GL.glEnableVertexAttribArray(loc)
                enabled.append(loc)

        attribute("a_position", 3, 0)
        color_loc = GL.glGetAttribLocation(program, "a_color")
        if extra == 4:
            attribute("a_color", 4, 3)
        elif color_loc != -1:
            GL.glVertexAttrib4f(color_loc, *DEFAULT_COLOR)
        if extra == 2:
            attribute("a_uv", 2, 3)
        if smooth:
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._nbo)
            attribute("a_normal", 3, 0, stride=3)
        GL.glUniformMatrix4fv(GL.glGetUniformLocation(program, "u_mvp"), 1, False, mvp)
        GL.glUniformMatrix4fv(GL.glGetUniformLocation(program, "u_modelview"), 1, False, modelview)
        GL.glUniformMatrix3fv(GL.glGetUniformLocation(program, "u_normal"), 1, False, normal)
        GL.glUniform1i(GL.glGetUniformLocation(program, "u_lit"), int(self.lit))
        GL.glUniform1i(GL.glGetUniformLocation(program, "u_wire"), 0)
        if textured:
            GL.glActiveTexture(GL.GL_TEXTURE0)
            GL.glBindTexture(GL.GL_TEXTURE_2D, self._texture)
            GL.glUniform1i(GL.glGetUniformLocation(program, "u_texture"), 0)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, self._ibo)
        if self.wireframe:  # push the faces back a little so the lines win the depth test
            GL.glEnable(GL.GL_POLYGON_OFFSET_FILL)
            GL.glPolygonOffset(1.0, 1.0)
        GL.glDrawElements(GL.GL_TRIANGLES, self._count, GL.GL_UNSIGNED_INT, None)
        if self.wireframe:
            GL.glDisable(GL.GL_POLYGON_OFFSET_FILL)
            GL.glUniform1i(GL.glGetUniformLocation(program, "u_wire"), 1)
            GL.glUniform4f(GL.glGetUniformLocation(program, "u_wire_color"), *WIRE_COLOR)
            GL.glPolygonMode(GL.GL_FRONT_AND_BACK, GL.GL_LINE)
            GL.glDrawElements(GL.GL_TRIANGLES, self._count, GL.GL_UNSIGNED_INT, None)
            GL.glPolygonMode(GL.GL_FRONT_AND_BACK, GL.GL_FILL)
        for loc in enabled:
            GL.glDisableVertexAttribArray(loc)
        if textured:
            GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, 0)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)
        GL.glUseProgram(0)


def _upload_texture(texture: np.ndarray) -> int:
    """RGBA rows bottom-up, as core/mesh.py gives them: OpenGL's own order, no flip needed."""
    handle = GL.glGenTextures(1)
    GL.glBindTexture(GL.GL_TEXTURE_2D, handle)
    GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
    height, width = texture.shape[:2]
    GL.glTexImage2D(
        GL.GL_TEXTURE_2D, 0, GL.GL_RGBA, width, height, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, texture
    )
    GL.glGenerateMipmap(GL.GL_TEXTURE_2D)
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR_MIPMAP_LINEAR)
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR)
    for wrap in (GL.GL_TEXTURE_WRAP_S, GL.GL_TEXTURE_WRAP_T):
        GL.glTexParameteri(GL.GL_TEXTURE_2D, wrap, GL.GL_REPEAT)
    GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
    return handle

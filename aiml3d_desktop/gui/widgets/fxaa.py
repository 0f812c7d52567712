"""Edge smoothing after the frame (FXAA), for software OpenGL: there multisampling doubles
the frame time, while this pass costs a few milliseconds. The frame is drawn into a texture,
then copied to the widget through the filter (after Timothy Lottes's FXAA, in its short
form: contrast along the edge found from four diagonal neighbours)."""

from __future__ import annotations

from aiml3d_desktop.gui.opengl_lean import GL, shaders
from aiml3d_desktop.gui.widgets import gl_state
from aiml3d_desktop.gui.widgets.gl_state import Quad

VERTEX_SHADER = """
#version 120
attribute vec2 a_corner;
varying vec2 v_uv;
void main() {
    v_uv = a_corner * 0.5 + 0.5;
    gl_Position = vec4(a_corner, 0.0, 1.0);
}
"""

FRAGMENT_SHADER = """
#version 120
uniform sampler2D u_frame;
uniform vec2 u_texel;
varying vec2 v_uv;
const vec3 LUMA = vec3(0.299, 0.587, 0.114);
void main() {
    vec3 nw = texture2D(u_frame, v_uv + vec2(-1.0, -1.0) * u_texel).rgb;
    vec3 ne = texture2D(u_frame, v_uv + vec2(1.0, -1.0) * u_texel).rgb;
    vec3 sw = texture2D(u_frame, v_uv + vec2(-1.0, 1.0) * u_texel).rgb;
    vec3 se = texture2D(u_frame, v_uv + vec2(1.0, 1.0) * u_texel).rgb;
    vec3 m = texture2D(u_frame, v_uv).rgb;
    float l_nw = dot(nw, LUMA), l_ne = dot(ne, LUMA), l_sw = dot(sw, LUMA), l_se = dot(se, LUMA);
    float l_m = dot(m, LUMA);
    float low = min(l_m, min(min(l_nw, l_ne), min(l_sw, l_se)));
    float high = max(l_m, max(max(l_nw, l_ne), max(l_sw, l_se)));
    if (high - low < 0.04) { gl_FragColor = vec4(m, 1.0); return; }  // no edge: as drawn
    vec2 dir = vec2(-((l_nw + l_ne) - (l_sw + l_se)), (l_nw + l_sw) - (l_ne + l_se));
    float reduce = max((l_nw + l_ne + l_sw + l_se) * 0.03125, 1.0 / 128.0);
    float scale = 1.0 / (min(abs(dir.x), abs(dir.y)) + reduce);
    dir = clamp(dir * scale, vec2(-8.0), vec2(8.0)) * u_texel;
    vec3 a = 0.5 * (texture2D(u_frame, v_uv + dir * (1.0 / 3.0 - 0.5)).rgb
                  + texture2D(u_frame, v_uv + dir * (2.0 / 3.0 - 0.5)).rgb);
    vec3 b = a * 0.5 + 0.25 * (texture2D(u_frame, v_uv - dir * 0.5).rgb
                             + texture2D(u_frame, v_uv + dir * 0.5).rgb);
    float l_b = dot(b, LUMA);
    gl_FragColor = vec4((l_b < low || l_b > high) ? a : b, 1.0);
}
"""


class Fxaa:
    """A texture to draw the frame into, and the pass that copies it out smoothed. Every
    method runs with the view's GL context current."""

    def __init__(self) -> None:
        self._size = (0, 0)
        self._fbo = self._texture = self._depth = None
        self._program: int | None = None
        self._quad = Quad()

    def begin(self, width: int, height: int) -> None:
        """Send the frame's drawing to the texture (made or resized to ``width`` x ``height``
        device pixels, the size of the framebuffer it is copied to: at 2x scale a texture of
        the widget's logical size holds only the frame's lower-left quarter)."""
        if (width, height) != self._size:
            self._free_target()
            self._make(width, height)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._fbo)
        GL.glViewport(0, 0, width, height)

    def finish(self, target: int, width: int, height: int) -> None:
        """Copy the texture through the filter into framebuffer ``target``, of the same
        size in device pixels."""
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, target)
        if self._program is None:
            self._program = shaders.compileProgram(
                shaders.compileShader(VERTEX_SHADER, GL.GL_VERTEX_SHADER),
                shaders.compileShader(FRAGMENT_SHADER, GL.GL_FRAGMENT_SHADER),
                validate=False,
            )
        GL.glViewport(0, 0, width, height)
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glDisable(GL.GL_BLEND)
        GL.glUseProgram(self._program)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self._texture)
        GL.glUniform1i(GL.glGetUniformLocation(self._program, "u_frame"), 0)
        GL.glUniform2f(GL.glGetUniformLocation(self._program, "u_texel"), 1 / width, 1 / height)
        self._quad.draw(GL.glGetAttribLocation(self._program, "a_corner"))
        GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
        GL.glUseProgram(0)
        GL.glEnable(GL.GL_DEPTH_TEST)

    def _make(self, width: int, height: int) -> None:
        self._size = (width, height)
        self._texture = GL.glGenTextures(1)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self._texture)
        GL.glTexImage2D(
            GL.GL_TEXTURE_2D,
            0,
            GL.GL_RGBA8,
            width,
            height,
            0,
            GL.GL_RGBA,
            GL.GL_UNSIGNED_BYTE,
            None,
        )
        gl_state.linear_clamped()
        GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
        self._depth = GL.glGenRenderbuffers(1)
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, self._depth)
        GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, GL.GL_DEPTH24_STENCIL8, width, height)
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, 0)
        self._fbo = GL.glGenFramebuffers(1)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._fbo)
        GL.glFramebufferTexture2D(
            GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_TEXTURE_2D, self._texture, 0
        )
        GL.glFramebufferRenderbuffer(
            GL.GL_FRAMEBUFFER, GL.GL_DEPTH_STENCIL_ATTACHMENT, GL.GL_RENDERBUFFER, self._depth
        )

    def _free_target(self) -> None:
        if self._fbo is not None:
            GL.glDeleteFramebuffers(1, [self._fbo])
            GL.glDeleteRenderbuffers(1, [self._depth])
            GL.glDeleteTextures([self._texture])
        self._fbo = self._texture = self._depth = None
        self._size = (0, 0)

    def release(self) -> None:
        self._free_target()
        self._quad.release()
        if self._program is not None:
            GL.glDeleteProgram(self._program)
            self._program = None

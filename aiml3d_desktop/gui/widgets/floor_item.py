"""The floor under the model, in one quad and one shader: minor and major grid lines that
fade with distance, the two horizontal axes in their colours (X red, Y green, Z blue), and a
soft contact shadow under the model's footprint.

It is drawn before the model and writes no depth, so nothing of it ever covers the model;
its lines are antialiased by their screen-space width (fwidth), which costs nothing extra
on software OpenGL."""

from __future__ import annotations

import numpy as np

from aiml3d_desktop.gui.opengl_lean import GL, shaders
from aiml3d_desktop.gui.pyqtgraph_lean import gl
from aiml3d_desktop.gui.widgets.gl_state import Quad

LINE_COLOUR = (0.85, 0.87, 0.92)
AXIS_COLOURS = {"x": (0.90, 0.25, 0.25), "y": (0.35, 0.80, 0.30), "z": (0.30, 0.50, 0.95)}

VERTEX_SHADER = """
#version 120
uniform mat4 u_mvp;
uniform float u_half;
attribute vec2 a_corner;
varying vec2 v_pos;
void main() {
    v_pos = a_corner * u_half;
    gl_Position = u_mvp * vec4(v_pos, 0.0, 1.0);
}
"""

FRAGMENT_SHADER = """
#version 120
uniform float u_minor;
uniform float u_half;
uniform float u_lines;  // 0 or 1
uniform float u_axes;  // 0 or 1
uniform vec3 u_line_colour;
uniform vec3 u_axis_x;  // the colour of the line along the floor's first axis
uniform vec3 u_axis_y;  // and along its second
uniform vec4 u_footprint;  // centre (xy) and half size (zw) of the model on the floor
uniform float u_shadow;  // its darkness, 0 for none
varying vec2 v_pos;

float lines(vec2 p, float spacing) {
    vec2 width = fwidth(p) / spacing;
    vec2 distance = abs(fract(p / spacing - 0.5) - 0.5) / max(width, vec2(1e-6));
    return 1.0 - min(min(distance.x, distance.y), 1.0);
}

void main() {
    float fade = 1.0 - smoothstep(0.35 * u_half, u_half, length(v_pos - u_footprint.xy));
    float grid = max(0.22 * lines(v_pos, u_minor), 0.55 * lines(v_pos, u_minor * 10.0));
    vec2 w = max(fwidth(v_pos) * 1.5, vec2(1e-6));
    float along_x = (1.0 - min(abs(v_pos.y) / w.y, 1.0)) * u_axes;
    float along_y = (1.0 - min(abs(v_pos.x) / w.x, 1.0)) * u_axes;
    float axis = max(along_x, along_y);
    vec3 colour = along_x >= along_y ? u_axis_x : u_axis_y;
    colour = mix(u_line_colour, colour, axis > 0.0 ? 1.0 : 0.0);
    float line = max(grid * u_lines, 0.9 * axis) * fade;
    // The contact shadow: darkest under the model's middle, gone a little past its edges.
    vec2 q = (v_pos - u_footprint.xy) / max(u_footprint.zw, vec2(1e-6));
    float shadow = u_shadow * exp(-1.6 * dot(q, q));
    float alpha = line + shadow * (1.0 - line);
    if (alpha < 0.004) discard;
    gl_FragColor = vec4(colour * line / alpha, alpha);
}
"""


class FloorItem(gl.GLGraphicsItem.GLGraphicsItem):
    def __init__(self) -> None:
        super().__init__()
        self.setGLOptions("translucent")
        self.setDepthValue(-10)  # drawn before the model
        self.half = 1.0
        self.minor = 0.1
        self.footprint = (0.0, 0.0, 0.0, 0.0)
        self.axis_colours = (AXIS_COLOURS["x"], AXIS_COLOURS["z"])
        self.show_lines = self.show_axes = True
        self.shadow = 0.0
        self.held = False  # not drawn this frame (a model's plain first frame: Viewer)
        self._program: int | None = None
        self._locations: dict[str, int] = {}
        self._quad = Quad()

    def set_layout(
        self,
        half: float,
        minor: float,
        footprint: tuple[float, float, float, float],
        axes: tuple[str, str],
    ) -> None:
        """The floor's half size and minor spacing, the model's footprint on it, and which
        of the model's axes run along the floor's two directions."""
        self.half, self.minor, self.footprint = half, minor, footprint
        self.axis_colours = (AXIS_COLOURS[axes[0]], AXIS_COLOURS[axes[1]])
        self.update()

    def set_parts(self, lines: bool, axes: bool, shadow: float) -> None:
        self.show_lines, self.show_axes, self.shadow = lines, axes, shadow
        self.update()

    def paint(self) -> None:
        if not (self.show_lines or self.show_axes or self.shadow) or self.held:
            return
        self.setupGLState()
        if self._program is None:
            self._program = shaders.compileProgram(
                shaders.compileShader(VERTEX_SHADER, GL.GL_VERTEX_SHADER),
                shaders.compileShader(FRAGMENT_SHADER, GL.GL_FRAGMENT_SHADER),
                validate=False,
            )
        program = self._program

        def loc(name: str) -> int:
            if name not in self._locations:
                self._locations[name] = GL.glGetUniformLocation(program, name)
            return self._locations[name]

        GL.glUseProgram(program)
        mvp = np.array(self.mvpMatrix().data(), dtype=np.float32)
        GL.glUniformMatrix4fv(loc("u_mvp"), 1, False, mvp)
        GL.glUniform1f(loc("u_half"), self.half)
        GL.glUniform1f(loc("u_minor"), self.minor)
        GL.glUniform1f(loc("u_lines"), float(self.show_lines))
        GL.glUniform1f(loc("u_axes"), float(self.show_axes))
        GL.glUniform3f(loc("u_line_colour"), *LINE_COLOUR)
        GL.glUniform3f(loc("u_axis_x"), *self.axis_colours[0])
        GL.glUniform3f(loc("u_axis_y"), *self.axis_colours[1])
        GL.glUniform4f(loc("u_footprint"), *self.footprint)
        GL.glUniform1f(loc("u_shadow"), self.shadow)
        GL.glDepthMask(GL.GL_FALSE)  # never hides the model
        self._quad.draw(GL.glGetAttribLocation(program, "a_corner"))
        GL.glDepthMask(GL.GL_TRUE)
        GL.glUseProgram(0)

    def release_gl(self) -> None:
        if self._program is not None:
            GL.glDeleteProgram(self._program)
            self._program = None
        self._locations = {}
        self._quad.release()

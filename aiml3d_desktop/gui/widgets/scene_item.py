"""A pyqtgraph GL item that draws a Scene: each primitive from one interleaved VBO and an index
buffer, with its glTF material, in one of the shading modes.

Studio is the glTF BRDF (GGX distribution, Smith visibility, Schlick Fresnel; after the Khronos
glTF-Sample-Viewer) lit by core/look/studio.py's room: diffuse from 9 spherical harmonics, specular
from the room prefiltered per roughness, and a key light; then Khronos PBR Neutral tone mapping
and sRGB output. Flat shows the stored colours exactly, unlit. The light is the item's
``lighting`` (core/look/lighting.py): the studio is in view space (it turns with the camera), other
presets and HDR files are fixed in the world; exposure scales the light before tone mapping.
BackgroundItem shows the environment, blurred, behind the model. With the sun (or the
studio's key) on, Studio shading casts the model's shadow on the floor first: a planar
projected shadow, the triangles drawn once more flattened along the sun, stencilled so each
floor pixel is darkened once. A composed scene's sun also casts the models' shadows on each
other (and on their own parts) from a shadow map (shadow_map.py), drawn again only when the
scene or the sun changes.

Normals live in a buffer of their own: a big mesh is drawn flat-shaded (face normals from
screen-space derivatives) as soon as it is read, and smooth once its normals are computed.
The GLSL is in pbr_shaders.py.
"""

from __future__ import annotations

import ctypes
import logging
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtGui import QMatrix4x4

from aiml3d_desktop.core.look import lighting as looks
from aiml3d_desktop.core.look import studio
from aiml3d_desktop.core.look.studio import MODES
from aiml3d_desktop.core.meshes.scene import (
    BLEND,
    MASK,
    TEXTURE_SLOTS,
    Material,
    Primitive,
    Scene,
    Texture,
)
from aiml3d_desktop.gui.opengl_lean import GL
from aiml3d_desktop.gui.pyqtgraph_lean import gl
from aiml3d_desktop.gui.widgets import pbr_shaders, shadow_map

if TYPE_CHECKING:
    from pyqtgraph.opengl import GLViewWidget

log = logging.getLogger(__name__)

BACK_FACES = ("material", "shown", "culled")
DEFAULT_COLOR = (0.72, 0.74, 0.78, 1.0)  # a primitive with neither material nor colours
WIRE_COLOR = (0.92, 0.94, 1.0, 0.28)  # thin, light, see-through: readable on dense meshes
ROOM_SHARE, KEY_SHARE = 0.7, 0.3  # of the light on a face turned to the viewer
KEY_DIRECTION = np.array([-0.35, 0.45, 0.82]) / np.linalg.norm([-0.35, 0.45, 0.82])


# Above this many triangles the sun's shadow waits for the still frame: at 1.3M it costs
# llvmpipe 80 ms a frame (the projected triangles' set-up), which orbiting cannot spare.
MOVING_SHADOW_MAX = 300_000


# A software rasteriser (llvmpipe) bins every triangle of a draw in memory before its threads
# rasterise them, and its binning runs ahead: one draw of 1.37M triangles held 220 MB more
# than the mesh. Drawn in pieces of PIECE indices, with at most AHEAD pieces not yet
# rasterised, it holds 20 MB, for frames no slower (benchmarks/bench_first_frame.py).
PIECE = 3 * 16_384
AHEAD = 2


class _Buffers:
    """One primitive's buffers on the GPU."""

    def __init__(self, primitive: Primitive) -> None:
        arrays = primitive.arrays
        data = arrays.interleaved
        # The GPU has its own copy now: made again (tens of ms) if the context is lost.
        arrays.__dict__.pop("interleaved", None)
        self.layout = arrays.layout
        self.stride = data.shape[1] if data.ndim == 2 else 3
        self.vbo, self.ibo = GL.glGenBuffers(2)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self.vbo)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, data.nbytes, data, GL.GL_STATIC_DRAW)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, self.ibo)
        GL.glBufferData(
            GL.GL_ELEMENT_ARRAY_BUFFER, arrays.indices.nbytes, arrays.indices, GL.GL_STATIC_DRAW
        )
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, 0)
        self.count = arrays.indices.size
        self.nbo = None
        self.centre = arrays.bounds.mean(axis=0)

    def upload_normals(self, normals: np.ndarray) -> None:
        self.nbo = GL.glGenBuffers(1)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self.nbo)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, normals.nbytes, normals, GL.GL_STATIC_DRAW)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)

    def draw(self, pacer: _Pacer | None) -> None:
        """Every triangle, with the index buffer bound; through ``pacer`` on a software
        rasteriser (see PIECE)."""
        if pacer is None:
            GL.glDrawElements(GL.GL_TRIANGLES, self.count, GL.GL_UNSIGNED_INT, None)
        else:
            pacer.draw(self.count)

    def release(self) -> None:
        GL.glDeleteBuffers(2, [self.vbo, self.ibo])
        if self.nbo is not None:
            GL.glDeleteBuffers(1, [self.nbo])


class _Pacer:
    """A frame's draws cut into pieces of PIECE indices, counted across draws (twenty models
    of 84k triangles make as many pieces as one mesh of 1.7M), each piece sent to the
    rasteriser with a fence, at most AHEAD of them waiting."""

    def __init__(self) -> None:
        self._sent = 0  # indices drawn since the last fence
        self._waiting: list = []

    def draw(self, count: int) -> None:
        start = 0
        while start < count:
            size = min(count - start, PIECE - self._sent)
            GL.glDrawElements(GL.GL_TRIANGLES, size, GL.GL_UNSIGNED_INT, ctypes.c_void_p(4 * start))
            start += size
            self._sent += size
            if self._sent >= PIECE:
                self._fence()

    def _fence(self) -> None:
        self._sent = 0
        self._waiting.append(GL.glFenceSync(GL.GL_SYNC_GPU_COMMANDS_COMPLETE, 0))
        GL.glFlush()  # the piece goes to the rasteriser now
        if len(self._waiting) > AHEAD:
            fence = self._waiting.pop(0)
            GL.glClientWaitSync(fence, 0, 2_000_000_000)
            GL.glDeleteSync(fence)

    def end_frame(self) -> None:
        for fence in self._waiting:
            GL.glDeleteSync(fence)  # freed by GL once passed
        self._waiting, self._sent = [], 0


class SceneItem(gl.GLGraphicsItem.GLGraphicsItem):
    def __init__(self) -> None:
        super().__init__()
        self.setGLOptions("opaque")
        self.scene: Scene | None = None
        self.mode = "studio"
        self.channel: str | None = None  # one input of the material, in place of the mode
        self.vertex_colours = True  # off: each surface in its material's colour alone
        self.back_faces = "material"  # or "shown" or "culled", whatever the material says
        self.wireframe = False
        self._dirty = False
        self._programs: dict[tuple, tuple[int, dict]] = {}
        self._buffers: list[_Buffers] = []
        self._textures: list[int | None] = []
        self._env: int | None = None
        self._env_for: looks.Environment | None = None  # what the texture holds
        self.lighting = looks.Lighting()
        self.environment: looks.Environment | None = None  # prefiltered at the first frame
        self._light: tuple = ()  # this frame's light uniforms (see frame_light)
        self.hidden: frozenset[int] = frozenset()  # primitives not drawn (the outline's)
        # The sun's shadow on the floor: its darkness (0: none), and the floor it falls on
        # in the view's world (height, centre x and y, and the half size where it fades out).
        self.sun_shadow = 0.0
        self.moving = False  # the camera is moving (the viewer sets it for each frame)
        self._first_frame = True  # the scene has not been drawn yet
        # On screen a model's first frame comes plain (see plain_frame); a picture drawn off
        # screen is one frame, with everything (the off-screen renderer turns this off).
        self.plain_first_frame = True
        self.floor = (0.0, 0.0, 0.0, 1.0)
        self.in_pieces = False  # draw big meshes in pieces (the view sets it: see PIECE)
        self._pacer = _Pacer()
        self._shadow_program: _Program | None = None
        self.shadow_map = shadow_map.ShadowMap()  # a scene's sun's shadow on its models
        self.shadowed = False  # this frame has it
        self._to_world = np.eye(4)  # the scene's coordinates to the view's world (this frame)

    @property
    def drawn(self) -> bool:
        return bool(self._buffers)

    @property
    def plain_frame(self) -> bool:
        """This frame is a model's first on screen: the model alone, without what can wait
        a frame (its sun's shadow, the view's anti-aliasing, the floor: their shaders compile
        in 40 ms on llvmpipe; the corner's axes and the labels: QPainter's first use, 10 ms),
        and the whole frame follows at once."""
        return self._first_frame and self.plain_first_frame and self.scene is not None

    def set_scene(self, scene: Scene | None) -> None:
        """Show ``scene`` (or nothing). Call ``scene.prepare()`` off the GUI thread first.
        A scene with the same meshes as the one shown (a composed scene's edit: the models
        moved, nothing else) uses what is on the GPU: only its placements change."""
        if scene is not None and scene.same_meshes(self.scene):
            self.scene = scene
            self.update()
            return
        if scene is not self.scene:
            self.hidden = frozenset()
            self._first_frame = True
        self.scene = scene
        self._dirty = True
        self.update()

    def normals_changed(self) -> None:
        """Normals have been filled in: shade smoothly from the next frame."""
        self.update()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(mode)
        self.mode = mode
        self.update()

    def set_channel(self, channel: str | None) -> None:
        """Show one input of each material (studio.CHANNELS), or None: the mode again."""
        if channel is not None and channel not in studio.CHANNELS:
            raise ValueError(channel)
        self.channel = channel
        self.update()

    @property
    def shading(self) -> str:
        """What the shader draws: the mode, or "channel" (or "checker") for a channel."""
        if self.channel is None:
            return self.mode
        return "checker" if self.channel == "uv_checker" else "channel"

    def set_vertex_colours(self, on: bool) -> None:
        self.vertex_colours = on
        self.update()

    def set_back_faces(self, how: str) -> None:
        """How back faces are drawn: as each material says (glTF's doubleSided), "shown"
        or "culled" (BACK_FACES)."""
        if how not in BACK_FACES:
            raise ValueError(how)
        self.back_faces = how
        self.update()

    def set_wireframe(self, on: bool) -> None:
        self.wireframe = on
        self.update()

    def set_lighting(self, lighting: looks.Lighting) -> None:
        """Light with ``lighting``; prefilter it first (``lighting.environment()``, cached),
        which is where a bad file is refused."""
        self.environment = lighting.environment()
        self.lighting = lighting
        self.update()

    def set_floor(self, height: float, centre: tuple[float, float], half: float) -> None:
        """The floor the sun's shadow falls on, in the view's world (Z up)."""
        self.floor = (float(height), float(centre[0]), float(centre[1]), float(half))
        self.update()

    def set_sun_shadow(self, darkness: float) -> None:
        """How dark the sun's shadow on the floor is (0: none). It shows only in the Studio
        shading, with a lighting whose sun is on."""
        self.sun_shadow = float(darkness)
        self.update()

    # Everything below runs with the view's GL context current (from paint()).

    def _upload(self) -> None:
        self._release()
        self._dirty = False
        if self.scene is None or self.scene.instances is None:
            self.shadow_map.release()  # only a composed scene has one: its 16 MB go
        else:
            self.shadow_map.forget()
        if self.scene is None:
            return
        self._buffers = [_Buffers(p) for p in self.scene.primitives]
        limit = int(GL.glGetIntegerv(GL.GL_MAX_TEXTURE_SIZE))
        self._textures = [_upload_texture(t, limit, self.scene) for t in self.scene.textures]

    def release_gl(self) -> None:
        """Free everything this item holds on the GPU (the view's context must be current):
        before its view, and the context, go away."""
        self._release()
        for program, _ in self._programs.values():
            GL.glDeleteProgram(program)
        if self._shadow_program is not None:
            GL.glDeleteProgram(self._shadow_program.handle)
            self._shadow_program = None
        self.shadow_map.release()
        if self._env is not None:
            GL.glDeleteTextures([self._env])
        self._programs, self._env = {}, None

    def _release(self) -> None:
        for buffers in self._buffers:
            buffers.release()
        handles = [t for t in self._textures if t is not None]
        if handles:
            GL.glDeleteTextures(handles)
        self._buffers, self._textures = [], []

    def _program(self, key: tuple) -> tuple[int, dict]:
        """The program for (mode, *features), compiled on first use."""
        if key not in self._programs:
            self._programs[key] = (pbr_shaders.link(key[0], key[1:]), {})
        return self._programs[key]

    def light_environment(self) -> looks.Environment:
        """The lighting prefiltered (the studio's on the first frame, not at start-up)."""
        if self.environment is None:
            self.environment = self.lighting.environment()
        return self.environment

    def environment_texture(self) -> int:
        """The lighting's prefiltered environment on the GPU (uploaded when it changes)."""
        environment = self.light_environment()
        if self._env is not None and self._env_for is not environment:
            GL.glDeleteTextures([self._env])
            self._env = None
        if self._env is None:
            atlas = environment.atlas
            self._env_for = environment
            self._env = GL.glGenTextures(1)
            GL.glBindTexture(GL.GL_TEXTURE_2D, self._env)
            height, width = atlas.shape[:2]
            GL.glTexImage2D(
                GL.GL_TEXTURE_2D, 0, GL.GL_RGB16F, width, height, 0, GL.GL_RGB, GL.GL_FLOAT, atlas
            )
            GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR)
            GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR)
            GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_S, GL.GL_REPEAT)
            GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_EDGE)
            GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
        return self._env

    def paint(self) -> None:
        self.setupGLState()
        if self._dirty:
            self._upload()
        scene = self.scene
        if not self._buffers or scene is None:
            return
        placements = scene.placements()
        self._light = frame_light(self.lighting, self.light_environment(), self.view().viewMatrix())
        self.shadowed = self._cast_shadows(scene, placements)
        uniforms = [self._placement_uniforms(p.matrix) for p in placements]
        drawn = [  # (placement, primitive index, primitive)
            (k, i, scene.primitives[i])
            for k, placement in enumerate(placements)
            for i in placement.primitives
            if i not in self.hidden
        ]
        blended = [d for d in drawn if scene.material(d[2]).alpha_mode == BLEND]
        solid = [d for d in drawn if scene.material(d[2]).alpha_mode != BLEND]
        solid.sort(key=lambda d: scene.material(d[2]).alpha_mode == MASK)  # opaque first

        def depth(d: tuple[int, int, Primitive]) -> float:
            view = uniforms[d[0]][1]
            x, y, z = self._buffers[d[1]].centre
            return -(view[2] * x + view[6] * y + view[10] * z + view[14])

        blended.sort(key=lambda d: -depth(d))  # far to near
        self._draw_sun_shadow(
            [(p.matrix, [i for i in p.primitives if i not in self.hidden]) for p in placements]
        )
        for k, i, primitive in solid:
            self._draw(i, primitive, uniforms[k], blend=False)
        if blended:
            GL.glEnable(GL.GL_BLEND)
            GL.glBlendFunc(GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)
            GL.glDepthMask(GL.GL_FALSE)
            for k, i, primitive in blended:
                self._draw(i, primitive, uniforms[k], blend=True)
            GL.glDepthMask(GL.GL_TRUE)
            GL.glDisable(GL.GL_BLEND)
        self._pacer.end_frame()
        if self.plain_frame:
            self.update()  # the whole frame next
        self._first_frame = False

    def _cast_shadows(self, scene: Scene, placements: list) -> bool:
        """Whether this frame shows a scene's sun's shadow on its models; the shadow map
        drawn for it when the scene or the sun changed (shadow_map.py)."""
        sun_on = self.lighting.sun_direction is not None and bool(np.any(self._light[3]))
        if not (self.sun_shadow and sun_on and self.shading == "studio") or self.plain_frame:
            return False
        if self.moving and scene.triangles > MOVING_SHADOW_MAX:
            return False  # while the camera moves, frames come first: the still frame has it
        sun = _matrix(self.view().viewMatrix())[:3, :3].T @ self._light[2].astype(np.float64)
        if sun[2] < SHADOW_LOWEST_SUN * np.linalg.norm(sun):
            return False
        item = _matrix(self.transform())
        corners = np.array(np.meshgrid(*scene.bounds.T)).T.reshape(-1, 3)
        corners = corners @ item[:3, :3].T + item[:3, 3]
        placed = [
            (item @ p.matrix, [c for i in p.primitives if (c := self._caster(scene, i))])
            for p in placements
        ]
        key = (scene, tuple(np.round(sun, 6)), self.hidden, tuple(item.ravel()))
        self._to_world = item
        return self.shadow_map.update(
            key, sun, corners, placed, lambda b: b.draw(self._pacer if self.in_pieces else None)
        )

    def _caster(self, scene: Scene, i: int) -> tuple[_Buffers, shadow_map.Cutout | None] | None:
        """A primitive as it casts the sun's shadow: whole, through its cut-out (MASK), or
        not at all (hidden, see-through, or cut out entirely)."""
        material = scene.material(scene.primitives[i])
        if i in self.hidden or material.alpha_mode == BLEND:
            return None
        buffers = self._buffers[i]
        if material.alpha_mode != MASK:
            return buffers, None
        slot = material.base_color_texture
        offsets = {name: offset for name, _, offset in buffers.layout}
        uv = "uv1" if slot is not None and slot.uv_set == 1 else "uv"
        if slot is None or uv not in offsets or self._textures[slot.texture] is None:
            whole = material.base_color[3] >= material.alpha_cutoff
            return (buffers, None) if whole else None
        matrix = np.eye(3) if slot.transform is None else np.array(slot.transform).reshape(3, 3)
        cutout = shadow_map.Cutout(
            texture=int(self._textures[slot.texture]),  # type: ignore[arg-type]
            uv_offset=offsets[uv],
            uv_matrix=matrix.astype(np.float32),
            alpha=float(material.base_color[3]),
            cutoff=float(material.alpha_cutoff),
        )
        return buffers, cutout

    def _placement_uniforms(self, matrix: np.ndarray) -> tuple:
        """(mvp, modelview, normal matrix, view to model, and with the sun's shadow the
        shadow map's matrix) of one placement, as the shaders take them (column-major
        float32)."""
        modelview, mvp = self.modelViewMatrix(), self.mvpMatrix()
        if not np.array_equal(matrix, np.eye(4)):
            placed = QMatrix4x4(*(float(v) for v in matrix.ravel()))  # rows as written
            modelview, mvp = modelview * placed, mvp * placed
        normal = np.array(modelview.normalMatrix().data(), dtype=np.float32)
        light = None
        if self.shadowed:  # rows as written: transposed on the way
            light = (self.shadow_map.matrix @ self._to_world @ matrix).astype(np.float32)
        return (
            np.array(mvp.data(), dtype=np.float32),
            np.array(modelview.data(), dtype=np.float32),
            normal,
            normal.reshape(3, 3).T.copy(),  # a rotation's inverse
            light,
        )

    def _draw(self, i: int, primitive: Primitive, shared: tuple, blend: bool) -> None:
        assert self.scene is not None  # paint() draws only a scene
        buffers, material = self._buffers[i], self.scene.material(primitive)
        if buffers.nbo is None and primitive.arrays.normals is not None:
            buffers.upload_normals(primitive.arrays.normals)
        names = {name for name, _, _ in buffers.layout}
        coloured = "color" in names and self.vertex_colours
        slots = {
            name: slot
            for name, slot in material.slots().items()
            if "uv" in names and self._textures[slot.texture] is not None
        }
        features = [
            flag
            for flag, on in (
                ("SMOOTH", buffers.nbo is not None),
                ("COLOR", coloured),
                ("UV", "uv" in names),
                ("UV1", "uv1" in names),
                ("TANGENT", "tangent" in names and "normal" in slots),
                ("MASKED", material.alpha_mode == MASK),
                ("BLENDED", blend),
                ("UNLIT", material.unlit),
                ("SHADOWED", self.shadowed and self.shading == "studio" and not material.unlit),
            )
            if on
        ] + [f"{name.upper()}_TEX" for name in TEXTURE_SLOTS if name in slots]
        if self.shading == "channel":
            features.append(f"CHANNEL_{(self.channel or '').upper()}")
        program = _Program(*self._program((self.shading, *features)))
        GL.glUseProgram(program.handle)
        enabled = self._bind_arrays(program, buffers)
        plain = primitive.material < 0 and not coloured
        self._set_material(program, shared, material, plain, either_side=primitive.material < 0)
        units = self._bind_textures(program, slots, "uv1" in names)
        if "SHADOWED" in features:
            self.shadow_map.bind()
            loc = program.uniform
            GL.glUniform1i(loc("u_shadow"), shadow_map.UNIT)
            GL.glUniform1f(loc("u_shadow_bias"), self.shadow_map.bias)
            GL.glUniform1f(loc("u_shadow_texel"), 1.0 / shadow_map.SIZE)
            GL.glUniformMatrix4fv(loc("u_light_mvp"), 1, True, shared[4])
        cull = {
            "material": not material.double_sided and primitive.material >= 0,
            "shown": False,
            "culled": True,
        }[self.back_faces]
        if cull:
            GL.glEnable(GL.GL_CULL_FACE)
            GL.glCullFace(GL.GL_BACK)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, buffers.ibo)
        if self.wireframe:  # push the faces back a little so the lines win the depth test
            GL.glEnable(GL.GL_POLYGON_OFFSET_FILL)
            GL.glPolygonOffset(1.0, 1.0)
        buffers.draw(self._pacer if self.in_pieces else None)
        if self.wireframe:
            GL.glDisable(GL.GL_POLYGON_OFFSET_FILL)
            self._draw_wires(program, buffers, blend)
        if cull:
            GL.glDisable(GL.GL_CULL_FACE)
        for location in enabled:
            GL.glDisableVertexAttribArray(location)
        for unit in (*range(units), shadow_map.UNIT):
            GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
            GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, 0)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)
        GL.glUseProgram(0)

    def _draw_sun_shadow(self, placed: list[tuple[np.ndarray, list[int]]]) -> None:
        """The model's shadow on the floor, cast by the sun: its triangles drawn once more,
        flattened onto the floor along the sun's direction, before the model (which covers
        what of it is behind). The stencil lets each pixel be darkened once, however many
        triangles land on it."""
        if not self.sun_shadow or self.shading != "studio" or not any(i for _, i in placed):
            return
        big = self.scene is not None and self.scene.triangles > MOVING_SHADOW_MAX
        if self.plain_frame or (big and self.moving):
            return  # while the camera moves, frames come first: the still frame has it
        view = _matrix(self.view().viewMatrix())
        sun = view[:3, :3].T @ np.asarray(self._light[2], dtype=np.float64)  # to the world
        height, cx, cy, half = self.floor
        flatten = shadow_matrix(sun, height)
        if flatten is None:  # no sun, or one at or below the horizon
            return
        to_floor = flatten @ _matrix(self.transform())
        projected = _matrix(self.projectionMatrix()) @ view
        if self._shadow_program is None:
            self._shadow_program = _Program(pbr_shaders.link_shadow(), {})
        program = self._shadow_program
        GL.glUseProgram(program.handle)
        loc = program.uniform
        GL.glUniform1f(loc("u_darkness"), self.sun_shadow)
        GL.glUniform1f(loc("u_half"), half)
        GL.glDisable(GL.GL_DEPTH_TEST)  # on the floor, which holds no depth; the model covers it
        GL.glDepthMask(GL.GL_FALSE)
        GL.glDisable(GL.GL_CULL_FACE)
        GL.glEnable(GL.GL_BLEND)
        # A picture with a transparent background keeps the shadow's own alpha.
        GL.glBlendFuncSeparate(
            GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA, GL.GL_ONE, GL.GL_ONE_MINUS_SRC_ALPHA
        )
        GL.glEnable(GL.GL_STENCIL_TEST)
        GL.glStencilMask(0xFF)
        GL.glClearStencil(0)
        GL.glClear(GL.GL_STENCIL_BUFFER_BIT)
        GL.glStencilFunc(GL.GL_EQUAL, 0, 0xFF)
        GL.glStencilOp(GL.GL_KEEP, GL.GL_KEEP, GL.GL_INCR)
        location = program.attribute("a_position")
        GL.glEnableVertexAttribArray(location)
        for matrix, indices in placed:
            placed_to_floor = to_floor @ matrix
            about_centre = placed_to_floor.copy()
            about_centre[0, 3] -= cx
            about_centre[1, 3] -= cy
            mvp = projected @ placed_to_floor
            GL.glUniformMatrix4fv(loc("u_mvp"), 1, True, mvp.astype(np.float32))
            GL.glUniformMatrix4fv(loc("u_to_floor"), 1, True, about_centre.astype(np.float32))
            for i in indices:
                buffers = self._buffers[i]
                GL.glBindBuffer(GL.GL_ARRAY_BUFFER, buffers.vbo)
                GL.glVertexAttribPointer(
                    location, 3, GL.GL_FLOAT, False, buffers.stride * 4, ctypes.c_void_p(0)
                )
                GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, buffers.ibo)
                buffers.draw(self._pacer if self.in_pieces else None)
        GL.glDisableVertexAttribArray(location)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, 0)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)
        GL.glDisable(GL.GL_STENCIL_TEST)
        GL.glBlendFunc(GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)
        GL.glDisable(GL.GL_BLEND)
        GL.glDepthMask(GL.GL_TRUE)
        GL.glEnable(GL.GL_DEPTH_TEST)
        GL.glUseProgram(0)

    @staticmethod
    def _bind_arrays(program: _Program, buffers: _Buffers) -> list[int]:
        """Point the shader's attributes at the primitive's buffers; the ones enabled."""
        enabled = []

        def attribute(location: int, size: int, offset: int, stride: int) -> None:
            if location != -1:
                GL.glVertexAttribPointer(
                    location, size, GL.GL_FLOAT, False, stride * 4, ctypes.c_void_p(offset * 4)
                )
                GL.glEnableVertexAttribArray(location)
                enabled.append(location)

        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, buffers.vbo)
        for name, size, offset in buffers.layout:
            attribute(program.attribute("a_" + name), size, offset, buffers.stride)
        if buffers.nbo is not None:
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, buffers.nbo)
            attribute(program.attribute("a_normal"), 3, 0, 3)
        return enabled

    def _set_material(
        self, program: _Program, shared: tuple, material: Material, plain: bool, either_side: bool
    ) -> None:
        loc = program.uniform
        mvp, view, normal, view_to_model, _ = shared
        GL.glUniformMatrix4fv(loc("u_mvp"), 1, False, mvp)
        GL.glUniformMatrix4fv(loc("u_modelview"), 1, False, view)
        GL.glUniformMatrix3fv(loc("u_normal"), 1, False, normal)
        GL.glUniformMatrix3fv(loc("u_view_to_model"), 1, False, view_to_model)
        GL.glUniform4f(loc("u_base_color"), *material.base_color)
        GL.glUniform4f(loc("u_tint"), *(DEFAULT_COLOR if plain else (1.0, 1.0, 1.0, 1.0)))
        GL.glUniform1f(loc("u_metallic"), material.metallic)
        GL.glUniform1f(loc("u_roughness"), material.roughness)
        emissive = np.array(material.emissive) * material.emissive_strength
        GL.glUniform3f(loc("u_emissive"), *emissive)
        GL.glUniform1f(loc("u_alpha_cutoff"), material.alpha_cutoff)
        GL.glUniform1i(loc("u_either_side"), int(either_side))
        GL.glUniform1i(loc("u_wire"), 0)

    def _bind_textures(self, program: _Program, slots: dict, has_uv1: bool) -> int:
        """The studio's light and the material's textures, one unit each; how many units."""
        loc, unit = program.uniform, 0
        if self.shading == "studio":
            env_from_view, sh, key, key_color, exposure = self._light
            GL.glUniformMatrix3fv(loc("u_env_from_view"), 1, True, env_from_view)
            GL.glUniform1f(loc("u_exposure"), exposure)
            GL.glUniform3fv(loc("u_sh"), 9, sh)
            GL.glUniform3f(loc("u_key"), *key)
            GL.glUniform3f(loc("u_key_color"), *key_color)
            GL.glActiveTexture(GL.GL_TEXTURE0)
            GL.glBindTexture(GL.GL_TEXTURE_2D, self.environment_texture())
            GL.glUniform1i(loc("u_env"), 0)
            unit = 1
        for name, slot in slots.items():
            GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
            GL.glBindTexture(GL.GL_TEXTURE_2D, self._textures[slot.texture])
            GL.glUniform1i(loc(f"u_{name}_tex"), unit)
            matrix = np.eye(3) if slot.transform is None else np.array(slot.transform).reshape(3, 3)
            GL.glUniformMatrix3fv(loc(f"u_{name}_uvm"), 1, True, matrix.astype(np.float32))
            GL.glUniform1i(loc(f"u_{name}_uv1"), int(slot.uv_set == 1 and has_uv1))
            if name == "normal":
                GL.glUniform1f(loc("u_normal_scale"), slot.scale)
            elif name == "occlusion":
                GL.glUniform1f(loc("u_occlusion_strength"), slot.scale)
            unit += 1
        return unit

    def _draw_wires(self, program: _Program, buffers: _Buffers, blend: bool) -> None:
        """Thin, light, see-through lines over the faces: readable on a dense mesh."""
        GL.glUniform1i(program.uniform("u_wire"), 1)
        GL.glUniform4f(program.uniform("u_wire_color"), *WIRE_COLOR)
        GL.glEnable(GL.GL_BLEND)
        GL.glBlendFunc(GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)
        GL.glDepthMask(GL.GL_FALSE)
        GL.glPolygonMode(GL.GL_FRONT_AND_BACK, GL.GL_LINE)
        buffers.draw(self._pacer if self.in_pieces else None)
        GL.glPolygonMode(GL.GL_FRONT_AND_BACK, GL.GL_FILL)
        GL.glDepthMask(GL.GL_FALSE if blend else GL.GL_TRUE)
        if not blend:
            GL.glDisable(GL.GL_BLEND)


class _Program:
    """A linked shader program, with its locations looked up once (PyOpenGL calls are slow)."""

    def __init__(self, handle: int, locations: dict) -> None:
        self.handle, self._locations = handle, locations

    def uniform(self, name: str) -> int:
        if name not in self._locations:
            self._locations[name] = GL.glGetUniformLocation(self.handle, name)
        return self._locations[name]

    def attribute(self, name: str) -> int:
        key = "attribute " + name
        if key not in self._locations:
            self._locations[key] = GL.glGetAttribLocation(self.handle, name)
        return self._locations[key]


class BackgroundItem(gl.GLGraphicsItem.GLGraphicsItem):
    """The lighting's environment, blurred, behind everything else, when its background is
    "environment" (drawn first; it neither tests nor writes depth)."""

    BLUR = 0.4  # the roughness whose prefiltered level is shown

    def __init__(self, scene_item: SceneItem) -> None:
        super().__init__()
        self.setDepthValue(-1000)
        self.scene_item = scene_item
        self._program: _Program | None = None
        self._vbo: int | None = None

    def paint(self) -> None:
        lighting = self.scene_item.lighting
        if lighting.background != "environment":
            return
        if self._program is None:
            self._program = _Program(pbr_shaders.link_background(), {})
            self._vbo = GL.glGenBuffers(1)
            quad = np.array([-1, -1, 1, -1, -1, 1, 1, 1], dtype=np.float32)
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._vbo)
            GL.glBufferData(GL.GL_ARRAY_BUFFER, quad.nbytes, quad, GL.GL_STATIC_DRAW)
        program = self._program
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glDepthMask(GL.GL_FALSE)
        GL.glDisable(GL.GL_BLEND)
        GL.glUseProgram(program.handle)
        env_from_view, _, _, _, exposure = frame_light(
            lighting, self.scene_item.light_environment(), self.view().viewMatrix()
        )
        inverse, _ = _perspective(self.view(), self.projectionMatrix()).inverted()
        loc = program.uniform
        GL.glUniformMatrix4fv(
            loc("u_inverse_projection"), 1, False, np.array(inverse.data(), dtype=np.float32)
        )
        GL.glUniformMatrix3fv(loc("u_env_from_view"), 1, True, env_from_view)
        GL.glUniform1f(loc("u_exposure"), exposure)
        GL.glUniform1f(loc("u_blur"), self.BLUR)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.scene_item.environment_texture())
        GL.glUniform1i(loc("u_env"), 0)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._vbo)
        GL.glVertexAttribPointer(0, 2, GL.GL_FLOAT, False, 8, ctypes.c_void_p(0))
        GL.glEnableVertexAttribArray(0)
        GL.glDrawArrays(GL.GL_TRIANGLE_STRIP, 0, 4)
        GL.glDisableVertexAttribArray(0)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)
        GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
        GL.glUseProgram(0)
        GL.glDepthMask(GL.GL_TRUE)
        GL.glEnable(GL.GL_DEPTH_TEST)

    def release_gl(self) -> None:
        if self._program is not None:
            GL.glDeleteProgram(self._program.handle)
            GL.glDeleteBuffers(1, [self._vbo])
        self._program, self._vbo = None, None


SHADOW_LOWEST_SUN = 0.05  # sin of the lowest sun that casts a shadow (about 3 degrees up)


def shadow_matrix(sun: np.ndarray, height: float) -> np.ndarray | None:
    """(4, 4): each point moved along ``sun`` (towards the sun, in the view's Z-up world)
    onto the floor z = ``height``; None when the sun is too low (or absent) to cast one."""
    length = float(np.linalg.norm(sun))
    if length < 1e-9 or sun[2] / length < SHADOW_LOWEST_SUN:
        return None
    sx, sy = sun[0] / sun[2], sun[1] / sun[2]
    return np.array(
        [
            [1.0, 0.0, -sx, sx * height],
            [0.0, 1.0, -sy, sy * height],
            [0.0, 0.0, 0.0, height],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )


def _matrix(matrix: QMatrix4x4) -> np.ndarray:
    """A QMatrix4x4 as a (4, 4) float64 array, rows as written (Qt keeps columns)."""
    return np.array(matrix.data(), dtype=np.float64).reshape(4, 4).T


def _perspective(view: GLViewWidget, projection: QMatrix4x4) -> QMatrix4x4:
    """The view's projection as a perspective one: a parallel view's background still shows
    the surroundings spread out, as in perspective, not one colour."""
    if not getattr(view, "orthographic", False):
        return projection
    view.orthographic = False
    try:
        viewport = view.getViewport()
        return view.projectionMatrix(viewport, viewport)
    finally:
        view.orthographic = True


# KEY_SHARE of the light on a face turned to the viewer (Lambert's 1/pi undone).
_KEY_COLOR = np.full(3, KEY_SHARE * np.pi / float(KEY_DIRECTION[2]), dtype=np.float32)
SUN_STRENGTH = 1.5  # a preset's sun on a face turned to it, over the studio key's share
# The viewer's world (Z up, the model's front towards -Y) in the environment's (Y up, glTF's).
WORLD_TO_ENV = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


def frame_light(
    lighting: looks.Lighting, environment: looks.Environment, view_matrix: QMatrix4x4
) -> tuple:
    """The light's uniforms for a frame: (env_from_view (3, 3), SH (9, 3) with the basis
    constants folded in, key direction in view space, key colour, exposure multiplier).

    The studio turns with the camera (env_from_view is the user's rotation alone); any
    other environment is fixed in the world, so the camera's turn is undone first."""
    turn = looks.rotation_matrix(lighting.rotation)
    view_rotation = np.array(view_matrix.data(), dtype=np.float64).reshape(4, 4).T[:3, :3]
    env_from_view = turn @ WORLD_TO_ENV @ view_rotation.T if lighting.world_fixed else turn
    sun = lighting.sun and (environment.sun is not None or not lighting.world_fixed)
    constants = studio.sh_constants()[:, None]
    sh = environment.sh * constants * (ROOM_SHARE if sun else 1.0)
    key, key_color = np.zeros(3), np.zeros(3)
    if sun and not lighting.world_fixed:
        key, key_color = env_from_view.T @ KEY_DIRECTION, _KEY_COLOR.astype(np.float64)
    elif sun and environment.sun is not None:
        direction, tint = (np.asarray(v, dtype=np.float64) for v in environment.sun)
        key = env_from_view.T @ (direction / np.linalg.norm(direction))
        luminance = max(float(tint @ np.array([0.2126, 0.7152, 0.0722])), 1e-6)
        key_color = tint / luminance * KEY_SHARE * SUN_STRENGTH * np.pi
    fixed = lighting.sun_vector
    if sun and fixed is not None:  # a scene's sun: where it says, whatever the turn
        key = view_rotation @ WORLD_TO_ENV.T @ fixed
    return (
        np.ascontiguousarray(env_from_view, dtype=np.float32),
        np.ascontiguousarray(sh, dtype=np.float32),
        key.astype(np.float32),
        np.asarray(key_color, dtype=np.float32),
        lighting.scale,
    )


def _upload_texture(texture: Texture, limit: int, scene: Scene) -> int:
    """Rows top-down, as glTF samples them: uploaded as they are. RGBA rows are whole words,
    so the default unpack alignment (which Qt's own painting expects) holds. A picture larger
    than the GPU allows is shrunk (nearest pixel), with a note."""
    image = texture.image
    step = 1
    while max(image.shape[:2]) // step > limit:
        step *= 2
    if step > 1:
        image = np.ascontiguousarray(image[::step, ::step])
        scene.notes.append(
            f"a {texture.image.shape[1]}x{texture.image.shape[0]} texture was shrunk to "
            f"{image.shape[1]}x{image.shape[0]}, the most this GPU takes"
        )
    handle = GL.glGenTextures(1)
    GL.glBindTexture(GL.GL_TEXTURE_2D, handle)
    height, width = image.shape[:2]
    GL.glTexImage2D(
        GL.GL_TEXTURE_2D, 0, GL.GL_RGBA, width, height, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, image
    )
    GL.glGenerateMipmap(GL.GL_TEXTURE_2D)
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR_MIPMAP_LINEAR)
    mag = GL.GL_LINEAR if texture.smooth else GL.GL_NEAREST
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, mag)
    for axis, wrap in zip((GL.GL_TEXTURE_WRAP_S, GL.GL_TEXTURE_WRAP_T), texture.wrap, strict=True):
        GL.glTexParameteri(GL.GL_TEXTURE_2D, axis, wrap)
    GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
    return handle

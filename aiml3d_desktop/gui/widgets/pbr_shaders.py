"""The GLSL of the scene's shading (see scene_item.py), and its compiling.

Each program is compiled with #defines for what its primitive has, so that none carries what
it does not use: under software OpenGL every varying costs time at each of a million
vertices.
"""

from __future__ import annotations

import functools
import re

from aiml3d_desktop.core.look import studio
from aiml3d_desktop.core.meshes.scene import TEXTURE_SLOTS
from aiml3d_desktop.gui.opengl_lean import GL, shaders

VERTEX_SHADER = """
uniform mat4 u_mvp;
uniform mat4 u_modelview;
uniform mat3 u_normal;
attribute vec3 a_position;
#ifdef COLOR
attribute vec4 a_color;
#endif
varying vec4 v_color;
varying vec3 v_eye;
#ifdef SMOOTH
attribute vec3 a_normal;
varying vec3 v_normal;
#endif
#ifdef UV
attribute vec2 a_uv;
varying vec2 v_uv;
#endif
#ifdef UV1
attribute vec2 a_uv1;
varying vec2 v_uv1;
#endif
#ifdef TANGENT
attribute vec4 a_tangent;
varying vec4 v_tangent;
#endif
#ifdef SHADOWED
uniform mat4 u_light_mvp;  // to the shadow map's clip space (a parallel projection)
varying vec3 v_light;
#endif
void main() {
    v_eye = (u_modelview * vec4(a_position, 1.0)).xyz;
#ifdef SHADOWED
    v_light = (u_light_mvp * vec4(a_position, 1.0)).xyz * 0.5 + 0.5;
#endif
#ifdef SMOOTH
    v_normal = u_normal * a_normal;
#endif
#ifdef UV
    v_uv = a_uv;
#endif
#ifdef UV1
    v_uv1 = a_uv1;
#endif
#ifdef TANGENT
    v_tangent = vec4(u_normal * a_tangent.xyz, a_tangent.w);
#endif
#ifdef COLOR
    v_color = a_color;
#else
    v_color = vec4(1.0);
#endif
    gl_Position = u_mvp * vec4(a_position, 1.0);
}
"""

FRAGMENT_SHADER = """
uniform bool u_wire;
uniform vec4 u_wire_color;
uniform vec4 u_base_color;
uniform vec4 u_tint;  // a stored colour for surfaces that have none (no material, no colours)
uniform float u_metallic;
uniform float u_roughness;
uniform vec3 u_emissive;
uniform float u_alpha_cutoff;
uniform float u_normal_scale;
uniform float u_occlusion_strength;
uniform bool u_either_side;  // no material: light both sides alike (generated meshes)
uniform mat3 u_view_to_model;
uniform mat3 u_env_from_view;  // the environment's space from view space (its rotation)
uniform float u_exposure;  // 2**EV
uniform vec3 u_sh[9];
uniform vec3 u_key;
uniform vec3 u_key_color;
uniform sampler2D u_env;
varying vec4 v_color;
varying vec3 v_eye;
#ifdef SMOOTH
varying vec3 v_normal;
#endif
#ifdef UV
varying vec2 v_uv;
#endif
#ifdef UV1
varying vec2 v_uv1;
#endif
#ifdef TANGENT
varying vec4 v_tangent;
#endif
#ifdef SHADOWED
uniform sampler2DShadow u_shadow;
uniform float u_shadow_bias;
uniform float u_shadow_texel;
varying vec3 v_light;

float sunlit() {  // the share of the sun that reaches this point: 4 filtered taps
    if (any(lessThan(v_light, vec3(0.0))) || any(greaterThan(v_light, vec3(1.0)))) return 1.0;
    float lit = 0.0;
    for (int i = 0; i < 4; i++) {
        vec2 offset = (vec2(float(i / 2), float(i - 2 * (i / 2))) - 0.5) * u_shadow_texel;
        lit += shadow2D(u_shadow, vec3(v_light.xy + offset, v_light.z - u_shadow_bias)).r;
    }
    return lit * 0.25;
}
#endif
SLOTS

const float PI = 3.14159265;
const int LEVELS = LEVEL_COUNT;

vec2 slot_uv(mat3 m, bool second) {
#if defined(UV1) && defined(UV)
    vec2 uv = second ? v_uv1 : v_uv;
#elif defined(UV)
    vec2 uv = v_uv;
#elif defined(UV1)
    vec2 uv = v_uv1;
#else
    vec2 uv = vec2(0.0);
#endif
    return (m * vec3(uv, 1.0)).xy;
}

vec3 to_linear(vec3 c) { return pow(max(c, 0.0), vec3(2.2)); }

vec3 neutral(vec3 color) {  // Khronos PBR Neutral
    float x = min(color.r, min(color.g, color.b));
    float offset = x < 0.08 ? x - 6.25 * x * x : 0.04;
    color -= offset;
    float peak = max(color.r, max(color.g, color.b));
    const float start = 0.76;
    if (peak < start) return color;
    const float d = 1.0 - start;
    float new_peak = 1.0 - d * d / (peak + d - start);
    color *= new_peak / peak;
    float g = 1.0 - 1.0 / (0.15 * (peak - new_peak) + 1.0);
    return mix(color, vec3(new_peak), g);
}

vec3 irradiance(vec3 n) {
    return u_sh[0] + u_sh[1] * n.y + u_sh[2] * n.z + u_sh[3] * n.x
        + u_sh[4] * (n.x * n.y) + u_sh[5] * (n.y * n.z) + u_sh[6] * (3.0 * n.z * n.z - 1.0)
        + u_sh[7] * (n.x * n.z) + u_sh[8] * (n.x * n.x - n.y * n.y);
}

vec3 room(vec3 d, float roughness) {  // the studio in direction d, prefiltered
    float u = atan(d.x, -d.z) / (2.0 * PI);
    float v = clamp(acos(clamp(d.y, -1.0, 1.0)) / PI, 0.5 / LEVEL_HEIGHT, 1.0 - 0.5 / LEVEL_HEIGHT);
    float level = roughness * float(LEVELS - 1);
    float low = floor(level);
    float high = min(low + 1.0, float(LEVELS - 1));
    vec3 a = texture2D(u_env, vec2(u, (low + v) / float(LEVELS))).rgb;
    vec3 b = texture2D(u_env, vec2(u, (high + v) / float(LEVELS))).rgb;
    return mix(a, b, level - low);
}

vec3 surface_normal() {
#ifdef SMOOTH
    vec3 n = normalize(v_normal);
#else
    vec3 n = normalize(cross(dFdx(v_eye), dFdy(v_eye)));  // flat, until normals come
#endif
    float side = 1.0;  // -1 on the back of a double-sided surface: the whole frame turns
    if (u_either_side) {
        if (dot(n, v_eye) > 0.0) n = -n;
    } else if (!gl_FrontFacing) {
        side = -1.0;
        n = -n;
    }
#if defined(NORMAL_TEX)
    vec3 t;
#if defined(TANGENT)
    t = side * normalize(v_tangent.xyz);
    vec3 b = cross(n, t) * v_tangent.w * side;
#else
    vec2 uv = slot_uv(u_normal_uvm, u_normal_uv1);
    vec2 uv_dx = dFdx(uv), uv_dy = dFdy(uv);
    float det = uv_dx.x * uv_dy.y - uv_dy.x * uv_dx.y;
    vec3 t_ = (uv_dy.y * dFdx(v_eye) - uv_dx.y * dFdy(v_eye)) / (abs(det) > 1e-12 ? det : 1e-12);
    t = side * normalize(t_ - n * dot(n, t_) + vec3(1e-6, 0.0, 0.0));
    vec3 b = cross(n, t) * side;
#endif
    vec3 m = SAMPLE(normal).rgb * 2.0 - 1.0;
    m.xy *= u_normal_scale;
    n = normalize(mat3(t, b, n) * m);
#endif
    return n;
}

void main() {
    if (u_wire) { gl_FragColor = u_wire_color; return; }
    // As stored: vertex colours and the base colour texture hold display (sRGB) values;
    // the base colour factor is linear, as glTF says.
    vec4 stored = u_tint * v_color;
#ifdef BASE_COLOR_TEX
    stored *= SAMPLE(base_color);
#endif
    vec4 base = u_base_color * stored;
    float alpha = base.a;  // as the material has it, for the alpha channel view
#ifdef MASKED
    if (base.a < u_alpha_cutoff) discard;
    base.a = 1.0;
#endif
#ifndef BLENDED
    base.a = 1.0;
#endif
#if defined(FLAT)
    // Stored colours exactly; a linear factor shown as the colour it stands for.
    gl_FragColor = vec4(stored.rgb * pow(u_base_color.rgb, vec3(1.0 / 2.2)), base.a);
#else
    vec3 n = surface_normal();
#if defined(NORMALS)
    gl_FragColor = vec4(normalize(u_view_to_model * n) * 0.5 + 0.5, base.a);
#elif defined(CHANNEL)
    // One input of the material as stored (after the Khronos sample viewer's debug views):
    // colours in display (sRGB) values, numbers as grey levels (0.5 is 128).
    vec3 value = vec3(1.0);
#if defined(CHANNEL_BASE_COLOR)
    value = stored.rgb * pow(u_base_color.rgb, vec3(1.0 / 2.2));
#elif defined(CHANNEL_METALLIC) || defined(CHANNEL_ROUGHNESS)
    float metallic = u_metallic, roughness = u_roughness;
#ifdef METALLIC_ROUGHNESS_TEX
    vec4 mr = SAMPLE(metallic_roughness);
    roughness *= mr.g;
    metallic *= mr.b;
#endif
#ifdef CHANNEL_METALLIC
    value = vec3(metallic);
#else
    value = vec3(roughness);
#endif
#elif defined(CHANNEL_NORMAL)
    value = normalize(u_view_to_model * n) * 0.5 + 0.5;  // with its normal map
#elif defined(CHANNEL_OCCLUSION)
#ifdef OCCLUSION_TEX
    value = vec3(mix(1.0, SAMPLE(occlusion).r, u_occlusion_strength));
#endif
#elif defined(CHANNEL_EMISSIVE)
    vec3 emitted = u_emissive;
#ifdef EMISSIVE_TEX
    emitted *= to_linear(SAMPLE(emissive).rgb);
#endif
    value = pow(clamp(emitted, 0.0, 1.0), vec3(1.0 / 2.2));
#elif defined(CHANNEL_ALPHA)
    value = vec3(alpha);
#endif
    gl_FragColor = vec4(value, 1.0);
#elif defined(MATCAP)
    vec3 r = reflect(normalize(v_eye), n);
    float light = 0.34 + 0.52 * max(dot(n, normalize(vec3(-0.4, 0.5, 0.75))), 0.0)
        + 0.22 * pow(max(r.y, 0.0), 2.0) + 0.35 * pow(1.0 - max(n.z, 0.0), 3.0);
    gl_FragColor = vec4(vec3(0.80, 0.76, 0.72) * light, base.a);
#elif defined(CHECKER)
    vec2 cell = floor(slot_uv(mat3(1.0), false) * 16.0);
    float check = mod(cell.x + cell.y, 2.0);
    vec3 colour = mix(vec3(0.93, 0.93, 0.95), vec3(0.85, 0.15, 0.45), check);
#ifndef UV
    colour = vec3(0.5);
#endif
    float light = 0.35 + 0.65 * max(dot(n, normalize(vec3(-0.3, 0.4, 0.85))), 0.0);
    gl_FragColor = vec4(colour * light, base.a);
#else
    vec3 albedo = to_linear(stored.rgb) * u_base_color.rgb;
    float metallic = u_metallic, roughness = u_roughness;
#ifdef METALLIC_ROUGHNESS_TEX
    vec4 mr = SAMPLE(metallic_roughness);
    roughness *= mr.g;
    metallic *= mr.b;
#endif
    roughness = clamp(roughness, 0.03, 1.0);
    vec3 v = normalize(-v_eye);
    float nv = max(dot(n, v), 1e-4);
    vec3 f0 = mix(vec3(0.04), albedo, metallic);
    // The split-sum's scale and bias, in Karis's analytic fit (no lookup texture).
    vec4 r4 = roughness * vec4(-1.0, -0.0275, -0.572, 0.022) + vec4(1.0, 0.0425, 1.04, -0.04);
    float a004 = min(r4.x * r4.x, exp2(-9.28 * nv)) * r4.x + r4.y;
    vec2 ab = vec2(-1.04, 1.04) * a004 + r4.zw;
    vec3 diffuse = albedo * (1.0 - metallic);
    vec3 colour = diffuse * irradiance(u_env_from_view * n)
        + room(u_env_from_view * reflect(-v, n), roughness) * (f0 * ab.x + ab.y);
#ifdef OCCLUSION_TEX
    colour = mix(colour, colour * SAMPLE(occlusion).r, u_occlusion_strength);  // indirect only
#endif
    // The key light: Lambert plus GGX with Smith's joint visibility and Schlick's Fresnel.
    float nl = max(dot(n, u_key), 0.0);
#ifdef SHADOWED
    if (nl > 0.0) nl *= sunlit();
#endif
    if (nl > 0.0) {
        vec3 h = normalize(u_key + v);
        float nh = max(dot(n, h), 0.0), vh = max(dot(v, h), 0.0);
        float a2 = roughness * roughness * roughness * roughness;
        float dd = nh * nh * (a2 - 1.0) + 1.0;
        float distribution = a2 / (PI * dd * dd);
        float gv = nl * sqrt(nv * nv * (1.0 - a2) + a2), gl = nv * sqrt(nl * nl * (1.0 - a2) + a2);
        float visibility = 0.5 / max(gv + gl, 1e-5);
        vec3 fresnel = f0 + (1.0 - f0) * pow(1.0 - vh, 5.0);
        vec3 specular = fresnel * distribution * visibility;
        colour += u_key_color * nl * ((1.0 - fresnel) * diffuse / PI + specular);
    }
    vec3 emissive = u_emissive;
#ifdef EMISSIVE_TEX
    emissive *= to_linear(SAMPLE(emissive).rgb);
#endif
    colour += emissive;
    colour *= u_exposure;
#ifdef UNLIT
    colour = albedo;
#endif
    gl_FragColor = vec4(pow(neutral(colour), vec3(1.0 / 2.2)), base.a);
#endif
#endif
}
"""

BACKGROUND_VERTEX = """
attribute vec2 a_position;
varying vec2 v_ndc;
void main() {
    v_ndc = a_position;
    gl_Position = vec4(a_position, 1.0, 1.0);
}
"""

# The environment behind the model, blurred (a rough level of the same atlas), exposed and
# tone mapped as the model is.
BACKGROUND_FRAGMENT = (
    """
uniform sampler2D u_env;
uniform mat4 u_inverse_projection;
uniform mat3 u_env_from_view;
uniform float u_exposure;
uniform float u_blur;
varying vec2 v_ndc;
const float PI = 3.14159265;
const int LEVELS = LEVEL_COUNT;
"""
    + FRAGMENT_SHADER[
        FRAGMENT_SHADER.index("vec3 neutral(") : FRAGMENT_SHADER.index("vec3 irradiance(")
    ]
    + FRAGMENT_SHADER[
        FRAGMENT_SHADER.index("vec3 room(") : FRAGMENT_SHADER.index("vec3 surface_normal()")
    ]
    + """
void main() {
    vec4 near = u_inverse_projection * vec4(v_ndc, -1.0, 1.0);
    vec4 far = u_inverse_projection * vec4(v_ndc, 1.0, 1.0);
    vec3 d = normalize(far.xyz / far.w - near.xyz / near.w);
    vec3 colour = room(u_env_from_view * d, u_blur) * u_exposure;
    gl_FragColor = vec4(pow(neutral(colour), vec3(1.0 / 2.2)), 1.0);
}
"""
)


def link_background() -> int:
    """The program that draws the environment behind the model."""
    fragment = BACKGROUND_FRAGMENT.replace("LEVEL_COUNT", str(studio.LEVELS)).replace(
        "LEVEL_HEIGHT", f"{float(studio.HEIGHT)}"
    )
    return _link_positions(BACKGROUND_VERTEX, fragment)


def link(mode: str, features: tuple[str, ...]) -> int:
    """A linked program for shading ``mode`` with ``features`` (SMOOTH, UV, ...) defined."""
    defines = "#version 120\n" + "".join(f"#define {name}\n" for name in features)
    defines += f"#define {mode.upper()}\n"
    program = GL.glCreateProgram()
    GL.glAttachShader(program, shaders.compileShader(defines + VERTEX_SHADER, GL.GL_VERTEX_SHADER))
    GL.glAttachShader(
        program, shaders.compileShader(defines + _fragment_source(), GL.GL_FRAGMENT_SHADER)
    )
    # Attribute 0 must be an array in the compatibility profile, or nothing is drawn: the
    # position, which every primitive has.
    GL.glBindAttribLocation(program, 0, "a_position")
    GL.glLinkProgram(program)
    if GL.glGetProgramiv(program, GL.GL_LINK_STATUS) != GL.GL_TRUE:
        raise RuntimeError(f"shader link failed: {GL.glGetProgramInfoLog(program)!r}")
    return program


@functools.cache
def _fragment_source() -> str:
    """The fragment shader with each texture slot's uniforms and sampling written out (GLSL
    1.20 has no token pasting)."""
    declarations = "".join(
        f"uniform sampler2D u_{n}_tex; uniform mat3 u_{n}_uvm; uniform bool u_{n}_uv1;\n"
        for n in TEXTURE_SLOTS
    )
    source = FRAGMENT_SHADER.replace("SLOTS\n", declarations)
    source = re.sub(r"SAMPLE\((\w+)\)", r"texture2D(u_\1_tex, slot_uv(u_\1_uvm, u_\1_uv1))", source)
    return source.replace("LEVEL_COUNT", str(studio.LEVELS)).replace(
        "LEVEL_HEIGHT", f"{float(studio.HEIGHT)}"
    )


# The sun's shadow on the floor: the model's triangles flattened onto the floor along the
# sun's direction (the matrix does it), in one dark see-through colour; it fades where the
# floor's grid fades. Position only: the cheapest pass of the buffers there is.
SHADOW_VERTEX = """
uniform mat4 u_mvp;  // the view's projection and camera, the flattening, the model's place
uniform mat4 u_to_floor;  // the flattening and the model's place, about the floor's centre
attribute vec3 a_position;
varying vec2 v_floor;
void main() {
    vec4 p = vec4(a_position, 1.0);
    v_floor = (u_to_floor * p).xy;
    gl_Position = u_mvp * p;
}
"""

SHADOW_FRAGMENT = """
uniform float u_darkness;
uniform float u_half;
varying vec2 v_floor;
void main() {
    float fade = 1.0 - smoothstep(0.35 * u_half, u_half, length(v_floor));
    gl_FragColor = vec4(0.0, 0.0, 0.0, u_darkness * fade);
}
"""


# The scene's depth as the sun sees it (shadow_map.py); MASKED: a cut-out material's texels
# under its alpha cutoff cast nothing (leaves, lattices, decals).
DEPTH_VERTEX = """
uniform mat4 u_mvp;
attribute vec3 a_position;
#ifdef MASKED
uniform mat3 u_uvm;
attribute vec2 a_uv;
varying vec2 v_uv;
#endif
void main() {
#ifdef MASKED
    v_uv = (u_uvm * vec3(a_uv, 1.0)).xy;
#endif
    gl_Position = u_mvp * vec4(a_position, 1.0);
}
"""

DEPTH_FRAGMENT = """
#ifdef MASKED
uniform sampler2D u_tex;
uniform float u_alpha;
uniform float u_cutoff;
varying vec2 v_uv;
#endif
void main() {
#ifdef MASKED
    if (texture2D(u_tex, v_uv).a * u_alpha < u_cutoff) discard;
#endif
    gl_FragColor = vec4(1.0);
}
"""


def link_depth(masked: bool = False) -> int:
    """The program that draws the scene's depth as the sun sees it (shadow_map.py)."""
    define = "#define MASKED\n" if masked else ""
    return _link_positions(define + DEPTH_VERTEX, define + DEPTH_FRAGMENT)


def link_shadow() -> int:
    """The program that draws the sun's shadow on the floor."""
    return _link_positions(SHADOW_VERTEX, SHADOW_FRAGMENT)


def _link_positions(vertex: str, fragment: str) -> int:
    """A linked program of two GLSL 1.20 sources whose one attribute is ``a_position``."""
    program = GL.glCreateProgram()
    for source, kind in ((vertex, GL.GL_VERTEX_SHADER), (fragment, GL.GL_FRAGMENT_SHADER)):
        GL.glAttachShader(program, shaders.compileShader("#version 120\n" + source, kind))
    GL.glBindAttribLocation(program, 0, "a_position")
    GL.glLinkProgram(program)
    if GL.glGetProgramiv(program, GL.GL_LINK_STATUS) != GL.GL_TRUE:
        raise RuntimeError(f"shader link failed: {GL.glGetProgramInfoLog(program)!r}")
    return program

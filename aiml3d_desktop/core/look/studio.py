"""The studio the viewer lights models with, made in numpy at start-up (nothing to download):
a soft grey room with a large key softbox, a fill and a rim light.

It lives in view space (x right, y up, z towards the viewer): the studio turns with the
camera, as a photographer's lights follow the object on a turntable, so the face one looks at
is always lit the same way. Two things come out of it:
- ``irradiance_sh``: 9 spherical-harmonic coefficients of the diffuse light (Ramamoorthi and
  Hanrahan), scaled so that a white diffuse face looked at head-on shows exactly white;
- ``specular_atlas``: the room prefiltered for ``LEVELS`` roughnesses (0 to 1), each an
  equirectangular picture, stacked top to bottom in one RGB float texture.
"""

from __future__ import annotations

import functools

import numpy as np

# The viewer's shading modes, and their names in menus.
MODES = ("studio", "flat", "matcap", "normals", "checker")
MODE_NAMES = {
    "studio": "Studio",
    "flat": "Flat (stored colours)",
    "matcap": "Matcap",
    "normals": "Normals",
    "checker": "UV checker",
}
# The channel view: one input of the material at a time (View > Channel, --channel).
CHANNELS = (
    "base_color",
    "metallic",
    "roughness",
    "normal",
    "occlusion",
    "emissive",
    "alpha",
    "uv_checker",
)
CHANNEL_NAMES = {
    "base_color": "Base colour",
    "metallic": "Metallic",
    "roughness": "Roughness",
    "normal": "Normal (with its map)",
    "occlusion": "Occlusion",
    "emissive": "Emissive",
    "alpha": "Alpha",
    "uv_checker": "UV checker",
}
LEVELS = 5
WIDTH, HEIGHT = 64, 32  # of each level; rough levels need no more
# (direction towards the light, angular radius in radians, colour) of the studio's lights.
LIGHTS = (
    ((-0.45, 0.55, 0.70), 0.45, (3.2, 3.1, 3.0)),  # key softbox, above left of the camera
    ((0.80, 0.10, 0.40), 0.35, (0.9, 0.95, 1.05)),  # fill, right
    ((0.30, 0.50, -0.80), 0.30, (1.6, 1.6, 1.7)),  # rim, behind
)


def radiance(directions: np.ndarray, blur: float = 0.0) -> np.ndarray:
    """(N, 3) unit directions -> (N, 3) linear RGB: the room's walls, then the lights.

    ``blur`` (radians) is the room seen in a rough mirror: each light widened by the mirror's
    lobe, its energy kept. Being discs, the lights blur in closed form, which is what makes
    the prefiltered reflections cost a millisecond instead of a convolution."""
    y = directions[:, 1:2]
    # Ceiling a little brighter than the walls, a darker floor, soft in between.
    room = 0.16 + 0.10 * np.clip(y, 0, 1) - 0.08 * np.clip(-y, 0, 1)
    colour = np.broadcast_to(room, (len(directions), 3)) * np.array([1.0, 0.99, 0.97])
    for direction, size, light in LIGHTS:
        d = np.asarray(direction) / np.linalg.norm(direction)
        angle = np.arccos(np.clip(directions @ d, -1, 1))
        wide = min(np.hypot(size, blur), np.pi)
        falloff = np.clip((wide - angle) / (wide * 0.35), 0, 1)[:, None]  # soft edges
        colour = colour + falloff * np.asarray(light) * (size / wide) ** 2
    return colour


def _grid(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Directions at the centre of each texel of an equirectangular picture, and each
    texel's solid angle. u runs around y from -z, v from up (0) to down (1)."""
    u = (np.arange(width) + 0.5) / width
    v = (np.arange(height) + 0.5) / height
    phi, theta = np.meshgrid(u * 2 * np.pi, v * np.pi)
    directions = np.stack(
        [np.sin(theta) * np.sin(phi), np.cos(theta), -np.sin(theta) * np.cos(phi)], axis=-1
    ).reshape(-1, 3)
    solid = (np.sin(theta) * (2 * np.pi / width) * (np.pi / height)).reshape(-1)
    return directions, solid


def sh_constants() -> np.ndarray:
    """Each of the 9 basis functions' constant factor (their polynomials are below)."""
    return np.array([0.282095] + [0.488603] * 3 + [1.092548] * 2 + [0.315392, 1.092548, 0.546274])


def _sh_basis(d: np.ndarray) -> np.ndarray:
    x, y, z = d[:, 0], d[:, 1], d[:, 2]
    one = np.ones_like(x)
    polynomials = [one, y, z, x, x * y, y * z, 3 * z * z - 1, x * z, x * x - y * y]
    return np.stack(polynomials, axis=1) * sh_constants()


# The cosine lobe's convolution weights per SH band (pi, 2pi/3, pi/4), over pi for Lambert.
_BANDS = np.array([1.0, 2 / 3, 2 / 3, 2 / 3, 0.25, 0.25, 0.25, 0.25, 0.25])


def _diffuse(coefficients: np.ndarray, normals: np.ndarray) -> np.ndarray:
    return _sh_basis(normals) @ coefficients


@functools.cache
def _raw_sh() -> tuple[np.ndarray, float]:
    """The diffuse light's SH coefficients (over pi), and their value for a face turned
    to the viewer (the scale everything is divided by)."""
    directions, solid = _grid(128, 64)
    light = radiance(directions)
    coefficients = (_sh_basis(directions) * solid[:, None]).T @ light * _BANDS[:, None]
    return coefficients, float(_diffuse(coefficients, np.array([[0.0, 0.0, 1.0]]))[0].mean())


def irradiance_sh() -> np.ndarray:
    """(9, 3) float32: diffuse light = basis(n) @ this; it multiplies the albedo, and is
    exactly 1 (on average over RGB) for a face turned to the viewer."""
    coefficients, head_on = _raw_sh()
    return (coefficients / head_on).astype(np.float32)


@functools.cache
def specular_atlas() -> np.ndarray:
    """(LEVELS * HEIGHT, WIDTH, 3) float32: level i (rows i*HEIGHT ...) is the room seen
    in a mirror of roughness i / (LEVELS - 1), on the same scale as irradiance_sh()."""
    directions, _ = _grid(WIDTH, HEIGHT)
    levels = []
    for level in range(LEVELS):
        alpha = max((level / (LEVELS - 1)) ** 2, 1e-3)
        # The angle at which a Phong lobe as wide as GGX's at this roughness falls to half,
        # widened a little: against a brute-force convolution of the same room it gives
        # the closest levels (mean difference 0.1 on a mean of 0.6).
        power = max(2.0 / (alpha * alpha) - 2.0, 0.5)
        blur = 1.4 * np.sqrt(2 * np.log(2) / power) if level else 0.0
        levels.append(radiance(directions, blur).reshape(HEIGHT, WIDTH, 3))
    atlas = np.concatenate(levels) / _raw_sh()[1]
    return np.ascontiguousarray(atlas, dtype=np.float32)

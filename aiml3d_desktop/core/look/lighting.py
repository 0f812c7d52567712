"""Look-dev lighting: a few presets beside the studio, or an equirectangular HDR/EXR file,
turned about the up axis and exposed in EV; each prefiltered in numpy into the same form as
core/look/studio.py (9 SH coefficients of the diffuse light and a specular atlas), lazily and once.

The studio lives in view space (it turns with the camera, see studio.py). Every other
environment is fixed in the world (y up, as glTF; -z is the front the camera starts from),
so turning the model shows it in a different light, and ``rotation`` turns the world's
light. Each environment is scaled so that a white face turned to the horizon is lit about
as in the studio (an automatic exposure: any file looks right at 0 EV); ``exposure`` then
multiplies the light by 2**EV before tone mapping.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.look import studio

PRESETS = ("studio", "outdoor", "overcast", "sunset", "neutral")
PRESET_NAMES = {
    "studio": "Studio",
    "outdoor": "Outdoor (sky and sun)",
    "overcast": "Overcast",
    "sunset": "Sunset",
    "neutral": "Neutral grey",
}
BACKGROUNDS = ("colour", "environment", "transparent")
ENV_SUFFIXES = (".hdr", ".exr")
# A file environment is refused past these, before its pixels are read.
MAX_WIDTH = 16384
MAX_PIXELS = 64_000_000
MAX_BYTES = 512 * 1024 * 1024
SOURCE = (128, 64)  # the size an environment is reduced to before it is prefiltered
HALF_FLOAT = 65504.0


@dataclass(frozen=True)
class Lighting:
    """How a model is lit and what is behind it (the window's and ``aiml3d render``'s)."""

    preset: str = "studio"
    file: Path | None = None  # an equirectangular .hdr or .exr, in place of the preset
    rotation: float = 0.0  # degrees about the up axis
    exposure: float = 0.0  # EV: the light times 2**exposure
    background: str = "colour"  # or "environment" (blurred) or "transparent"
    sun: bool = True  # the key light (the preset's sun, a file's brightest spot)
    # Where the sun is, fixed in the world (a composed scene's): degrees of azimuth from -Z
    # towards +X and of elevation, y up. None: the environment's own (or the studio's key,
    # which turns with the camera).
    sun_direction: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.file is None and self.preset not in PRESETS:
            raise InputError(
                f"There is no lighting preset {self.preset!r}",
                hint=f"Use one of {', '.join(PRESETS)}, or an .hdr or .exr file.",
            )
        if self.background not in BACKGROUNDS:
            raise ValueError(self.background)

    @property
    def sun_vector(self) -> np.ndarray | None:
        """The unit vector towards ``sun_direction``, in the environment's space (y up,
        which is a composed scene's own), or None."""
        if self.sun_direction is None:
            return None
        azimuth, elevation = (math.radians(v) for v in self.sun_direction)
        return np.array(
            [
                math.sin(azimuth) * math.cos(elevation),
                math.sin(elevation),
                -math.cos(azimuth) * math.cos(elevation),
            ]
        )

    @property
    def world_fixed(self) -> bool:
        return self.file is not None or self.preset != "studio"

    @property
    def scale(self) -> float:
        return float(2.0**self.exposure)

    def environment(self) -> Environment:
        if self.file is not None:
            return file_environment(Path(self.file))
        return preset_environment(self.preset)


Sun = tuple[tuple[float, ...], tuple[float, ...]]


@dataclass(frozen=True)
class Environment:
    """An environment prefiltered for the shader, in its own space (y up)."""

    sh: np.ndarray  # (9, 3) float32, as studio.irradiance_sh()
    atlas: np.ndarray  # (LEVELS * HEIGHT, WIDTH, 3) float32, as studio.specular_atlas()
    sun: Sun | None  # a sun (or key light) worth its own light: (direction, colour)


def rotation_matrix(degrees: float) -> np.ndarray:
    """(3, 3): a turn of ``degrees`` about +y (seen from above, anticlockwise)."""
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _sun_radiance(directions: np.ndarray, sun: np.ndarray, radius: float, colour) -> np.ndarray:
    angle = np.arccos(np.clip(directions @ sun, -1, 1))
    return np.clip((radius - angle) / (radius * 0.3), 0, 1)[:, None] * np.asarray(colour)


_SUNS = {  # (elevation, azimuth) degrees, colour (before scaling)
    "outdoor": ((42.0, -35.0), (1.0, 0.96, 0.88)),
    "sunset": ((7.0, 60.0), (1.0, 0.55, 0.25)),
}


def _sun_direction(preset: str) -> np.ndarray:
    (elevation, azimuth), _ = _SUNS[preset]
    e, a = math.radians(elevation), math.radians(azimuth)
    return np.array([math.cos(e) * math.sin(a), math.sin(e), -math.cos(e) * math.cos(a)])


def preset_radiance(preset: str, directions: np.ndarray) -> np.ndarray:
    """(N, 3) unit directions (y up) -> (N, 3) linear RGB of a preset's surroundings."""
    y = directions[:, 1:2]
    up, down = np.clip(y, 0, 1), np.clip(-y, 0, 1)
    if preset == "outdoor":
        sky = (0.3, 0.5, 1.0) + up * (-0.15, -0.2, -0.2)
        ground = np.array((0.22, 0.2, 0.17)) * (1 - 0.5 * down)
        colour = np.where(y >= 0, sky + (1 - up) ** 6 * (0.3, 0.25, 0.1), ground)
        return colour + _sun_radiance(directions, _sun_direction("outdoor"), 0.07, (60, 56, 50))
    if preset == "sunset":
        sky = (0.95, 0.55, 0.3) * (1 - up) ** 2 + (0.2, 0.25, 0.5) * (1 - (1 - up) ** 2)
        colour = np.where(y >= 0, sky, np.array((0.15, 0.1, 0.08)) * (1 - 0.5 * down))
        return colour + _sun_radiance(directions, _sun_direction("sunset"), 0.08, (40, 20, 8))
    if preset == "overcast":
        sky = 0.75 + 0.25 * up
        return np.where(y >= 0, sky, 0.3 - 0.1 * down) * np.array([0.95, 0.97, 1.0])
    if preset == "neutral":
        return np.broadcast_to(0.5 + 0.15 * y, (len(directions), 3)).copy()
    raise ValueError(preset)


@functools.cache
def preset_environment(preset: str) -> Environment:
    """A preset prefiltered (once, on first use: about a tenth of a second)."""
    if preset == "studio":  # its key light is the viewer's (scene_item.KEY_DIRECTION)
        return Environment(studio.irradiance_sh(), studio.specular_atlas(), None)
    width, height = SOURCE
    directions, _ = studio._grid(width, height)
    image = preset_radiance(preset, directions).reshape(height, width, 3)
    sun: Sun | None = None
    if preset in _SUNS:
        tint = np.asarray(_SUNS[preset][1])
        sun = (tuple(float(v) for v in _sun_direction(preset)), tuple(float(v) for v in tint))
    return _prefilter(image, sun)


def _prefilter(image: np.ndarray, sun: Sun | None) -> Environment:
    """An (H, W, 3) linear equirectangular picture (studio.py's layout) -> Environment."""
    height, width = image.shape[:2]
    directions, solid = studio._grid(width, height)
    light = image.reshape(-1, 3).astype(np.float64)
    coefficients = (studio._sh_basis(directions) * solid[:, None]).T @ light
    coefficients *= studio._BANDS[:, None]
    # A white face turned to the horizon (averaged around it) shows white.
    ring = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    horizon = np.stack([np.sin(ring), np.zeros(16), -np.cos(ring)], axis=1)
    lit = studio._sh_basis(horizon) @ coefficients
    scale = float(max((lit @ np.array([0.2126, 0.7152, 0.0722])).mean(), 1e-6))
    # Each rough level a Phong lobe as wide as GGX's, convolved at the atlas's own size
    # (2048 directions each way: a few tens of milliseconds a level).
    mirror = _area_reduce(image, studio.WIDTH, studio.HEIGHT)
    out_dirs, out_solid = studio._grid(studio.WIDTH, studio.HEIGHT)
    cosines = (out_dirs @ out_dirs.T).astype(np.float32)
    np.maximum(cosines, 0.0, out=cosines)
    source = mirror.reshape(-1, 3).astype(np.float32)
    levels = [mirror]
    for level in range(1, studio.LEVELS):
        alpha = max((level / (studio.LEVELS - 1)) ** 2, 1e-3)
        power = max(2.0 / (alpha * alpha) - 2.0, 0.5)
        weights = cosines**power * out_solid[None, :].astype(np.float32)
        weights /= np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
        levels.append((weights @ source).reshape(studio.HEIGHT, studio.WIDTH, 3))
    atlas = np.concatenate(levels) / scale
    return Environment(
        (coefficients / scale).astype(np.float32),
        np.ascontiguousarray(np.minimum(atlas, HALF_FLOAT), dtype=np.float32),
        sun,
    )


def _area_reduce(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Each output texel the mean of the input texels it covers (sizes divide, or nearly)."""
    h, w = image.shape[:2]
    rows = np.minimum((np.arange(h) * height) // h, height - 1)
    cols = np.minimum((np.arange(w) * width) // w, width - 1)
    total = np.zeros((height, width, 3))
    count = np.zeros((height, width, 1))
    np.add.at(total, (rows[:, None], cols[None, :]), image)
    np.add.at(count, (rows[:, None], cols[None, :]), 1.0)
    return total / np.maximum(count, 1)


def check_header(path: Path, width: int, height: int, channels: int, size: int) -> None:
    """Refuse an environment that is too big to read, from its header and its size."""
    name = path.name
    if size > MAX_BYTES:
        raise InputError(
            f"{name} is {size / 2**20:.0f} MB: an environment may be at most "
            f"{MAX_BYTES // 2**20} MB",
            hint="Use a smaller copy (a 4K or 2K equirectangular HDR is plenty).",
        )
    if width < 2 or height < 1 or channels < 1:
        raise InputError(f"{name} has no pixels to light with ({width}x{height})")
    if width > MAX_WIDTH or width * height > MAX_PIXELS:
        raise InputError(
            f"{name} is {width}x{height}: an environment may be at most {MAX_WIDTH} pixels "
            f"wide and {MAX_PIXELS // 1_000_000} megapixels",
            hint="Use a smaller copy (a 4K or 2K equirectangular HDR is plenty).",
        )


@functools.lru_cache(maxsize=4)
def _file_environment(path: Path, _stamp: tuple[int, int]) -> Environment:
    image = read_environment(path)
    sun: Sun | None = None
    luminance = image @ np.array([0.2126, 0.7152, 0.0722])
    row, col = np.unravel_index(int(np.argmax(luminance)), luminance.shape)
    if luminance[row, col] > 8 * max(float(luminance.mean()), 1e-9):  # a sun worth a shadow
        directions, _ = studio._grid(image.shape[1], image.shape[0])
        direction = directions[row * image.shape[1] + col]
        tint = image[row, col] / max(float(luminance[row, col]), 1e-9)
        sun = (tuple(float(v) for v in direction), tuple(float(v) for v in tint))
    return _prefilter(image, sun)


def file_environment(path: Path) -> Environment:
    """An .hdr or .exr file prefiltered (cached while the file is unchanged)."""
    try:
        stat = path.stat()
    except OSError as error:
        raise InputError(f"Cannot read {path.name}: {error.strerror or error}") from error
    return _file_environment(path.resolve(), (stat.st_mtime_ns, stat.st_size))


def read_environment(path: Path, size: tuple[int, int] = SOURCE) -> np.ndarray:
    """An equirectangular HDR or EXR reduced to ``size`` (W, H): (H, W, 3) float64, linear.
    The header is checked before a pixel is read; the picture is read a band of rows at a
    time, so a big file never sits whole in memory. A NaN or an infinity counts as black
    (a broken pixel, not a sun); values are clamped to 0 ... 65504 (half float's range)."""
    if path.suffix.lower() not in ENV_SUFFIXES:
        raise InputError(
            f"{path.name} is not an .hdr or .exr file", hint="Use an equirectangular HDR or EXR."
        )
    try:
        import OpenImageIO as oiio
    except ImportError as error:  # pragma: no cover - a broken install
        raise InputError("Reading HDR and EXR files needs OpenImageIO, which is missing") from error
    try:
        bytes_ = path.stat().st_size
    except OSError as error:
        raise InputError(f"Cannot read {path.name}: {error.strerror or error}") from error
    reader = oiio.ImageInput.open(str(path))  # reads the header only
    if reader is None:  # OpenImageIO refuses a header that claims far more than the file
        why = (oiio.geterror() or "").strip().splitlines()
        raise InputError(
            f"{path.name} is not a readable HDR or EXR picture"
            + (f" ({why[0][:200]})" if why else ""),
            details="\n".join(why),
            hint="Use an equirectangular .hdr (Radiance) or .exr (OpenEXR) file.",
        )
    try:
        spec = reader.spec()
        width, height, channels = spec.width, spec.height, spec.nchannels
        check_header(path, width, height, channels, bytes_)
        out_w, out_h = min(size[0], width), min(size[1], height)
        total = np.zeros((out_h, out_w, 3))
        count = np.zeros((out_h, 1, 1))
        cols = np.minimum((np.arange(width) * out_w) // width, out_w - 1)
        kept, starts = np.unique(cols, return_index=True)
        band = max(1, min(height, 4_000_000 // max(width, 1)))
        for top in range(0, height, band):
            bottom = min(top + band, height)
            rows = reader.read_scanlines(0, 0, top, bottom, 0, 0, min(channels, 3), "float")
            if rows is None:
                raise InputError(f"{path.name} is damaged", details=reader.geterror())
            rows = np.asarray(rows, dtype=np.float64).reshape(bottom - top, width, -1)
            if rows.shape[2] < 3:
                rows = np.repeat(rows[:, :, :1], 3, axis=2)
            # A NaN or an infinity is a broken pixel, not a sun: it counts as black.
            rows = np.clip(np.nan_to_num(rows, nan=0.0, posinf=0.0, neginf=0.0), 0, HALF_FLOAT)
            out_rows = np.minimum((np.arange(top, bottom) * out_h) // height, out_h - 1)
            summed = np.add.reduceat(rows, starts, axis=1)  # (rows, columns out, 3)
            np.add.at(total, (out_rows[:, None], kept[None, :]), summed)
            np.add.at(count, out_rows, 1.0)
    finally:
        reader.close()
    per_col = np.bincount(cols, minlength=out_w).reshape(1, out_w, 1)
    small = total / np.maximum(count * per_col, 1)
    # A picture smaller than ``size``: each of its pixels repeated (nearest).
    rows_up = np.arange(size[1]) * out_h // size[1]
    cols_up = np.arange(size[0]) * out_w // size[0]
    return small[rows_up][:, cols_up]

"""A turntable's frames written as an animation: GIF or animated WebP by Pillow, MP4 (H.264)
by an ffmpeg the user has installed. The app bundles no video encoder: the ones PyPI ships are
GPL builds, which a permissively licensed installer cannot carry; ffmpeg runs as a program of
its own, so any build will do.

Frames are taken one at a time from a sequence that may make them on demand (the renderer
draws each as the encoder asks for it), so only what an encoder itself keeps grows with their
number: memory_estimate() says how much that is, format by format."""

from __future__ import annotations

import contextlib
import math
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.common.fileio import atomic_path

FORMATS = (".gif", ".webp", ".mp4")
_NAMES = {".gif": "GIF", ".webp": "WebP", ".mp4": "MP4"}
MAX_BYTES = 2 * 2**30  # the most a turntable may hold in memory for its pictures


class Cost(NamedTuple):
    """What a turntable holds at its peak, beyond what the app holds anyway."""

    fixed: int  # bytes, whatever the size (ffmpeg's own process)
    per_pixel: float  # bytes per pixel of the picture size
    per_frame_pixel: float  # bytes per pixel of each frame an encoder keeps
    frames_kept: int | None  # at most this many frames kept (None: all of them)


# Measured with `aiml3d turntable` (peak memory less that of a 256x256 one, at 2048 and 4096
# pixels square) and with synthetic frames (tests/core/test_hostile_assets.py checks them):
# - every format: drawing a frame (the renderer's framebuffers, the grabbed picture, its RGB
#   copy) and handing it on (Pillow holds a picture at 4 bytes a pixel);
# - GIF: Pillow's writer keeps every frame (palette indices, a byte a pixel) to merge repeats
#   before it writes;
# - WebP: the encoder keeps canvases of its own, and each frame encoded (small);
# - MP4: ffmpeg, a process of its own; its H.264 encoder holds the frames it looks ahead to
#   (on 2 cores; more cores let it hold a few more).
COSTS = {
    ".gif": Cost(0, 38.0, 1.4, None),
    ".webp": Cost(0, 50.0, 0.25, None),
    ".mp4": Cost(64 * 2**20, 60.0, 7.0, 30),
}


def check_destination(dest: Path) -> None:
    """InputError before any rendering if ``dest`` cannot be written as asked."""
    suffix = dest.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"Cannot write a turntable as {suffix or 'a file without extension'}",
            hint="Name it .gif, .webp or .mp4.",
        )
    folder = dest.parent if str(dest.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"There is no folder {folder}", hint="Make it first, or fix the path.")
    if suffix == ".mp4" and ffmpeg() is None:
        raise InputError(
            "MP4 needs ffmpeg, and there is none on the PATH",
            hint="Install ffmpeg, or write .gif or .webp instead.",
        )


def memory_estimate(frames: int, size: tuple[int, int], suffix: str) -> int:
    """Bytes a turntable of ``frames`` pictures of ``size`` holds at its peak, written as
    ``suffix`` (.gif, .webp or .mp4), beyond what the app holds anyway."""
    cost = COSTS[suffix.lower()]
    kept = frames if cost.frames_kept is None else min(frames, cost.frames_kept)
    return cost.fixed + math.ceil(
        size[0] * size[1] * (cost.per_pixel + kept * cost.per_frame_pixel)
    )


def check_size(frames: int, size: tuple[int, int], suffix: str) -> None:
    """InputError, naming a size that fits, if the turntable would hold more than MAX_BYTES."""
    need = memory_estimate(frames, size, suffix)
    if need <= MAX_BYTES:
        return
    width, height = size
    fits = _size_that_fits(frames, size, suffix)
    raise InputError(
        f"{frames} frames of {width}x{height} as {_NAMES[suffix.lower()]} would need about "
        f"{need / 2**30:.1f} GB of memory, more than the {MAX_BYTES / 2**30:.0f} GB allowed",
        hint=f"{fits[0]}x{fits[1]} or smaller fits (or fewer frames)."
        if fits
        else "Use fewer frames.",
    )


def _size_that_fits(frames: int, size: tuple[int, int], suffix: str) -> tuple[int, int] | None:
    """The largest size of the same shape (sides rounded down to 8) within MAX_BYTES."""
    fixed = COSTS[suffix.lower()].fixed
    scale = math.sqrt((MAX_BYTES - fixed) / (memory_estimate(frames, size, suffix) - fixed))
    fits = tuple(max(16, int(side * scale) // 8 * 8) for side in size)
    fitting = (fits[0], fits[1])
    return fitting if memory_estimate(frames, fitting, suffix) <= MAX_BYTES else None


def ffmpeg() -> str | None:
    return shutil.which("ffmpeg")


def write_animation(frames: Sequence[np.ndarray], dest: Path, fps: int) -> Path:
    """``frames`` (each (H, W, 3) uint8) as a looping animation, atomically. Each frame is
    asked for once, in order, and let go once encoded: a sequence that makes its frames on
    demand is never held whole."""
    check_destination(dest)
    if len(frames) < 1:
        raise InputError("A turntable needs at least one frame")
    suffix = dest.suffix.lower()
    with atomic_path(dest) as tmp:
        if suffix == ".mp4":
            _mp4(frames, tmp, fps)
        elif suffix == ".gif":
            _gif(frames, tmp, fps)
        else:
            _webp(frames, tmp, fps)
    return dest


def _gif(frames: Sequence[np.ndarray], out: Path, fps: int) -> None:
    first = Image.fromarray(frames[0])
    # One palette for the whole turn: no flicker from frame to frame.
    palette = first.quantize(colors=255, method=Image.Quantize.MEDIANCUT)

    def indexed(frame: np.ndarray) -> Image.Image:
        return Image.fromarray(frame).quantize(palette=palette, dither=Image.Dither.NONE)

    rest = (indexed(frames[k]) for k in range(1, len(frames)))  # Pillow's GIF reads it lazily
    indexed(frames[0]).save(
        out, "GIF", save_all=True, append_images=rest, loop=0, duration=round(1000 / fps),
        disposal=1,
    )  # fmt: skip


def _webp(frames: Sequence[np.ndarray], out: Path, fps: int) -> None:
    options = {"duration": round(1000 / fps), "quality": 90, "loop": 0}
    if len(frames) == 1:
        Image.fromarray(frames[0]).save(out, "WEBP", **options)
        return
    rest = _Frames(frames, start=1)
    Image.fromarray(frames[0]).save(out, "WEBP", save_all=True, append_images=[rest], **options)


class _Frames(Image.Image):
    """``frames[start:]`` as one multi-frame picture whose frame is made when the encoder
    seeks to it: Pillow's WebP writer lists its pictures before it encodes them one by one,
    and a list of pictures would hold every frame at 4 bytes a pixel."""

    def __init__(self, frames: Sequence[np.ndarray], start: int) -> None:
        super().__init__()
        self._frames, self._start = frames, start
        self.n_frames = len(frames) - start
        self.is_animated = self.n_frames > 1
        self._at = -1
        self.seek(0)

    def seek(self, frame: int) -> None:
        if not 0 <= frame < self.n_frames:
            raise EOFError(frame)
        if frame != self._at:
            picture = Image.fromarray(self._frames[self._start + frame])
            # Pillow keeps the pixels in .im, their mode and size beside it.
            self.im, self._mode, self._size = picture.im, picture.mode, picture.size
            self._at = frame

    def tell(self) -> int:
        return self._at


def _mp4(frames: Sequence[np.ndarray], out: Path, fps: int) -> None:
    height, width = frames[0].shape[:2]
    command = [
        ffmpeg() or "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps),
        "-i", "-",
        # yuv420p needs even sides; most players want it.
        "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p",
        "-movflags", "+faststart", "-f", "mp4", str(out),
    ]  # fmt: skip
    # Its messages go to a file, not a pipe: a pipe nobody reads while frames are fed to it
    # could fill and stall both sides.
    with tempfile.TemporaryFile() as errors:
        try:
            code = _feed(command, _each(frames), errors)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise InputError(f"ffmpeg could not be run: {exc}") from None
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip().splitlines()
    if code != 0:
        raise InputError(
            "ffmpeg could not write the MP4",
            hint=(message[-1] if message else "") + " Try .gif or .webp.",
        )


def _each(frames: Sequence[np.ndarray]) -> Iterator[np.ndarray]:
    return (frames[k] for k in range(len(frames)))


def _feed(command: list[str], frames: Iterator[np.ndarray], errors) -> int:
    """Run ``command`` with the frames written to its input one by one; its exit status."""
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=errors, stderr=errors)
    stdin = process.stdin
    assert stdin is not None
    try:
        for frame in frames:
            stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).data)
    except BrokenPipeError:
        pass  # ffmpeg stopped early: its exit status and messages say why
    finally:
        # Closed whatever happened (a frame that failed to draw too): ffmpeg waits for it.
        with contextlib.suppress(BrokenPipeError):
            stdin.close()
        try:
            code = process.wait(timeout=600)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
    return code

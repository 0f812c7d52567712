"""A turntable's frames written as an animation: GIF or animated WebP by Pillow, MP4 (H.264)
by an ffmpeg the user has installed. The app bundles no video encoder: the ones PyPI ships are
GPL builds, which a permissively licensed installer cannot carry; ffmpeg runs as a program of
its own, so any build will do."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from aiml3d_desktop.core.errors import InputError
from aiml3d_desktop.core.fileio import atomic_path

FORMATS = (".gif", ".webp", ".mp4")


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


MAX_FRAME_BYTES = 2 * 2**30  # every frame is held until the file is written


def check_size(frames: int, size: tuple[int, int]) -> None:
    width, height = size
    if frames * width * height * 3 > MAX_FRAME_BYTES:
        raise InputError(
            f"{frames} frames of {width}x{height} would need more than 2 GB of memory",
            hint="Use fewer frames or a smaller size.",
        )


def ffmpeg() -> str | None:
    return shutil.which("ffmpeg")


def write_animation(frames: list[np.ndarray], dest: Path, fps: int) -> Path:
    """``frames`` (each (H, W, 3) uint8) as a looping animation, atomically."""
    check_destination(dest)
    suffix = dest.suffix.lower()
    with atomic_path(dest) as tmp:
        if suffix == ".mp4":
            _mp4(frames, tmp, fps)
        else:
            from PIL import Image

            images = [Image.fromarray(f) for f in frames]
            options = {"save_all": True, "append_images": images[1:], "loop": 0}
            duration = round(1000 / fps)
            if suffix == ".gif":
                # One palette for the whole turn: no flicker from frame to frame.
                palette = images[0].quantize(colors=255, method=Image.Quantize.MEDIANCUT)
                images = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
                options["append_images"] = images[1:]
                images[0].save(tmp, "GIF", duration=duration, disposal=1, **options)
            else:
                images[0].save(tmp, "WEBP", duration=duration, quality=90, **options)
    return dest


def _mp4(frames: list[np.ndarray], out: Path, fps: int) -> None:
    height, width = frames[0].shape[:2]
    command = [
        ffmpeg() or "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps),
        "-i", "-",
        # yuv420p needs even sides; most players want it.
        "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p",
        "-movflags", "+faststart", "-f", "mp4", str(out),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, input=b"".join(f.tobytes() for f in frames), capture_output=True, timeout=600
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"ffmpeg could not be run: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(
            "ffmpeg could not write the MP4",
            hint=(message[-1] if message else "") + " Try .gif or .webp.",
        )

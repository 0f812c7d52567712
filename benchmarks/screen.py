"""A stopwatch outside the program timed, as a person sees it: a virtual X screen of its own,
a command started on it, and screenshots of the whole screen taken until the model's pixels
are there. Any viewer can be timed this way (this app, f3d), with nothing inside it.

The models timed are coloured by position (common.blob_mesh): the model is on screen when
enough of the screen is strongly coloured, which neither an empty window, a menu nor a grey
background is. Peak memory is the process's own high-water mark (VmHWM), read a moment
after the first frame, while it shows the model."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import ImageGrab

SCREEN = (1600, 1000)
COLOURFUL = 40  # max - min channel: the blob's colours (f3d shows them dark), not greys
SHOWN = 0.02  # of the screen strongly coloured (32,000 pixels): the model is on it
STEP = 4  # every 4th pixel of every 4th row is read (see coloured_share)
POLL = 0.025  # seconds between looks at the screen: the stopwatch's resolution
SETTLE = 2.0  # seconds after the first frame before the peak memory is read


@dataclass
class Seen:
    seconds: float  # process start to the model's pixels on screen
    peak_mb: float  # VmHWM, SETTLE seconds later


@contextlib.contextmanager
def virtual_screen() -> Iterator[str]:
    """An Xvfb display of its own (so nothing else draws on it): yields its name."""
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24"]
        + ["-nolisten", "tcp", "-noreset"],  # no server reset as each client leaves
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as numbers:
        display = f":{numbers.readline().strip()}"
    try:
        yield display
    finally:
        server.terminate()
        server.wait(10)


def coloured_share(display: str) -> float:
    """The share of the screen strongly coloured, read off every STEP-th pixel each way: the
    whole screen's 1.6 million took 100 ms to sort on this machine, a stopwatch that ticked
    every 0.12 s; these take a few ms (and leave the CPU to what is timed)."""
    pixels = np.asarray(ImageGrab.grab(xdisplay=display))[::STEP, ::STEP].astype(np.int16)
    spread = pixels.max(axis=2) - pixels.min(axis=2)
    return float(np.count_nonzero(spread > COLOURFUL)) / spread.size


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def time_to_model(
    command: list[str], display: str, env: dict, timeout: float = 120, cwd: str | None = None
) -> Seen:
    """Start ``command`` on ``display`` (in folder ``cwd``); the seconds until the model
    shows, and its peak memory once shown. The process is ended after (it is a viewer: it
    would wait)."""
    wait_for_clear(display)
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    full_env = {**base, **env, "DISPLAY": display}
    with tempfile.TemporaryFile() as errors:
        start = time.monotonic()
        process = subprocess.Popen(
            command, env=full_env, stdout=subprocess.DEVNULL, stderr=errors, cwd=cwd
        )
        try:
            while True:
                polled = time.monotonic()
                if coloured_share(display) >= SHOWN:
                    break
                # A stopwatch that takes a core of two slows what it times: it looks every
                # POLL seconds, for a few ms, and leaves the CPU to the program meanwhile.
                time.sleep(max(0.0, POLL - (time.monotonic() - polled)))
                if process.poll() is not None:
                    errors.seek(0)
                    said = errors.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(
                        f"{command} ended ({process.returncode}) before a frame:\n{said}"
                    )
                if time.monotonic() - start > timeout:
                    raise RuntimeError(f"{command} showed no model within {timeout} s")
            seconds = time.monotonic() - start
            time.sleep(SETTLE)
            return Seen(seconds, peak_mb(process.pid))
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for_clear(display: str, timeout: float = 15) -> None:
    """The last command's window gone from the screen."""
    end = time.monotonic() + timeout
    while coloured_share(display) >= SHOWN / 10:
        if time.monotonic() > end:
            raise RuntimeError("the screen still shows a model from before")
        time.sleep(0.05)

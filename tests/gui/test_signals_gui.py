"""A terminal's habits: `aiml3d view FILE` started from a shell ends on Ctrl+C (SIGINT) and on
SIGTERM within a second or two, closing its window as Quit does, with no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from tests.app_process import ENTRY_POINTS
from tests.conftest import ROOT
from tests.fake_api import make_mesh

pytestmark = pytest.mark.gui


def start_view(home, model, entry: str) -> subprocess.Popen:
    env = {**os.environ, "AIML3D_HOME": str(home), "QT_QPA_PLATFORM": "xcb"}
    env.setdefault("PYOPENGL_PLATFORM", "glx")
    env.pop("AIMLAPI_KEY", None)
    args = ["view", str(model)] if entry == "aiml3d" else [str(model)]
    return subprocess.Popen(
        ENTRY_POINTS[entry] + args,
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # Ctrl+C as a terminal delivers it, even if these tests run with SIGINT ignored (as a
        # background job does), which the child would inherit and keep.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for_log(proc: subprocess.Popen, log, words: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and words in log.read_text("utf-8"):
            return
        if proc.poll() is not None:
            raise AssertionError(f"ended early ({proc.returncode}): {proc.communicate()[1]}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"the log never said {words!r}")


@pytest.mark.parametrize(
    "sent, status, entry",
    [
        (signal.SIGINT, 130, "aiml3d"),  # Ctrl+C: as the command line's commands exit on it
        (signal.SIGTERM, 0, "aiml3d"),
        (signal.SIGINT, 130, "aiml3d-desktop"),
    ],
)
def test_the_window_closes_on_ctrl_c_and_sigterm(tmp_path, sent, status, entry):
    home = tmp_path / "home"
    model = tmp_path / "model.glb"
    model.write_bytes(make_mesh(2).export(file_type="glb"))
    proc = start_view(home, model, entry)
    log = home / "logs" / "aiml3d.log"
    wait_for_log(proc, log, "mesh on screen")
    sent_at = time.monotonic()
    proc.send_signal(sent)
    try:
        _, err = proc.communicate(timeout=2)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"still running 2 s after signal {sent}:\n{err[-2000:]}") from None
    took = time.monotonic() - sent_at
    assert proc.returncode == status, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    text = log.read_text("utf-8")
    assert "uncaught exception" not in text and "closing the window on signal" in text
    assert took < 2

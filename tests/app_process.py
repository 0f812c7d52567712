"""The desktop app started as a separate process on the test display, as a file manager or a
terminal starts it, and watched through its log file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT

ENTRY_POINTS = {
    "aiml3d": [sys.executable, "-m", "aiml3d_desktop"],
    "aiml3d-desktop": [
        sys.executable,
        "-c",
        "import sys; from aiml3d_desktop.gui.app import main; sys.exit(main())",
    ],
}


class AppProcess:
    def __init__(
        self, home: Path, args: list[str], entry: str = "aiml3d-desktop", env: dict | None = None
    ) -> None:
        self.home = home
        self.log = home / "logs" / "aiml3d.log"
        environ = {
            **os.environ,
            "AIML3D_HOME": str(home),
            "QT_QPA_PLATFORM": "xcb",
            "PYOPENGL_PLATFORM": "glx",
        }
        environ.pop("AIMLAPI_KEY", None)
        environ.update(env or {})
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            ENTRY_POINTS[entry] + args,
            cwd=ROOT,
            env=environ,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def log_text(self) -> str:
        try:
            return self.log.read_text("utf-8")
        except FileNotFoundError:
            return ""

    def wait_for_log(self, *words: str, timeout: float = 30.0) -> str:
        """The log once it holds every one of ``words``; fails if the process ends first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_text()
            if all(w in text for w in words):
                return text
            if self.proc.poll() is not None:
                out, err = self.proc.communicate()
                raise AssertionError(
                    f"the app ended (exit {self.proc.returncode}) before its "
                    f"log said {words}:\n{err[-3000:]}\nlog:\n{text}"
                )
            time.sleep(0.05)
        raise AssertionError(f"after {timeout} s the log does not say {words}:\n{self.log_text()}")

    def stop_when_done(self, timeout: float) -> tuple[int, str]:
        """(exit status, stderr) of a process that is to end by itself."""
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            raise AssertionError(f"still running after {timeout} s:\n{err[-2000:]}") from None
        return self.proc.returncode, err

    def stop(self) -> tuple[int, str]:
        """Close it as a desktop session would (SIGTERM); (exit status, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return self.proc.returncode, err

"""Shared fixtures. Every test runs with its own settings, library and key store: the real
ones are never touched, and no request leaves 127.0.0.1."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from PIL import Image, ImageDraw

from aiml3d_desktop.core.net.policy import RetryPolicy
from tests.fake_api import FakeAimlApi

ROOT = Path(__file__).resolve().parent.parent
FAST = RetryPolicy(attempts=1, backoff=0.01, jitter=0.0)  # retries that do not slow tests
CORPUS = ROOT / "tests" / "corpus"  # real files nobody here made: see its SOURCES.md

# Before anything asks keyring for a backend: tests must never reach the user's keychain.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


def pytest_configure(config):
    # Before pytest-qt makes the QApplication: the GL settings the app itself uses.
    from aiml3d_desktop.gui.qt_setup import setup_surface_format

    setup_surface_format()


class MemoryKeyring(KeyringBackend):
    """A keychain that lives in memory, for tests of storing the key."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def garbage_collected():
    """A window turns Python's automatic garbage collection off for as long as it lives
    (qt_setup.collect_garbage_on_gui_thread); after each test, it is back on."""
    yield
    import sys

    if "aiml3d_desktop.gui.qt_setup" in sys.modules:
        from aiml3d_desktop.gui.qt_setup import collect_garbage_automatically

        collect_garbage_automatically()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A private AIML3D_HOME, no key in the environment, and no keychain."""
    from keyring.backends import fail

    from aiml3d_desktop.core.api import keys

    home = tmp_path / "home"
    monkeypatch.setenv("AIML3D_HOME", str(home))
    monkeypatch.delenv("AIMLAPI_KEY", raising=False)
    monkeypatch.delenv("AIML_API_BASE", raising=False)
    monkeypatch.setattr(keys, "_session_key", None)
    monkeypatch.setattr(keys, "_seen_key", None)
    keyring.set_keyring(fail.Keyring())
    yield home
    # The app's log file (logfile.setup(), by a window or an in-process command) was this
    # test's: close it, and let the package's records reach pytest again.
    import logging

    package = logging.getLogger("aiml3d_desktop")
    for handler in list(package.handlers):
        package.removeHandler(handler)
        handler.close()
    package.propagate = True


@pytest.fixture
def memory_keyring():
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def fake_api():
    fake = FakeAimlApi()
    yield fake
    fake.close()


def make_photo(path: Path, size=(256, 256), mode="RGBA", fmt=None) -> Path:
    """A picture of one object on a plain background, like the photos people send."""
    image = Image.new(mode, size, (0, 0, 0, 0) if mode == "RGBA" else (255, 255, 255))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse(
        (w * 0.2, h * 0.2, w * 0.8, h * 0.8),
        fill=(200, 40, 40) + ((255,) if mode == "RGBA" else ()),
    )
    image.save(path, fmt)
    return path


@pytest.fixture
def photo(tmp_path) -> Path:
    return make_photo(tmp_path / "chair.png")


def generate_args(fake_api, *inputs, out=None, extra=()) -> list[str]:
    """``aiml3d generate`` of ``inputs`` against the fake API, quietly, into ``out`` if given."""
    where = ["-o", str(out)] if out else []
    return ["generate", *map(str, inputs), *where, *extra, "-q", "--api-base", fake_api.base_url]


def aiml3d_command(*args: str) -> list[str]:
    """``aiml3d ARGS`` as a child process: for kills, signals and limits meant for it alone."""
    return [sys.executable, "-m", "aiml3d_desktop", *args]


def files_in(folder: Path) -> list[str]:
    """Every file below ``folder``, hidden ones (half-written .part files) included."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def library_files(home: Path) -> list[str]:
    """Files of library entries and drafts (not the index, nor the window's claim on the
    queue) under an AIML3D_HOME."""
    root = home / "data" / "library"
    return [
        f
        for f in files_in(root)
        if not f.startswith(("index.sqlite", "usage.sqlite", ".queue.lock"))
    ]


def wait_for(condition, timeout: float = 20.0, what: str = "the condition") -> None:
    """Poll ``condition`` (outside Qt: qtbot.waitUntil is for the window) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not come true within {timeout} s")
        time.sleep(0.01)


def cancel_when(condition, token) -> dict:
    """Cancel ``token`` from another thread as soon as ``condition`` holds; the dict returned
    gets the moment of the cancel as "at" (time.monotonic()), to measure from."""
    when: dict = {}

    def watch() -> None:
        wait_for(condition, what="the moment to cancel")
        when["at"] = time.monotonic()
        token.cancel()

    threading.Thread(target=watch, daemon=True).start()
    return when


def corpus_file(*parts: str) -> Path:
    path = CORPUS.joinpath(*parts)
    assert path.is_file(), f"{path} is missing from the test corpus"
    return path

"""Where the app keeps things.

``AIML3D_HOME`` puts everything in one folder (tests, portable use)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from aiml3d_desktop import APP_ID


def _where(sub: str, platform_dir) -> Path:
    home = os.environ.get("AIML3D_HOME")
    return Path(home).expanduser() / sub if home else Path(platform_dir)


def config_dir() -> Path:
    return _where("config", platformdirs.user_config_dir(APP_ID, appauthor=False))


def data_dir() -> Path:
    return _where("data", platformdirs.user_data_dir(APP_ID, appauthor=False))


def log_dir() -> Path:
    return _where("logs", platformdirs.user_log_dir(APP_ID, appauthor=False))


def cache_dir() -> Path:
    return _where("cache", platformdirs.user_cache_dir(APP_ID, appauthor=False))


def default_output_dir() -> Path:
    return _where("models", Path(platformdirs.user_documents_dir()) / "AIML 3D")


def resource(name: str) -> Path:
    """A file from ``resources/``: inside a PyInstaller bundle, or beside the source tree."""
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return base / "resources" / name

"""Window state (geometry, splitters, view options, recent files) in the config folder.

An INI file beside settings.json; a damaged one is simply read as empty by QSettings.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from aiml3d_desktop import paths

MAX_RECENT = 10


def window_state() -> QSettings:
    path = paths.config_dir() / "window.ini"
    path.parent.mkdir(parents=True, exist_ok=True)
    return QSettings(str(path), QSettings.Format.IniFormat)


def recent_files(state: QSettings) -> list[str]:
    value = state.value("recent", [])
    if isinstance(value, str):  # QSettings returns a lone item as a string
        value = [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def add_recent(state: QSettings, source: str) -> list[str]:
    recent = [source] + [r for r in recent_files(state) if r != source]
    recent = recent[:MAX_RECENT]
    state.setValue("recent", recent)
    return recent


def flag(state: QSettings, key: str, default: bool) -> bool:
    value = state.value(key, default)
    return value in (True, "true", "1", 1) if not isinstance(value, bool) else value

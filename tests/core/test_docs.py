"""docs/ARCHITECTURE.md names modules and folders a newcomer will look for: each must be
there, so that the page cannot drift from the code unnoticed."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "aiml3d_desktop"
DOC = ROOT / "docs" / "ARCHITECTURE.md"
# Where a path in the page may start: the package, its window, the repository.
BASES = (PACKAGE, PACKAGE / "gui", ROOT)


CODE = r"(core|gui|cli|widgets|tests|benchmarks|packaging|tools|docs)/"  # not the library's


def named_paths(text: str) -> set[str]:
    """Every `a/b.py` or `name.py` written in backticks, and every code folder `core/x/`."""
    spans = re.findall(r"`([^`\s]+)`", text)
    files = {s for s in spans if re.fullmatch(r"[\w./]+\.py", s)}
    return files | {s for s in spans if re.fullmatch(CODE + r"[\w/]*", s)}


def exists(name: str) -> bool:
    if "/" not in name.rstrip("/"):  # a bare file name: somewhere in the package
        return any(PACKAGE.rglob(name))
    return any((base / name).exists() for base in BASES)


def test_every_module_the_architecture_page_names_exists():
    names = named_paths(DOC.read_text(encoding="utf-8"))
    assert len(names) > 30  # the page does name the modules
    missing = sorted(name for name in names if not exists(name))
    assert missing == []


def test_the_check_finds_a_module_that_is_not_there():
    assert named_paths("see `core/nowhere.py` and `gui/`") == {"core/nowhere.py", "gui/"}
    assert not exists("core/nowhere.py") and exists("core/session.py") and exists("gui/")

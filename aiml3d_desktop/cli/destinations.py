"""Where a command may write: never over its own input, and never into what the library
keeps in its folder (an entry's files are written by the library alone: an original
replaced behind its back no longer matches its entry, and a paid model cannot be made
again)."""

from __future__ import annotations

from pathlib import Path

from aiml3d_desktop.core.common.errors import InputError


def library_root() -> Path:
    """The library folder the settings name, without opening the library."""
    from aiml3d_desktop.core import settings
    from aiml3d_desktop.core.library.store import default_root

    return settings.load()[0].library_path or default_root()


# What to do instead of writing an output over its input or into the library's folder.
_KEEP_A_VERSION = (
    "To keep it in the library, leave out -o: `aiml3d process ID ...` keeps the result as a "
    "new version of entry ID (`aiml3d library import FILE` makes a file an entry)."
)
_INSTEAD = {
    "process": "Write it outside the library. " + _KEEP_A_VERSION,
    "turntable": "Write it outside the library.",
    "export": "Export it to a folder outside the library.",
}


def check_outputs(
    outputs: list[Path], source: str | Path, command: str, root: Path | None = None
) -> None:
    """Refuse to write over the input, or into what the library keeps in its folder
    (``root``, by default the settings'): an entry's files are written by the library
    alone (an original replaced behind its back no longer matches its entry, and a paid
    model cannot be made again)."""
    from aiml3d_desktop.core.common.fileio import path_kind, same_or_inside
    from aiml3d_desktop.core.library.store import own_paths

    root = root or library_root()
    inputs = [source] if path_kind(source) == "file" else []
    for out in outputs:
        if same_or_inside(out, own_paths(root)) is not None:
            raise InputError(
                f"{out} is inside the library ({root}), whose files only the library writes",
                hint=_INSTEAD.get(command, "Write it outside the library."),
            )
        if same_or_inside(out, inputs) is not None:
            raise InputError(
                f"{out} is the input itself: writing it would replace the original",
                hint="Write to another file."
                + (" " + _KEEP_A_VERSION if command == "process" else ""),
            )

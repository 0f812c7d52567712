"""The ``aiml3d`` command: the GUI by default, and commands for scripted and batch work."""

from __future__ import annotations

import argparse
import getpass
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

from aiml3d_desktop import APP_NAME, __version__
from aiml3d_desktop.cli.output import (
    EPILOG,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    error,
    mib,
    print_json,
)


def build_parser() -> argparse.ArgumentParser:
    from aiml3d_desktop.cli import assets as cli_assets
    from aiml3d_desktop.cli import generate as cli_generate
    from aiml3d_desktop.cli import library as cli_library
    from aiml3d_desktop.cli import likeness as cli_likeness
    from aiml3d_desktop.cli import models as cli_models
    from aiml3d_desktop.cli import render as cli_render
    from aiml3d_desktop.cli import scene as cli_scene
    from aiml3d_desktop.cli import usage as cli_usage
    from aiml3d_desktop.core.meshes import formats

    parser = argparse.ArgumentParser(
        prog="aiml3d",
        description=f"{APP_NAME}: turn pictures into 3D models with the AIML API (TripoSR). "
        "Without a command, the desktop app starts.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"aiml3d {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    cli_generate.add_parser(sub)

    info = sub.add_parser(
        "info",
        help="print a mesh file's statistics (a library entry's: and its likeness to its photo)",
    )
    info.add_argument("mesh", type=Path, metavar="MESH|ID", help="a mesh file, or an entry id")
    info.add_argument("--json", action="store_true", help="print JSON")

    conv = sub.add_parser(
        "convert",
        help=f"convert a mesh to {formats.names(formats.writable(), millimetres=True)}",
    )
    conv.add_argument("mesh", type=Path, metavar="MESH")
    conv.add_argument(
        "out", type=Path, metavar="OUT", help="output file; its extension picks the format"
    )

    view = sub.add_parser("view", help="open a mesh file (or a scene.json) in the desktop app")
    view.add_argument("mesh", type=Path, metavar="MESH")

    key = sub.add_parser("key", help="save, check or remove the API key in the OS keychain")
    key.add_argument("action", choices=("set", "status", "delete"))
    cli_library.add_parser(sub)
    cli_render.add_parser(sub)
    cli_scene.add_parser(sub)
    cli_assets.add_parsers(sub)
    cli_models.add_parsers(sub)
    cli_usage.add_parser(sub)
    cli_likeness.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] not in (*COMMANDS, "view") and not argv[0].startswith("-"):
        # `aiml3d model.glb`, `aiml3d photo.png`, a folder or a link: open them in the app.
        from aiml3d_desktop.core.common.fileio import path_kind
        from aiml3d_desktop.core.net.policy import is_url

        missing = [a for a in argv if not is_url(a) and path_kind(a) is None]
        if missing:
            error(
                f"{missing[0][:120]!r} is neither a command nor a file or folder "
                f"(commands: {', '.join(COMMANDS)}, view; see aiml3d --help)"
            )
            return EXIT_USAGE
        from aiml3d_desktop.gui.app import run

        return run(argv)
    if len(argv) == 2 and argv[0] == "view" and not argv[1].startswith("-"):
        # What the parser would make of it, without building the parser of every command.
        args = argparse.Namespace(command="view", mesh=Path(argv[1]))
    else:
        args = build_parser().parse_args(argv)
    # The log file has it all (tracebacks included); the console gets one line per error,
    # and core's warnings through the lists it returns, printed once.
    from aiml3d_desktop import logfile

    logfile.setup()
    from aiml3d_desktop.core.common.errors import Aiml3DError

    try:
        if args.command is None or args.command == "view":
            from aiml3d_desktop.gui.app import run

            return run([str(args.mesh)] if args.command == "view" else [])
        return _command(args.command)(args)
    except Aiml3DError as exc:
        error(str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        error("interrupted")
        return EXIT_INTERRUPTED


def _entry_named(text: Path):
    """The library entry ``text`` names (its id, or the start of it) when no file has that
    name; None for a file."""
    from aiml3d_desktop.core import settings
    from aiml3d_desktop.core.library.store import Library
    from aiml3d_desktop.core.meshes import formats

    if text.exists() or len(text.parts) > 1 or formats.by_extension(text.suffix) is not None:
        return None
    library = Library(settings.load()[0].library_path)
    try:
        return library.get(str(text))
    finally:
        library.close()


def _likeness(entry, scene) -> dict | None:
    """The entry's likeness to its photo, as kept with it; measured now for an entry made
    before it was kept (from the picture it keeps: the one sent, or its source)."""
    from aiml3d_desktop.core.assets import likeness

    kept = entry.extra.get("likeness")
    iou = kept.get("silhouette_iou") if isinstance(kept, dict) else None
    if isinstance(iou, int | float) and 0 <= iou <= 1 and isinstance(kept.get("view"), str):
        return kept  # as kept (an entry.json edited by hand is measured again)
    for picture in (entry.uploaded_path, entry.source_path):
        if picture is not None and picture.is_file():
            return likeness.measure(scene, picture.read_bytes())
    return None


def cmd_info(args) -> int:
    from aiml3d_desktop.core.meshes import mesh

    entry = _entry_named(args.mesh)
    path = entry.mesh_path if entry is not None else args.mesh
    fmt = mesh.file_type_of(path)  # the key of its record in core/meshes/formats.py
    loaded = mesh.load(path, fmt)
    info = {
        "file": str(path),
        "format": fmt,
        **loaded.stats.as_dict(),
        "colours": _colour_kind(loaded.scene),
        **loaded.scene.counts(),
        "notes": loaded.scene.notes,
    }
    if entry is not None:
        info |= {"entry": entry.id, "likeness": _likeness(entry, loaded.scene)}
    if args.json:
        print_json(info)
        return EXIT_OK
    sx, sy, sz = info["size"]
    rows = [
        ("File", f"{path} ({info['format'].upper()}, {mib(info['file_size'])})"),
        ("Vertices", f"{info['vertices']:,}"),
        ("Triangles", f"{info['triangles']:,}"),
        ("Size", f"{sx:.4g} x {sy:.4g} x {sz:.4g}"),
        ("Watertight", "yes" if info["watertight"] else "no"),
        ("Parts", str(info["parts"])),
        ("Colours", info["colours"]),
        (
            "Scene",
            "{nodes} nodes, {primitives} primitives, {materials} materials, "
            "{textures} textures".format(**info),
        ),
        *(("Note", note) for note in info["notes"]),
    ]
    if entry is not None:
        alike = info["likeness"]
        rows.insert(0, ("Entry", f"{entry.id} ({entry.title})"))
        said = "—"
        if alike is not None:
            said = f"outline {alike['silhouette_iou']:.2f} of the photo's ({alike['view']})"
        rows.append(("Likeness", said))
    for label, value in rows:
        print(f"{label:<11} {value}")
    return EXIT_OK


def _colour_kind(scene) -> str:
    if scene.textures:
        h, w = scene.textures[0].image.shape[:2]
        more = f" and {len(scene.textures) - 1} more" if len(scene.textures) > 1 else ""
        return f"texture {w}x{h}{more}"
    if any(p.arrays.colors is not None for p in scene.primitives):
        return "per-vertex"
    return "material colours" if scene.materials else "none"


def cmd_convert(args) -> int:
    from aiml3d_desktop.cli.destinations import check_outputs
    from aiml3d_desktop.core.meshes import mesh

    check_outputs([Path(args.out)], args.mesh, "convert")
    out = mesh.export(mesh.load(args.mesh), args.out)
    print(f"wrote {out}")
    return EXIT_OK


def cmd_key(args) -> int:
    from aiml3d_desktop.core.api import keys

    if args.action == "status":
        source = keys.key_source()
        print(
            {
                "environment": f"using {keys.ENV_VAR} from the environment",
                "keychain": "a key is saved in the OS keychain",
                "none": "no key is set",
            }.get(source, source)
            + (f" ({keys.mask(keys.get_key())})" if source != "none" else "")
        )
        return EXIT_OK
    if args.action == "delete":
        removed = keys.delete_key()
        print(
            {
                "keychain": "the key was removed from the OS keychain",
                "session": "the key kept for this session was forgotten",
                "none": "no key was saved in the OS keychain",
            }[removed]
        )
        if os.environ.get(keys.ENV_VAR, "").strip():
            print(f"{keys.ENV_VAR} is still set in the environment, and is still used")
        return EXIT_OK
    key = getpass.getpass("AIML API key: ") if sys.stdin.isatty() else sys.stdin.readline()
    where = keys.set_key(key)
    if where == "session":
        error(
            "this machine has no OS keychain, so the key cannot be saved; "
            f"set {keys.ENV_VAR} in the environment instead"
        )
        return EXIT_FAILED
    print("the key is saved in the OS keychain")
    return EXIT_OK


# Each command's function, as "module.function" in this package (or a function of this
# module): imported when it runs, so that `aiml3d view FILE` starts the window without the
# other commands' modules and their argument parsers (issue 28: its first frame).
COMMANDS = {
    "generate": "generate.run",
    "info": "cmd_info",
    "convert": "cmd_convert",
    "key": "cmd_key",
    "library": "library.run",
    "render": "render.cmd_render",
    "scene": "scene.run",
    "process": "assets.cmd_process",
    "check": "assets.cmd_check",
    "turntable": "assets.cmd_turntable",
    "models": "models.cmd_models",
    "parts": "models.cmd_parts",
    "usage": "usage.cmd_usage",
    "check-likeness": "likeness.cmd_check_likeness",
}


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    module, _, function = COMMANDS[name].rpartition(".")
    home = importlib.import_module(f"{__name__}.{module}") if module else sys.modules[__name__]
    return getattr(home, function)

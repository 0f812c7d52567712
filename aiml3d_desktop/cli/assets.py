"""``aiml3d process``, ``aiml3d check`` and ``aiml3d turntable``: from raw mesh to asset
(core/assets), from a file or a library entry."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from aiml3d_desktop.cli.destinations import check_outputs
from aiml3d_desktop.cli.output import EXIT_FAILED, EXIT_OK, print_json, warn_all
from aiml3d_desktop.core.common.errors import InputError

LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(mm|cm|m|in)?\s*")


def add_parsers(sub) -> None:
    from aiml3d_desktop.core.assets.bake import SIZES
    from aiml3d_desktop.core.meshes import formats

    process = sub.add_parser(
        "process",
        help="make an asset of a raw mesh: orient, size, clean, decimate, bake, export",
        description="Run steps (or a preset) on a mesh file or a library entry. The output "
        "format comes from OUT's extension: "
        + ", ".join(f.key for f in formats.writable())
        + ". Given a library "
        "entry id, the result is also kept in the library as a new version of the entry.",
    )
    process.add_argument("source", metavar="IN", help="a mesh file, or a library entry id")
    process.add_argument("-o", "--out", type=Path, metavar="OUT", help="the file to write")
    process.add_argument(
        "--preset",
        help="game (GLB, 20k, 2K texture), print (STL+3MF, watertight, 100 mm), "
        "ar (USDZ, 50k, 2K texture), or one saved in the app; options below change it",
    )
    process.add_argument(
        "--upright",
        action="store_true",
        help="stand it up if it is lying or upside down (one that stands stays as it is); "
        "the report says which turn and why, and --json lists the other ways",
    )
    process.add_argument("--z-up", action="store_true", help="the file is Z-up: make it Y-up")
    process.add_argument(
        "--turn",
        action="append",
        default=[],
        metavar="AXIS+ANGLE",
        help="a quarter turn, e.g. x90, y-90, z180 (repeatable, in order)",
    )
    process.add_argument("--pivot", choices=("bottom", "center"), help="where the origin goes")
    size = process.add_mutually_exclusive_group()
    for along in ("height", "width", "depth"):
        size.add_argument(
            f"--{along}", metavar="LENGTH", help=f"scale so the {along} is LENGTH (e.g. 120mm)"
        )
    process.add_argument("--clean", action="store_true", help="drop floaters, merge, fill holes")
    process.add_argument("--repair", action="store_true", help="make it one watertight solid")
    process.add_argument("--decimate", type=int, metavar="N", help="to about N triangles")
    process.add_argument(
        "--bake",
        type=int,
        choices=SIZES,
        metavar="SIZE",
        help="bake the colours into a SIZE px texture (" + ", ".join(map(str, SIZES)) + ")",
    )
    process.add_argument(
        "--lods",
        metavar="N,N,...",
        help="several triangle budgets; the first is OUT, the others OUT_lod1, OUT_lod2 ...",
    )
    process.add_argument("--json", action="store_true", help="print the result as JSON")

    check = sub.add_parser(
        "check",
        help="a print report: watertight, manifold, volume, size in mm, thinnest wall",
        description="Exit status 0 when the model is ready to print, 1 when it is not.",
    )
    check.add_argument("source", metavar="IN", help="a mesh file, or a library entry id")
    check.add_argument("--json", action="store_true", help="print JSON")

    turntable = sub.add_parser(
        "turntable",
        help="a turning animation of a model (GIF, WebP, or MP4 with ffmpeg installed)",
        description="Render a full turn with the viewer's renderer (needs a display or "
        "xvfb-run). MP4 is encoded by an ffmpeg found on the PATH.",
    )
    turntable.add_argument("source", metavar="IN", help="a mesh file, or a library entry id")
    turntable.add_argument("-o", "--out", type=Path, required=True, metavar="OUT.gif")
    turntable.add_argument("--frames", type=int, default=72, help="frames in a turn; default 72")
    turntable.add_argument("--size", default="640x640", metavar="WxH", help="default: 640x640")
    turntable.add_argument("--fps", type=int, default=24, help="frames a second; default 24")
    turntable.add_argument("--z-up", action="store_true", help="the file's up axis is Z")


def _source(text: str):
    """(scene, library, entry): a file's scene, or a library entry's (with the library)."""
    from aiml3d_desktop.core import settings
    from aiml3d_desktop.core.common.fileio import path_kind
    from aiml3d_desktop.core.library.store import Library
    from aiml3d_desktop.core.meshes import mesh

    if path_kind(text) == "file":
        return mesh.load(text).scene, None, None
    if path_kind(text) is not None or "/" in text or "\\" in text or "." in Path(text).suffix:
        raise InputError(f"There is no file {text}", hint="Check the path.")
    conf, warnings = settings.load()
    library = Library(conf.library_path)
    warn_all(warnings + library.warnings)
    try:
        entry = library.get(text)
    except InputError:
        library.close()
        raise InputError(
            f"{text!r} is neither a file nor a library entry",
            hint="Give a mesh file, or an id from `aiml3d library list`.",
        ) from None
    if entry.is_scene:
        library.close()
        raise InputError(
            f"{entry.title} is a composed scene, not one model",
            hint=f"Build it into one file with `aiml3d scene build {entry.mesh_path} -o OUT`.",
        )
    return mesh.load(entry.mesh_path).scene, library, entry


def _recipe(args):
    from aiml3d_desktop import paths
    from aiml3d_desktop.core.assets.recipe import Presets, Recipe, with_options

    base = (
        Presets(paths.config_dir() / "presets.json").get(args.preset).recipe
        if args.preset
        else Recipe()
    )
    size = None
    for along in ("height", "width", "depth"):
        if getattr(args, along):
            size = (*parse_length(getattr(args, along)), along)
    lods = None
    if args.lods:
        try:
            lods = tuple(int(n) for n in args.lods.split(","))
        except ValueError:
            raise InputError(
                f"--lods {args.lods!r} is not a list of numbers", hint="e.g. 20000,5000,1000"
            ) from None
    formats = (args.out.suffix.lower().lstrip("."),) if args.out else None
    turns = tuple(base.turns) + tuple(t.lower() for t in args.turn) if args.turn else None
    return with_options(
        base,
        z_up=args.z_up or None,
        turns=turns,
        upright=args.upright or None,
        pivot=args.pivot,
        size=size,
        clean=args.clean or None,
        repair=args.repair or None,
        decimate=args.decimate,
        bake=args.bake,
        lods=lods,
        formats=formats,
    )


def parse_length(text: str) -> tuple[float, str]:
    """'120mm', '12 cm', '1.5m', '4in' or a number (millimetres)."""
    match = LENGTH.fullmatch(text)
    if not match or float(match.group(1)) <= 0:
        raise InputError(f"{text!r} is not a length", hint="For example 120mm, 12cm, 1.5m or 4in.")
    return float(match.group(1)), match.group(2) or "mm"


def cmd_process(args: argparse.Namespace) -> int:
    from aiml3d_desktop.core.assets import pipeline

    if args.out is not None:
        from aiml3d_desktop.core.meshes.formats import for_writing

        for_writing(args.out)
        folder = args.out.parent if str(args.out.parent) else Path(".")
        if not folder.is_dir():
            raise InputError(f"There is no folder {folder}", hint="Make it first, or fix the path.")
    recipe = _recipe(args)
    if args.out is not None:
        from aiml3d_desktop.core.assets.pipeline import destinations

        levels = len(recipe.budgets) or 1
        check_outputs(destinations(args.out, recipe.formats, 0, levels), args.source, "process")
    scene, library, entry = _source(args.source)
    if entry is None and args.out is None:
        raise InputError(
            "Where should the result go?", hint="Give -o OUT (its extension picks the format)."
        )
    try:
        with _Bar(quiet=args.json) as bar:
            prepared = pipeline.prepare(scene, recipe, progress=bar)
        files = pipeline.save(prepared, args.out, recipe.formats) if args.out else []
        version = None
        if library is not None and entry is not None:
            version = library.add_version(
                entry.id,
                lambda folder: pipeline.save(
                    prepared,
                    folder / "model.glb",
                    ("glb", *[f for f in recipe.formats if f != "glb"]),
                ),
                label=args.preset or "processed",
                triangles=prepared.scene.triangles,
                report=prepared.lines(),
                recipe=recipe.as_dict(),
            )
    finally:
        if library is not None:
            library.close()
    if args.json:
        print_json(
            {
                "files": [str(f) for f in files],
                "version": None
                if version is None
                else {
                    "entry": entry.id,
                    "id": version.id,
                    "files": [str(version.folder / f) for f in version.files],
                },
                "triangles": [s.triangles for s in prepared.levels],
                "timings": prepared.timings,
                "fidelity": None if prepared.fidelity is None else vars(prepared.fidelity),
                "print": None if prepared.print_report is None else prepared.print_report.as_dict(),
                "upright": None if prepared.upright is None else prepared.upright.as_dict(),
                "notes": prepared.scene.notes,
            }
        )
        return EXIT_OK
    for line in recipe.describe():
        print(f"  {line}")
    for line in prepared.lines():
        print(line)
    for note in prepared.scene.notes:
        print(f"Note: {note}")
    for f in files:
        print(f"wrote {f}")
    if version is not None:
        print(f"kept as version {version.id} of {entry.title} ({entry.id}): {version.folder}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from aiml3d_desktop.core.assets import printing

    scene, library, _ = _source(args.source)
    if library is not None:
        library.close()
    report = printing.check(scene)
    if args.json:
        print_json(report.as_dict())
    else:
        print("\n".join(report.lines()))
    return EXIT_OK if report.ready else EXIT_FAILED


def cmd_turntable(args: argparse.Namespace) -> int:
    from aiml3d_desktop.cli.render import parse_size
    from aiml3d_desktop.core.look.turntable import check_destination, check_size
    from aiml3d_desktop.gui.app import turntable

    size = parse_size(args.size)
    if not 2 <= args.frames <= 720 or not 1 <= args.fps <= 60:
        raise InputError("--frames takes 2 to 720 and --fps 1 to 60")
    check_destination(args.out)
    check_size(args.frames, size, args.out.suffix)
    check_outputs([args.out], args.source, "turntable")
    if Path(args.source).suffix.lower() == ".json":  # a composed scene, turned as one
        from aiml3d_desktop.cli.scene import read_scene

        scene = read_scene(Path(args.source))[0]
    else:
        scene, library, _ = _source(args.source)
        if library is not None:
            library.close()
    out = turntable(scene, args.out, args.frames, size, args.fps, up_axis="z" if args.z_up else "y")
    print(f"wrote {out}")
    return EXIT_OK


class _Bar:
    """A progress bar on stderr for the steps of a recipe (none when not a terminal)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: Any = None

    def __enter__(self) -> _Bar:
        if not self.quiet:
            from tqdm import tqdm

            self.bar = tqdm(
                total=1000,
                file=sys.stderr,
                disable=None,
                leave=False,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}",
            )
        return self

    def __call__(self, label: str, fraction: float) -> None:
        if self.bar is not None:
            self.bar.set_description_str(label, refresh=False)
            self.bar.update(max(0, round(fraction * 1000) - self.bar.n))

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()

"""``aiml3d render``: a picture of a model, drawn off screen by the viewer's own renderer."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from aiml3d_desktop.cli.output import EXIT_OK
from aiml3d_desktop.core.errors import InputError
from aiml3d_desktop.core.studio import MODES

VIEWS = ("front", "back", "left", "right", "top", "iso")
SIZES = (16, 8192)  # the smallest and largest side drawn


def add_parser(sub) -> None:
    render = sub.add_parser(
        "render",
        help="draw a model to a PNG with the viewer's renderer (needs a display or xvfb-run)",
        description="Draw a model off screen with the viewer's own renderer. Front looks "
        "down -Z with +Y up, as glTF and f3d do.",
    )
    render.add_argument("mesh", type=Path, metavar="FILE")
    render.add_argument("-o", "--out", type=Path, required=True, metavar="OUT.png")
    render.add_argument("--view", choices=VIEWS, default="iso", help="default: iso")
    render.add_argument("--size", default="1024x1024", metavar="WxH", help="default: 1024x1024")
    render.add_argument("--mode", choices=MODES, default="studio", help="shading; default: studio")
    render.add_argument("--background", default="2e323a", metavar="RRGGBB", help="default: 2e323a")
    render.add_argument(
        "--no-grid", action="store_true", help="no grid lines or axes (the soft shadow stays)"
    )
    render.add_argument("--z-up", action="store_true", help="the file's up axis is Z")


def cmd_render(args: argparse.Namespace) -> int:
    size, background = parse_size(args.size), parse_colour(args.background)
    from aiml3d_desktop.cli.destinations import check_outputs

    if args.out.suffix.lower() != ".png":
        raise InputError(f"{args.out.name} is not a .png file", hint="Name the output OUT.png.")
    check_outputs([args.out], args.mesh, "render")
    folder = args.out.parent if str(args.out.parent) else Path(".")
    if not folder.is_dir():  # a typo must not make folders anywhere
        raise InputError(f"There is no folder {folder}", hint="Make it first, or fix the path.")
    from aiml3d_desktop.core import mesh
    from aiml3d_desktop.gui.app import render

    scene = mesh.load(args.mesh).scene
    out = render(
        scene,
        args.out,
        args.view,
        size,
        args.mode,
        background,
        grid=not args.no_grid,
        up_axis="z" if args.z_up else "y",
    )
    print(f"wrote {out}")
    return EXIT_OK


def parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{1,9})\s*[xX×]\s*(\d{1,9})\s*", text)
    low, high = SIZES
    if not match:
        raise InputError(
            f"--size {text!r} is not WIDTHxHEIGHT in pixels",
            hint=f"For example 1024x768; each side from {low} to {high}.",
        )
    if not all(low <= int(n) <= high for n in match.groups()):
        raise InputError(f"--size {text}: each side must be from {low} to {high} pixels")
    width, height = (int(n) for n in match.groups())
    return width, height


def parse_colour(text: str) -> tuple[int, int, int]:
    match = re.fullmatch(r"#?([0-9a-fA-F]{6})", text.strip())
    if not match:
        raise InputError(
            f"--background {text!r} is not a colour", hint="Give it as RRGGBB, e.g. ffffff."
        )
    value = int(match.group(1), 16)
    return value >> 16, (value >> 8) & 255, value & 255

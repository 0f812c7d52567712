"""``aiml3d render``: a picture of a model, drawn off screen by the viewer's own renderer."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING

from aiml3d_desktop.cli.output import EXIT_OK
from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.look.studio import CHANNELS, MODES

if TYPE_CHECKING:
    from aiml3d_desktop.core.look.lighting import Lighting

VIEWS = ("front", "back", "left", "right", "top", "bottom", "iso")
SIZES = (16, 8192)  # the smallest and largest side drawn


def add_parser(sub) -> None:
    render = sub.add_parser(
        "render",
        help="draw a model to a PNG with the viewer's renderer (needs a display or xvfb-run)",
        description="Draw a model off screen with the viewer's own renderer. Front looks "
        "down -Z with +Y up, as glTF and f3d do.",
    )
    render.add_argument(
        "mesh", type=Path, metavar="FILE", help="a mesh file, or a scene (aiml3d scene new)"
    )
    render.add_argument("-o", "--out", type=Path, required=True, metavar="OUT.png")
    render.add_argument("--view", choices=VIEWS, default="iso", help="default: iso")
    render.add_argument("--size", default="1024x1024", metavar="WxH", help="default: 1024x1024")
    render.add_argument("--mode", choices=MODES, default="studio", help="shading; default: studio")
    render.add_argument(
        "--background", metavar="RRGGBB", help="default: 2e323a (a scene's own colour)"
    )
    render.add_argument(
        "--no-grid", action="store_true", help="no grid lines or axes (the soft shadow stays)"
    )
    render.add_argument("--z-up", action="store_true", help="the file's up axis is Z")
    look = render.add_argument_group("look-dev (studio shading)")
    look.add_argument(
        "--light",
        metavar="PRESET|FILE.hdr",
        help="studio (default; a scene's own lighting for a scene), outdoor, overcast, sunset, "
        "neutral, or an equirectangular .hdr or .exr file",
    )
    look.add_argument(
        "--exposure", type=float, metavar="EV", help="the light times 2**EV; default 0 (a scene's)"
    )
    look.add_argument(
        "--env-rotation",
        type=float,
        metavar="DEG",
        help="turn the environment about the up axis; default 0 (a scene's)",
    )
    look.add_argument(
        "--env-background",
        action="store_true",
        help="show the environment, blurred, behind the model (in place of --background)",
    )
    look.add_argument(
        "--no-sun",
        action="store_true",
        help="no key light (the preset's sun, a file's brightest spot)",
    )
    look.add_argument(
        "--channel",
        choices=CHANNELS,
        help="one input of the materials in place of the shading (as the Khronos sample "
        "viewer's debug views): colours as sRGB, numbers as grey levels",
    )
    look.add_argument(
        "--transparent", action="store_true", help="alpha 0 where nothing is drawn (no floor)"
    )


def cmd_render(args: argparse.Namespace) -> int:
    size = parse_size(args.size)
    given = parse_colour(args.background) if args.background else None
    from aiml3d_desktop.cli.destinations import check_outputs

    if args.out.suffix.lower() != ".png":
        raise InputError(f"{args.out.name} is not a .png file", hint="Name the output OUT.png.")
    check_outputs([args.out], args.mesh, "render")
    folder = args.out.parent if str(args.out.parent) else Path(".")
    if not folder.is_dir():  # a typo must not make folders anywhere
        raise InputError(f"There is no folder {folder}", hint="Make it first, or fix the path.")
    from aiml3d_desktop.core.meshes import mesh
    from aiml3d_desktop.gui.app import render

    colour = "2e323a"
    if args.mesh.suffix.lower() == ".json":
        from aiml3d_desktop.cli.scene import read_scene

        scene, scene_light, colour = read_scene(args.mesh)
    else:
        scene, scene_light = mesh.load(args.mesh).scene, None
    background = given or parse_colour(colour)
    light = parse_lighting(args, scene_light)
    out = render(
        scene,
        args.out,
        args.view,
        size,
        args.mode,
        background,
        grid=not args.no_grid and light.background != "transparent",
        up_axis="z" if args.z_up else "y",
        lighting=light,
        channel=args.channel,
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


def parse_lighting(args: argparse.Namespace, base: Lighting | None = None) -> Lighting:
    """--light, --exposure, --env-rotation, --env-background, --no-sun, --transparent as a
    core.look.lighting.Lighting, over ``base`` (a scene's own lighting) where a flag is not
    given; an HDR file is read and checked here, before the model."""
    import math

    from aiml3d_desktop.core.look.lighting import ENV_SUFFIXES, PRESETS, Lighting

    base = base or Lighting()
    if args.light is None:
        args.light = str(base.file) if base.file is not None else base.preset
    if args.exposure is None:
        args.exposure = base.exposure
    if args.env_rotation is None:
        args.env_rotation = base.rotation
    args.no_sun = args.no_sun or not base.sun
    for flag, value, low, high in (
        ("--exposure", args.exposure, -10.0, 10.0),
        ("--env-rotation", args.env_rotation, -3600.0, 3600.0),
    ):
        if not (math.isfinite(value) and low <= value <= high):
            raise InputError(f"{flag} {value}: give a number from {low:g} to {high:g}")
    if args.transparent and args.env_background:
        raise InputError("--transparent and --env-background ask for two backgrounds: pick one")
    background = (
        "transparent" if args.transparent else "environment" if args.env_background else None
    ) or base.background
    common = {
        "rotation": args.env_rotation % 360.0,
        "exposure": args.exposure,
        "background": background,
        "sun": not args.no_sun,
    }
    if args.light in PRESETS:
        light = Lighting(preset=args.light, **common)
    elif Path(args.light).suffix.lower() in ENV_SUFFIXES:
        if not Path(args.light).is_file():
            raise InputError(f"There is no file {args.light}")
        light = Lighting(file=Path(args.light), **common)
    else:
        raise InputError(
            f"--light {args.light!r} is neither a preset nor an .hdr or .exr file",
            hint=f"Use one of {', '.join(PRESETS)}, or FILE.hdr / FILE.exr.",
        )
    light.environment()
    return light

"""``aiml3d scene ...``: compose several models into one scene (core/composition); new,
build and show work offline, compose asks a language model for a plan.

    aiml3d scene new ITEM... [--layout row|grid|circle] [--gap METRES] -o OUT
    aiml3d scene build SCENE.json -o OUT
    aiml3d scene show SCENE.json [--json]
    aiml3d scene compose "SENTENCE" --plan-only PLAN.json [--planner MODEL] [--json]
    aiml3d scene compose --from-plan PLAN.json --dry-run   (and --max-credits, --max-usd)

ITEM is a mesh file or a library entry's id (or the start of it; ID@VERSION for one of its
versions). OUT ending in .json is the scene itself (scene.json); any mesh format builds it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from aiml3d_desktop.cli import spend
from aiml3d_desktop.cli.output import EXIT_OK, print_json, warn_all
from aiml3d_desktop.core.common.errors import InputError

LAYOUTS = ("row", "grid", "circle")  # core.composition.arrange.LAYOUTS, without importing it


def add_parser(sub) -> None:
    scene = sub.add_parser(
        "scene",
        help="compose several models into one scene",
        description="Place models together (each rests on the ground), and export the "
        "scene: GLB and glTF keep a node per model, other formats one merged mesh.",
    )
    act = scene.add_subparsers(dest="action", metavar="ACTION", required=True)
    new = act.add_parser("new", help="a scene of models laid out in a row, a grid or a circle")
    new.add_argument(
        "items",
        nargs="+",
        metavar="ITEM",
        help="a mesh file, or a library entry's id (ID@VERSION for one of its versions)",
    )
    new.add_argument("--layout", choices=LAYOUTS, default="row")
    new.add_argument(
        "--gap", type=float, default=0.1, metavar="METRES", help="between bounding boxes"
    )
    new.add_argument("--name", default="Scene", help="the scene's name")
    new.add_argument(
        "-o", "--out", type=Path, required=True, help="scene.json, or a mesh file to build"
    )
    build = act.add_parser("build", help="export a scene.json as one file")
    build.add_argument("scene", type=Path, metavar="SCENE.json")
    build.add_argument("-o", "--out", type=Path, required=True, help="its extension: the format")
    show = act.add_parser("show", help="a scene's placements, their boxes and triangles")
    show.add_argument("scene", type=Path, metavar="SCENE.json")
    show.add_argument("--json", action="store_true", help="print JSON")
    compose = act.add_parser(
        "compose",
        help="plan a scene from a sentence: its objects, real sizes and places",
        description="A language model plans the scene (objects, real sizes, how they relate, "
        "the light); the app works out where each stands. The plan is shown with what making "
        "its models would cost, against the spending limits. Making them from the plan comes "
        "next: for now give --plan-only or --dry-run.",
    )
    compose.add_argument("sentence", nargs="?", metavar="SENTENCE", help="the scene, in words")
    compose.add_argument("--plan-only", type=Path, metavar="PLAN.json", help="write the plan here")
    compose.add_argument(
        "--from-plan", type=Path, metavar="PLAN.json", help="a plan written before (or edited)"
    )
    compose.add_argument(
        "--dry-run",
        action="store_true",
        help="send nothing: show the planner's request (or, with --from-plan, the plan)",
    )
    compose.add_argument(
        "--planner",
        metavar="MODEL",
        help="the chat model that plans (default: the settings' planner_model, openai/gpt-4o);"
        " it must answer in a JSON schema",
    )
    compose.add_argument("--api-base", metavar="URL", help="API base URL")
    compose.add_argument("--max-credits", type=float, metavar="N", help="spending limit")
    compose.add_argument("--max-usd", type=float, metavar="N", help="spending limit")
    compose.add_argument("--json", action="store_true", help="print JSON")


def run(args) -> int:
    with _library() as library:
        return ACTIONS[args.action](args, library)


@contextlib.contextmanager
def _library() -> Iterator:
    """The user's library (scenes refer to its entries), open for the command."""
    from aiml3d_desktop.core import settings
    from aiml3d_desktop.core.library.store import Library

    conf, warnings = settings.load()
    warn_all(warnings)
    library = Library(conf.library_path)
    try:
        yield library
    finally:
        library.close()


def _new(args, library) -> int:
    from aiml3d_desktop.core.composition import assemble, history
    from aiml3d_desktop.core.composition import document as scene_doc

    if not 0 <= args.gap <= 1000:
        raise InputError(f"The gap {args.gap:g} m is not from 0 to 1000 metres")
    out = args.out.expanduser()
    base = out.parent.resolve()
    items = [_item(text, base, library) for text in args.items]
    composition = history.Composition(scene_doc.SceneDoc(name=scene_doc.clean_name(args.name)))
    composition.add(items)
    models = assemble.read_models(composition.doc, base, library)
    _stop_if_missing(models)
    outlines = {key: model.outline for key, model in models.items()}
    ids = [p.id for p in composition.doc.placements]
    composition.arrange(ids, args.layout, args.gap, outlines)
    return _write(composition.doc, models, out)


def _build(args, library) -> int:
    from aiml3d_desktop.core.composition import document as scene_doc

    doc = scene_doc.load(args.scene)
    models = _read(doc, args.scene, library)
    return _write(doc, models, args.out.expanduser())


def _show(args, library) -> int:
    from aiml3d_desktop.core.composition import assemble
    from aiml3d_desktop.core.composition import document as scene_doc

    doc = scene_doc.load(args.scene)
    models = _read(doc, args.scene, library)
    info = assemble.summary(doc, models)
    if args.json:
        print_json(info)
        return EXIT_OK
    for row in info["placements"]:
        hidden = "" if row["shown"] else "  (hidden)"
        if "missing" in row:
            print(f"{row['id']:<6} {row['name']}: missing: {row['missing']}")
            continue
        low, high = row["bounds"]
        size = " x ".join(f"{h - lo:.3f}" for lo, h in zip(low, high, strict=True))
        print(f"{row['id']:<6} {row['name']}: {row['triangles']:,} triangles, {size} m{hidden}")
    print(
        f"{len(info['placements'])} placements of {info['models']} models, "
        f"{info['triangles']:,} triangles shown",
        file=sys.stderr,
    )
    return EXIT_OK


def read_scene(path: Path):
    """A scene.json as one scene to draw (``aiml3d render``: each model uploaded once), its
    lighting and its background colour (RRGGBB); the models that cannot be read are left
    out, with a warning."""
    from aiml3d_desktop.core.composition import assemble
    from aiml3d_desktop.core.composition import document as scene_doc

    doc = scene_doc.load(path)
    with _library() as library:
        models = _read(doc, path, library)
    lighting = assemble.lighting(doc, path.resolve().parent)
    return assemble.drawable(doc, models), lighting, doc.background.colour.lstrip("#")


def _read(doc, path: Path, library):
    """The scene's models, a warning for each that cannot be read and for the files it
    takes from outside its folder."""
    from aiml3d_desktop.core.composition import assemble

    base = path.resolve().parent
    models = assemble.read_models(doc, base, library)
    outside = assemble.outside(doc, base)
    if outside:
        warn_all([f"{path.name} uses files outside its folder: {', '.join(outside)}"])
    _warn_missing(models)
    return models


def _item(text: str, base: Path, library):
    """(Source, name) for a mesh file or a library entry's id (ID@VERSION)."""
    from aiml3d_desktop.core.composition.document import Source

    path = Path(text).expanduser()
    if path.exists():
        if not path.is_file():
            raise InputError(f"{text} is not a mesh file")
        return Source(file=_relative(path.resolve(), base)), path.stem
    from aiml3d_desktop.core.meshes import formats

    if os.sep in text or "/" in text or formats.by_extension(path.suffix) is not None:
        raise InputError(f"{text}: there is no such file")
    entry_id, _, version = text.partition("@")
    entry = library.get(entry_id)
    if version:
        try:
            label = entry.version(version).label
        except KeyError:
            raise InputError(f"{entry.title} has no version {version!r}") from None
        return Source(entry=entry.id, version=version), f"{entry.title} · {label}"
    return Source(entry=entry.id), entry.title


def _relative(path: Path, base: Path) -> str:
    """Relative to scene.json's folder when it is inside it (the folder can move with its
    models), absolute otherwise."""
    try:
        return os.path.relpath(path, base) if path.is_relative_to(base) else str(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def _write(doc, models, out: Path) -> int:
    from aiml3d_desktop.core.composition import assemble
    from aiml3d_desktop.core.composition import document as scene_doc

    if out.suffix.lower() == ".json":
        scene_doc.save(doc, out)
        print(out)
        return EXIT_OK
    for path in assemble.write(doc, models, out):
        print(path)
    return EXIT_OK


def _stop_if_missing(models) -> None:
    missing = [m for m in models.values() if m.scene is None]
    if missing:
        raise InputError(missing[0].missing)


def _warn_missing(models) -> None:
    missing = [m.missing for m in models.values() if m.scene is None]
    warn_all([f"left out: {message}" for message in missing])
    if missing and len(missing) == len(models):
        raise InputError("None of the scene's models can be read")


def _compose(args, library) -> int:
    """A sentence's plan (asked of the planner, its call kept in the usage ledger) or a plan
    file's, placed, shown with what making its models would cost, and written to
    --plan-only. With --dry-run and a sentence, the planner's request, and nothing sent."""
    from aiml3d_desktop.core import settings
    from aiml3d_desktop.core.common.fileio import read_regular, write_bytes
    from aiml3d_desktop.core.composition import plan as plans
    from aiml3d_desktop.core.composition import planner, solver

    if (args.sentence is None) == (args.from_plan is None):
        raise InputError("Give a SENTENCE, or --from-plan PLAN.json (one of them)")
    if args.plan_only is None and not args.dry_run:
        raise InputError(
            "Making the models from the plan is not built yet",
            hint="Give --plan-only PLAN.json to write the plan, or --dry-run to see it.",
        )
    conf, _ = settings.load()
    model = args.planner or conf.planner_model
    spending = _spending(conf, library, args)
    if args.sentence is not None:
        # The planner's calls (a retry at most), estimated and held to the limits first.
        asking = spending.estimate([(model, {}, None)] * planner.TRIES)
        refused = spend.over_budget(asking, spending)
        print(f"aiml3d: planning: {asking.text}", file=sys.stderr)
        if args.dry_run:
            print(
                json.dumps(planner.request_body(" ".join(args.sentence.split()), model), indent=2)
            )
            if refused:
                print(
                    f"aiml3d: the spending limit would refuse planning: {refused}", file=sys.stderr
                )
            print("dry run: nothing was sent", file=sys.stderr)
            return EXIT_OK
        if refused:
            raise InputError(f"{refused}; nothing was sent")
    if args.from_plan is not None:
        try:
            raw = read_regular(args.from_plan.expanduser(), plans.MAX_PLAN_BYTES)
        except OSError as exc:
            raise InputError(
                f"Cannot read the plan {args.from_plan}: {exc.strerror or exc}"
            ) from None
        plan = plans.read_plan(raw.decode("utf-8", errors="replace"))
    else:
        plan = _asked(args.sentence, model, args.api_base, conf, library)
    placed = solver.solve(plan)  # before the file: a plan written can be placed
    cost, refused = _making_cost(plan, conf, spending)
    if args.plan_only is not None:
        write_bytes(args.plan_only.expanduser(), planner.plan_json(plan).encode("utf-8"))
    making = {"pictures": len(plan.objects), "models": len(plan.objects), "estimate": cost.text}
    if args.json:
        print_json(
            {
                "plan": str(args.plan_only) if args.plan_only else None,
                "room": list(plan.room),
                "light": plan.preset,
                "placed": [_placed_row(p) for p in placed],
                "relations": [vars(r) for r in plan.relations],
                "making": {**making, "refused": refused},
            }
        )
        return EXIT_OK
    for p in placed:
        size = " x ".join(f"{v:g}" for v in p.size)
        on = f" on the {p.support}" if p.support else ""
        print(f"{p.name:<24} {size} m  at x {p.x:.3f}, z {p.z:.3f}{on}, turned {p.yaw:g}°")
    written = f" Plan written to {args.plan_only}." if args.plan_only else ""
    print(
        f"{plan.placed} models of {len(plan.objects)} objects in a {plan.room[0]:g} x "
        f"{plan.room[1]:g} m room, {plan.preset} light. Making them: {len(plan.objects)} "
        f"pictures and {len(plan.objects)} 3D models, {cost.text}.{written}",
        file=sys.stderr,
    )
    if refused:
        print(f"aiml3d: the spending limit would refuse making it: {refused}", file=sys.stderr)
    return EXIT_OK


def _asked(sentence: str, model: str, api_base: str | None, conf, library):
    """The planner's plan for ``sentence``; its call goes to the usage ledger."""
    from dataclasses import replace

    from aiml3d_desktop.core.common.cancel import CancelToken
    from aiml3d_desktop.core.composition import planner
    from aiml3d_desktop.core.session import Session

    ledger = library.usage
    options = Session(conf).job_options(api_base=api_base)
    options = replace(options, record=ledger.add_one if ledger is not None else None)
    return planner.plan_scene(options.client(CancelToken()), sentence, model)


def _spending(conf, library, args):
    """The spending policy of this command: the library's ledger, and --max-credits and
    --max-usd as its limits (as `aiml3d generate`'s)."""
    from aiml3d_desktop.core.session import Session
    from aiml3d_desktop.core.spending import budget

    session = Session(conf)
    session.open_library(library)
    session.limits = budget.Limits(args.max_credits, args.max_usd)
    return session.spending


def _making_cost(plan, conf, spending):
    """What making the plan's models would cost (one text-to-3D item per object, as
    ``aiml3d generate --prompt`` queues them), and why the limits would refuse it, or None."""
    from aiml3d_desktop.core.api import models

    params = models.ModelParams(models.TRIPOSR.id, conf.params.validate().as_dict()).validate()
    cost = spending.estimate(
        [(params.model, params.as_dict(), conf.image_model)] * len(plan.objects)
    )
    return cost, spend.over_budget(cost, spending)


def _placed_row(p) -> dict:
    return {
        "name": p.name,
        "object": p.object,
        "size": list(p.size),
        "position": [round(v, 4) for v in (p.x, p.y, p.z)],
        "yaw": round(p.yaw, 2),
        "on": p.support or None,
    }


ACTIONS = {"new": _new, "build": _build, "show": _show, "compose": _compose}

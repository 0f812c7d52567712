"""``aiml3d scene ...``: compose several models into one scene (core/composition); new,
build and show work offline, compose asks a language model for a plan.

    aiml3d scene new ITEM... [--layout row|grid|circle] [--gap METRES] -o OUT
    aiml3d scene build SCENE.json -o OUT
    aiml3d scene show SCENE.json [--json]
    aiml3d scene compose "SENTENCE" -o OUT [--plan-only PLAN.json] [--planner MODEL] [--json]
    aiml3d scene compose --from-plan PLAN.json -o OUT | --dry-run   (--max-credits, --max-usd)
    aiml3d scene make ID [-o OUT]   (the objects of a scene still boxes)

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
from aiml3d_desktop.cli.output import EXIT_FAILED, EXIT_OK, print_json, warn_all
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
        "its models would cost, against the spending limits; with -o each object is drawn and "
        "made into a model of its own (in the library), fitted to its planned size, and the "
        "scene is kept in the library and written to OUT.",
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
    compose.add_argument(
        "-o", "--out", type=Path, metavar="OUT", help="make the scene: its models, then OUT"
    )
    compose.add_argument("--json", action="store_true", help="print the plan as JSON")
    make = act.add_parser(
        "make",
        help="make a scene's objects still boxes (those that failed, or were not made)",
        description="Each box standing in for an object not made yet is made from its words, "
        "as `scene compose` makes them; the model lands in the library and in the scene.",
    )
    make.add_argument("scene", metavar="ID", help="the scene's library entry id")
    make.add_argument("-o", "--out", type=Path, metavar="OUT", help="write the scene here too")
    make.add_argument("--dry-run", action="store_true", help="show the cost; send nothing")
    for command in (compose, make):
        command.add_argument(
            "--jobs", type=int, default=2, metavar="N", help="objects made at once (default 2)"
        )
        command.add_argument("--quiet", action="store_true", help="no progress lines")
        spend.add_limit_arguments(command)


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
    file's, placed, shown with what making its models would cost, written to --plan-only,
    and with -o made: a model per object, the scene in the library and in OUT. With
    --dry-run and a sentence, the planner's request, and nothing sent."""
    from aiml3d_desktop.core.common.fileio import write_bytes
    from aiml3d_desktop.core.composition import planner, solver
    from aiml3d_desktop.core.generation import scene_making

    if (args.sentence is None) == (args.from_plan is None):
        raise InputError("Give a SENTENCE, or --from-plan PLAN.json (one of them)")
    _check_jobs(args)
    if args.out is None and args.plan_only is None and not args.dry_run:
        raise InputError(
            "Say what to make",
            hint="-o SCENE.glb makes the scene; --plan-only PLAN.json writes its plan; "
            "--dry-run shows it and sends nothing.",
        )
    if args.out is not None:
        _check_out(args.out)  # before anything is paid for
    session = _compose_session(args, library)
    plan = _the_plan(args, session)
    if plan is None:  # a dry run: the request shown
        return EXIT_OK
    placed = solver.solve(plan)  # before the file: a plan written can be placed
    settings = scene_making.item_settings(session.conf)
    cost, refused = _making_cost(len(plan.objects), session)
    if args.plan_only is not None:
        write_bytes(args.plan_only.expanduser(), planner.plan_json(plan).encode("utf-8"))
    if args.json and args.out is None:
        making = {"pictures": len(plan.objects), "models": len(plan.objects), "estimate": cost.text}
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
    if not args.json:
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
        if args.out is not None and not args.dry_run:
            raise InputError(f"{refused}; nothing was made")
        print(f"aiml3d: the spending limit would refuse making it: {refused}", file=sys.stderr)
    if args.out is None or args.dry_run:
        return EXIT_OK
    name = args.sentence or args.from_plan.stem
    return _make(plan, name, session, settings, library, args)


def _the_plan(args, session):
    """The plan of the sentence (asked of the planner, after its calls are held to the
    limits) or of --from-plan; None after a dry run has shown the planner's request."""
    from aiml3d_desktop.core.common.fileio import read_regular
    from aiml3d_desktop.core.composition import plan as plans
    from aiml3d_desktop.core.composition import planner

    model = args.planner or session.conf.planner_model
    spending = session.spending
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
            return None
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
        plan = _asked(args.sentence, model, args.api_base, session)
    return plan


def _make(plan, name: str, session, settings: dict, library, args) -> int:
    """A model per object of the plan, and the scene (see _made)."""
    from aiml3d_desktop.core.generation import scene_making

    making = scene_making.SceneMaking.begin(library, plan, name)
    print(f"aiml3d: the scene is in the library as {making.entry.id}", file=sys.stderr)
    return _made(making, session, settings, library, args)


def _make_stand_ins(args, library) -> int:
    """``aiml3d scene make ID``: the models of a scene's stand-ins (its objects not made)."""
    from aiml3d_desktop.core.composition import planned
    from aiml3d_desktop.core.generation import scene_making

    _check_jobs(args)
    if args.out is not None:
        _check_out(args.out)
    making = scene_making.SceneMaking.of_entry(library, library.get(args.scene))
    session = _compose_session(args, library)
    settings = scene_making.item_settings(session.conf)
    waiting = planned.waiting(making.doc)
    if not waiting:
        print(f"{making.entry.title}: every object is made already", file=sys.stderr)
        return _write(making.doc, making.models, args.out.expanduser()) if args.out else EXIT_OK
    cost, refused = _making_cost(len(waiting), session)
    print(f"aiml3d: {len(waiting)} object(s) to make: {cost.text}", file=sys.stderr)
    if refused:
        raise InputError(f"{refused}; nothing was made")
    if args.dry_run:
        print("dry run: nothing was sent", file=sys.stderr)
        return EXIT_OK
    return _made(making, session, settings, library, args)


def _check_out(out: Path) -> None:
    """OUT is scene.json (any .json) or a format a scene is written as: said before any
    money is spent, not after."""
    from aiml3d_desktop.core.meshes import formats

    if out.suffix.lower() != ".json":
        formats.for_writing(out)  # InputError naming the formats it can write


def _check_jobs(args) -> None:
    from aiml3d_desktop.core.generation import batch

    if not 1 <= args.jobs <= batch.MAX_JOBS:
        raise InputError(f"--jobs must be 1 to {batch.MAX_JOBS}")


def _made(making, session, settings: dict, library, args) -> int:
    """The scene's stand-ins made (the batch queue, --jobs at once), each model into the
    library and into the scene (saved) as it arrives; the scene written to OUT, if given."""
    from aiml3d_desktop.cli.generate import Maker, cancel_on_sigterm
    from aiml3d_desktop.core.common.cancel import CancelToken
    from aiml3d_desktop.core.composition import planned
    from aiml3d_desktop.core.generation import batch, scene_making

    queue = batch.BatchQueue()
    scene_making.queue_stand_ins(queue, making.entry.id, planned.waiting(making.doc), **settings)
    options = session.job_options(api_base=args.api_base)
    maker = Maker(library, None, options, session.spending, args.quiet, bars=args.jobs == 1)

    def execute(item, cancel):
        entry_id, where = maker.execute(item, cancel)
        making.arrived(item, library.get(entry_id))
        return entry_id, where

    cancel = CancelToken()
    with cancel_on_sigterm(cancel):
        stopped = batch.run(
            queue, execute, jobs=args.jobs, cancel=cancel, on_change=maker.on_change
        )
    if cancel.cancelled or queue.count(batch.CANCELLED):
        raise KeyboardInterrupt
    if args.out is not None:
        _write(making.doc, making.models, args.out.expanduser())
    left = [s.stand_in.prompt for s in planned.waiting(making.doc) if s.stand_in]
    print(
        f"aiml3d: {queue.count(batch.DONE)} of {len(queue.items())} objects made; the scene "
        f"is {making.entry.id} in the library",
        file=sys.stderr,
    )
    if stopped is not None:
        print(f"aiml3d: error: {stopped}", file=sys.stderr)
    if left:
        print(
            f"aiml3d: {len(left)} object(s) not made, boxes in their place: "
            f"{'; '.join(left)}. Make them with: aiml3d scene make {making.entry.id}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def _asked(sentence: str, model: str, api_base: str | None, session):
    """The planner's plan for ``sentence``; its call goes to the usage ledger."""
    from aiml3d_desktop.core.common.cancel import CancelToken
    from aiml3d_desktop.core.composition import planner

    client = session.chat_client(CancelToken(), api_base=api_base)
    return planner.plan_scene(client, sentence, model)


def _compose_session(args, library):
    """The command's session: the library (its ledger), and --max-credits and --max-usd
    as its limits (as `aiml3d generate`'s)."""
    from aiml3d_desktop.core import settings
    from aiml3d_desktop.core.session import Session
    from aiml3d_desktop.core.spending import budget

    conf, _ = settings.load()
    session = Session(conf)
    session.open_library(library)
    session.limits = budget.Limits(args.max_credits, args.max_usd)
    return session


def _making_cost(count: int, session):
    """What making ``count`` objects' models would cost, and why the limits would refuse
    it, or None."""
    from aiml3d_desktop.core.generation import scene_making

    cost = scene_making.cost(session.spending, session.conf, count)
    return cost, spend.over_budget(cost, session.spending)


def _placed_row(p) -> dict:
    return {
        "name": p.name,
        "object": p.object,
        "size": list(p.size),
        "position": [round(v, 4) for v in (p.x, p.y, p.z)],
        "yaw": round(p.yaw, 2),
        "on": p.support or None,
    }


ACTIONS = {
    "new": _new, "build": _build, "show": _show, "compose": _compose, "make": _make_stand_ins,
}  # fmt: skip

"""``aiml3d models`` (the registry, as text or JSON) and ``aiml3d parts`` (split a model into
parts with tencent/hunyuan-part)."""

from __future__ import annotations

import argparse
import json
import sys

from aiml3d_desktop.cli.output import EXIT_OK, print_json, warn_all


def add_parsers(sub) -> None:
    listing = sub.add_parser(
        "models",
        help="list the AIML 3D models this app can use, with their parameters",
        description="Each model: what it takes, its parameters (type, range, default), how "
        "long a call may take and what it costs. Give parameters to `aiml3d generate "
        "--model ID --param KEY=VALUE`.",
    )
    listing.add_argument("--json", action="store_true", help="print JSON")

    parts = sub.add_parser(
        "parts",
        help="split a model into parts (tencent/hunyuan-part)",
        description="Send a model's mesh link to tencent/hunyuan-part. A library entry gets "
        "the parts as a new version (each part in its own colour, the three candidate "
        "masks with their IoU scores); a mesh link becomes a new entry.",
    )
    parts.add_argument("source", metavar="SOURCE", help="a library entry id, or a .glb/.obj link")
    parts.add_argument(
        "--point",
        metavar="X,Y,Z",
        help="a point on the part to pick, each -1 to 1 across the model's bounds",
    )
    parts.add_argument("--seed", type=int, metavar="N", help="fix the result (1 or more)")
    parts.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="another of its parameters: point_num, use_normal, noise_std (see `aiml3d models`)",
    )
    parts.add_argument("--api-base", metavar="URL", help="API base URL")
    parts.add_argument("--json", action="store_true", help="print the result as JSON")


def cmd_models(args: argparse.Namespace) -> int:
    from aiml3d_desktop.core.api import models

    described = [_describe(m) for m in models.MODELS.values()]
    if args.json:
        print_json(described)
        return EXIT_OK
    for model in described:
        aliases = f" (also {', '.join(model['aliases'])})" if model["aliases"] else ""
        print(f"{model['id']}{aliases}: {model['title']}")
        print(f"  {model['summary']}")
        print(f"  takes: {model['takes_text']}; cost: {model['cost']}; {model['time']}")
        if model["note"]:
            print(f"  note: {model['note']}")
        for param in model["params"]:
            default = (
                "" if param["default"] is None else f", default {json.dumps(param['default'])}"
            )
            print(f"    {param['name']:<22} {param['range']}{default}")
            print(f"    {'':<22} {param['tip']}")
        print()
    _print_planner()
    return EXIT_OK


def _print_planner() -> None:
    """The language model that plans a scene from a sentence (not a 3D model: listed apart)."""
    from aiml3d_desktop.core import settings

    conf, _ = settings.load()
    print(f"{conf.planner_model}: the scene planner (aiml3d scene compose)")
    print("  A language model that plans a scene from a sentence: its objects, their real sizes")
    print("  and how they relate, answered in a JSON schema. Another: --planner MODEL, or the")
    print("  settings' planner_model; it must document json_schema answers.")
    print("  cost: reported per call (prompt and answer tokens)")


def _describe(model) -> dict:
    from aiml3d_desktop.core.api import models

    takes = {
        models.IMAGE: "one picture",
        models.VIEWS: "a front view, and up to three more (left, back, right)",
        models.MESH: "a mesh link (.glb or .obj)",
    }[model.takes]
    return {
        "id": model.id,
        "aliases": list(model.aliases),
        "title": model.title,
        "summary": model.summary,
        "takes": model.takes,
        "takes_text": takes,
        "inputs": model.inputs,
        "required": list(model.required),
        "reports": model.reports,
        "doc_cost": model.doc_cost,
        "cost": model.cost_text,
        "minutes": model.minutes,
        "time": f"up to {model.minutes:g} minutes"
        if model.minutes
        else "the timeout setting (3 minutes)",
        "note": model.note,
        "params": [
            {
                "name": p.name,
                "type": p.kind,
                "default": p.default,
                "range": p.range_text,
                "low": p.low,
                "high": p.high,
                "choices": list(p.choices),
                "tip": p.tip,
            }
            for p in model.params
        ],
    }


def cmd_parts(args: argparse.Namespace) -> int:
    from aiml3d_desktop.core import settings
    from aiml3d_desktop.core.common.errors import InputError
    from aiml3d_desktop.core.generation import parts
    from aiml3d_desktop.core.library.store import Library
    from aiml3d_desktop.core.session import Session

    point = None
    if args.point is not None:
        try:
            point = tuple(float(v) for v in args.point.split(","))
        except ValueError:
            point = ()
        if len(point) != 3:
            raise InputError(f"--point {args.point!r} is not three numbers X,Y,Z")
    from aiml3d_desktop.core.api.models import HUNYUAN_PART

    values = HUNYUAN_PART.parse(args.param)
    conf, warnings = settings.load()
    warn_all(warnings)
    options = Session(conf).job_options(api_base=args.api_base)
    library = Library(conf.library_path)
    warn_all(library.warnings)
    try:
        done = parts.split(
            args.source,
            library,
            options,
            point=point,  # type: ignore[arg-type]
            seed=args.seed,
            values=values,
        )
        made = library.get(done.entry_id)
        folder = done.version.folder if done.version else made.folder
        notes = done.version.report if done.version else made.extra.get("output_notes", [])
    finally:
        library.close()
    result = {
        "entry": done.entry_id,
        "version": done.version.id if done.version else None,
        "folder": str(folder),
        "parts": done.parts,
        **done.info,
    }
    if args.json:
        print_json(result)
        return EXIT_OK
    where = f"version {result['version']} of {done.entry_id}" if done.version else done.entry_id
    print(f"{len(done.parts)} parts, kept as {where}")
    for part in done.parts:
        print(f"  {part['name']}: {part['triangles']:,} triangles")
    best = done.info.get("best_mask_index")
    for number, iou in enumerate(done.info.get("iou_scores") or [], 1):
        print(f"  mask {number}: IoU {iou:.2f}" + ("  (best)" if number == best else ""))
    for note in notes:
        if ": not kept" in note or "one part only" in note:
            print(f"aiml3d: note: {note}", file=sys.stderr)
    return EXIT_OK

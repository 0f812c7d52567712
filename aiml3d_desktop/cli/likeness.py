"""``aiml3d check-likeness ENTRY``: a library entry's model rendered from the front (and the
sides it was given or drawn) and compared with its photo by a chat model that sees pictures
(core/assets/verdict.py); the verdict kept in the entry. A paid call: estimated and held to
--max-credits / --max-usd first. Rendering needs a display (xvfb-run -a on a server)."""

from __future__ import annotations

import argparse
import sys

from aiml3d_desktop.cli import spend
from aiml3d_desktop.cli.output import EXIT_OK, print_json, warn_all
from aiml3d_desktop.core.common.errors import InputError


def add_parser(sub) -> None:
    check = sub.add_parser(
        "check-likeness",
        help="compare a library entry's model with its photo (a chat model that sees pictures)",
        description="Renders of the model and its photo go to a chat model that sees pictures;"
        " its verdict (how well they match, what is missing or wrong) is printed and kept in "
        "the entry. A paid call. The outline likeness, which costs nothing, is in "
        "`aiml3d info ENTRY`.",
    )
    check.add_argument("entry", metavar="ID", help="a library entry's id (or its start)")
    check.add_argument(
        "--model", metavar="MODEL", help="the checker (default: the settings' checker_model)"
    )
    spend.add_limit_arguments(check)
    check.add_argument("--dry-run", action="store_true", help="show the cost; send nothing")
    check.add_argument("--json", action="store_true", help="print JSON")


def cmd_check_likeness(args: argparse.Namespace) -> int:
    from aiml3d_desktop.core import settings
    from aiml3d_desktop.core.assets import verdict
    from aiml3d_desktop.core.library.store import Library
    from aiml3d_desktop.core.session import Session
    from aiml3d_desktop.core.spending import budget

    conf, warnings = settings.load()
    warn_all(warnings)
    model = args.model or conf.checker_model
    if not settings.MODEL_ID.fullmatch(model):
        raise InputError(f"--model {model!r} is not a model id")
    library = Library(conf.library_path)
    try:
        entry = library.get(args.entry)
        photo = verdict.photo_of(entry)
        sides = verdict.sides_of(entry)
        session = Session(conf)
        session.open_library(library)
        session.limits = budget.Limits(args.max_credits, args.max_usd)
        cost = session.spending.estimate([(model, {}, None)] * verdict.TRIES)
        print(f"aiml3d: comparing {entry.title} from the {', '.join(sides)}: {cost.text}",
              file=sys.stderr)  # fmt: skip
        refused = spend.over_budget(cost, session.spending)
        if refused:
            raise InputError(f"{refused}; nothing was sent")
        if args.dry_run:
            print("dry run: nothing was sent", file=sys.stderr)
            return EXIT_OK
        found = compare(session, entry, photo, model, args.api_base)
    finally:
        library.close()
    if args.json:
        print_json({"entry": entry.id, **found.as_json()})
        return EXIT_OK
    print(f"{entry.title}: {found.line}")
    if found.notes:
        print(found.notes)
    return EXIT_OK


def compare(session, entry, photo: bytes, model: str, api_base: str | None = None):
    """An entry's model rendered (the front and its sides) and compared with ``photo``; the
    verdict kept in the entry and returned. The checker's call goes to the ledger."""
    from aiml3d_desktop.core.assets import verdict
    from aiml3d_desktop.core.common.cancel import CancelToken
    from aiml3d_desktop.core.meshes import mesh
    from aiml3d_desktop.gui.app import render_pngs

    renders = render_pngs(mesh.load(entry.mesh_path).scene, verdict.sides_of(entry))
    client = session.chat_client(CancelToken(), api_base=api_base)
    found = verdict.check(client, photo, renders, model)
    session.library.keep(entry.id, "verdict", found.as_json())
    return found


def compare_made(session, entry_ids: list[str], model: str, api_base: str | None, budget) -> int:
    """`aiml3d generate --compare-with-photo`: each model made compared with its photo, one
    line each, each call held to the run's limits (``budget``: spend.Budget) first; how many
    could not be compared (a limit reached stops the rest)."""
    from aiml3d_desktop.core.assets import verdict
    from aiml3d_desktop.core.common.errors import Aiml3DError, ConfigError
    from aiml3d_desktop.core.generation.batch import QueueItem

    failed = 0
    for number, entry_id in enumerate(entry_ids):
        entry = session.library.get(entry_id)
        try:
            held = budget.hold(QueueItem(entry.id, model=model))
        except ConfigError as exc:
            print(f"aiml3d: error: {exc}; {len(entry_ids) - number} not compared", file=sys.stderr)
            return failed + len(entry_ids) - number
        try:
            found = compare(session, entry, verdict.photo_of(entry), model, api_base)
        except Aiml3DError as exc:
            failed += 1
            print(f"aiml3d: error: {entry.title}: not compared: {exc}", file=sys.stderr)
            continue
        finally:
            budget.release(held)
        print(f"{entry.title}: compared with its photo: {found.line}")
    return failed

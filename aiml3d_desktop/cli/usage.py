"""``aiml3d usage``: what the API calls cost, by day or by model, from the library's ledger
(offline, no key)."""

from __future__ import annotations

import argparse
from datetime import date

from aiml3d_desktop.cli.output import EXIT_FAILED, EXIT_OK, error, print_json, warn_all
from aiml3d_desktop.core.common.errors import InputError


def add_parser(sub) -> None:
    use = sub.add_parser(
        "usage",
        help="what the API calls cost: credits, dollars, time and failures, by day or model",
        description="Every call the library saw (made or failed), from its usage ledger: "
        "days are this computer's local days.",
    )
    use.add_argument("--since", metavar="DATE", help="from this day on (YYYY-MM-DD)")
    use.add_argument("--until", metavar="DATE", help="up to this day, included (YYYY-MM-DD)")
    use.add_argument("--by", choices=("day", "model"), default="day", help="group by (day)")
    use.add_argument("--model", metavar="ID", help="only this model")
    use.add_argument("--json", action="store_true", help="print JSON")


def _day(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{flag} {text!r} is not a date (YYYY-MM-DD)") from None


def cmd_usage(args: argparse.Namespace) -> int:
    from aiml3d_desktop.core import settings
    from aiml3d_desktop.core.library.store import Library
    from aiml3d_desktop.core.spending import usage

    since, until = _day(args.since, "--since"), _day(args.until, "--until")
    conf, warnings = settings.load()
    warn_all(warnings)
    library = Library(conf.library_path)
    try:
        ledger = library.usage
        warn_all(library.warnings)
        if ledger is None:
            error("the usage ledger cannot be read now (held by another program?); try again")
            return EXIT_FAILED
        low, high = usage.day_bounds(since, until)
        calls = ledger.calls(low, high, args.model)
    finally:
        library.close()
    rows = usage.summarise(calls, args.by)
    total = usage.summarise(calls, "all")  # one row: every call
    if args.json:
        print_json(
            {
                "by": args.by,
                "rows": [r.as_dict() for r in rows],
                "total": total[0].as_dict() if total else None,
            }
        )
        return EXIT_OK
    if not rows:
        print("no calls in that time")
        return EXIT_OK
    head = "day" if args.by == "day" else "model"
    width = max(len(head), *(len(r.key) for r in rows))
    print(f"{head:<{width}}  {'calls':>5}  {'failed':>6}  {'credits':>12}  {'US$':>8}  median s")
    for row in rows + total:
        median = row.as_dict()["median_seconds"]
        print(
            f"{row.key:<{width}}  {row.calls:>5}  {row.failed:>6}  {row.credits:>12,.0f}  "
            f"{row.usd:>8,.2f}  {'' if median is None else f'{median:.1f}'}"
        )
    if total and total[0].failures:
        print("failed: " + ", ".join(f"{k} {n}" for k, n in sorted(total[0].failures.items())))
    return EXIT_OK

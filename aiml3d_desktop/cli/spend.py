"""What a batch of ``aiml3d generate`` will cost, said before it starts, and the budget
it may not pass (``--dry-run``, ``--max-credits``, ``--max-usd``)."""

from __future__ import annotations

import argparse
import json
import threading
from typing import TYPE_CHECKING

from aiml3d_desktop.cli.output import EXIT_OK

if TYPE_CHECKING:
    from aiml3d_desktop.core import batch, jobs, usage


def estimate(queue: batch.BatchQueue, lib, options: jobs.JobOptions) -> usage.Estimate:
    """What the queued items will probably cost (the offline preview costs nothing)."""
    from aiml3d_desktop.core import batch, usage

    if options.backend != "aiml":
        return usage.Estimate(queue.count(batch.WAITING), 0.0, None, "docs")
    planned = [
        (
            item.model,
            item.params,
            item.draw_options.get("image_model") if item.kind == batch.PROMPT else None,
        )
        for item in queue.items()
    ]
    return usage.estimate(lib.usage if lib is not None else None, planned)


def over_budget(cost: usage.Estimate, args: argparse.Namespace) -> str | None:
    """Why the batch may not start under --max-credits / --max-usd, or None."""
    from aiml3d_desktop.core import models

    for limit, spent, unit in ((args.max_credits, cost.credits, "credits"),
                               (args.max_usd, cost.usd, "usd")):  # fmt: skip
        if limit is not None and spent is not None and spent > limit:
            return (
                f"the estimate ({amount(spent, unit)}) is above the limit of {amount(limit, unit)}"
            )
    if args.max_credits is not None and args.max_usd is None:
        billed = [m.title for m in models.MODELS.values() if m.reports == models.USD]
        if cost.usd is not None:
            return (
                f"{', '.join(billed)} reports US dollars, not credits: --max-credits cannot "
                "bound it; give --max-usd"
            )
    return None


def amount(value: float, unit: str) -> str:
    return f"US${value:,.2f}" if unit == "usd" else f"{value:,.0f} credits"


def dry_run(queue: batch.BatchQueue, cost: usage.Estimate, refused: str | None) -> int:
    """The estimate, and each request as it would be sent (a local picture's inline data
    stands for what preparing it would make): nothing leaves this computer."""
    from aiml3d_desktop.core import batch, images, models
    from aiml3d_desktop.core.api import drawing_body

    print(f"estimate: {cost.text}")
    if refused:
        print(f"the limit would refuse this run: {refused}")
    for item in queue.items():
        spec = models.get(item.model)
        if item.kind == batch.PROMPT:
            drawer = item.draw_options.get("image_model") or ""
            asked = item.source + item.draw_options.get("suffix", "")
            print(f"POST /v1/images/generations {json.dumps(drawing_body(asked, drawer))}")
            picture = "<the drawn picture's link>"
        elif images.is_url(item.source):
            picture = item.source
        else:
            picture = f"<{item.source}, prepared and sent inline as a data: URI>"
        inputs = {("front" if spec.takes == models.VIEWS else "image"): picture}
        inputs |= {view: f"<{where}>" for view, where in item.views.items()}
        body = models.ModelParams(item.model, item.params).body(inputs)
        print(f"POST /v1/images/generations {json.dumps(body)}")
    print("dry run: nothing was sent")
    return EXIT_OK


class Budget:
    """The spend the API reports for every call of a run (made or failed), and the
    limits it may not reach before an item starts."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.limits = {"credits": args.max_credits, "usd": args.max_usd}
        self.spent = {"credits": 0.0, "usd": 0.0}
        self.lock = threading.Lock()

    def note(self, call: usage.Call) -> None:
        with self.lock:
            self.spent["credits"] += call.credits or 0
            self.spent["usd"] += call.usd or 0

    def check(self) -> None:
        """ConfigError (which stops the queue: no new item starts) once a limit is reached."""
        from aiml3d_desktop.core.errors import ConfigError

        with self.lock:
            for unit, limit in self.limits.items():
                if limit is not None and self.spent[unit] >= limit:
                    said = amount(self.spent[unit], unit) + " of " + amount(limit, unit)
                    flag = "--max-credits" if unit == "credits" else "--max-usd"
                    raise ConfigError(
                        f"the limit is reached ({said} reported)", hint=f"Raise {flag} to go on."
                    )

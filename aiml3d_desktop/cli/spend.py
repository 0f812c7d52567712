"""What a batch of ``aiml3d generate`` will cost, said before it starts, and the budget
it may not pass (``--dry-run``, ``--max-credits``, ``--max-usd``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiml3d_desktop.cli.output import EXIT_OK

if TYPE_CHECKING:
    from aiml3d_desktop.core.api.calls import Call
    from aiml3d_desktop.core.generation import batch
    from aiml3d_desktop.core.spending import budget, usage
    from aiml3d_desktop.core.spending.policy import SpendingPolicy

FLAGS = {"credits": "--max-credits", "usd": "--max-usd"}


def add_limit_arguments(command) -> None:
    """--api-base, --max-credits and --max-usd: where a paid call goes, and its limits."""
    command.add_argument("--api-base", metavar="URL", help="API base URL")
    command.add_argument("--max-credits", type=float, metavar="N", help="spending limit")
    command.add_argument("--max-usd", type=float, metavar="N", help="spending limit")


def over_budget(cost: usage.Estimate, policy: SpendingPolicy) -> str | None:
    """Why the batch may not start under --max-credits / --max-usd, or None."""
    from aiml3d_desktop.core.spending import budget

    refused = policy.refusal(cost)
    if refused is None:
        return None
    return refused.text if refused.kind == budget.ABOVE else f"{refused.text}; {advice(refused)}"


def advice(refused: budget.Refusal) -> str:
    """What to do about a refusal, in the command line's words."""
    from aiml3d_desktop.core.spending import budget

    flag = FLAGS[refused.unit]
    if refused.kind == budget.UNKNOWN:
        return "run one without a limit first to learn it"
    return f"give {flag}" if refused.kind == budget.UNBOUNDED else f"raise {flag} to go on"


def amount(value: float, unit: str) -> str:
    from aiml3d_desktop.core.spending import budget

    return budget.amount(value, unit)


def dry_run(queue: batch.BatchQueue, cost: usage.Estimate, refused: str | None) -> int:
    """The estimate, and each request as it would be sent (a local picture's inline data
    stands for what preparing it would make): nothing leaves this computer."""
    from aiml3d_desktop.core.api import models
    from aiml3d_desktop.core.api.client import drawing_body
    from aiml3d_desktop.core.generation import batch, views
    from aiml3d_desktop.core.pictures import images

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
        for side in item.draw_options.get("views") or []:
            asked = {"model": item.draw_options.get("edit_model"),
                     "prompt": views.PROMPTS[side] + views.SUFFIX,
                     "image_urls": [picture], "aspect_ratio": "1:1", "num_images": 1,
                     "seed": "<random>"}  # fmt: skip
            print(f"POST /v1/images/generations {json.dumps(asked)}")
            inputs[side] = f"<the {side} view drawn>"
        body = models.ModelParams(item.model, item.params).body(inputs)
        print(f"POST /v1/images/generations {json.dumps(body)}")
        if item.draw_options.get("check"):
            shown = "<the photo, and the model rendered from each side given>"
            asked = {"model": item.draw_options["check"], "messages": shown}
            print(f"POST /v1/chat/completions {json.dumps(asked)}")
    print("dry run: nothing was sent")
    return EXIT_OK


class Budget:
    """--max-credits and --max-usd while the batch runs (core.spending.budget.Budget): each item
    holds its probable cost before it starts, and one that would pass a limit is refused
    with a ConfigError, which stops the queue (no new item starts)."""

    def __init__(self, policy: SpendingPolicy) -> None:
        self.rule = policy.running()

    def hold(self, item: batch.QueueItem) -> budget.Reservation | None:
        from aiml3d_desktop.core.common.errors import ConfigError
        from aiml3d_desktop.core.spending import budget

        if item.backend != "aiml":
            return None  # the offline preview calls nothing
        held = self.rule.reserve(item.calls())
        if isinstance(held, budget.Refusal):
            said = advice(held)
            raise ConfigError(held.text, hint=f"{said[0].upper()}{said[1:]}.")
        return held

    def settle(self, held: budget.Reservation | None, call: Call) -> None:
        self.rule.settle(held, call)

    def release(self, held: budget.Reservation | None) -> None:
        if held is not None:
            self.rule.release(held)

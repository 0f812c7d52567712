"""The spending policy as one object: what planned calls will probably cost (from the
ledger) and whether the limits let them start. The window (limits from Settings, which
ask) and the command line (--max-credits, --max-usd, which refuse) apply this same one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aiml3d_desktop.core.spending import budget, usage

Planned = tuple[str, dict, "str | tuple[str, ...] | None"]  # model, values, the calls before it


@dataclass
class SpendingPolicy:
    ledger: usage.Ledger | None = None  # the library's; None: the docs' figures alone
    limits: budget.Limits = field(default_factory=budget.Limits)

    def estimate(self, planned: Sequence[Planned], free: int = 0) -> usage.Estimate:
        """What ``planned`` paid items will probably cost, with ``free`` items (the offline
        preview) that cost nothing."""
        if not planned:
            return usage.Estimate(free, 0.0, None, "docs")
        cost = usage.estimate(self.ledger, list(planned))
        return cost if not free else cost.plus(usage.Estimate(free, 0.0, None, cost.basis))

    def refusal(
        self, cost: usage.Estimate, adding: usage.Estimate | None = None
    ) -> budget.Refusal | None:
        """Why ``cost`` may not start under the limits (see budget.refusal), or None."""
        return budget.refusal(self.limits, cost, adding)

    def running(self) -> budget.Budget:
        """The limits held while a batch runs: each item reserves its probable cost."""
        return budget.Budget(self.limits, self.price)

    def price(self, model: str, values: dict) -> usage.Price:
        return usage.price(self.ledger, model, values)

"""The spending limits a batch may not pass: one rule for the command line, which refuses
(``--max-credits``, ``--max-usd``), and the window, which asks (File > Settings).

A limit can only bound what it can count. So a call whose cost is not known (no call of
its model so far, no figure in the docs), or that is billed only in a unit no limit is
given in, is refused (or asked about), never let through. While a batch runs, each item
holds what its calls will probably cost before it starts, so that calls in flight count
against the limits; what a call reports it cost then takes the place of what it held. A
made call that reports no cost counts the last price known of its model.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aiml3d_desktop.core.api import models
from aiml3d_desktop.core.api.calls import Call, params_key
from aiml3d_desktop.core.common.errors import Aiml3DError
from aiml3d_desktop.core.spending import usage
from aiml3d_desktop.core.spending.usage import Price

UNITS = (models.CREDITS, models.USD)  # in the order of a Price
UNKNOWN, UNBOUNDED, ABOVE, REACHED = "unknown", "unbounded", "above", "reached"
Calls = list[tuple[str, dict]]  # (model, parameter values) of each call an item makes


@dataclass(frozen=True)
class Limits:
    """At most so many credits and US dollars; None: no limit in that unit."""

    credits: float | None = None
    usd: float | None = None

    def __bool__(self) -> bool:
        return self.credits is not None or self.usd is not None

    def of(self, unit: str) -> float | None:
        return self.credits if unit == models.CREDITS else self.usd


@dataclass(frozen=True)
class Refusal:
    """Why the limits stop a batch or an item: ``text`` in one line; ``unit`` the limit to
    give or raise; ``kind`` UNKNOWN (a cost not known), UNBOUNDED (billed in a unit with
    no limit), ABOVE (it would pass the limit) or REACHED."""

    text: str
    unit: str
    kind: str


def amount(value: float, unit: str) -> str:
    return f"US${value:,.2f}" if unit == models.USD else f"{value:,.0f} credits"


def refusal(
    limits: Limits, cost: usage.Estimate, adding: usage.Estimate | None = None
) -> Refusal | None:
    """Why a batch of estimated ``cost`` may not start under ``limits``, or None. Each call
    of ``adding`` (by default all of ``cost``) must be one a limit can count: the window's
    queue asked about its items as they came."""
    if not limits:
        return None
    for model, price in (cost if adding is None else adding).prices.items():
        why = _unbounded(limits, model, price)
        if why is not None:
            return why
    for unit, total in zip(UNITS, (cost.credits, cost.usd), strict=True):
        limit = limits.of(unit)
        if limit is not None and total is not None and total > limit:
            said = (
                f"the estimate ({amount(total, unit)}) is above the limit of {amount(limit, unit)}"
            )
            return Refusal(said, unit, ABOVE)
    return None


def _unbounded(limits: Limits, model: str, price: Price) -> Refusal | None:
    """A call no limit can count: of unknown cost, or billed only in units with no limit."""
    if price == (None, None):
        said = f"the cost of {_title(model)} is not known yet (no call of it so far, and no "
        return Refusal(said + "figure in the docs)", _billed_in(model), UNKNOWN)
    billed = [unit for unit, value in zip(UNITS, price, strict=True) if value is not None]
    given = [unit for unit in UNITS if limits.of(unit) is not None]
    if given and not set(billed) & set(given):
        said = f"{_title(model)} reports {_words(billed[0])}, not {_words(given[0])}: a limit "
        return Refusal(said + f"in {_words(given[0])} cannot bound it", billed[0], UNBOUNDED)
    return None


class Reservation:
    """What one item holds of the limits until it ends: its calls not yet reported, each
    as (model, params_key)."""

    def __init__(self, calls: list[tuple[str, str]]) -> None:
        self.calls = calls


class Budget:
    """The limits of one run whose items go several at a time. ``reserve()`` before an item
    starts, ``settle()`` each call it reports, ``release()`` when it ends; all under one
    lock, so that two items never both take the last of a limit.

    ``price_of(model, values)``: what one call will probably cost (usage.price: recent
    calls like it, else the docs' figure). A price this run's calls reported is newer, and
    takes its place for that model."""

    def __init__(self, limits: Limits, price_of: Callable[[str, dict], Price]) -> None:
        self.limits = limits
        self.spent = dict.fromkeys(UNITS, 0.0)  # reported, or counted at the known price
        self._price_of = price_of
        self._prices: dict[tuple[str, str], Price] = {}  # price_of's answers, asked once
        self._reported: dict[str, Price] = {}  # the last cost each model's calls reported
        self._held: list[Reservation] = []
        self._uncounted: str | None = None  # a made call of a model whose price nobody knows
        self._lock = threading.Lock()

    def reserve(self, calls: Iterable[tuple[str, dict]]) -> Reservation | Refusal:
        """Hold what one item's ``calls`` will probably cost, or say why it may not start."""
        wanted = [(model, params_key(model, values), values) for model, values in calls]
        # Asked outside the lock: price_of may wait on the ledger.
        asked = {(m, k): self._price_of(m, v) for m, k, v in wanted if (m, k) not in self._prices}
        keyed = [(model, key) for model, key, _ in wanted]
        with self._lock:
            for where, price in asked.items():
                self._prices.setdefault(where, price)
            why = self._refusal(keyed) if self.limits else None
            if why is not None:
                return why
            held = Reservation(keyed)
            self._held.append(held)
            return held

    def settle(self, held: Reservation | None, call: Call) -> None:
        """A call ``held`` made, made or failed: what it cost takes the place of what it held
        (a failed call that cost nothing frees it)."""
        with self._lock:
            key = _unhold(held, call.model) if held is not None else None
            for unit, value in zip(UNITS, self._cost(call, key or call.params), strict=True):
                self.spent[unit] += value or 0.0

    def release(self, held: Reservation) -> None:
        """The item ended: what it still holds (calls it never made) is free again."""
        with self._lock:
            self._held = [h for h in self._held if h is not held]

    def _cost(self, call: Call, key: str) -> Price:
        reported = (call.credits, call.usd)
        if reported != (None, None):
            if call.ok and any(reported):  # a price: a said 0 is none (see usage._one)
                self._reported[call.model] = reported
            return reported
        if not call.ok:
            return (None, None)
        price = self._price(call.model, key)
        if price == (None, None):
            self._uncounted = call.model  # no further item: the limit cannot count this one
        return price

    def _price(self, model: str, key: str) -> Price:
        known = self._reported.get(model) or self._prices.get((model, key))
        if known is None:  # a call it was not told of: any price of the model
            known = next((p for (m, _), p in self._prices.items() if m == model), (None, None))
        return known

    def _refusal(self, keyed: list[tuple[str, str]]) -> Refusal | None:
        if self._uncounted is not None:
            said = f"a call of {_title(self._uncounted)} reported no cost, and none is known"
            return Refusal(said, _billed_in(self._uncounted), UNKNOWN)
        new = [self._price(model, key) for model, key in keyed]
        for (model, _), price in zip(keyed, new, strict=True):
            why = _unbounded(self.limits, model, price)
            if why is not None:
                return why
        flying = [self._price(model, key) for held in self._held for model, key in held.calls]
        for n, unit in enumerate(UNITS):
            limit = self.limits.of(unit)
            if limit is not None:
                why = self._passes(unit, limit, _sum(new, n), _sum(flying, n))
                if why is not None:
                    return why
        return None

    def _passes(self, unit: str, limit: float, cost: float, flying: float) -> Refusal | None:
        spent = self.spent[unit]
        if spent >= limit:
            said = f"the limit is reached ({amount(spent, unit)} of {amount(limit, unit)} spent)"
            return Refusal(said, unit, REACHED)
        if spent + flying + cost > limit:
            said = (
                f"the next item (about {amount(cost, unit)}) would pass the limit of "
                f"{amount(limit, unit)}: {amount(spent, unit)} spent"
            )
            said += f" and {amount(flying, unit)} in flight" if flying else ""
            return Refusal(said, unit, ABOVE)
        return None


def _unhold(held: Reservation, model: str) -> str | None:
    """The first call of ``model`` ``held`` holds, taken out; its parameters' key."""
    for n, (name, key) in enumerate(held.calls):
        if name == model:
            del held.calls[n]
            return key
    return None


def _sum(prices: list[Price], n: int) -> float:
    return sum(price[n] or 0.0 for price in prices)


def _title(model: str) -> str:
    with contextlib.suppress(Aiml3DError):
        return models.get(model).title
    return model


def _billed_in(model: str) -> str:
    """The unit a model's answers report (the picture models, not in models.MODELS: credits)."""
    with contextlib.suppress(Aiml3DError):
        return models.get(model).reports
    return models.CREDITS


def _words(unit: str) -> str:
    return "US dollars" if unit == models.USD else "credits"

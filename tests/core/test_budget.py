"""The spending limits' one rule (core/spending/budget.py): what a limit cannot count is refused,
calls in flight hold their share before they are sent, and what a call reports takes the
place of what it held."""

from __future__ import annotations

import threading

import pytest

from aiml3d_desktop.core.api.calls import Call, now
from aiml3d_desktop.core.spending import budget, usage
from aiml3d_desktop.core.spending.budget import Budget, Limits, Refusal, Reservation

MESHY = "meshy/meshy-6-image-to-3d"
PRICES = {MESHY: (None, 0.3), "triposr": (182000.0, None), "magic/image-to-3d": (None, None)}


def price_of(model: str, values: dict) -> usage.Price:
    return PRICES.get(model, (None, None))


def made(model=MESHY, usd=None, credits=None, ok=True) -> Call:
    return Call(now(), model, ok, "" if ok else "server", credits, usd)


def test_threads_reserving_at_once_never_pass_the_limit():
    rule = Budget(Limits(usd=1.0), price_of)
    start, held = threading.Barrier(16), []

    def item() -> None:
        start.wait()
        got = rule.reserve([(MESHY, {})])
        if isinstance(got, Reservation):
            held.append(got)

    threads = [threading.Thread(target=item) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(held) == 3  # 3 x 30 cents in flight; a fourth would make US$1.20
    refused = rule.reserve([(MESHY, {})])
    assert isinstance(refused, Refusal) and "US$0.90 in flight" in refused.text


def test_a_reported_cost_takes_the_place_of_the_reservation():
    rule = Budget(Limits(usd=1.0), price_of)
    first, second = rule.reserve([(MESHY, {})]), rule.reserve([(MESHY, {})])
    assert isinstance(first, Reservation) and isinstance(second, Reservation)
    rule.settle(first, made(usd=0.45))  # dearer than thought: the later ones count it too
    rule.release(first)
    assert rule.spent["usd"] == pytest.approx(0.45)
    refused = rule.reserve([(MESHY, {})])  # 0.45 spent + 0.45 in flight + 0.45 > 1
    assert isinstance(refused, Refusal) and refused.kind == budget.ABOVE
    rule.settle(second, made(ok=False))  # failed, and cost nothing: frees its share
    rule.release(second)
    assert rule.spent["usd"] == pytest.approx(0.45)
    assert isinstance(rule.reserve([(MESHY, {})]), Reservation)  # 0.45 + 0.45 <= 1


def test_a_made_call_that_reports_no_cost_counts_the_known_price():
    rule = Budget(Limits(usd=0.5), price_of)
    held = rule.reserve([(MESHY, {})])
    assert isinstance(held, Reservation)
    rule.settle(held, made())  # the answer said nothing of its cost
    rule.release(held)
    assert rule.spent["usd"] == pytest.approx(0.3)
    refused = rule.reserve([(MESHY, {})])
    assert isinstance(refused, Refusal) and "US$0.30 spent" in refused.text


def test_a_made_call_of_no_known_price_stops_every_later_item():
    prices = {MESHY: (None, 0.3)}
    rule = Budget(Limits(usd=10.0), lambda model, values: prices.get(model, (None, None)))
    held = rule.reserve([(MESHY, {})])
    assert isinstance(held, Reservation)
    rule.settle(held, made("some/new-model"))  # a call it was not told of, cost unknown
    refused = rule.reserve([(MESHY, {})])
    assert isinstance(refused, Refusal) and refused.kind == budget.UNKNOWN


def test_what_a_limit_cannot_count_is_refused():
    credits_only, dollars_only = Limits(credits=1), Limits(usd=5)
    unknown = Budget(dollars_only, price_of).reserve([("magic/image-to-3d", {})])
    assert isinstance(unknown, Refusal) and "not known yet" in unknown.text
    other_unit = Budget(credits_only, price_of).reserve([(MESHY, {})])
    assert isinstance(other_unit, Refusal) and other_unit.kind == budget.UNBOUNDED
    assert other_unit.unit == "usd" and "Meshy 6 reports US dollars" in other_unit.text
    triposr = Budget(dollars_only, price_of).reserve([("triposr", {})])
    assert isinstance(triposr, Refusal) and triposr.unit == "credits"
    # With no limit at all, nothing is refused, whatever its cost.
    free = Budget(Limits(), price_of)
    assert isinstance(free.reserve([("magic/image-to-3d", {})]), Reservation)


def test_the_estimates_rule_is_the_same():
    def estimate(*jobs):
        return usage.Estimate(
            len(jobs),
            sum(PRICES[m][0] or 0 for m in jobs) or None,
            sum(PRICES[m][1] or 0 for m in jobs) or None,
            "recent",
            prices={m: PRICES[m] for m in jobs},
        )

    both = Limits(credits=1_000_000, usd=1.0)
    assert budget.refusal(both, estimate("triposr", MESHY)) is None
    assert budget.refusal(Limits(credits=1_000_000), estimate("triposr", MESHY)).unit == "usd"
    above = budget.refusal(Limits(usd=0.5), estimate(MESHY, MESHY))
    assert above.kind == budget.ABOVE and "above the limit of US$0.50" in above.text
    mixed = budget.refusal(both, estimate("triposr", "magic/image-to-3d"))
    assert mixed.kind == budget.UNKNOWN  # a known sum hides an unknown part no longer
    # The window asks about what is being added; what waits was asked about already.
    queued = estimate("triposr", "magic/image-to-3d")
    assert budget.refusal(both, queued, estimate("triposr")) is None
    assert budget.refusal(Limits(), queued) is None


def test_a_prompt_item_holds_its_drawing_too():
    from aiml3d_desktop.core.generation import batch

    queue = batch.BatchQueue()
    queue.add(["a lamp"], batch.PROMPT, model="triposr", draw_options={"image_model": "x/y"})
    (item,) = queue.items()
    assert item.calls() == [("x/y", {}), ("triposr", {})]
    refused = Budget(Limits(credits=10**9), price_of).reserve(item.calls())
    assert isinstance(refused, Refusal) and "x/y" in refused.text  # no price for the drawing

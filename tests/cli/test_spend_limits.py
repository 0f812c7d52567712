"""``aiml3d generate --max-credits / --max-usd`` against the fake API, in the cases an audit
got through (issue 25, case 3): a limit in the other unit, a cost nobody reports, and calls
in flight. Each test counts the calls the server received."""

from __future__ import annotations

from aiml3d_desktop.core.api.calls import Call, params_key
from aiml3d_desktop.core.library.store import Library
from tests.cli.test_cli import one_error_line, run
from tests.conftest import make_photo

MESHY = "meshy/meshy-6-image-to-3d"


def pictures(tmp_path, count: int) -> list:
    return [make_photo(tmp_path / f"p{n}.png") for n in range(count)]


def meshy(fake_api, *inputs, extra=()) -> object:
    args = ["generate", *inputs, "--model", MESHY, "-q", "--api-base", fake_api.base_url]
    return run(*args, *extra, key=fake_api.KEY)


def model_calls(fake_api) -> int:
    return sum(1 for r in fake_api.calls("api") if r.method == "POST")


def remember(model: str, count: int, **cost) -> None:
    """``count`` earlier made calls of ``model`` (at its default parameters) in the ledger."""
    lib = Library()
    at = "2026-11-01T00:00:00+00:00"
    key = params_key(model, {})
    lib.usage.add([Call(at, model, True, params=key, **cost)] * count)
    lib.close()


def test_a_credits_limit_never_lets_a_dollar_billed_model_through(fake_api, tmp_path, isolated):
    """3a: no Meshy history, five Meshy pictures, --max-credits 1 (the audit: five calls,
    US$5.20)."""
    fake_api.usage[MESHY] = {"usd_spent": 1.04}
    done = meshy(fake_api, *pictures(tmp_path, 5), extra=["--max-credits", "1"])
    assert done.returncode == 1
    line = one_error_line(done)
    assert "Meshy 6" in line and "nothing was sent" in line
    assert model_calls(fake_api) == 0
    remember(MESHY, 3, usd=1.04)  # its cost known now, in dollars: still not bounded
    again = meshy(fake_api, *pictures(tmp_path, 1), extra=["--max-credits", "1"])
    assert "give --max-usd" in one_error_line(again) and model_calls(fake_api) == 0


def test_a_dollar_limit_never_lets_a_credit_billed_model_through(fake_api, photo, isolated):
    done = run("generate", photo, "-q", "--max-usd", "5", "--api-base", fake_api.base_url,
               key=fake_api.KEY)  # fmt: skip
    assert done.returncode == 1 and "give --max-credits" in one_error_line(done)
    assert model_calls(fake_api) == 0


def test_a_drawing_of_unknown_cost_is_refused_under_a_limit(fake_api, isolated):
    """TripoSR has the docs' figure; the picture model that draws the prompt has none."""
    done = run("generate", "--prompt", "a lamp", "-q", "--max-credits", "10000000",
               "--api-base", fake_api.base_url, key=fake_api.KEY)  # fmt: skip
    line = one_error_line(done)
    assert "flux/schnell" in line and "not known yet" in line
    assert model_calls(fake_api) == 0


def test_a_server_that_reports_no_cost_is_refused_without_a_known_price(
    fake_api, tmp_path, isolated
):
    """3b: the server never says what a call cost, and nothing is known of Meshy's price
    (the audit: --max-usd 1 let five calls through)."""
    fake_api.usage[MESHY] = None
    done = meshy(fake_api, *pictures(tmp_path, 5), extra=["--max-usd", "1"])
    assert done.returncode == 1 and "not known yet" in one_error_line(done)
    assert model_calls(fake_api) == 0


def test_a_call_that_reports_no_cost_counts_the_last_known_price(fake_api, tmp_path, isolated):
    """3b at run time: the history says 10 cents (the estimate, US$0.50, passes); the first
    call reports 40 cents and the rest nothing. Each unreported call counts 40 cents, the
    last price known, so --max-usd 1 allows two calls (before: all five)."""
    remember(MESHY, 3, usd=0.1)
    fake_api.usage[MESHY] = [{"usd_spent": 0.4}, None]
    done = meshy(fake_api, *pictures(tmp_path, 5), extra=["--max-usd", "1", "--jobs", "1"])
    assert done.returncode == 1
    assert "US$1.00" in one_error_line(done)
    assert model_calls(fake_api) == 2
    assert "2 of 5 done, 3 not started" in done.stdout
    lib = Library()
    made = [c for c in lib.usage.calls() if c.model == MESHY and c.at > "2026-11-02"]
    lib.close()
    assert [c.usd for c in made] == [0.4, None]  # what was reported, kept as it was


def test_calls_in_flight_count_before_they_are_sent(fake_api, tmp_path, isolated):
    """3c: -j 2, no history, --max-usd 0.5, Meshy at US$1.04 a call (the audit: two calls at
    once, US$2.08)."""
    fake_api.usage[MESHY] = {"usd_spent": 1.04}
    done = meshy(fake_api, *pictures(tmp_path, 5), extra=["--max-usd", "0.5", "--jobs", "2"])
    assert done.returncode == 1 and "not known yet" in one_error_line(done)
    assert model_calls(fake_api) == 0  # never two; with no price known, not even one


def test_a_call_in_flight_holds_its_share_of_the_limit(fake_api, tmp_path, isolated):
    """3c at run time: a history of 10 cents a call lets three pictures start under
    --max-usd 0.5; each call really costs 30 cents and the second is slow. When the first
    is done, 30 cents are spent and the second call's 30 cents are in flight: the third
    would pass the limit, so it does not start (before: it did, three calls, US$0.90)."""
    remember(MESHY, 3, usd=0.1)
    fake_api.usage[MESHY] = {"usd_spent": 0.3}
    fake_api.slow_seconds = 4.0
    fake_api.queue("ok", "slow")
    done = meshy(fake_api, *pictures(tmp_path, 3), extra=["--max-usd", "0.5", "--jobs", "2"])
    assert model_calls(fake_api) == 2
    assert "2 of 3 done, 1 not started" in done.stdout
    assert "in flight" in one_error_line(done)


def test_a_negative_or_zero_cost_gives_a_limit_no_room(fake_api, tmp_path, isolated):
    """From the attacker's review: a server saying -5,000,000 credits, then 900,000 a call,
    under --max-credits 1,000,000, let five calls (3.6 M credits) through; and one earlier
    call said to cost 0 made the next four look free."""
    fake_api.usage["triposr"] = [{"credits_used": -5_000_000}] + [{"credits_used": 900_000}] * 4
    args = ["generate", *pictures(tmp_path, 5), "-j", "1", "-q", "--max-credits", "1000000"]
    done = run(*args, "--api-base", fake_api.base_url, key=fake_api.KEY)
    assert done.returncode == 1 and model_calls(fake_api) <= 2, done.stderr
    calls = Library().usage.calls()
    assert calls[0].credits is None  # no cost is negative
    remember("triposr", 1, credits=0.0)
    zero = run("generate", *pictures(tmp_path, 4), "-j", "4", "-q", "--max-credits", "1",
               "--api-base", fake_api.base_url, key=fake_api.KEY)  # fmt: skip
    assert zero.returncode == 1 and model_calls(fake_api) <= 2  # refused before any call

"""``aiml3d usage --since / --until`` with any date a person can type (issue 25, case 8):
the right answer, the whole range where a date is beyond what a clock can hold, or one
clear line; never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from aiml3d_desktop.core.spending import usage
from tests.cli.test_cli import one_error_line, run
from tests.conftest import aiml3d_command
from tests.core.test_usage import HISTORY, seed_library

ZONES = [None, ZoneInfo("UTC"), ZoneInfo("Pacific/Kiritimati"), ZoneInfo("America/Adak")]


@pytest.mark.parametrize("tz", ZONES, ids=["local", "utc", "utc+14", "utc-10"])
def test_the_first_and_last_days_a_date_can_be(tz):
    low, high = usage.day_bounds(date.min, date.max, tz)
    assert high is None  # the day after 31 December 9999: no end
    assert low < HISTORY[0].at  # before every call
    low, high = usage.day_bounds(date(1, 1, 2), date(9999, 12, 30), tz)
    assert low < HISTORY[0].at and high > HISTORY[-1].at


def calls_between(*args: str) -> int:
    done = run("usage", *args, "--json")
    assert done.returncode == 0, done.stderr
    total = json.loads(done.stdout)["total"]
    return total["calls"] if total else 0


def test_the_widest_dates_give_the_whole_ledger(isolated):
    seed_library(isolated)
    assert calls_between("--since", "0001-01-01") == len(HISTORY)
    assert calls_between("--until", "9999-12-31") == len(HISTORY)
    assert calls_between("--since", "0001-01-01", "--until", "9999-12-31") == len(HISTORY)
    assert calls_between("--until", "0001-01-01") == 0
    assert calls_between("--since", "9999-12-31") == 0
    assert "no calls in that time" in run("usage", "--since", "9999-12-31").stdout


@pytest.mark.parametrize("typed", ["2026-02-30", "yesterday", "", "10000-01-01", "0000-12-31"])
def test_a_date_that_is_none_is_one_line(isolated, typed):
    seed_library(isolated)
    for flag in ("--since", "--until"):
        done = run("usage", flag, typed)
        assert done.returncode == 1
        assert f"{flag} {typed!r} is not a date" in one_error_line(done)


def test_the_extremes_east_of_greenwich_as_a_real_process(isolated):
    """Where local midnight of 1 January of the year 1 is still in the year 0 in UTC."""
    seed_library(isolated)
    done = subprocess.run(
        aiml3d_command("usage", "--since", "0001-01-01", "--until", "9999-12-31", "--json"),
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": "Pacific/Kiritimati"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"]["calls"] == len(HISTORY)

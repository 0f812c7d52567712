"""The usage ledger: calls of known costs (made and failed) summed and grouped by the user's
local day and by model, failures by kind, estimates, and the ledger kept through damage."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from aiml3d_desktop import cli
from aiml3d_desktop.core.api.calls import Call, kind_of, params_key
from aiml3d_desktop.core.api.models import ModelParams
from aiml3d_desktop.core.common.errors import ApiError, BadResponseError, ConfigError, NetworkError
from aiml3d_desktop.core.generation import jobs
from aiml3d_desktop.core.library.store import Library
from aiml3d_desktop.core.spending import usage
from tests.cli.test_cli import run
from tests.conftest import generate_args

AUCKLAND = ZoneInfo("Pacific/Auckland")  # UTC+13 in December: late UTC is the next day there
TRIPOSR = params_key("triposr", {})


def call(at: str, model="triposr", ok=True, credits=None, usd=None, seconds=None, kind=""):
    return Call(at, model, ok, kind, credits, usd, seconds, params=TRIPOSR)


HISTORY = [
    call("2026-11-02T09:00:00+00:00", credits=182000, seconds=8.0),
    call("2026-11-02T20:30:00+00:00", credits=182000, seconds=12.0),  # 3 Nov in Auckland
    call("2026-11-03T10:00:00+00:00", "meshy/meshy-6-image-to-3d", usd=0.4, seconds=300.0),
    call("2026-11-03T11:00:00+00:00", ok=False, kind="rate limit", seconds=0.2),
    call("2026-11-05T23:59:00+00:00", ok=False, kind="credits"),
    call("2026-11-06T00:01:00+00:00", "flux/schnell", credits=6000, seconds=2.0),
]


@pytest.fixture
def ledger(tmp_path):
    ledger = usage.Ledger(tmp_path / "usage.sqlite")
    ledger.add(HISTORY)
    yield ledger
    ledger.close()


def test_sums_by_day_follow_the_users_time_zone(ledger):
    calls = ledger.calls()
    utc = {r.key: r for r in usage.summarise(calls, "day", timezone.utc)}
    assert list(utc) == ["2026-11-02", "2026-11-03", "2026-11-05", "2026-11-06"]
    assert utc["2026-11-02"].credits == 364000 and utc["2026-11-02"].made == 2
    assert utc["2026-11-03"].usd == pytest.approx(0.4) and utc["2026-11-03"].failed == 1
    there = {r.key: r for r in usage.summarise(calls, "day", AUCKLAND)}
    assert list(there) == ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-06"]
    assert there["2026-11-02"].credits == 182000 and there["2026-11-03"].credits == 182000
    assert there["2026-11-06"].failures == {"credits": 1} and there["2026-11-06"].credits == 6000


def test_sums_by_model_and_failures_by_kind(ledger):
    rows = {r.key: r.as_dict() for r in usage.summarise(ledger.calls(), "model")}
    assert rows["triposr"]["credits"] == 364000 and rows["triposr"]["failed"] == 2
    assert rows["triposr"]["median_seconds"] == 10.0
    assert rows["triposr"]["failures"] == {"rate limit": 1, "credits": 1}
    assert rows["meshy/meshy-6-image-to-3d"]["usd"] == pytest.approx(0.4)
    (total,) = usage.summarise(ledger.calls(), "all")
    assert total.calls == 6 and total.credits == 370000


def test_days_between_and_stacked_series(ledger):
    calls = ledger.calls()
    local = [c.local_day(timezone.utc) for c in calls]
    first, last = date(2026, 11, 2), date(2026, 11, 6)
    days, series = usage.per_day(calls, local, first, last, "credits")
    assert days[0] == first and days[-1] == last and len(days) == 5
    assert series["triposr"] == [364000, 0, 0, 0, 0] and series["flux/schnell"][-1] == 6000
    _, failures = usage.per_day(calls, local, first, last, "failures")
    assert failures == {"credits": [0, 0, 0, 1, 0], "rate limit": [0, 1, 0, 0, 0]}
    _, usd = usage.per_day(calls, local, date(2026, 11, 4), last, "usd")
    assert usd == {}  # Meshy's dollars were on the 3rd: outside the range


def test_a_day_that_starts_at_one_in_the_morning():
    santiago = ZoneInfo("America/Santiago")  # clocks go from 00:00 to 01:00 on 6 Sept 2026
    low, high = usage.day_bounds(date(2026, 9, 6), date(2026, 9, 6), santiago)
    assert datetime.fromisoformat(low).astimezone(santiago).hour == 1
    assert datetime.fromisoformat(high).astimezone(santiago).date() == date(2026, 9, 7)


def test_a_date_range_is_in_local_days(ledger):
    low, high = usage.day_bounds(date(2026, 11, 3), date(2026, 11, 3), AUCKLAND)
    assert low == "2026-11-02T11:00:00.000+00:00" and high == "2026-11-03T11:00:00.000+00:00"
    assert [c.at[:16] for c in ledger.calls(low, high)] == ["2026-11-02T20:30", "2026-11-03T10:00"]


def test_estimates_come_from_recent_calls_then_the_docs(ledger, tmp_path):
    triposr = ("triposr", ModelParams().spec.defaults(), None)
    cost = usage.estimate(ledger, [triposr] * 3)
    assert cost.credits == 3 * 182000 and cost.basis == "recent" and cost.samples == 2
    assert "546,000 credits" in cost.text and "from the last 2" in cost.text
    meshy = usage.estimate(ledger, [("meshy/meshy-6-image-to-3d", {"topology": "quad"}, None)])
    assert meshy.usd == pytest.approx(0.4) and meshy.credits is None  # same model, any params
    empty = usage.Ledger(tmp_path / "empty.sqlite")
    docs = usage.estimate(empty, [triposr, ("triposr", {}, "flux/schnell")])
    assert docs.credits == 2 * 182000 and docs.basis == "unknown"  # flux has no docs figure
    assert usage.estimate(empty, [triposr]).basis == "docs"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (ConfigError("No AIML API key is set"), "key"),
        (ApiError("x", status=401), "key"),
        (ApiError("x", status=403), "credits"),
        (ApiError("x", status=429), "rate limit"),
        (ApiError("x", status=502), "server"),
        (NetworkError("The AIML API did not answer within 180 seconds"), "timeout"),
        (NetworkError("Could not reach"), "network"),
        (BadResponseError("holds no mesh"), "bad answer"),
    ],
)
def test_failures_are_counted_by_kind(error, kind):
    assert kind_of(error) == kind


def test_the_library_records_made_and_failed_calls_without_the_key(
    fake_api, job_options, photo, tmp_path
):
    lib = Library(tmp_path / "lib")
    jobs.generate_to_library(lib, str(photo), ModelParams(), job_options)
    fake_api.queue("echo-key")  # a 401 that quotes the Authorization header back
    with pytest.raises(ApiError):
        jobs.generate_to_library(lib, str(photo), ModelParams(), job_options)
    made, failed = lib.usage.calls()
    assert made.ok and made.credits == 182000 and made.request_id and made.seconds is not None
    assert made.params == TRIPOSR
    assert not failed.ok and failed.kind == "key" and "[key]" in failed.message
    raw = b"".join(p.read_bytes() for p in (tmp_path / "lib").glob("usage.sqlite*"))
    assert fake_api.KEY.encode() not in raw
    # Deleting the model does not unspend it.
    lib.delete(lib.list()[0].id)
    assert len(Library(tmp_path / "lib").usage.calls()) == 2


def test_what_was_charged_is_counted_once_whatever_happens_after(
    fake_api, job_options, photo, tmp_path
):
    from aiml3d_desktop.core.common.errors import DownloadError, InputError
    from aiml3d_desktop.core.generation import parts

    lib = Library(tmp_path / "lib")
    fake_api.queue("cdn-404")  # made and charged, then the download fails
    with pytest.raises(DownloadError):
        jobs.generate_to_library(lib, str(photo), ModelParams(), job_options)
    with pytest.raises(InputError):  # a picture that cannot be read: nothing is sent
        jobs.generate_to_library(lib, str(tmp_path / "none.png"), ModelParams(), job_options)
    entry, _ = jobs.generate_to_library(lib, str(photo), ModelParams(), job_options)
    drawing = jobs.draw("a lamp", replace(job_options, record=lib.record))
    for _ in range(2):  # one drawing, two models made from it
        jobs.generate_to_library(lib, str(photo), ModelParams(), job_options, prompt=drawing)
    for _ in range(2):  # the same entry split twice
        parts.split(entry.id, lib, job_options)
    by_model = {r.key: r for r in usage.summarise(lib.usage.calls(), "model")}
    assert by_model["triposr"].calls == 4 and by_model["triposr"].credits == 4 * 182000
    assert by_model["flux/schnell"].calls == 1 and by_model["flux/schnell"].credits == 6000
    assert by_model["tencent/hunyuan-part"].credits == 2 * 50000
    assert len(fake_api.calls("api")) == 7  # every call the server saw, and no other
    # Made anew from the entries (the two made from one drawing name it once).
    lib.close()
    (tmp_path / "lib" / "usage.sqlite").unlink()
    again = {r.key: r for r in usage.summarise(Library(tmp_path / "lib").usage.calls(), "model")}
    assert again["flux/schnell"].calls == 1 and again["tencent/hunyuan-part"].calls == 2
    assert again["triposr"].calls == 3  # the one lost in the download never became an entry


def test_a_hostile_or_busy_ledger_never_costs_a_model(fake_api, job_options, photo, tmp_path):
    import sqlite3

    lib = Library(tmp_path / "lib")
    lib.record(call("2026-11-01T00:00:00+00:00", credits=1e300), call("not a date"))
    db = sqlite3.connect(tmp_path / "lib" / "usage.sqlite")
    insert = "INSERT INTO calls (at, model, ok, kind, credits, usd, seconds, params, message)"
    for at in ("garbage", "2026-11-02T00:00:00"):  # written wrongly by another program
        db.execute(insert + " VALUES (?, 'x', 1, '', 'lots', NULL, 'long', '', '')", (at,))
    db.commit()
    calls = lib.usage.calls()
    assert [(c.at[:10], c.credits, c.seconds) for c in calls] == [
        ("2026-11-01", None, None), ("2026-11-02", None, None),
    ]  # fmt: skip
    assert usage.summarise(calls, "all")[0].credits == 0
    lib.close()
    # Locked by another process: left alone, and this process carries on without it.
    db.execute("BEGIN EXCLUSIVE")
    busy = Library(tmp_path / "lib")
    busy.ledger_wait = 0.2
    entry, _ = jobs.generate_to_library(busy, str(photo), ModelParams(), job_options)
    assert entry.mesh_path.is_file()
    assert not (tmp_path / "lib" / "usage.sqlite.damaged").exists()
    db.rollback()
    db.execute("PRAGMA user_version=9")  # a newer app's ledger: not touched
    db.commit()
    newer = Library(tmp_path / "lib")
    assert newer.usage is None and any("newer version" in w for w in newer.warnings)
    db.execute("PRAGMA user_version=2")
    db.commit()
    # The call made while the ledger was locked was kept in the journal, merged now.
    assert [c.model for c in Library(tmp_path / "lib").usage.calls()][2:] == ["triposr"]
    assert not list((tmp_path / "lib").glob("usage.journal*"))


HOLD_THE_LEDGER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("holding", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""


@contextlib.contextmanager
def holding_the_ledger(root):
    """Another process holding ``root``'s ledger (BEGIN EXCLUSIVE) for the block."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LEDGER, str(root / "usage.sqlite")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "holding"
        yield
    finally:
        holder.communicate("go\n", timeout=30)


def test_a_call_made_while_another_process_holds_the_ledger_is_kept_and_merged(
    fake_api, photo, isolated, capsys, monkeypatch
):
    """Waited for (a bounded time), then kept in a journal, said on the console, and
    added to the ledger the next time it opens: a paid call is never lost to a lock."""
    root = isolated / "library"
    monkeypatch.setenv("AIML3D_LIBRARY", str(root))
    monkeypatch.setenv("AIMLAPI_KEY", fake_api.KEY)
    Library(root).usage.close()  # the ledger exists, with nothing in it
    monkeypatch.setattr(Library, "ledger_wait", 0.3)
    with holding_the_ledger(root):
        assert cli.main(generate_args(fake_api, photo)) == 0
        err = capsys.readouterr().err
        assert f"kept in {root / 'usage.journal'}" in err and "triposr 182,000 credits" in err
        assert (root / "usage.journal").is_file()
    # A second lock-free call merges the journal too, each call once.
    assert cli.main(generate_args(fake_api, photo)) == 0
    calls = Library(root).usage.calls()
    assert [(c.model, c.credits) for c in calls] == [("triposr", 182_000.0)] * 2
    assert not list(root.glob("usage.journal*"))


def test_a_bad_date_in_an_entry_is_left_out_of_the_fill(fake_api, job_options, photo, tmp_path):
    lib = Library(tmp_path / "lib")
    entry, _ = jobs.generate_to_library(lib, str(photo), ModelParams(), job_options)
    raw = json.loads((entry.folder / "entry.json").read_text())
    raw.update(created="2026-13-45T99:00:00", credits=1e308)
    (entry.folder / "entry.json").write_text(json.dumps(raw))
    lib.close()
    (tmp_path / "lib" / "usage.sqlite").unlink()
    fresh = Library(tmp_path / "lib")
    assert fresh.usage is not None and fresh.usage.calls() == []


def test_a_new_ledger_is_filled_from_the_entries_and_a_damaged_one_is_set_aside(
    fake_api, job_options, photo, tmp_path
):
    lib = Library(tmp_path / "lib")
    jobs.generate_to_library(lib, str(photo), ModelParams(), job_options)
    lib.close()
    path = tmp_path / "lib" / "usage.sqlite"
    path.unlink()
    lib = Library(tmp_path / "lib")
    (kept,) = lib.usage.calls()
    assert kept.credits == 182000 and kept.model == "triposr"
    lib.close()
    path.write_bytes(b"not a database at all" * 100)
    for extra in ("-wal", "-shm"):
        (tmp_path / "lib" / f"usage.sqlite{extra}").unlink(missing_ok=True)
    lib = Library(tmp_path / "lib")
    assert len(lib.usage.calls()) == 1
    assert any("usage ledger was damaged" in w for w in lib.warnings)
    assert (tmp_path / "lib" / "usage.sqlite.damaged").exists()


def test_ten_thousand_calls_are_summed_at_once(tmp_path):
    ledger = usage.Ledger(tmp_path / "big.sqlite")
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    ledger.add(
        call((start + timedelta(hours=n)).isoformat(), credits=1000, seconds=5.0)
        for n in range(10_000)
    )
    calls = ledger.calls()
    rows = usage.summarise(calls, "day", timezone.utc)
    assert sum(r.credits for r in rows) == 10_000_000 and len(rows) == 417


# ---- the command line -------------------------------------------------------------------


def seed_library(isolated):
    lib = Library()
    lib.usage.add(HISTORY)
    lib.close()


def test_usage_command_by_day_and_model(isolated):
    seed_library(isolated)
    text = run("usage", "--by", "model")
    assert text.returncode == 0
    assert "triposr" in text.stdout and "364,000" in text.stdout
    assert "failed: credits 1, rate limit 1" in text.stdout
    data = json.loads(run("usage", "--since", "2026-11-03", "--json").stdout)
    assert data["total"]["credits"] >= 6000
    assert all(row["key"] >= "2026-11-03" for row in data["rows"])
    bad = run("usage", "--since", "yesterday")
    assert bad.returncode == 1 and "is not a date" in bad.stderr


def test_dry_run_sends_nothing(fake_api, photo, isolated):
    done = run(
        "generate", photo, "--prompt", "a lamp", "--dry-run", "--api-base", fake_api.base_url,
        key=fake_api.KEY,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "estimate: 2 items" in done.stdout and "dry run: nothing was sent" in done.stdout
    bodies = [json.loads(line.split(" ", 2)[2]) for line in done.stdout.splitlines()
              if line.startswith("POST ")]  # fmt: skip
    assert bodies[0]["model"] == "triposr" and bodies[0]["mc_resolution"] == 256
    assert fake_api.records == []  # not one request, to the API or the CDN


def test_max_credits_refuses_then_stops_the_batch(fake_api, photo, isolated):
    three = [photo, photo, photo]
    refused = run("generate", *three, "--max-credits", "400000", "-q", "--api-base",
                  fake_api.base_url, key=fake_api.KEY)  # fmt: skip
    assert refused.returncode == 1 and "nothing was sent" in refused.stderr
    assert fake_api.records == []
    lib = Library()  # a cheap history: the estimate is low, what is reported is not
    lib.usage.add([call("2026-11-01T00:00:00+00:00", credits=1000)] * 3)
    lib.close()
    done = run("generate", *three, "--max-credits", "300000", "-q", "--jobs", "1",
               "--api-base", fake_api.base_url, key=fake_api.KEY)  # fmt: skip
    assert done.returncode == 1
    # The first call reported 182,000: a second would pass the limit, so it never starts.
    assert "the next item (about 182,000 credits) would pass the limit" in done.stderr
    assert "1 of 3 done, 2 not started" in done.stdout
    assert len(fake_api.calls("api")) == 1


def test_dollar_billed_models_need_a_dollar_limit(fake_api, photo, isolated):
    meshy = ["--model", "meshy/meshy-6-image-to-3d", "--api-base", fake_api.base_url]
    lib = Library()  # Meshy's last calls cost 40 cents each
    lib.usage.add([call("2026-11-01T00:00:00+00:00", "meshy/meshy-6-image-to-3d", usd=0.4)])
    lib.close()
    credits_only = run("generate", photo, *meshy, "--max-credits", "1", key=fake_api.KEY)
    assert credits_only.returncode == 1 and "give --max-usd" in credits_only.stderr
    above = run("generate", photo, photo, *meshy, "--max-usd", "0.5", key=fake_api.KEY)
    assert "above the limit of US$0.50" in above.stderr and fake_api.records == []
    within = run("generate", photo, *meshy, "--max-usd", "1", "-q", key=fake_api.KEY)
    assert within.returncode == 0, within.stderr


def test_dry_run_shows_the_drawing_request_and_the_limit(fake_api, isolated):
    done = run("generate", "--prompt", "a lamp", "--dry-run", "--max-credits", "1000",
               "--api-base", fake_api.base_url, key=fake_api.KEY)  # fmt: skip
    assert done.returncode == 0
    first = next(line for line in done.stdout.splitlines() if line.startswith("POST "))
    drawn = json.loads(first.split(" ", 2)[2])
    assert drawn["model"] == "flux/schnell" and drawn["prompt"].startswith("a lamp, a single")
    assert "the limit would refuse this run" in done.stdout and fake_api.records == []


def test_a_journal_that_is_a_pipe_or_a_link_is_never_read(tmp_path, capsys, monkeypatch):
    """From the attacker's review: a FIFO named usage.journal hung `usage` and `generate`;
    a linked one brought an outside file's lines (a 10^15-credit call) into the ledger."""
    import os

    root = tmp_path / "lib"
    Library(root).usage.close()
    outside = tmp_path / "outside.jsonl"
    usage.journal(tmp_path, [call("2026-11-01T00:00:00+00:00", credits=1e15)])
    (tmp_path / "usage.journal").rename(outside)
    (root / "usage.journal").symlink_to(outside)
    os.mkfifo(root / "usage.journal.0000")
    monkeypatch.setenv("AIML3D_LIBRARY", str(root))
    assert cli.main(["usage"]) == 0  # at once: no pipe is opened
    assert "no calls" in capsys.readouterr().out
    assert Library(root).usage.calls() == []


def test_a_date_at_the_end_of_time_is_left_out_not_a_crash(tmp_path):
    """An entry made "9999-12-31T23:30:00+00:00" crashed `usage` east of UTC."""
    lib = Library(tmp_path / "lib")
    lib.usage.add([call("9999-12-31T23:30:00+00:00", credits=5), call("0001-01-01T00:10:00+00:00"),
                   call("2026-11-01T00:00:00+00:00", credits=1)])  # fmt: skip
    calls = lib.usage.calls()
    assert [c.credits for c in calls] == [1]
    assert usage.summarise(calls, "day", AUCKLAND)[0].credits == 1


def test_the_usage_command_says_when_the_ledger_cannot_be_read(tmp_path, capsys, monkeypatch):
    root = tmp_path / "lib"
    lib = Library(root)
    lib.usage.add([call("2026-11-01T00:00:00+00:00", credits=7)])
    lib.close()
    monkeypatch.setenv("AIML3D_LIBRARY", str(root))
    # Another process writing: still read (no write lock is needed to read it).
    with holding_the_ledger(root):
        assert cli.main(["usage", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["total"]["credits"] == 7
    db = sqlite3.connect(root / "usage.sqlite")
    db.execute("PRAGMA user_version=9")  # a newer app's: left alone, and said
    db.close()
    assert cli.main(["usage"]) == 1
    assert "cannot be read now" in capsys.readouterr().err


def test_a_call_the_full_library_disk_cannot_keep_waits_in_the_app_folder(
    tmp_path, isolated, monkeypatch
):
    """The ledger and its journal share the library's disk: when that is full, the call
    waits in the app's data folder and is merged when the library has room again."""
    root = tmp_path / "lib"
    lib = Library(root)
    ledger = lib.usage
    real_journal = usage.journal

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    def journal(folder, calls):
        if folder == root:
            raise OSError(28, "No space left on device")
        return real_journal(folder, calls)

    monkeypatch.setattr(ledger, "add", full)
    monkeypatch.setattr("aiml3d_desktop.core.library.store.journal", journal)
    said = lib.record(call("2026-11-01T00:00:00+00:00", credits=182_000))
    assert "database or disk is full" in said and str(isolated) in said
    lib.close()
    monkeypatch.setattr("aiml3d_desktop.core.library.store.journal", real_journal)
    assert [c.credits for c in Library(root).usage.calls()] == [182_000]
    assert not list(isolated.rglob("usage.journal*"))

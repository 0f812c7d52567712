"""Issue 18's figure: the usage view on a ledger of 10,000 calls (the issue asks for
"instant"). What runs on a worker (reading the ledger, each call's local day) and what runs
on the GUI thread (filtering and drawing the four plots, the summary) are timed apart; the
GUI thread's share is what must stay within a frame or two.

    xvfb-run -a python benchmarks/bench_usage.py [--runs N] [--calls N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import stats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=10_000)
    args = parser.parse_args()

    from aiml3d_desktop.core.api.calls import Call
    from aiml3d_desktop.core.spending import usage
    from aiml3d_desktop.gui.qt_setup import create_app
    from aiml3d_desktop.gui.widgets.usage_window import UsageWindow

    app = create_app()
    folder = Path(tempfile.mkdtemp(prefix="bench-usage-"))
    ledger = usage.Ledger(folder / "usage.sqlite")
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    models = ("triposr", "flux/schnell", "meshy/meshy-6-image-to-3d", "tencent/hunyuan-part")
    ledger.add(
        Call(
            (start + timedelta(minutes=50 * n)).isoformat(),
            models[n % 4],
            n % 13 != 0,
            kind="" if n % 13 else "rate limit",
            credits=182000.0 if n % 4 != 2 else None,
            usd=0.4 if n % 4 == 2 else None,
            seconds=5.0 + n % 17,
        )
        for n in range(args.calls)
    )
    view = UsageWindow()
    view.resize(1100, 760)
    view.show()
    read, days, draw, month = [], [], [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        calls = ledger.calls()
        t1 = time.perf_counter()
        local = [c.local_day() for c in calls]
        t2 = time.perf_counter()
        view.set_calls(calls, local)  # the GUI thread: filter, draw all of it
        app.processEvents()
        t3 = time.perf_counter()
        view.period.setCurrentIndex(2)  # the last 30 days
        app.processEvents()
        t4 = time.perf_counter()
        view.period.setCurrentIndex(0)
        app.processEvents()
        read.append(t1 - t0)
        days.append(t2 - t1)
        draw.append(t3 - t2)
        month.append(t4 - t3)
    print(f"{args.calls:,} calls over {(local[-1] - local[0]).days} days, {args.runs} runs")
    for label, times in (
        ("worker: read the ledger", read),
        ("worker: local days", days),
        ("GUI thread: filter + draw all", draw),
        ("GUI thread: filter + draw 30 days", month),
    ):
        print(f"  {label:<34} {stats(times)}")


if __name__ == "__main__":
    main()

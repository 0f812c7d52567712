"""Issue 30's figures: a scene from one sentence, as a user meets it with
``aiml3d scene compose SENTENCE -o scene.glb``, against the fake API on 127.0.0.1 answering
with realistic delays (the planner, each picture, each TripoSR model). Printed beside the
floor the delays alone set (the planner, then the objects two at a time, each a picture and
then a model): what is left is the app's own share (start-up, downloads, loading, fitting,
placing, saving the scene after every model, writing the GLB).

    python benchmarks/bench_compose.py [--runs N] [--plan S] [--picture S] [--model S]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import numpy as np

from benchmarks.common import stats
from tests.conftest import aiml3d_command
from tests.core.test_scene_plan import DESK
from tests.fake_api import FakeAimlApi

SENTENCE = "A writing desk against the wall with a brass lamp, a mug and a chair in front of it"


def run_once(fake: FakeAimlApi, home: Path, out: Path, jobs: int) -> tuple[float, float, str]:
    """(seconds to the plan shown, seconds to the scene written, the last stderr line)."""
    env = {
        **os.environ, "AIML3D_HOME": str(home), "AIMLAPI_KEY": fake.KEY,
        "AIML_API_BASE": fake.base_url,
    }  # fmt: skip
    fake.plans.append(DESK)
    args = aiml3d_command("scene", "compose", SENTENCE, "-o", str(out), "--jobs", str(jobs))
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)  # fmt: skip
    planned = None
    assert proc.stderr is not None
    last = ""
    for line in proc.stderr:
        if planned is None and "Making them:" in line:  # the plan is shown
            planned = time.perf_counter() - started
        last = line.strip() or last
    proc.wait(timeout=600)
    whole = time.perf_counter() - started
    if proc.returncode != 0 or planned is None:
        raise SystemExit(f"compose failed ({proc.returncode}): {last}")
    return planned, whole, last


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--plan", type=float, default=6.0, help="the planner's answer, s")
    parser.add_argument("--picture", type=float, default=3.0, help="each picture, s")
    parser.add_argument("--model", type=float, default=12.0, help="each TripoSR model, s")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    fake = FakeAimlApi()
    fake.chat_seconds = args.plan
    fake.model_seconds = {"flux/schnell": args.picture, "triposr": args.model}
    objects = len(DESK["objects"])
    floor_plan = args.plan
    floor_whole = args.plan + math.ceil(objects / args.jobs) * (args.picture + args.model)
    plans, wholes = [], []
    try:
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="bench-compose-") as folder:
                planned, whole, last = run_once(fake, Path(folder) / "home",
                                                Path(folder) / "scene.glb", args.jobs)  # fmt: skip
            plans.append(planned)
            wholes.append(whole)
    finally:
        fake.close()
    p, w = float(np.median(plans)), float(np.median(wholes))
    print(json.dumps({"objects": objects, "jobs": args.jobs, "delays_s": {
        "plan": args.plan, "picture": args.picture, "model": args.model}}))  # fmt: skip
    print(
        f"time to the plan shown:   median {p:.2f} s  (the planner alone: "
        f"{floor_plan:.2f} s; the app's share {p - floor_plan:+.2f} s)  {stats(plans)}"
    )
    print(
        f"time to the whole scene:  median {w:.2f} s  (the delays alone: "
        f"{floor_whole:.2f} s; the app's share {w - floor_whole:+.2f} s)  {stats(wholes)}"
    )
    print(f"last line: {last}")


if __name__ == "__main__":
    main()

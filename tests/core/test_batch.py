"""The batch queue, Qt-free: its file, parallel runs against the fake API into a real library,
a failing item, a process killed in the middle and resumed, and the shared rate-limit wait."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from aiml3d_desktop.core.api.params import TriposrParams
from aiml3d_desktop.core.common.cancel import CancelToken
from aiml3d_desktop.core.generation import batch, jobs
from aiml3d_desktop.core.generation.batch import DONE, FAILED, RUNNING, WAITING, BatchQueue
from aiml3d_desktop.core.library.store import Library
from aiml3d_desktop.core.net.policy import RateGate
from tests.conftest import ROOT, make_photo, wait_for

QUEUED = {"params": TriposrParams().as_dict(), "backend": "aiml", "prepare": True}


def pictures(folder, n):
    folder.mkdir(parents=True, exist_ok=True)
    return [str(make_photo(folder / f"photo-{i}.png")) for i in range(n)]


def into_library(library, options):
    def execute(item, cancel):
        entry, result = jobs.generate_item(item, library, None, options, cancel=cancel)
        return entry.id, entry.title

    return execute


def test_queue_file_keeps_items_and_requeues_the_running_ones(tmp_path):
    path = tmp_path / "queue.json"
    queue = BatchQueue(path)
    a, b, c = queue.add(["a.png", "b.png", "c.png"], **QUEUED)
    assert queue.take().id == a.id
    queue.finish(a.id, DONE, "made", "entry-a")
    assert queue.take().id == b.id  # running when the app stops

    again = BatchQueue(path)
    assert [(i.source, i.status) for i in again.items()] == [
        ("a.png", DONE),
        ("b.png", WAITING),
        ("c.png", WAITING),
    ]
    assert again.get(b.id).message.startswith("interrupted")
    assert again.get(a.id).entry_id == "entry-a" and again.get(b.id).attempts == 1
    again.remove([c.id])
    again.clear_finished()
    assert [i.source for i in BatchQueue(path).items()] == ["b.png"]


def test_damaged_queue_file_starts_empty_and_is_kept_aside(tmp_path):
    path = tmp_path / "queue.json"
    path.write_text('{"items": [{"source": 3')
    queue = BatchQueue(path)
    assert queue.items() == [] and "could not be read" in queue.warnings[0]
    assert (tmp_path / "queue.json.damaged").exists()


def test_retry_and_cancel_only_move_items_that_may_move(tmp_path):
    queue = BatchQueue()
    a, b = queue.add(["a.png", "b.png"], **QUEUED)
    queue.take()
    assert not queue.cancel_waiting(a.id)  # running: the GUI cancels its worker instead
    assert queue.cancel_waiting(b.id)
    queue.remove([a.id])  # a running item is not dropped
    assert [i.id for i in queue.items()] == [a.id, b.id]
    queue.finish(a.id, FAILED, "no")
    queue.requeue(a.id)
    assert queue.get(a.id).status == WAITING


def test_pictures_in_folders(tmp_path):
    folder = tmp_path / "shoot"
    (folder / "sub").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    for name in ("b.png", "a.JPG", "notes.txt", "sub/c.webp", ".hidden/d.png"):
        (folder / name).write_bytes(b"x")
    found = batch.pictures_in([folder, tmp_path / "single.jpeg", tmp_path / "x.obj"])
    assert [os.path.relpath(p, tmp_path) for p in found] == [
        "shoot/a.JPG",
        "shoot/b.png",
        "shoot/sub/c.webp",
        "single.jpeg",
    ]


def test_parallel_run_into_the_library_with_one_failing_item(fake_api, job_options, tmp_path):
    sources = pictures(tmp_path / "in", 4)
    broken = tmp_path / "in" / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really a picture")
    sources.insert(2, str(broken))
    library = Library(tmp_path / "lib")
    queue = BatchQueue(tmp_path / "lib" / "queue.json")
    queue.add(sources, **QUEUED)
    seen = []
    batch.run(
        queue,
        into_library(library, job_options),
        jobs=2,
        on_change=lambda item: seen.append((item.source, item.status)),
    )

    statuses = {i.source: i for i in queue.items()}
    assert statuses[str(broken)].status == FAILED
    assert "broken.png" in statuses[str(broken)].message  # says which picture, and why
    assert [i.status for i in queue.items()].count(DONE) == 4
    entries = library.list()
    assert sorted(e.id for e in entries) == sorted(
        i.entry_id for i in queue.items() if i.status == DONE
    )
    assert (str(broken), RUNNING) in seen and (str(broken), FAILED) in seen
    assert len(fake_api.calls("api")) == 4  # the broken picture never cost a request

    # The picture fixed, a retry makes it.
    make_photo(broken)
    queue.requeue(next(i.id for i in queue.items() if i.status == FAILED))
    batch.run(queue, into_library(library, job_options), jobs=2)
    assert queue.count(DONE) == 5 and len(library.list()) == 5


def test_parallel_jobs_share_the_rate_limit_wait(fake_api, job_options, tmp_path):
    """One job is told 429 (Retry-After: 1): no job sends anything until that second is over."""
    queue = BatchQueue()
    queue.add(pictures(tmp_path / "in", 5), **QUEUED)
    fake_api.queue("ok", "429-wait")
    options = replace(job_options, retry=replace(job_options.retry, gate=RateGate()))
    batch.run(queue, into_library(Library(tmp_path / "lib"), options), jobs=2)

    assert queue.count(DONE) == 5
    posts = [c for c in fake_api.calls("api") if c.method == "POST"]
    told = posts[1].at  # the request answered 429
    later = [c.at - told for c in posts[2:]]
    assert len(later) == 4  # three more pictures, and the retry
    assert min(later) >= 0.95, later  # without the shared wait, the other job sent at once


KILLED_RUNNER = """
import sys
import pytest

from aiml3d_desktop.core.generation import batch

from aiml3d_desktop.core.generation import jobs
from aiml3d_desktop.core.library.store import Library
from aiml3d_desktop.core.net.policy import RetryPolicy
root, base, key = sys.argv[1:4]
library = Library(root)
queue = batch.BatchQueue(library.root / batch.QUEUE_FILE)
options = jobs.JobOptions(api_key=key, base_url=base, retry=RetryPolicy(attempts=0))
def execute(item, cancel):
    entry, _ = jobs.generate_item(item, library, None, options, cancel=cancel)
    return entry.id, entry.title
batch.run(queue, execute, jobs=2)
"""


def test_restart_in_the_middle_resumes_without_duplicates(fake_api, job_options, tmp_path):
    """A process runs the queue and is killed with two items mid-request; the next run
    finishes the rest, and the library holds each picture once."""
    root = tmp_path / "lib"
    sources = pictures(tmp_path / "in", 4)
    BatchQueue(root / batch.QUEUE_FILE).add(sources, **QUEUED)
    fake_api.slow_seconds = 30
    fake_api.queue("ok", "slow", "slow", "slow")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUNNER, str(root), fake_api.base_url, fake_api.KEY], env=env
    )
    try:

        def going() -> bool:
            statuses = [
                i["status"] for i in json.loads((root / batch.QUEUE_FILE).read_text())["items"]
            ]
            return statuses.count(RUNNING) == 2 and statuses.count(DONE) == 1

        wait_for(going, timeout=60, what="two running items after one done")
        # Both running items are inside their requests (the first item's, and two slow ones).
        wait_for(lambda: len(fake_api.calls("api")) >= 3, what="the slow requests")
    finally:
        proc.kill()  # SIGKILL; TerminateProcess on Windows
        proc.wait()

    queue = BatchQueue(root / batch.QUEUE_FILE)
    assert sorted(i.status for i in queue.items()) == [DONE, WAITING, WAITING, WAITING]
    library = Library(root)
    assert [e.id for e in library.list()] == [i.entry_id for i in queue.items() if i.entry_id]
    assert list(library.staging_dir.iterdir()) == []  # the killed drafts were cleared

    fake_api.faults.clear()
    batch.run(queue, into_library(library, job_options), jobs=2)
    assert queue.count(DONE) == 4
    entries = library.list()
    assert len(entries) == 4
    assert sorted(e.source for e in entries) == sorted(sources)  # each picture exactly once


def test_cancel_stops_the_run_and_marks_running_items(fake_api, job_options, tmp_path):
    queue = BatchQueue()
    queue.add(pictures(tmp_path / "in", 3), **QUEUED)
    fake_api.slow_seconds = 30
    fake_api.queue("slow", "slow")
    cancel = CancelToken()

    def execute(item, token):
        if queue.count(RUNNING) == 2:  # the first item is inside its 30 s request: cancel
            wait_for(lambda: len(fake_api.calls("api")) >= 1, what="the first request")
            cancel.cancel()
        return into_library(Library(tmp_path / "lib"), job_options)(item, token)

    started = time.monotonic()
    batch.run(queue, execute, jobs=2, cancel=cancel)
    assert time.monotonic() - started < 5  # the 30 s requests were cut short
    assert [i.status for i in queue.items()] == ["cancelled", "cancelled", WAITING]
    assert Library(tmp_path / "lib").list() == []


def test_a_key_or_credit_error_stops_the_queue_instead_of_failing_every_item():
    from aiml3d_desktop.core.common.errors import ApiError

    queue = BatchQueue()
    queue.add(["a.png", "b.png", "c.png"])
    tried = []

    def execute(item, cancel):
        tried.append(item.source)
        raise ApiError("The AIML API refused the request (HTTP 403)", status=403)

    stopped = batch.run(queue, execute, jobs=1)
    assert stopped is not None and stopped.status == 403
    assert tried == ["a.png"]  # nothing more was sent once the account said no
    assert [i.status for i in queue.items()] == [WAITING] * 3  # all still to make


@pytest.mark.skipif(
    not hasattr(signal, "pthread_kill"), reason="POSIX: Windows gives Ctrl-C to the main thread"
)
def test_ctrl_c_that_reaches_a_lane_thread_still_stops_the_batch_at_once():
    """The kernel may hand SIGINT to any thread; Python acts on it only when the main thread
    runs. A main thread blocked on the lanes would let the running item finish (and be paid
    for, and copied out) before Ctrl-C took effect."""
    import threading

    queue = BatchQueue()
    queue.add(["a.png", "b.png"])
    inside = threading.Event()

    def execute(item, cancel):
        inside.set()
        cancel.wait(30)  # a long request; cancelling cuts it short
        return None, "made"

    def interrupt_a_lane():
        inside.wait(5)
        lane = next(t for t in threading.enumerate() if t.name.startswith("batch"))
        signal.pthread_kill(lane.ident, signal.SIGINT)

    # Ctrl-C as a terminal delivers it, even if this run started with SIGINT ignored (as a
    # shell's background job does).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    threading.Thread(target=interrupt_a_lane).start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            batch.run(queue, execute, jobs=1)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - started < 3
    assert [i.status for i in queue.items()] == ["cancelled", WAITING]


def test_a_fault_of_the_queue_itself_stops_every_lane():
    """Not an item's failure (those are the item's own) but the runner's: nothing more is
    started, and so nothing more is paid for, before it is raised."""
    queue = BatchQueue()
    queue.add([f"{n}.png" for n in range(6)])
    made = []

    def execute(item, cancel):
        made.append(item.source)
        return None, "made"

    def on_change(item):
        if item.source == "0.png" and item.status == RUNNING:
            raise RuntimeError("the queue's own bug")

    with pytest.raises(RuntimeError, match="own bug"):
        batch.run(queue, execute, jobs=2, on_change=on_change)
    assert len(made) <= 1  # at most what the other lane had already started

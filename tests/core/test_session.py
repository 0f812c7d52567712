"""The session (core/session.py), held without a window: what is on screen and who hears of
it, the key looked up once, one set of job options, and the one spending policy the window
and the command line both apply."""

from __future__ import annotations

import threading

import pytest

from aiml3d_desktop.core import session as session_mod
from aiml3d_desktop.core.api import keys
from aiml3d_desktop.core.api.calls import Call, now, params_key
from aiml3d_desktop.core.generation import batch
from aiml3d_desktop.core.generation.preview import Preview
from aiml3d_desktop.core.net.policy import RetryPolicy
from aiml3d_desktop.core.session import Session
from aiml3d_desktop.core.settings import Settings
from aiml3d_desktop.core.spending import budget

MESHY = "meshy/meshy-6-image-to-3d"


def preview(source: str) -> Preview:
    import numpy as np

    return Preview(source, np.zeros((2, 2, 4), np.uint8), (2, 2), is_url=False)


@pytest.fixture
def session(library) -> Session:
    held = Session(Settings())
    held.open_library(library)
    return held


def test_listeners_hear_what_changed_in_order():
    held, heard = Session(Settings()), []
    for event in session_mod.EVENTS:
        held.listen(event, lambda *args, e=event: heard.append((e, args)))
    front, left = preview("front.png"), preview("left.png")
    held.set_picture(front, "cup")
    held.set_view("left", left)
    held.set_view("front", front)  # the front slot is the picture, not a view to send
    held.show(None)
    held.kept(entry := object())  # any entry will do here
    assert [e for e, _ in heard] == ["picture", "views", "views", "document", "entry"]
    assert held.entry is entry and heard[-1] == ("entry", (entry,))
    assert heard[0][1] == (front, "cup") and heard[1][1] == ({"left": left},)
    assert held.view_sources() == {"left": "left.png"}
    held.set_view("left", None)
    assert held.view_sources() == {} and heard[-1] == ("views", ({"front": front},))
    with pytest.raises(ValueError, match="no such session event"):
        held.listen("nothing", print)


def test_the_keychain_is_asked_once_from_any_thread(monkeypatch):
    monkeypatch.delenv(keys.ENV_VAR, raising=False)
    asked = []

    def keychain() -> str:
        asked.append(threading.current_thread().name)
        return "sk-from-the-keychain"

    monkeypatch.setattr(keys, "stored_key", keychain)
    held = Session(Settings())
    assert not held.key_known  # the window then looks it up on a worker
    worker = threading.Thread(target=held.read_key, name="worker")
    worker.start()
    worker.join()
    assert held.key_known and held.read_key() == "sk-from-the-keychain"
    assert held.job_options().api_key == "sk-from-the-keychain"
    assert asked == ["worker"]  # the later answers came from memory
    held.key_saved("sk-typed-in-settings")
    assert held.read_key() == "sk-typed-in-settings" and asked == ["worker"]
    monkeypatch.setenv(keys.ENV_VAR, "sk-environment")  # the environment still wins
    assert held.read_key() == "sk-environment"


def test_a_key_saved_while_the_keychain_is_read_is_not_lost(monkeypatch):
    """The lookup holds no lock while the keychain answers (it may wait on the user), and
    a key Settings saves meanwhile is the one kept."""
    monkeypatch.delenv(keys.ENV_VAR, raising=False)
    asked, answer = threading.Event(), threading.Event()

    def slow_keychain() -> str:
        asked.set()
        answer.wait(5)
        return "sk-old"

    monkeypatch.setattr(keys, "stored_key", slow_keychain)
    held = Session(Settings())
    worker = threading.Thread(target=held.read_key)
    worker.start()
    assert asked.wait(5)
    held.key_saved("sk-new")  # not blocked by the lookup in progress
    answer.set()
    worker.join()
    assert held.read_key() == "sk-new"


def test_every_job_shares_one_retry_policy_and_the_offline_one_gets_no_key(monkeypatch):
    monkeypatch.setenv(keys.ENV_VAR, "sk-test")
    retry = RetryPolicy(attempts=2)
    held = Session(Settings(max_side=768), retry)
    online, offline = held.job_options(), held.job_options("local")
    assert online.retry is retry and offline.retry is retry  # one rate-limit wait for all
    assert online.api_key == "sk-test" and offline.api_key is None
    assert online.max_side == 768 and held.job_options(max_side=512).max_side == 512


def item(model="triposr", backend="aiml", status=batch.WAITING) -> batch.QueueItem:
    return batch.QueueItem("a.png", model=model, backend=backend, status=status)


def test_the_estimate_is_the_ledgers_and_the_offline_items_cost_nothing(session, library):
    calls = [
        Call(now(), MESHY, True, usd=usd, params=params_key(MESHY, {})) for usd in (0.2, 0.4, 0.3)
    ]
    for call in calls:
        library.record(call)
    cost = session.cost_of([item(MESHY), item(MESHY), item(backend="local")])
    assert cost.items == 3 and cost.usd == pytest.approx(0.6) and cost.basis == "recent"
    free = session.cost_of([item(backend="local")] * 2)
    assert (free.items, free.credits, free.usd) == (2, 0.0, None)


def test_the_queue_waiting_counts_towards_a_limit(session, library, monkeypatch):
    library.record(Call(now(), MESHY, True, usd=0.5, params=params_key(MESHY, {})))
    queue = batch.BatchQueue()
    session.queue = queue
    queue.add(["done.png"], batch.PICTURE, model=MESHY)
    taken = queue.take()
    assert taken is not None
    queue.finish(taken.id, batch.DONE)  # made already: no longer weighs on a limit
    queue.add(["a.png", "b.png"], batch.PICTURE, model=MESHY)
    queue.add(["offline.png"], batch.PICTURE, model="triposr", backend="local")
    adding = session.spending.estimate([(MESHY, {}, None)])
    together = session.with_waiting(adding)
    assert adding.usd == pytest.approx(0.5)
    assert together.items == 3 and together.usd == pytest.approx(1.5)
    session.conf.confirm_above_usd = 1.0
    refused = session.spending.refusal(together, adding)
    assert refused is not None and refused.kind == budget.ABOVE and refused.unit == "usd"
    assert session.spending.refusal(adding) is None  # alone it is within the limit


def test_the_command_lines_limits_take_the_place_of_the_settings(session):
    session.conf.confirm_above_usd = 100.0
    session.limits = budget.Limits(credits=1.0)
    cost = session.spending.estimate([("triposr", {}, None)])
    refused = session.spending.refusal(cost)
    assert refused is not None and refused.unit == "credits"
    rule = session.spending.running()
    assert isinstance(rule.reserve(item().calls()), budget.Refusal)
    session.limits = budget.Limits()  # no flags: no limit, whatever Settings would ask at
    assert session.spending.refusal(cost) is None


def test_the_same_model_again_keeps_the_camera(tmp_path):
    from aiml3d_desktop.core.meshes import mesh
    from tests.glb_files import interleaved, pack

    path = tmp_path / "triangle.glb"
    path.write_bytes(pack(*interleaved()))
    held = Session(Settings())
    first = mesh.load(path)
    assert not held.same_model(first, None)
    held.show(first)
    assert held.same_model(mesh.load(path), None)
    assert held.loaded is first and held.entry is None

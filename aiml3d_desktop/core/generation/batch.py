"""The batch queue: pictures and prompts waiting to become models.

Qt-free. The GUI keeps its queue in the library folder (``queue.json``), so that pending items
survive a restart, and runs each item on a worker thread; ``run()`` is the command line's way
to work through a queue with a few threads. Each item carries the settings it was queued with.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from aiml3d_desktop.core.api.params import EDIT_MODEL
from aiml3d_desktop.core.common.cancel import CancelToken
from aiml3d_desktop.core.common.errors import (
    Aiml3DError,
    ApiError,
    Cancelled,
    ConfigError,
    InputError,
    LibraryError,
    as_error,
)
from aiml3d_desktop.core.common.fileio import path_kind, write_bytes
from aiml3d_desktop.core.net.policy import is_url
from aiml3d_desktop.core.pictures.limits import DEFAULT_MAX_SIDE, PICTURE_SUFFIXES

log = logging.getLogger(__name__)

WAITING, RUNNING, DONE, FAILED, CANCELLED = "waiting", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
PICTURE, PROMPT = "picture", "prompt"
QUEUE_FILE = "queue.json"
DEFAULT_JOBS = 2  # at once: twice the throughput, and gentle on the API's rate limit
MAX_JOBS = 8
MAX_PICTURES = 10_000  # in one folder given to the queue


@dataclass
class QueueItem:
    source: str  # a picture's path or link; for a prompt, its text
    kind: str = PICTURE
    params: dict = field(default_factory=dict)  # the model's parameter values when queued
    model: str = "triposr"  # a models.MODELS id
    views: dict = field(default_factory=dict)  # a multi-view model's other views: name -> path
    backend: str = "aiml"
    prepare: bool = True
    max_side: int = DEFAULT_MAX_SIDE  # local pictures are downscaled to this
    draw_options: dict = field(default_factory=dict)  # prompts: suffix, image_model
    # A planned scene's object: {"entry": the scene's entry id, "stand_in": its Source}
    scene: dict = field(default_factory=dict)
    status: str = WAITING
    message: str = ""  # why it failed, or what it made
    entry_id: str | None = None  # the library entry it made
    attempts: int = 0
    added: str = field(default_factory=lambda: _now())
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def planned(self) -> tuple[str, dict, tuple[str, ...]]:
        """The item as usage.estimate() takes it: model, parameter values, and the models
        of its other calls: a prompt's drawing, the views to draw, the comparison after."""
        drawer = self.draw_options.get("image_model") if self.kind == PROMPT else None
        sides = self.draw_options.get("views") or []
        editor = str(self.draw_options.get("edit_model") or EDIT_MODEL)
        checker = self.draw_options.get("check")  # compared with its photo after: paid too
        before = ([drawer] if drawer else []) + [editor] * len(sides)
        return self.model, self.params, (*before, *([str(checker)] if checker else []))

    def calls(self) -> list[tuple[str, dict]]:
        """The calls the item makes, as a spending limit counts them: the drawing of a
        prompt or of its views, then the model."""
        model, values, before = self.planned()
        return [*((name, {}) for name in before), (model, values)]

    @property
    def label(self) -> str:
        if self.kind == PROMPT or is_url(self.source):
            return self.source
        return Path(self.source).name

    @classmethod
    def from_dict(cls, raw: object) -> QueueItem:
        """An item from queue.json; ValueError when it is not one (a field of the wrong
        type would fail later, halfway through making the model)."""
        if not isinstance(raw, dict):
            raise ValueError(f"an item is a JSON {type(raw).__name__}, not an object")
        known = {k: v for k, v in raw.items() if k in _ITEM_TYPES}
        for name, value in known.items():
            wanted = _ITEM_TYPES[name]
            if not isinstance(value, wanted) or (isinstance(value, bool) and wanted is int):
                raise ValueError(f"an item's {name} is {type(value).__name__}")
        item = cls(**known)
        if item.kind not in (PICTURE, PROMPT) or item.status not in (WAITING, RUNNING, *FINISHED):
            raise ValueError(f"an item is of kind {item.kind!r}, status {item.status!r}")
        return item


_ITEM_TYPES: dict[str, type | tuple[type, ...]] = {
    "source": str,
    "kind": str,
    "params": dict,
    "model": str,
    "views": dict,
    "backend": str,
    "prepare": bool,
    "max_side": int,
    "draw_options": dict,
    "scene": dict,
    "status": str,
    "message": str,
    "entry_id": (str, type(None)),
    "attempts": int,
    "added": str,
    "id": str,
}


class BatchQueue:
    """Items in the order they were added. Every method is thread-safe and, given a
    ``path``, saves the queue before it returns."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.warnings: list[str] = []
        self._lock = threading.RLock()
        self._items: list[QueueItem] = []
        if path is not None and path.exists():
            self._load(path)

    def _load(self, path: Path) -> None:
        """Items from queue.json. A file that is not a queue is moved aside (``.damaged``)
        and the queue starts empty; items that are not items are left out, and the file as
        it was is kept beside the queue. Nothing is deleted."""
        try:
            raw = json.loads(path.read_text("utf-8"))
            if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
                raise ValueError("it is not a queue (no list of items)")
        except (OSError, ValueError, RecursionError) as exc:
            kept = path.with_name(path.name + ".damaged")
            with contextlib.suppress(OSError):
                path.replace(kept)
            self._warn(
                f"The batch queue could not be read ({exc}); it starts empty. "
                f"The old file is kept as {kept.name}."
            )
            return
        items, bad = [], []
        for entry in raw["items"]:
            try:
                items.append(QueueItem.from_dict(entry))
            except (ValueError, TypeError) as exc:
                bad.append(str(exc))
        if bad:
            kept = path.with_name(path.name + ".damaged")
            with contextlib.suppress(OSError):
                shutil.copyfile(path, kept)
            self._warn(
                f"{len(bad)} item(s) of the batch queue could not be read ({bad[0]}); "
                f"they are left out. The old file is kept as {kept.name}."
            )
        for item in items:
            if item.status == RUNNING:  # the app stopped while it ran: it runs again
                item.status, item.message = WAITING, "interrupted; waiting to run again"
        self._items = items

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        log.warning(message)

    def _save(self) -> None:
        # vars(), not asdict(), and no indent: the window saves on its GUI thread, and a queue
        # of 500 pictures then takes 2 ms instead of 25.
        if self.path is not None:
            data = {"version": 1, "items": [vars(item) for item in self._items]}
            write_bytes(self.path, json.dumps(data).encode("utf-8"))

    def items(self) -> list[QueueItem]:
        """Copies, in queue order: safe to read while workers change the queue."""
        with self._lock:
            return [replace(item) for item in self._items]

    def get(self, item_id: str) -> QueueItem | None:
        with self._lock:
            item = self._find(item_id)
            return replace(item) if item else None

    def count(self, *statuses: str) -> int:
        with self._lock:
            return sum(item.status in statuses for item in self._items)

    def add(self, sources: Iterable[str], kind: str = PICTURE, **settings) -> list[QueueItem]:
        """Queue pictures (or prompts), each with the same ``settings`` (QueueItem fields)."""
        added = [QueueItem(source, kind, **settings) for source in sources]
        with self._lock:
            self._items.extend(added)
            self._save()
        return [replace(item) for item in added]

    def take(self) -> QueueItem | None:
        """The first waiting item, now running; None when nothing waits."""
        with self._lock:
            for item in self._items:
                if item.status == WAITING:
                    item.status, item.message = RUNNING, ""
                    item.attempts += 1
                    self._save()
                    return replace(item)
        return None

    def finish(
        self, item_id: str, status: str, message: str = "", entry_id: str | None = None
    ) -> None:
        with self._lock:
            item = self._find(item_id)
            if item is not None and item.status == RUNNING:
                item.status, item.message, item.entry_id = status, message, entry_id
                self._save()

    def settle(self, item_id: str, error: Aiml3DError) -> bool:
        """What a running item that failed becomes: cancelled, failed (with the error's one
        line), or waiting again when the error stops the whole queue (then True)."""
        if stops_the_queue(error):
            self.requeue(item_id)
            return True
        if isinstance(error, Cancelled):
            self.finish(item_id, CANCELLED, "cancelled")
        else:
            self.finish(item_id, FAILED, str(error))
        return False

    def requeue(self, item_id: str) -> None:
        """Back to waiting: a retry, or a running item stopped by closing the app."""
        with self._lock:
            item = self._find(item_id)
            if item is not None and item.status != WAITING:
                item.status, item.message = WAITING, ""
                self._save()

    def cancel_waiting(self, item_id: str) -> bool:
        with self._lock:
            item = self._find(item_id)
            if item is None or item.status != WAITING:
                return False
            item.status, item.message = CANCELLED, "cancelled before it ran"
            self._save()
            return True

    def remove(self, item_ids: Iterable[str]) -> None:
        """Drop items that are not running (a running one is cancelled first)."""
        ids = set(item_ids)
        with self._lock:
            self._items = [i for i in self._items if i.id not in ids or i.status == RUNNING]
            self._save()

    def clear_finished(self) -> None:
        with self._lock:
            self._items = [i for i in self._items if i.status not in FINISHED]
            self._save()

    def _find(self, item_id: str) -> QueueItem | None:
        return next((i for i in self._items if i.id == item_id), None)


def pictures_in(paths: Iterable[str | Path], cancel: CancelToken | None = None) -> list[str]:
    """The picture files among ``paths``, with folders searched (sorted, hidden ones
    skipped); more than MAX_PICTURES is refused (a drop of the wrong folder, such as a
    whole disk, must not queue it)."""
    found: list[str] = []
    for path in map(Path, paths):
        if path_kind(path) != "dir":
            if path.suffix.lower() in PICTURE_SUFFIXES:
                found.append(str(path))
            continue
        for folder, subfolders, files in os.walk(path):
            if cancel is not None:
                cancel.check()
            subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
            found.extend(
                os.path.join(folder, name)
                for name in sorted(files)
                if Path(name).suffix.lower() in PICTURE_SUFFIXES and not name.startswith(".")
            )
            if len(found) > MAX_PICTURES:
                raise InputError(
                    f"There are more than {MAX_PICTURES:,} pictures in {path}",
                    hint="Queue a smaller folder.",
                )
    return found


def stops_the_queue(error: Aiml3DError) -> bool:
    """Failures of the account or the set-up (no key, a wrong key, no credits, a full or
    unwritable library), not of the picture: every other item would fail the same way, and
    pay for it first, so they wait instead."""
    return isinstance(error, ConfigError | LibraryError) or (
        isinstance(error, ApiError) and error.status in (401, 403)
    )


def run(
    queue: BatchQueue,
    execute: Callable[[QueueItem, CancelToken], tuple[str | None, str]],
    *,
    jobs: int = DEFAULT_JOBS,
    cancel: CancelToken | None = None,
    on_change: Callable[[QueueItem], None] = lambda item: None,
) -> Aiml3DError | None:
    """Work through the waiting items, ``jobs`` at once, until none waits or ``cancel``.

    ``execute(item, cancel)`` makes one model and returns (entry id or None, a summary); an
    error of any kind fails that item only (the others go on), with errors.as_error()'s
    message, except an error that stops_the_queue(): that item waits again, no new item
    starts, and the error is returned. ``on_change`` hears of each item as it starts and
    as it finishes, on the thread that ran it.
    """
    cancel = cancel or CancelToken()
    stopped: list[Aiml3DError] = []

    def lane() -> None:
        while not cancel.cancelled and not stopped and (item := queue.take()) is not None:
            on_change(item)
            try:
                entry_id, message = execute(item, cancel)
            except Exception as exc:  # one item's failure, of any kind, is its own
                if not isinstance(exc, Aiml3DError):  # the traceback, for the log file
                    log.warning("batch item %s failed", item.label, exc_info=exc)
                error = as_error(exc)
                if queue.settle(item.id, error):
                    stopped.append(error)
            else:
                queue.finish(item.id, DONE, message, entry_id)
            on_change(queue.get(item.id) or item)

    _run_lanes(lane, max(1, min(jobs, MAX_JOBS)), cancel)
    return stopped[0] if stopped else None


def _run_lanes(lane: Callable[[], None], count: int, cancel: CancelToken) -> None:
    """``lane`` on ``count`` threads until each returns. A fault of the queue itself in one
    lane stops the others and is raised here; so is Ctrl-C, once every lane has stopped."""
    failures: list[BaseException] = []
    finished = [threading.Event() for _ in range(count)]

    def guarded(done: threading.Event) -> None:
        try:
            lane()
        except BaseException as exc:
            failures.append(exc)
            cancel.cancel()  # no more items spent after a fault
        finally:
            done.set()

    threads = [
        threading.Thread(target=guarded, args=(done,), name=f"batch-{n}")
        for n, done in enumerate(finished)
    ]
    try:
        for thread in threads:
            thread.start()
        # Waited on a fifth of a second at a time: Ctrl-C may be delivered to a lane's
        # thread, and Python acts on it only when the main thread runs. (Events, not
        # Thread.join: an interrupted join can take a running thread for finished.)
        for done in finished:
            while not done.wait(0.2):
                pass
    except BaseException:  # Ctrl-C: stop every lane before leaving
        cancel.cancel()
        for thread, done in zip(threads, finished, strict=True):
            if thread.ident is not None:  # started (even if start() itself was interrupted)
                done.wait()
        raise
    if failures:
        raise failures[0]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

"""What the user is working on, in one Qt-free object that the window observes (as napari's
ViewerModel is the model of its Qt window), and that the command line and the tests can
hold as well.

It holds the document on screen (today a loaded mesh file, or a library entry's mesh), the
picture as it will be sent and the other views of a multi-view model, the library and its
batch queue, one set of job options (the key read once, one retry policy and so one
rate-limit wait for every request) and the spending policy. Whoever changes it says so
through its methods; listeners hear of it through plain callbacks (``listen``), which the
window turns into Qt signals. Nothing here blocks: the key is read by ``read_key``, which
the window runs on a worker.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from aiml3d_desktop.core.api import keys
from aiml3d_desktop.core.generation import batch
from aiml3d_desktop.core.net.policy import RetryPolicy
from aiml3d_desktop.core.settings import Settings
from aiml3d_desktop.core.spending import budget, usage
from aiml3d_desktop.core.spending.policy import SpendingPolicy

if TYPE_CHECKING:
    from pathlib import Path

    from aiml3d_desktop.core.api.client import AimlClient
    from aiml3d_desktop.core.common.cancel import CancelToken
    from aiml3d_desktop.core.composition.history import Composition
    from aiml3d_desktop.core.composition.planned import Layout
    from aiml3d_desktop.core.generation.jobs import JobOptions
    from aiml3d_desktop.core.generation.preview import Preview
    from aiml3d_desktop.core.library.entry import Entry
    from aiml3d_desktop.core.library.store import Library
    from aiml3d_desktop.core.meshes.mesh import LoadedMesh

# What listeners can hear of, and what each callback is given.
DOCUMENT = "document"  # (LoadedMesh | None, Entry | None): what is on screen changed
PICTURE = "picture"  # (Preview | None, str | None): the picture that will be sent; a caption
VIEWS = "views"  # (dict[str, Preview]): a multi-view model's other views
ENTRY = "entry"  # (Entry): the model on screen was added to the library as this entry
VERSIONS = "versions"  # (Entry): an entry's versions changed (Split into parts kept one)
SCENE = "scene"  # (Composition | None, Path | None): a composed scene is on screen, or not
EVENTS = (DOCUMENT, PICTURE, VIEWS, ENTRY, VERSIONS, SCENE)


class Session:
    def __init__(self, conf: Settings, retry: RetryPolicy | None = None) -> None:
        self.conf = conf
        self.retry = retry or RetryPolicy()  # one for all requests: one rate-limit wait
        self.loaded: LoadedMesh | None = None
        self.entry: Entry | None = None  # the library entry on screen, if it is one
        # A composed scene on screen (core/composition), in place of a model, and its file.
        self.composition: Composition | None = None
        self.scene_file: Path | None = None
        # Planned scenes being made, by scene entry id: where the solver placed their
        # objects, so that models made are placed again with their real sizes (planned.py).
        self.scene_layouts: dict[str, Layout] = {}
        self.picture: Preview | None = None
        self.views: dict[str, Preview] = {}
        self.drawn: dict[str, dict] = {}  # the views an editing model drew: how (views.py)
        self.library: Library | None = None
        self.queue: batch.BatchQueue | None = None
        self.limits: budget.Limits | None = None  # the command line's flags; None: Settings'
        self._key: str | None = None
        self._key_read = False  # the saved key looked up (it may be None)
        self._key_saves = 0  # keys saved by Settings: a lookup begun before one is stale
        self._key_lock = threading.Lock()
        self._listeners: dict[str, list[Callable[..., object]]] = defaultdict(list)

    # Listening

    def listen(self, event: str, callback: Callable[..., object]) -> None:
        if event not in EVENTS:
            raise ValueError(f"no such session event: {event!r}")
        self._listeners[event].append(callback)

    def _tell(self, event: str, *args: object) -> None:
        for callback in list(self._listeners[event]):
            callback(*args)

    # What is on screen

    def show(self, loaded: LoadedMesh | None, entry: Entry | None = None) -> None:
        if self.composition is not None:
            self.composition = self.scene_file = None
            self._tell(SCENE, None, None)
        self.loaded, self.entry = loaded, entry
        self._tell(DOCUMENT, loaded, entry)

    def show_scene(self, composition: Composition, path: Path | None) -> None:
        """A composed scene on screen (``path``: its file; None: not saved yet), in place
        of any model: the tools that work on one model hear that there is none."""
        self.show(None)
        self.composition, self.scene_file = composition, path
        self._tell(SCENE, composition, path)

    def same_model(self, loaded: LoadedMesh, entry: Entry | None) -> bool:
        """Whether ``loaded`` is the model on screen again (a version of its entry, the file
        reopened): the view then keeps its camera."""
        if entry is not None or self.entry is not None:  # versions share their entry's id
            return entry is not None and self.entry is not None and entry.id == self.entry.id
        return self.loaded is not None and loaded.path == self.loaded.path

    def set_picture(self, preview: Preview | None, caption: str | None = None) -> None:
        """The picture to send (None: none); ``caption`` names it where its file's name
        would not do (a library entry's picture is kept as source.png)."""
        self.picture = preview
        self._tell(PICTURE, preview, caption)

    def set_view(self, view: str, preview: Preview | None, drawn: dict | None = None) -> None:
        """A multi-view model's other view (None: none); ``drawn``: how an editing model
        drew it (a photo given in its place is not drawn)."""
        if preview is None:
            self.views.pop(view, None)
        else:
            self.views[view] = preview
        if drawn is None:
            self.drawn.pop(view, None)
        else:
            self.drawn[view] = drawn
        self._tell(VIEWS, dict(self.views))

    def drawn_views(self) -> dict[str, dict]:
        """How each drawn view on show was drawn, for the entry made from them."""
        return {view: how for view, how in self.drawn.items() if view in self.views}

    def view_sources(self) -> dict[str, str]:
        """The other views as a multi-view job takes them: view name -> path or link."""
        return {view: p.source for view, p in self.views.items() if view != "front"}

    def open_library(self, library: Library, queue: batch.BatchQueue | None = None) -> None:
        """The library and its batch queue (the window's, or None: the command line runs
        its own), which spending limits weigh."""
        self.library, self.queue = library, queue

    def kept(self, entry: Entry) -> None:
        """The model on screen, opened from a file, is now kept in the library as ``entry``:
        the same document, so what the tools show of it stays."""
        self.entry = entry
        self._tell(ENTRY, entry)

    def versions_changed(self, entry: Entry) -> None:
        self._tell(VERSIONS, entry)

    # The key and the job options

    def read_key(self) -> str | None:
        """The API key: the environment's, else the one saved, looked up once (the keychain
        can take a while, or ask the user to unlock it: the window calls this on a worker,
        and only once a key is needed); later calls answer from memory."""
        env = keys.env_key()
        if env:
            return env
        with self._key_lock:
            if self._key_read:
                return self._key
            saves = self._key_saves
        found = keys.stored_key()  # no lock held meanwhile: Settings may save one
        with self._key_lock:
            if self._key_saves == saves:
                self._key, self._key_read = found, True
            return self._key if self._key_read else found

    @property
    def key_known(self) -> bool:
        """Whether read_key() answers at once (from the environment or from memory)."""
        return self._key_read or keys.env_key() is not None

    def key_saved(self, key: str) -> None:
        """Settings saved ``key``: the one used from now on (the environment's still wins)."""
        with self._key_lock:
            self._key, self._key_read = key, True
            self._key_saves += 1

    def job_options(self, backend: str = "aiml", **overrides: Any) -> JobOptions:
        """Options for one job, from the settings with ``overrides`` (the command line's
        flags, a usage recorder): the key only for the API's models."""
        from aiml3d_desktop.core.generation.jobs import JobOptions  # requests: not at start-up

        key = self.read_key() if backend == "aiml" else None
        return JobOptions.from_settings(
            self.conf, key, retry=self.retry, backend=backend, **overrides
        )

    def chat_client(self, cancel: CancelToken, **overrides: Any) -> AimlClient:
        """A client for the chat calls (the scene planner, Look again), each call kept in
        the library's usage ledger."""
        from dataclasses import replace

        ledger = self.library.usage if self.library is not None else None
        options = self.job_options(**overrides)
        options = replace(options, record=ledger.add_one if ledger is not None else None)
        return options.client(cancel)

    # Spending

    @property
    def spending(self) -> SpendingPolicy:
        """The estimate from the library's ledger; the limits given, else Settings'."""
        limits = (
            self.limits
            if self.limits is not None
            else budget.Limits(
                self.conf.confirm_above_credits or None, self.conf.confirm_above_usd or None
            )
        )
        return SpendingPolicy(self.library.usage if self.library is not None else None, limits)

    def cost_of(self, items: Iterable[batch.QueueItem]) -> usage.Estimate:
        """What queue items will probably cost (the offline preview's cost nothing)."""
        items = list(items)
        paid = [item.planned() for item in items if item.backend == "aiml"]
        return self.spending.estimate(paid, free=len(items) - len(paid))

    def with_waiting(self, adding: usage.Estimate) -> usage.Estimate:
        """``adding`` and what the queue holds waiting, together: what a limit weighs."""
        waiting = [
            item
            for item in (self.queue.items() if self.queue is not None else [])
            if item.status == batch.WAITING and item.backend == "aiml"
        ]
        return adding.plus(self.cost_of(waiting)) if waiting else adding

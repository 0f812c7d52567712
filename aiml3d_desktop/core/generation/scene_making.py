"""Making a planned scene's models (issue 30), Qt-free.

Each object still a stand-in becomes one text-to-3D item of the batch queue (drawn, then
made, as any prompt is), tagged with the scene it is for. Its model lands in the library as
an entry of its own, paid for and kept whatever happens to the scene; the scene, a library
entry too, is saved with it in place after every model (core/composition/planned.py says
where it goes). A failed object stays a stand-in that can be queued again. The command line
makes a scene through ``SceneMaking`` and batch.run(); the window queues the items in its own
queue, and hands each model to the scene open in it, or (``deliver``) to the scene's entry.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from aiml3d_desktop.core.api.models import TRIPOSR, ModelParams
from aiml3d_desktop.core.common.errors import InputError, MeshLoadError
from aiml3d_desktop.core.composition import assemble, in_library, planned
from aiml3d_desktop.core.composition import document as scene_doc
from aiml3d_desktop.core.composition.document import SceneDoc, Source
from aiml3d_desktop.core.composition.plan import Plan
from aiml3d_desktop.core.generation import batch

if TYPE_CHECKING:
    from aiml3d_desktop.core.library.entry import Entry
    from aiml3d_desktop.core.library.store import Library
    from aiml3d_desktop.core.settings import Settings
    from aiml3d_desktop.core.spending import usage
    from aiml3d_desktop.core.spending.policy import SpendingPolicy


def tag(scene: str, standing: Source) -> dict:
    """A queue item's ``scene``: the scene entry and the stand-in its model is for."""
    return {"entry": scene, "stand_in": standing.as_json()}


def stand_in(item: batch.QueueItem) -> Source | None:
    """The stand-in a queue item makes the model of; None for an item of no scene (or a
    tag that is not one: queue.json is a file anyone can edit)."""
    try:
        source = scene_doc.read_source(item.scene.get("stand_in"), "the queue item")
    except (InputError, AttributeError):
        return None
    return source if source.stand_in is not None else None


def item_settings(conf: Settings) -> dict:
    """What each object's queue item is made with (QueueItem fields): TripoSR with the
    saved parameters, its picture drawn by the settings' image model, as any prompt."""
    params = ModelParams(TRIPOSR.id, conf.params.validate().as_dict()).validate()
    return {
        "params": params.as_dict(),
        "model": params.model,
        "draw_options": {"suffix": conf.prompt_suffix, "image_model": conf.image_model},
    }


def cost(spending: SpendingPolicy, conf: Settings, count: int) -> usage.Estimate:
    """What making ``count`` objects' models would probably cost: a picture and a model each."""
    settings = item_settings(conf)
    drawer = settings["draw_options"]["image_model"]
    return spending.estimate([(settings["model"], settings["params"], drawer)] * count)


def pending(queue: batch.BatchQueue, scene: str) -> list[batch.QueueItem]:
    """The items of ``queue`` waiting or running for the scene entry ``scene``."""
    return [
        item
        for item in queue.items()
        if item.scene.get("entry") == scene and item.status in (batch.WAITING, batch.RUNNING)
    ]


def queue_stand_ins(
    queue: batch.BatchQueue, scene: str, standing: list[Source], **settings
) -> list[batch.QueueItem]:
    """A prompt item per stand-in (its words), tagged for ``scene``; ``settings``: the
    QueueItem fields they share (the model, its parameters, the drawing's options)."""
    added = []
    for source in standing:
        assert source.stand_in is not None
        added += queue.add(
            [source.stand_in.prompt], batch.PROMPT, scene=tag(scene, source), **settings
        )
    return added


def made_model(library: Library, entry: Entry) -> tuple[Source, assemble.Model]:
    """A made entry as a scene's model, read (on a worker: it may take a second)."""
    source = Source(entry=entry.id)
    model = assemble.read_model(source, Path("."), library)
    if model.scene is None:
        raise MeshLoadError(f"The model made for the scene cannot be read: {model.missing}")
    return source, model


_DELIVERING = threading.Lock()  # one scene file read, changed and written at a time


def deliver(library: Library, item: batch.QueueItem, entry: Entry) -> Entry | None:
    """The model an item made, put in its scene's entry in place of its stand-in (the scene
    is not open: see the module's docstring); the scene's entry, or None when the item is
    for no scene or its scene (or the stand-in) is gone: the model stays in the library."""
    standing = stand_in(item)
    if standing is None:
        return None
    source, model = made_model(library, entry)
    with _DELIVERING:  # two models for one scene: the second reads what the first wrote
        try:
            scene = library.get(str(item.scene.get("entry")))
            doc = scene_doc.load(scene.mesh_path)
        except InputError:
            return None
        if all(p.source != standing for p in doc.placements):
            return None
        models = assemble.read_models(doc, scene.folder, library)
        doc = planned.swap_in(doc, standing, source, model, models)
        return in_library.save_scene(library, scene, doc)


class SceneMaking:
    """A planned scene while its models are made in one run (the command line): its
    document, kept as a library entry and saved after each model, and its layout. Models
    arrive from several threads at once."""

    def __init__(
        self,
        library: Library,
        doc: SceneDoc,
        layout: planned.Layout | None = None,
        entry: Entry | None = None,
        models: assemble.Models | None = None,
    ) -> None:
        """A new scene entry for ``doc``, or ``entry``, the scene's already; ``models``:
        its models, if they were read."""
        self.library, self.doc, self.layout = library, doc, layout
        self.entry = entry or in_library.add_scene(library, doc, None)
        self.models = models or assemble.read_models(doc, self.entry.folder, library)
        self._lock = threading.Lock()

    @classmethod
    def begin(
        cls, library: Library, plan: Plan, name: str, picks: Mapping[str, str] | None = None
    ) -> SceneMaking:
        """A plan's scene, placed, in the library: a stand-in for each object, but those
        ``picks`` gives a library entry for (object name -> entry id), which are in place."""
        doc, layout = planned.start(plan, name)
        models = assemble.read_models(doc, Path("."))
        for obj, entry_id in (picks or {}).items():
            standing = planned.stand_in_of(plan.object(obj))
            source, model = made_model(library, library.get(entry_id))
            models[source.key] = model
            doc = planned.arrive(doc, standing, source, model, models, layout)
        return cls(library, doc, layout, models=models)

    @classmethod
    def of_entry(cls, library: Library, entry: Entry) -> SceneMaking:
        """A scene in the library, its stand-ins still to make."""
        if not entry.is_scene:
            raise InputError(f"{entry.title} is not a scene")
        return cls(library, scene_doc.load(entry.mesh_path), entry=entry)

    def arrived(self, item: batch.QueueItem, entry: Entry) -> None:
        """The model ``item`` made, into the scene (which is saved)."""
        standing = stand_in(item)
        if standing is None:
            return
        source, model = made_model(self.library, entry)
        with self._lock:
            self.models[source.key] = model
            self.doc = planned.arrive(self.doc, standing, source, model, self.models, self.layout)
            self.entry = in_library.save_scene(self.library, self.entry, self.doc)

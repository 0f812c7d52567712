"""Composed scenes kept in the library (issue 29): an entry of its own kind whose file is
``scene.json`` (core/composition/document.py), with a thumbnail like any entry's. The
scene refers to its models (library entries, or files by absolute path: the entry's folder
is not where a relative path was meant to start); it holds no copy of them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from aiml3d_desktop.core.common.errors import InputError, storage_errors
from aiml3d_desktop.core.composition import document
from aiml3d_desktop.core.composition.document import SceneDoc
from aiml3d_desktop.core.library.entry import SCENE_KIND, Entry
from aiml3d_desktop.core.library.store import Library

SCENE_FILE = "scene.json"


def add_scene(library: Library, doc: SceneDoc, base: Path | None) -> Entry:
    """``doc`` as a new library entry; ``base``: where its relative paths started (its
    file's folder; None: it has none)."""
    doc = anchored(doc, base)
    with library.draft() as draft:
        document.save(doc, draft.folder / SCENE_FILE)
        return draft.commit(
            title=doc.name, mesh_file=SCENE_FILE, source_kind=SCENE_KIND, stats=_stats(doc)
        )


def save_scene(library: Library, entry: Entry, doc: SceneDoc) -> Entry:
    """The scene entry's ``scene.json`` written anew (atomically), its title the scene's;
    an entry deleted meanwhile is not made again in its old folder (the library would
    skip it, and its undo could not bring it back): the scene becomes a new entry."""
    try:
        entry = library.get(entry.id)
    except InputError:  # no such entry now
        return add_scene(library, doc, None)
    with storage_errors(f"Could not save {entry.title}"):
        document.save(doc, entry.mesh_path, make_parents=False)
    return library.update(entry.id, title=doc.name) if doc.name != entry.title else entry


def anchored(doc: SceneDoc, base: Path | None) -> SceneDoc:
    """``doc`` with every relative file path (models, the environment) made absolute from
    ``base``, so that it means the same from anywhere."""
    if base is None:
        return doc

    def absolute(file: str) -> str:
        path = Path(file).expanduser()
        return str(path if path.is_absolute() else (base / path).resolve())

    placements = tuple(
        replace(p, source=replace(p.source, file=absolute(p.source.file)))
        if p.source.file is not None
        else p
        for p in doc.placements
    )
    light = doc.light
    if light.file is not None:
        light = replace(light, file=absolute(light.file))
    return replace(doc, placements=placements, light=light)


def _stats(doc: SceneDoc) -> dict:
    return {"placements": len(doc.placements)}

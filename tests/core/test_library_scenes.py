"""Composed scenes kept in the library (issue 29): an entry of their own kind, written
atomically, renamed with the scene, their relative paths made absolute on the way in,
found again after the index is rebuilt from the folders, and refused as a mesh where a
mesh is meant, in words."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from aiml3d_desktop.core.common.errors import Aiml3DError
from aiml3d_desktop.core.composition import document
from aiml3d_desktop.core.composition import in_library as scenes
from aiml3d_desktop.core.composition.document import Light, Placement, SceneDoc, Source
from aiml3d_desktop.core.library.store import Library
from tests.conftest import corpus_file


@pytest.fixture
def library(tmp_path):
    library = Library(tmp_path / "lib")
    yield library
    library.close()


def test_a_scene_becomes_an_entry_and_is_saved_again_in_place(library, tmp_path):
    duck = library.import_mesh(corpus_file("meshes", "Duck.glb"))
    doc = SceneDoc(
        name="Pond",
        placements=(
            Placement("p1", "Duck", Source(entry=duck.id)),
            Placement("p2", "Box", Source(file="props/box.glb")),
        ),
        light=Light(file="env/yard.hdr"),
    )
    entry = scenes.add_scene(library, doc, tmp_path / "work")
    assert entry.is_scene and entry.title == "Pond" and entry.mesh_file == "scene.json"
    kept = document.load(entry.mesh_path)
    assert kept.placements[0].source == Source(entry=duck.id)  # an entry: as it was
    assert kept.placements[1].source.file == str(tmp_path / "work" / "props" / "box.glb")
    assert kept.light.file == str(tmp_path / "work" / "env" / "yard.hdr")
    again = scenes.save_scene(library, entry, replace(kept, name="Big pond"))
    assert again.id == entry.id and library.get(entry.id).title == "Big pond"
    assert document.load(entry.mesh_path).name == "Big pond"
    files = sorted(p.name for p in entry.folder.iterdir() if p.name != ".entry.lock")
    assert files == ["entry.json", "scene.json"]  # nothing half-written left beside them
    assert library.count() == 2


def test_scene_entries_survive_an_index_rebuilt_from_the_folders(library):
    entry = scenes.add_scene(library, SceneDoc(name="Empty room"), None)
    library.rebuild()
    found = library.get(entry.id)
    assert found.is_scene and found.title == "Empty room"
    assert entry.id in library.ids("Empty")


def test_a_scene_entry_opened_as_a_mesh_is_refused_in_words(library):
    from aiml3d_desktop.core.meshes import mesh

    entry = scenes.add_scene(library, SceneDoc(name="Room"), None)
    with pytest.raises(Aiml3DError) as caught:
        mesh.load(entry.mesh_path)
    assert "scene.json" in str(caught.value) or ".json" in str(caught.value)


def test_anchored_leaves_absolute_paths_and_no_base_alone(tmp_path):
    doc = SceneDoc(placements=(Placement("p1", "A", Source(file=str(tmp_path / "a.glb"))),))
    assert scenes.anchored(doc, Path("/elsewhere")) == doc
    relative = SceneDoc(placements=(Placement("p1", "A", Source(file="a.glb")),))
    assert scenes.anchored(relative, None) == relative


def test_a_scene_saved_after_its_entry_was_deleted_becomes_a_new_entry(library):
    entry = scenes.add_scene(library, SceneDoc(name="Room"), None)
    library.delete(entry.id)
    again = scenes.save_scene(library, entry, SceneDoc(name="Room"))
    assert again.id != entry.id and library.get(again.id).is_scene
    assert not entry.folder.exists()  # the old folder not made again: the trash can restore it
    restored = library.restore(entry.id)
    assert restored.is_scene and library.count() == 2

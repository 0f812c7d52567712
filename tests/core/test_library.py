"""The library on real files and a real SQLite index: saving, finding, editing, deleting,
repairing, and surviving a process killed in the middle of a save."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import trimesh

from aiml3d_desktop.core.api.params import TriposrParams
from aiml3d_desktop.core.common.errors import Aiml3DError, Cancelled, LibraryError, MeshLoadError
from aiml3d_desktop.core.common.stages import Stage
from aiml3d_desktop.core.generation import jobs
from aiml3d_desktop.core.library.store import Library
from aiml3d_desktop.core.meshes import mesh
from tests.conftest import ROOT, corpus_file, files_in


@pytest.fixture
def lib(tmp_path) -> Library:
    return Library(tmp_path / "lib")


def add(lib: Library, glb: bytes, title: str, **fields) -> object:
    with lib.draft() as draft:
        draft.add_file("model.glb", glb)
        return draft.commit(title=title, mesh_file="model.glb", **fields)


@pytest.fixture
def glb() -> bytes:
    return trimesh.creation.icosphere(subdivisions=2).export(file_type="glb")


def test_generation_is_saved_whole_with_its_pictures(fake_api, job_options, photo, tmp_path):
    lib = Library(tmp_path / "lib")
    entry, result = jobs.generate_to_library(lib, str(photo), TriposrParams(), job_options)
    assert result.mesh_path == entry.mesh_path and entry.mesh_path.is_file()
    assert sorted(os.listdir(entry.folder)) == [
        "chair.glb",
        "entry.json",
        "source.png",
        "uploaded.png",
    ]
    assert (entry.folder / "source.png").read_bytes() == photo.read_bytes()
    again = Library(tmp_path / "lib").get(entry.id)  # from the index, in a new session
    assert again == entry
    assert again.request_id and again.request_id == result.generation.request_id
    assert again.credits == 182000 and again.stats["triangles"] == len(fake_api.mesh.faces)
    assert again.params == TriposrParams().as_dict() and again.model == "triposr"
    assert again.source == str(photo) and again.source_kind == "file"
    assert fake_api.KEY not in (entry.folder / "entry.json").read_text()


@pytest.mark.parametrize("fault", ["500", "truncated", "not-mesh"])
def test_failed_generation_leaves_nothing(fake_api, job_options, photo, tmp_path, fault):
    lib = Library(tmp_path / "lib")
    fake_api.queue(*[fault] * 3)
    with pytest.raises(Aiml3DError):
        jobs.generate_to_library(lib, str(photo), TriposrParams(), job_options)
    assert lib.count() == 0
    assert [
        f for f in files_in(lib.root) if not f.startswith(("index.sqlite", "usage.sqlite"))
    ] == []


def test_cancelled_generation_leaves_nothing(fake_api, job_options, photo, tmp_path):
    from aiml3d_desktop.core.common.cancel import CancelToken

    lib = Library(tmp_path / "lib")
    cancel = CancelToken()

    def progress(stage, done, total):
        if stage is Stage.DOWNLOADING:
            cancel.cancel()

    with pytest.raises(Cancelled):
        jobs.generate_to_library(
            lib, str(photo), TriposrParams(), job_options, progress=progress, cancel=cancel
        )
    assert lib.count() == 0 and list(lib.staging_dir.iterdir()) == []


def test_search_filters_and_sort(lib, glb):
    chair = add(
        lib,
        glb,
        "Red chair",
        source="/photos/chair.png",
        tags=["furniture"],
        created="2026-01-05T10:00:00+00:00",
    )
    robot = add(
        lib,
        glb,
        "Robot",
        source="https://example.com/robot.png",
        notes="for the game",
        favourite=True,
        created="2026-03-01T10:00:00+00:00",
    )
    assert [e.id for e in lib.list()] == [robot.id, chair.id]  # newest first
    assert [e.id for e in lib.list(sort="title", descending=False)] == [chair.id, robot.id]
    assert [e.title for e in lib.list("CHAIR")] == ["Red chair"]  # title, any case
    assert [e.title for e in lib.list("furni")] == ["Red chair"]  # tags, part of a word
    assert [e.title for e in lib.list("game")] == ["Robot"]  # notes
    assert [e.title for e in lib.list("example.com")] == ["Robot"]  # source
    assert [e.title for e in lib.list("red furniture")] == ["Red chair"]  # every word
    assert lib.list("red robot") == []
    assert [e.title for e in lib.list(favourite=True)] == ["Robot"]
    assert [e.title for e in lib.list(since="2026-02-01")] == ["Robot"]
    assert [e.title for e in lib.list(until="2026-02-01")] == ["Red chair"]
    assert len(lib.list(fmt="glb")) == 2 and lib.list(fmt="stl") == []
    assert lib.get(robot.id[:-2]).id == robot.id  # a unique prefix is enough
    with pytest.raises(Aiml3DError, match="No library entry"):
        lib.get("nope")


def test_edits_are_kept_in_the_folder_and_the_index(lib, glb, tmp_path):
    entry = add(lib, glb, "Chair")
    lib.update(entry.id, title="Blue chair", tags="Wood, chair wood", notes="v2", favourite=True)
    on_disk = json.loads((entry.folder / "entry.json").read_text())
    assert on_disk["title"] == "Blue chair" and on_disk["tags"] == ["wood", "chair"]
    again = Library(tmp_path / "lib")
    assert [e.title for e in again.list("wood", favourite=True)] == ["Blue chair"]
    with pytest.raises(Aiml3DError, match="cannot be empty"):
        lib.update(entry.id, title="  ")
    with pytest.raises(Aiml3DError, match="Cannot change"):
        lib.update(entry.id, mesh_file="../x.glb")


def test_delete_and_restore(lib, glb, tmp_path):
    entry = add(lib, glb, "Chair")
    lib.delete(entry.id)
    assert lib.list() == [] and not entry.folder.exists()
    assert Library(tmp_path / "lib").list() == []  # the trash is not the library
    restored = lib.restore(entry.id)
    assert restored.mesh_path.read_bytes() == glb and [e.id for e in lib.list()] == [entry.id]


def test_damaged_or_missing_index_is_rebuilt_with_a_warning(lib, glb, tmp_path):
    ids = {add(lib, glb, f"m{i}").id for i in range(3)}
    lib.close()
    lib.index_path.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{lib.index_path}{suffix}").unlink(missing_ok=True)
    again = Library(tmp_path / "lib")
    assert {e.id for e in again.list()} == ids
    assert any("damaged" in w and "3 folder(s)" in w for w in again.warnings)
    again.close()
    again.index_path.unlink()
    third = Library(tmp_path / "lib")
    assert {e.id for e in third.list()} == ids and "missing" in third.warnings[0]


def test_index_follows_folders_changed_behind_its_back(lib, glb, tmp_path):
    keep, gone = add(lib, glb, "keep"), add(lib, glb, "gone")
    os.rename(gone.folder, tmp_path / "elsewhere")  # removed by hand
    data = json.loads((keep.folder / "entry.json").read_text())
    data["title"] = "edited by hand"
    stamp = (keep.folder / "entry.json").stat().st_mtime_ns
    (keep.folder / "entry.json").write_text(json.dumps(data))
    os.utime(keep.folder / "entry.json", ns=(stamp, stamp + 10**6))  # later, on any clock
    again = Library(tmp_path / "lib")
    assert [e.title for e in again.list()] == ["edited by hand"]


def test_entry_whose_mesh_vanished_is_listed_as_missing(lib, glb):
    entry = add(lib, glb, "Chair")
    entry.mesh_path.unlink()
    (listed,) = lib.list()
    assert listed.missing and listed.title == "Chair"


def test_unreadable_entry_folder_is_skipped_with_a_warning(lib, glb, tmp_path):
    add(lib, glb, "good")
    broken = lib.entries_dir / "20260101-000000-abcdef"
    broken.mkdir()
    (broken / "entry.json").write_text("{not json")
    again = Library(tmp_path / "lib")
    assert [e.title for e in again.list()] == ["good"]
    assert any("20260101-000000-abcdef" in w for w in again.warnings)


def test_import_copies_checks_and_keeps_textures(lib, tmp_path):
    duck = lib.import_mesh(corpus_file("meshes", "Duck.glb"))
    assert duck.mesh_path.read_bytes() == corpus_file("meshes", "Duck.glb").read_bytes()
    assert duck.stats["triangles"] == 4212 and duck.source_kind == "import"
    fuze = lib.import_mesh(corpus_file("meshes", "fuze.obj"))  # OBJ + MTL + texture: one GLB
    assert fuze.mesh_file == "fuze.glb"
    assert len(mesh.load(fuze.mesh_path).scene.textures) == 1
    bad = tmp_path / "broken.stl"
    bad.write_bytes(b"solid x\nendsolid x\n")
    with pytest.raises(MeshLoadError):
        lib.import_mesh(bad)
    assert lib.count() == 2 and list(lib.staging_dir.iterdir()) == []


def test_unwritable_library_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the library folder should be")
    with pytest.raises(LibraryError, match="cannot be opened"):
        Library(blocker / "lib")


SAVER = """
import sys, time
from aiml3d_desktop.core.library.store import Library
lib = Library(sys.argv[1])
glb = open(sys.argv[2], "rb").read()
print("READY", flush=True)
n = 0
while True:
    n += 1
    with lib.draft() as draft:
        draft.add_file("model.glb", glb)
        draft.add_file("source.png", glb[:5000])
        entry = draft.commit(title=f"entry {n}", mesh_file="model.glb", tags=["kill"])
    lib.update(entry.id, notes=f"note {n}")
"""


def test_killed_while_saving_leaves_whole_entries_or_none(tmp_path):
    """SIGKILL a process that saves entries in a loop, at random moments, many times; each
    time the library must open consistent, with every entry whole."""
    big = trimesh.creation.icosphere(subdivisions=6).export(file_type="glb")  # 1.6 MB
    source = tmp_path / "big.glb"
    source.write_bytes(big)
    root = tmp_path / "lib"
    rng = random.Random(1234)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    mid_save = 0
    for _ in range(12):
        proc = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(root), str(source)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stdout.readline().strip() == "READY"
        time.sleep(rng.uniform(0.0, 0.4))
        proc.kill()  # SIGKILL; TerminateProcess on Windows
        proc.wait()
        proc.stdout.close()
        mid_save += any((root / ".staging").iterdir())  # killed with a draft half made

        lib = Library(root)
        entries = lib.list()
        folders = sorted(p.name for p in lib.entries_dir.iterdir())
        assert sorted(e.id for e in entries) == folders  # index and folders agree
        assert list(lib.staging_dir.iterdir()) == []  # no half-made draft is left
        for entry in entries:
            assert entry.mesh_path.read_bytes() == big  # whole, never half a file
            assert json.loads((entry.folder / "entry.json").read_text())["id"] == entry.id
            assert entry.tags == ["kill"]
        db = sqlite3.connect(lib.index_path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()
        lib.close()
    assert len(Library(root).list()) > 3  # the saver got somewhere between kills
    assert mid_save >= 3  # and the kills did land in the middle of saves


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes; Windows has ACLs")
def test_saved_files_get_the_users_usual_permissions(lib, glb):
    """Atomic writes must not leave files private to the owner, as mkstemp would."""
    umask = os.umask(0o022)
    try:
        entry = add(lib, glb, "Chair")
    finally:
        os.umask(umask)
    for name in ("model.glb", "entry.json"):
        assert (entry.folder / name).stat().st_mode & 0o777 == 0o644

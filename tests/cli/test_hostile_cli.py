"""Issue 25's hostile command lines, run as a user runs them: a turntable too large for memory,
an output that would overwrite its own input or the library's files, a mesh too large for
the machine. Each is one clear line before any work, and nothing is lost."""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys

import numpy as np
import pytest
import trimesh

from aiml3d_desktop.core.assets import pipeline
from aiml3d_desktop.core.assets.recipe import BUILTIN
from aiml3d_desktop.core.library.store import Library
from aiml3d_desktop.core.look import turntable
from tests.cli.test_cli import one_error_line, run
from tests.conftest import aiml3d_command, corpus_file, files_in


def test_turntable_over_the_memory_limit_names_a_size_that_fits(tmp_path):
    """Issue 25, case 5: 8 frames of 8192x8192 passed the 2 GB check and peaked at 7.39 GB."""
    out = tmp_path / "t.gif"
    done = run(
        "turntable", corpus_file("meshes", "Duck.glb"), "--frames", "8", "--size", "8192x8192",
        "-o", out,
    )  # fmt: skip
    line = one_error_line(done)
    assert done.returncode == 1
    assert "8 frames of 8192x8192 as GIF would need about 3.1 GB of memory" in line, line
    match = re.search(r"(\d+)x(\d+) or smaller fits", line)
    assert match, line
    fits = (int(match[1]), int(match[2]))
    assert 6000 < fits[0] == fits[1] < 8192
    turntable.check_size(8, fits, ".gif")  # it does fit
    assert not out.exists() and [f for f in files_in(tmp_path) if "home/" not in f] == []


def _duck_entry(home):
    library = Library(home / "data" / "library")
    entry = library.import_mesh(corpus_file("meshes", "Duck.glb"))
    library.close()
    return library.root, entry


def _unchanged(folder):
    """Every file below ``folder`` with its bytes, to compare before and after."""
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_process_never_writes_over_an_entry_or_into_the_library(isolated, tmp_path):
    """Issue 25, case 6: `process --decimate 100 -o <library>/entries/ID/<mesh> ID` made the
    paid original 100 triangles while its entry.json still said 4,212."""
    root, entry = _duck_entry(isolated)
    entries = _unchanged(root / "entries")
    linked = tmp_path / "into-library"
    linked.symlink_to(entry.folder)
    (root / "queue.json").symlink_to(tmp_path / "q.glb")  # a library file, by another name
    mine = (entry.mesh_path, entry.folder / "other.glb", tmp_path / "q.glb", linked / "y.glb")
    for out in (*mine, root / ".trash" / "x.stl"):
        for source in (entry.id, corpus_file("meshes", "Duck.glb")):
            done = run("process", "--decimate", "100", "-o", out, source)
            line = one_error_line(done)
            assert done.returncode == 1 and "is inside the library" in line, line
            assert "leave out -o: `aiml3d process ID ...` keeps the result as a new version" in line
    assert _unchanged(root / "entries") == entries
    # What it says works: a version kept, the original as it was.
    kept = run("process", "--decimate", "100", entry.id)
    assert kept.returncode == 0 and "kept as version" in kept.stdout, kept.stderr
    assert _unchanged(root / "entries")[entry.mesh_path] == entries[entry.mesh_path]


def test_process_never_writes_over_its_input_file(tmp_path):
    source = tmp_path / "duck.glb"
    shutil.copyfile(corpus_file("meshes", "Duck.glb"), source)
    original = source.read_bytes()
    (tmp_path / "link.glb").symlink_to(source)
    os.link(source, tmp_path / "hard.glb")
    (tmp_path / "sub").mkdir()
    for out in (
        source,
        tmp_path / "sub" / ".." / "duck.glb",
        tmp_path / "link.glb",
        tmp_path / "hard.glb",
    ):
        done = run("process", "--decimate", "100", "-o", out, source)
        line = one_error_line(done)
        assert done.returncode == 1 and "is the input itself" in line, line
        assert "Write to another file" in line
    # A level of detail named as the input is refused as well, before any work.
    lod = tmp_path / "duck_lod1.glb"
    shutil.copyfile(source, lod)
    done = run("process", "--lods", "1000,200", "-o", source.with_name("duck.glb"), lod)
    assert done.returncode == 1 and f"{lod} is the input itself" in one_error_line(done)
    assert source.read_bytes() == original and lod.read_bytes() == original
    fine = run("process", "--decimate", "100", "-o", tmp_path / "low.glb", source)
    assert fine.returncode == 0, fine.stderr


def test_export_and_turntable_never_write_into_the_library(isolated, tmp_path):
    root, entry = _duck_entry(isolated)
    entries = _unchanged(root / "entries")
    for out in (entry.mesh_path, entry.folder / "copy.obj", root / ".staging" / "x.stl"):
        done = run("library", "export", entry.id, out)
        line = one_error_line(done)
        assert done.returncode == 1 and "Export it to a folder outside the library" in line, line
    done = run("library", "--library", root, "export", entry.id, root / "entries" / "a.glb")
    assert done.returncode == 1 and "is inside the library" in one_error_line(done)
    # Beside the library's own files, in its folder, is the user's: a library may be ~.
    assert run("library", "export", entry.id, root / "loose.stl").returncode == 0
    done = run("turntable", entry.id, "-o", entry.folder / "turn.gif", "--size", "64x64")
    assert done.returncode == 1 and "is inside the library" in one_error_line(done)
    assert _unchanged(root / "entries") == entries
    assert run("library", "export", entry.id, tmp_path / "duck.stl").returncode == 0


def _sphere(path, subdivisions: int):
    """An icosphere with vertex colours, as a PLY file: 20 * 4**subdivisions triangles."""
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions)
    rgb = (np.abs(sphere.vertices) * 255).astype(np.uint8)
    sphere.visual = trimesh.visual.ColorVisuals(
        sphere, vertex_colors=np.column_stack([rgb, np.full(len(rgb), 255, np.uint8)])
    )
    sphere.export(path)
    return path


def _limited(megabytes: int):
    """For a child process: at most ``megabytes`` of data (ulimit -d)."""

    def limit():
        hard = resource.getrlimit(resource.RLIMIT_DATA)[1]
        resource.setrlimit(resource.RLIMIT_DATA, (megabytes * 2**20, hard))

    return limit


def test_process_refuses_a_mesh_too_large_for_the_memory_it_may_use(tmp_path):
    """Issue 25, case 10: `process --preset game` took 2.4 GB for 3.9M triangles, unasked.
    Here the child may use 500 MB: enough to read 1.3M triangles, not to process them."""
    source = _sphere(tmp_path / "sphere.ply", 8)
    out = tmp_path / "out.glb"
    done = subprocess.run(
        aiml3d_command("process", "--preset", "game", "-o", str(out), str(source)),
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limited(500),
    )
    line = one_error_line(done)
    assert done.returncode == 1
    assert "Processing 1,310,720 triangles this way needs about 1.0 GB of memory" in line, line
    assert "more than the 0.5 GB this process may use (ulimit -d)" in line
    assert not out.exists()


# The child reports its own peak memory after the command has run: VmHWM, its own address
# space's (ru_maxrss would also count the pytest process it was forked from, at exec).
_PEAK = (
    "import re, sys; from aiml3d_desktop import cli; code = cli.main(sys.argv[1:]); "
    "status = open('/proc/self/status').read(); "
    "print(int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) * 1024); sys.exit(code)"
)


@pytest.mark.parametrize("preset, out", [("print", "out.stl"), ("game", "out.glb")])
def test_processing_stays_within_its_memory_estimate(tmp_path, preset, out):
    source = _sphere(tmp_path / "sphere.ply", 7)
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, "process", "--preset", preset, "-o", tmp_path / out, source],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    peak = int(done.stdout.split()[-1])
    estimate = pipeline.memory_estimate(327_680, BUILTIN[preset].recipe)
    assert peak <= estimate, (peak / 2**20, estimate / 2**20)


def test_convert_and_render_never_write_into_the_library(isolated, tmp_path):
    """From the attacker's review of issue 25: `convert cube.glb <lib>/entries/ID/Duck.glb`
    replaced a paid original; `render -o` wrote into an entry."""
    root, entry = _duck_entry(isolated)
    entries = _unchanged(root / "entries")
    other = corpus_file("meshes", "cube.glb")
    render = ["render", other, "-o", entry.folder / "thumbnail.png", "--size", "64x64"]
    for args in (["convert", other, entry.mesh_path], render):
        done = run(*args)
        assert done.returncode == 1 and "is inside the library" in one_error_line(done), args
    assert _unchanged(root / "entries") == entries

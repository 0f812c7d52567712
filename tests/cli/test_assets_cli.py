"""``aiml3d process``, ``aiml3d check`` and ``aiml3d turntable`` as a user runs them: on files
and on library entries, with the files they write read back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from aiml3d_desktop.core.library.store import Library
from aiml3d_desktop.core.meshes import mesh
from tests.cli.test_cli import one_error_line, run
from tests.conftest import aiml3d_command, corpus_file, files_in


def test_process_a_file_with_steps_and_json(tmp_path):
    out = tmp_path / "duck.glb"
    done = run(
        "process", corpus_file("meshes", "Duck.glb"), "-o", out, "--decimate", "1000",
        "--bake", "512", "--height", "12cm", "--pivot", "bottom", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["files"] == [str(out)] and result["version"] is None
    assert result["triangles"][0] <= 1000 and result["fidelity"]["mean"] < 10
    scene = mesh.load(out).scene
    low, high = scene.bounds
    assert high[1] - low[1] == pytest.approx(0.12, abs=1e-4) and low[1] == pytest.approx(
        0, abs=1e-5
    )
    assert len(scene.textures) == 1 and scene.textures[0].image.shape[:2] == (512, 512)


def test_process_with_the_print_preset_writes_millimetres_and_a_report(tmp_path):
    out = tmp_path / "bunny.stl"
    done = run(
        "process",
        corpus_file("meshes", "bunny.ply"),
        "-o",
        out,
        "--preset",
        "print",
        "--height",
        "80",
    )
    assert done.returncode == 0, done.stderr
    assert "Watertight: yes" in done.stdout and f"wrote {out}" in done.stdout
    low, high = mesh.load(out).scene.bounds
    assert high[1] - low[1] == pytest.approx(80, abs=1e-3)  # millimetres in the file
    check = run("check", out)
    assert "Watertight: yes" in check.stdout and "Manifold solid: yes" in check.stdout


def test_process_an_entry_keeps_a_new_version(isolated):
    library = Library(isolated / "data" / "library")
    entry = library.import_mesh(corpus_file("meshes", "Duck.glb"))
    library.close()
    done = run("process", entry.id[:10], "--preset", "ar", "--decimate", "800", "--bake", "512")
    assert done.returncode == 0, done.stderr
    assert "kept as version" in done.stdout and entry.id in done.stdout
    library = Library(isolated / "data" / "library")
    (version,) = library.get(entry.id).version_list()
    library.close()
    assert version.label == "ar" and version.files == ["model.glb", "model.usdz"]
    assert mesh.load(version.mesh_path).scene.triangles <= 800
    # Listed by `library show`, exported by `library export --version`.
    shown = run("library", "show", entry.id)
    assert "version 1      ar: " in shown.stdout and "model.glb, model.usdz" in shown.stdout
    out = isolated / "v1.stl"
    assert run("library", "export", entry.id, out, "--version", "1").returncode == 0
    assert mesh.load(out).scene.triangles == mesh.load(version.mesh_path).scene.triangles
    missing = run("library", "export", entry.id, out, "--version", "2")
    assert missing.returncode == 1 and "has no version 2" in one_error_line(missing)


def test_process_says_what_is_wrong_before_working(tmp_path):
    duck = corpus_file("meshes", "Duck.glb")
    cases = [
        (("process", duck), "Where should the result go"),
        (("process", duck, "-o", tmp_path / "x.fbx"), "Cannot write .fbx"),
        (("process", duck, "-o", tmp_path / "no" / "x.glb"), "There is no folder"),
        (("process", duck, "-o", tmp_path / "x.glb", "--turn", "x45"), "There is no turn 'x45'"),
        (("process", duck, "-o", tmp_path / "x.glb", "--height", "tall"), "'tall' is not a length"),
        (
            ("process", duck, "-o", tmp_path / "x.glb", "--preset", "nope"),
            "There is no preset 'nope'",
        ),
        (
            ("process", "no-such-entry", "-o", tmp_path / "x.glb"),
            "neither a file nor a library entry",
        ),
        (("process", tmp_path / "gone.glb", "-o", tmp_path / "x.glb"), "There is no file"),
    ]
    for args, message in cases:
        done = run(*args)
        assert done.returncode == 1 and message in one_error_line(done), (args, done.stderr)
    assert [f for f in files_in(tmp_path) if not f.startswith("home/")] == []


def test_check_exit_status_and_json():
    broken = run("check", corpus_file("meshes", "bunny.ply"), "--json")
    assert broken.returncode == 1
    report = json.loads(broken.stdout)
    assert report["ready"] is False and report["open_edges"] == 123
    good = run("check", corpus_file("meshes", "cube.glb"))
    assert good.returncode == 0 and good.stdout.startswith("Ready to print")
    assert "Size: 2000.0 x 2000.0 x 2000.0 mm" in good.stdout  # glTF is in metres
    small = run("check", corpus_file("meshes", "featuretype.STL"))
    assert "Size: 5.0 x 1.4 x 2.5 mm" in small.stdout  # millimetres, and its Z is the height
    assert small.returncode == 1 and "under 0.8 mm): scale it up" in small.stdout


def turntable(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        aiml3d_command("turntable", *map(str, args)), capture_output=True, text=True, timeout=180
    )


def test_turntable_gif_turns_the_model(tmp_path):
    out = tmp_path / "duck.gif"
    done = turntable(
        corpus_file("meshes", "Duck.glb"), "-o", out, "--frames", "8", "--size", "200x160"
    )
    assert done.returncode == 0, done.stderr
    image = Image.open(out)
    assert image.n_frames == 8 and image.size == (200, 160)
    frames = []
    for k in range(8):
        image.seek(k)
        frames.append(np.asarray(image.convert("RGB"), dtype=np.int16))
    # Every frame shows the duck (yellow), and the turn changes what is seen.
    for frame in frames:
        yellow = (frame[..., 0] > 150) & (frame[..., 1] > 120) & (frame[..., 2] < 90)
        assert yellow.mean() > 0.03
    assert np.abs(frames[0] - frames[2]).mean() > 3


def test_turntable_webp_and_refusals(tmp_path):
    out = tmp_path / "duck.webp"
    done = turntable(
        corpus_file("meshes", "Duck.glb"), "-o", out, "--frames", "4", "--size", "128x128"
    )
    assert done.returncode == 0, done.stderr
    assert Image.open(out).n_frames == 4
    bad = turntable(corpus_file("meshes", "Duck.glb"), "-o", tmp_path / "duck.avi")
    assert bad.returncode == 1 and "Name it .gif, .webp or .mp4" in bad.stderr
    huge = turntable(
        corpus_file("meshes", "Duck.glb"), "-o", tmp_path / "big.gif", "--frames", "720",
        "--size", "8192x8192",
    )  # fmt: skip
    assert huge.returncode == 1 and "more than the 2 GB allowed" in huge.stderr
    assert not (tmp_path / "duck.avi").exists() and not (tmp_path / "big.gif").exists()


@pytest.mark.skipif(
    shutil.which("ffmpeg") is None and not os.environ.get("CI"),
    reason="no ffmpeg here (CI installs it: tools/debian-packages.txt)",
)
def test_turntable_mp4_through_ffmpeg(tmp_path):
    out = tmp_path / "duck.mp4"
    done = turntable(
        corpus_file("meshes", "Duck.glb"), "-o", out, "--frames", "12", "--size", "161x120"
    )
    assert done.returncode == 0, done.stderr
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-of", "json", "-show_entries",
         "stream=codec_name,width,height,nb_read_frames", str(out)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    (stream,) = json.loads(probe.stdout)["streams"]
    assert stream["codec_name"] == "h264" and (stream["width"], stream["height"]) == (162, 120)
    assert int(stream["nb_read_frames"]) == 12


def test_a_scene_entry_is_not_processed_as_one_model_and_says_how(isolated):
    from aiml3d_desktop.core.composition import in_library as scenes
    from aiml3d_desktop.core.composition.document import SceneDoc

    library = Library(isolated / "data" / "library")
    entry = scenes.add_scene(library, SceneDoc(name="Room"), None)
    library.close()
    done = run("process", entry.id, "--preset", "game")
    assert done.returncode != 0
    assert "Room is a composed scene" in done.stderr and "aiml3d scene build" in done.stderr

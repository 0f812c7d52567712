"""The ``aiml3d`` command against the fake API: run in this process (what it prints, its
exit status), and as a real process where signals or limits are involved."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys

import pytest

from aiml3d_desktop import cli
from tests.conftest import (
    aiml3d_command,
    corpus_file,
    files_in,
    generate_args,
    library_files,
    make_photo,
    wait_for,
)


def run(*args, key=None, stdin=None, env=None) -> subprocess.CompletedProcess:
    """``aiml3d ARGS`` in this process, with ``stdin``, the key and ``env`` as given."""
    saved_env, saved_stdin = dict(os.environ), sys.stdin
    os.environ.update({**(env or {}), **({"AIMLAPI_KEY": key} if key else {})})
    sys.stdin = io.StringIO(stdin or "")
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main([str(a) for a in args])
            except SystemExit as exc:  # argparse: --help, --version, usage errors
                code = exc.code if isinstance(exc.code, int) else 0
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.stdin = saved_stdin
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def generate(fake, *inputs, out, extra=(), key=None):
    return run(*generate_args(fake, *inputs, out=out, extra=extra), key=key or fake.KEY)


def one_error_line(result) -> str:
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("aiml3d: error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_generate_then_info(fake_api, photo, tmp_path):
    out = tmp_path / "out"
    result = run("generate", photo, "-o", out, "--api-base", fake_api.base_url, key=fake_api.KEY)
    assert result.returncode == 0, result.stderr
    assert "chair.png: generating the model…" in result.stderr
    assert f"-> {out / 'chair.glb'}" in result.stdout and "1 of 1 done" in result.stdout
    assert files_in(out) == ["chair.glb", "chair.glb.json"]
    meta = json.loads((out / "chair.glb.json").read_text())
    assert meta["credits_used"] == 182000 and meta["mesh"]["triangles"] == len(fake_api.mesh.faces)
    assert fake_api.KEY not in (out / "chair.glb.json").read_text()
    # The library keeps it too, with the picture as given and as uploaded.
    (entry,) = json.loads(run("library", "list", "--json").stdout)
    assert entry["title"] == "chair" and entry["request_id"] == meta["request_id"]
    assert entry["stats"]["triangles"] == len(fake_api.mesh.faces) and not entry["missing"]
    folder = entry["folder"]
    assert sorted(os.listdir(folder)) == ["chair.glb", "entry.json", "source.png", "uploaded.png"]

    info = run("info", out / "chair.glb", "--json")
    assert info.returncode == 0
    stats = json.loads(info.stdout)
    assert stats["triangles"] == len(fake_api.mesh.faces) and stats["colours"] == "per-vertex"
    text = run("info", out / "chair.glb").stdout
    assert "Triangles   1,280" in text and "Watertight  yes" in text


def test_generate_from_url_with_every_option(fake_api, tmp_path):
    out = tmp_path / "out"
    result = generate(
        fake_api,
        "https://example.com/robot.png",
        out=out,
        extra=[
            "--format",
            "obj",
            "--no-remove-bg",
            "--foreground-ratio",
            "0.7",
            "--mc-resolution",
            "640",
        ],
    )
    assert result.returncode == 0, result.stderr
    assert "not recommended" in result.stderr  # 640 > 512
    body = fake_api.calls("api")[0].body
    assert body == {
        "model": "triposr",
        "image_url": "https://example.com/robot.png",
        "output_format": "obj",
        "do_remove_background": False,
        "foreground_ratio": 0.7,
        "mc_resolution": 640,
    }
    assert json.loads(run("info", out / "robot.obj", "--json").stdout)["triangles"] == 1280


def test_batch_goes_on_after_a_failure_and_exits_non_zero(fake_api, tmp_path):
    good = make_photo(tmp_path / "a.png")
    bad = tmp_path / "b.png"
    bad.write_text("not a picture")
    out = tmp_path / "out"
    result = generate(fake_api, good, bad, make_photo(tmp_path / "c.jpg", mode="RGB"), out=out)
    assert result.returncode == 1
    assert "2 of 3 done, 1 failed" in result.stdout
    assert "b.png is not an image" in one_error_line(result)
    assert files_in(out) == ["a.glb", "a.glb.json", "c.glb", "c.glb.json"]


FAULTS = [
    ("403", "out of credits"),
    ("404", "HTTP 404"),
    ("422", "Could not download the image"),
    ("429", "wait a minute"),
    ("500", "try again later"),
    ("500-maintenance", "under maintenance"),
    ("502", "HTTP 502"),
    ("503", "unavailable"),
    ("504", "lower marching-cubes resolution"),
    ("400-datauri", "give that address instead"),
    ("drop", "Could not reach"),
    ("slow", "did not answer within 1 seconds"),
    ("not-json", "not a JSON object"),
    ("bad-shape", "holds no mesh"),
    ("truncated", "broke off"),
    ("wrong-type", "web page instead of a mesh"),
    ("not-mesh", "not a whole GLB file"),
    ("oversize", "larger than the 1 MiB limit"),
    ("cdn-404", "HTTP 404"),
]


@pytest.mark.parametrize("fault, words", FAULTS, ids=[f for f, _ in FAULTS])
def test_every_fault_is_one_line_non_zero_and_leaves_nothing(
    fake_api, photo, tmp_path, fault, words, isolated
):
    (isolated / "config").mkdir(parents=True)
    (isolated / "config" / "settings.json").write_text('{"max_download_mib": 1}')
    fake_api.queue(fault)
    out = tmp_path / "out"
    result = generate(fake_api, photo, out=out, extra=["--retries", "0", "--timeout", "1"])
    assert result.returncode == 1
    assert words in one_error_line(result)
    assert files_in(out) == [] and library_files(isolated) == []


def test_wrong_key_and_no_key(fake_api, photo, tmp_path):
    result = generate(fake_api, photo, out=tmp_path / "o", key="sk-wrong-key-1234")
    assert result.returncode == 1 and "Set a valid API key" in one_error_line(result)
    assert "sk-wrong-key-1234" not in result.stderr + result.stdout
    result = run("generate", photo, "-o", tmp_path / "o", "--api-base", fake_api.base_url)
    assert result.returncode == 1 and "No AIML API key is set" in one_error_line(result)
    assert files_in(tmp_path / "o") == []


def test_hostile_file_name_is_ignored(fake_api, photo, tmp_path):
    fake_api.queue("hostile-name")
    result = generate(fake_api, photo, out=tmp_path / "a" / "b")
    assert result.returncode == 0
    assert files_in(tmp_path / "a") == ["b/chair.glb", "b/chair.glb.json"]


def test_retry_then_success(fake_api, photo, tmp_path):
    fake_api.queue("503", "drop")
    result = generate(fake_api, photo, out=tmp_path / "o", extra=["--retries", "2"])
    assert result.returncode == 0, result.stderr
    assert len(fake_api.calls("api")) == 3


def test_interrupt_during_download_removes_the_partial_file(fake_api, photo, tmp_path, isolated):
    fake_api.queue("slow-download")
    out = tmp_path / "out"
    env = {**os.environ, "AIMLAPI_KEY": fake_api.KEY}
    proc = subprocess.Popen(
        aiml3d_command(*generate_args(fake_api, photo, out=out)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # Ctrl-C as a terminal delivers it, even if these tests run with SIGINT ignored (as a
        # shell's background job does; the child would inherit that).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    wait_for(
        lambda: any(f.endswith(".part") for f in library_files(isolated)),
        what="the download to start",
    )
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 130 and "interrupted" in stderr and "Traceback" not in stderr
    assert files_in(out) == [] and library_files(isolated) == []


def test_convert(tmp_path, fake_api):
    src = tmp_path / "s.glb"
    src.write_bytes(fake_api.glb)
    for fmt in ("obj", "stl", "ply", "glb"):
        result = run("convert", src, tmp_path / f"out.{fmt}")
        assert result.returncode == 0, result.stderr
        assert (
            json.loads(run("info", tmp_path / f"out.{fmt}", "--json").stdout)["triangles"] == 1280
        )
    result = run("convert", src, tmp_path / "out.fbx")
    assert result.returncode == 1 and "Cannot write .fbx" in one_error_line(result)


def test_info_on_broken_file(tmp_path):
    bad = tmp_path / "bad.glb"
    bad.write_bytes(b"garbage" * 10)
    result = run("info", bad)
    assert result.returncode == 1 and "could not be read as GLB" in one_error_line(result)


def test_help_and_version():
    from aiml3d_desktop import __version__

    assert run("--version").stdout.strip() == f"aiml3d {__version__}"
    text = run("generate", "--help").stdout
    for option in (
        "--format",
        "--no-remove-bg",
        "--foreground-ratio",
        "--mc-resolution",
        "--api-base",
        "-o",
        "AIMLAPI_KEY",
    ):
        assert option in text
    bad = run("generate", "x.png", "--format", "fbx")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_view_starts_without_the_other_commands(monkeypatch):
    """`aiml3d view FILE` reaches the window without importing the other commands' modules
    (numpy among them) or building their parsers; what it passes on is what the parser
    would make of it, and every command still runs its own function."""
    child = (
        "import sys, aiml3d_desktop.cli as cli; "
        "print(sorted(m for m in sys.modules if m.startswith('aiml3d_desktop.cli.')), "
        "'numpy' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["['aiml3d_desktop.cli.output']", "False"]
    seen: list[list[str]] = []
    monkeypatch.setattr("aiml3d_desktop.gui.app.run", lambda files: seen.append(files) or 0)
    assert cli.main(["view", "some model.glb"]) == 0
    parsed = cli.build_parser().parse_args(["view", "some model.glb"])
    assert seen == [[str(parsed.mesh)]] and parsed.command == "view"
    for name in cli.COMMANDS:
        assert callable(cli._command(name)), name


def test_invalid_parameter_is_refused_before_any_request(fake_api, photo, tmp_path):
    result = generate(fake_api, photo, out=tmp_path / "o", extra=["--mc-resolution", "2000"])
    assert result.returncode == 1 and "Marching-cubes resolution" in one_error_line(result)
    tiny = generate(fake_api, photo, out=tmp_path / "o", extra=["--max-side", "16"])
    assert tiny.returncode == 2 and "--max-side must be 256 to 4096" in one_error_line(tiny)
    assert fake_api.calls("api") == []


def test_key_commands_without_a_keychain():
    result = run(
        "key",
        "set",
        stdin="sk-secret-9999\n",
        env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    )
    assert result.returncode == 1 and "no OS keychain" in one_error_line(result)
    assert "sk-secret-9999" not in result.stdout + result.stderr
    status = run("key", "status", key="sk-env-key-7777")
    assert "environment" in status.stdout and "7777" in status.stdout
    assert "sk-env-key" not in status.stdout


def test_api_base_from_environment_and_plain_http_refused(fake_api, photo, tmp_path):
    args = ("generate", photo, "-o", tmp_path / "o", "-q")
    result = run(*args, key=fake_api.KEY, env={"AIML_API_BASE": fake_api.base_url})
    assert result.returncode == 0, result.stderr
    result = run(*args, "--api-base", "http://api.aimlapi.com", key=fake_api.KEY)
    assert result.returncode == 1 and "plain http" in one_error_line(result)


def test_full_disk_is_a_clear_error_and_leaves_nothing(photo, tmp_path, isolated):
    """A file-size limit makes every write past 64 KiB fail as a full disk would (SQLite's
    shared-memory file needs 32 KiB, the mesh over 100)."""
    import resource

    from tests.fake_api import FakeAimlApi

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get an error, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    out = tmp_path / "out"
    assert run("library", "list").returncode == 0  # the library exists; the mesh write fails
    fake_api = FakeAimlApi(mesh_subdivisions=4)
    env = {**os.environ, "AIMLAPI_KEY": fake_api.KEY, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        result = subprocess.run(
            aiml3d_command(*generate_args(fake_api, photo, out=out)),
            capture_output=True,
            text=True,
            env=env,
            preexec_fn=small_disk,
            timeout=60,
        )
    finally:
        fake_api.close()
    assert len(fake_api.glb) > 64 * 1024
    assert result.returncode == 1
    assert "Could not write the mesh" in one_error_line(result)
    assert "Free some disk space" in result.stderr
    assert files_in(out) == [] and library_files(isolated) == []


def test_the_sort_choices_are_the_librarys_sorts():
    from aiml3d_desktop.cli.library import SORT_KEYS
    from aiml3d_desktop.core.library.index import SORTS

    assert tuple(SORTS) == SORT_KEYS


def test_library_commands(fake_api, photo, tmp_path):
    """Every library command, offline: no key, no server."""
    duck = corpus_file("meshes", "Duck.glb")
    imported = run("library", "import", duck, "--json")
    assert imported.returncode == 0, imported.stderr
    (entry,) = json.loads(imported.stdout)
    assert entry["title"] == "Duck" and entry["stats"]["triangles"] == 4212
    run("library", "import", corpus_file("meshes", "bunny.ply"))
    listed = json.loads(run("library", "list", "--json").stdout)
    assert [e["title"] for e in listed] == ["bunny", "Duck"]
    assert [e["title"] for e in json.loads(run("library", "list", "duck", "--json").stdout)] == [
        "Duck"
    ]
    text = run("library", "list").stdout
    assert "Duck" in text and "4,212 tris" in text
    show = json.loads(run("library", "show", entry["id"][:-3], "--json").stdout)  # a prefix
    assert show["id"] == entry["id"] and show["mesh_path"].endswith("Duck.glb")
    out = tmp_path / "duck.stl"
    assert run("library", "export", entry["id"], out).returncode == 0
    assert json.loads(run("info", out, "--json").stdout)["triangles"] == 4212

    deleted = run("library", "delete", entry["id"])
    assert deleted.returncode == 0 and "library restore" in deleted.stderr
    assert [e["title"] for e in json.loads(run("library", "list", "--json").stdout)] == ["bunny"]
    assert run("library", "restore", entry["id"]).returncode == 0
    assert len(json.loads(run("library", "list", "--json").stdout)) == 2
    assert "holds 2 entries" in run("library", "rebuild").stdout

    missing = run("library", "show", "nope")
    assert missing.returncode == 1 and "No library entry" in one_error_line(missing)
    broken = tmp_path / "broken.stl"
    broken.write_bytes(b"solid x\nendsolid x\n")
    bad = run("library", "import", broken)
    assert bad.returncode == 1 and "broken.stl" in one_error_line(bad)
    assert len(json.loads(run("library", "list", "--json").stdout)) == 2


def test_library_folder_option_and_damaged_index(tmp_path):
    lib = tmp_path / "elsewhere"
    assert (
        run("library", "--library", lib, "import", corpus_file("meshes", "cube.glb")).returncode
        == 0
    )
    (lib / "index.sqlite").write_bytes(b"garbage" * 1000)
    listed = run("library", "--library", lib, "list", "--json")
    assert listed.returncode == 0 and "rebuilt it from 1 folder(s)" in listed.stderr
    assert [e["title"] for e in json.loads(listed.stdout)] == ["cube"]


def test_local_backend_needs_no_key_and_no_server(photo, tmp_path):
    result = run(
        "generate",
        photo,
        "--backend",
        "local",
        "-o",
        tmp_path / "out",
        "--api-base",
        "https://unreachable.invalid",
    )
    assert result.returncode == 0, result.stderr
    assert files_in(tmp_path / "out") == ["chair.glb", "chair.glb.json"]
    meta = json.loads((tmp_path / "out" / "chair.glb.json").read_text())
    assert meta["model"] == "local-relief" and meta["mesh"]["watertight"]
    (entry,) = json.loads(run("library", "list", "--json").stdout)
    assert entry["model"] == "local-relief"


def test_text_to_3d_from_the_command_line(fake_api, tmp_path):
    result = run(
        "generate",
        "--prompt",
        "a red armchair",
        "--prompt-suffix",
        ", studio photo",
        "-o",
        tmp_path / "out",
        "--api-base",
        fake_api.base_url,
        "-q",
        key=fake_api.KEY,
    )
    assert result.returncode == 0, result.stderr
    assert "1 of 1 done" in result.stdout
    assert fake_api.calls("api")[0].body["prompt"] == "a red armchair, studio photo"
    assert files_in(tmp_path / "out") == ["a red armchair.glb", "a red armchair.glb.json"]
    (entry,) = json.loads(run("library", "list", "--json").stdout)
    assert entry["source_kind"] == "prompt" and entry["source_file"] == "source.png"
    nothing = run("generate", "-q")
    assert nothing.returncode == 2 and "--prompt" in one_error_line(nothing)


def test_folder_and_prompt_through_the_queue_in_parallel(fake_api, tmp_path):
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        make_photo(shoot / name)
    (shoot / "d.png").write_text("not a picture")
    (shoot / "readme.txt").write_text("skipped")
    result = run(
        "generate",
        shoot,
        "--prompt",
        "a teapot",
        "--jobs",
        "3",
        "--api-base",
        fake_api.base_url,
        "-q",
        key=fake_api.KEY,
    )
    assert result.returncode == 1
    assert "4 of 5 done, 1 failed" in result.stdout
    assert "d.png is not an image" in one_error_line(result)
    made = {line.split(" -> ")[0] for line in result.stdout.splitlines() if " -> " in line}
    assert made == {str(shoot / n) for n in ("a.png", "b.png", "c.png")} | {"prompt 'a teapot'"}
    entries = json.loads(run("library", "list", "--json").stdout)
    assert len(entries) == 4 and len({e["id"] for e in entries}) == 4
    assert run("generate", shoot, "--jobs", "9").returncode == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run("generate", empty, key=fake_api.KEY)
    assert nothing.returncode == 1 and "no pictures" in one_error_line(nothing)


def test_the_command_line_stops_at_a_wrong_key_with_one_message(
    fake_api, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("AIMLAPI_KEY", "wrong-key")
    inputs = [str(p) for p in [make_photo(tmp_path / f"p{n}.png") for n in range(3)]]
    code = cli.main(["generate", *inputs, "-q", "--jobs", "1", "--api-base", fake_api.base_url])
    err = capsys.readouterr()
    assert code == 1 and err.err.count("aiml3d: error:") == 1
    assert "HTTP 401" in err.err and "(3 not made)" in err.err
    assert "0 of 3 done, 3 not started" in err.out
    assert len(fake_api.calls("api")) == 1

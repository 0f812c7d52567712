"""The library and the queue against other processes, hand edits, kill -9 and a full disk:
nothing a user made may be lost, and nothing may stop the rest of the library working."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aiml3d_desktop import cli
from aiml3d_desktop.core.common import fileio
from aiml3d_desktop.core.generation import batch
from aiml3d_desktop.core.generation.batch import BatchQueue
from aiml3d_desktop.core.library.store import Library
from tests.conftest import ROOT, aiml3d_command, files_in, generate_args, make_photo, wait_for
from tests.fake_api import make_mesh

CHILD_DRAFT = """
import sys, time
from pathlib import Path
from aiml3d_desktop.core.library.store import Library
lib = Library(Path(sys.argv[1]))
with lib.draft() as draft:
    draft.add_file("m.stl", b"solid x\\nendsolid x\\n")
    print(draft.id, flush=True)
    sys.stdin.readline()  # hold the draft until told to go on
    draft.commit(title="made by the child", mesh_file="m.stl")
print("committed", flush=True)
"""


def start_draft(root: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD_DRAFT, str(root)],
        cwd=ROOT,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    return proc, proc.stdout.readline().strip()


def test_opening_the_library_leaves_another_process_draft_alone(tmp_path):
    root = tmp_path / "lib"
    proc, draft_id = start_draft(root)
    try:
        Library(root)  # the window starting, `library list`, a second generate...
        assert (root / ".staging" / draft_id / "m.stl").exists()
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "committed"
    finally:
        proc.wait(10)
    assert proc.returncode == 0
    assert [e.title for e in Library(root).list()] == ["made by the child"]
    assert list((root / ".staging").iterdir()) == []


def test_a_killed_process_draft_is_cleared_at_the_next_open(tmp_path):
    root = tmp_path / "lib"
    proc, draft_id = start_draft(root)
    proc.kill()  # SIGKILL; TerminateProcess on Windows
    proc.wait()
    assert (root / ".staging" / draft_id).exists()
    library = Library(root)
    assert list(library.staging_dir.iterdir()) == [] and library.list() == []


def test_a_cli_batch_survives_library_commands_and_a_second_generate(fake_api, tmp_path):
    """The reported loss: `library list` while `aiml3d generate` ran deleted its drafts."""
    pictures = [str(make_photo(tmp_path / f"p{i}.png")) for i in range(2)]
    fake_api.slow_seconds = 2
    fake_api.queue("slow", "slow")
    env = {**os.environ, "AIMLAPI_KEY": fake_api.KEY}
    proc = subprocess.Popen(
        aiml3d_command(*generate_args(fake_api, *pictures, extra=("--jobs", "2"))),
        cwd=ROOT,
        env=env,
        text=True,
        stderr=subprocess.PIPE,
    )
    staging = Path(os.environ["AIML3D_HOME"]) / "data" / "library" / ".staging"
    wait_for(lambda: len(list(staging.glob("*.lock"))) == 2, what="both drafts")
    assert cli.main(["library", "list"]) == 0  # opens the library mid-batch
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert len(Library().list()) == 2


@pytest.mark.parametrize(
    "edit, shown, words",
    [
        ({"notes": None}, True, "notes is null, expected text"),
        ({"stats": "oops"}, True, "stats is text ('oops'), expected an object or null"),
        ({"favourite": "yes"}, True, "favourite is text ('yes'), expected true/false"),
        ({"tags": "a,b"}, True, "tags is text ('a,b'), expected a list"),
        ({"stats": {"triangles": "many"}}, True, "stats.triangles is text ('many')"),
        ({"created": None}, True, "created is null, expected a date"),
        ({"title": 7}, True, "title is a number, expected some text"),
        ({"source_file": "../../etc/passwd"}, True, "source_file '../../etc/passwd' is not"),
        ([1, 2], False, "holds a JSON list, not an object"),
        ({"mesh_file": None}, False, "its mesh_file None is not a file name"),
        ({"id": "someone-else"}, False, "names another entry"),
        ({"mesh_file": "a" * 300 + ".glb"}, False, "is not a file name"),
        ({"stats": {"triangles": 10**30}}, True, "stats.triangles is a number out of range"),
        ({"stats": {"file_size": -(10**30)}}, True, "stats.file_size is a number out of range"),
        ({"credits": float("nan")}, True, "credits is a number out of range"),
        (
            '{"id": "ID", "mesh_file": "m.stl", "title": "\\ud800 chair"}',
            True,
            "some text held characters no file can store",
        ),  # fmt: skip
        (
            '{"id": "ID", "mesh_file": "m.stl", "pad": "' + "x" * (5 << 20) + '"}',
            False,
            "more than the 4 MB allowed",
        ),  # fmt: skip
        (
            '{"id": "ID", "mesh_file": "m.stl", "extra": {"k": ' + "[" * 500 + "]" * 500 + "}}",
            False,
            "nested too deeply",
        ),  # fmt: skip
        ("{not json", False, "not valid JSON"),
        ("[" * 50_000 + "]" * 50_000, False, "nested too deeply"),
    ],
)
def test_a_mistyped_entry_json_does_not_brick_the_library(tmp_path, capsys, edit, shown, words):
    root = tmp_path / "lib"
    library = Library(root)
    ids = [library.import_mesh(_stl(tmp_path, name)).id for name in ("good", "bad")]
    entry_json = root / "entries" / ids[1] / "entry.json"
    if isinstance(edit, dict):
        edited = {**json.loads(entry_json.read_text()), **edit}
        entry_json.write_text(json.dumps(edited))
    else:
        text = edit if isinstance(edit, str) else json.dumps(edit)
        entry_json.write_text(text.replace("ID", ids[1]).replace("m.stl", "bad.stl"))
    (root / "index.sqlite").unlink()  # so that opening the library indexes it again
    for args in (["list"], ["rebuild"], ["show", ids[0]]):
        assert cli.main(["library", "--library", str(root), *args]) == 0
    err = capsys.readouterr().err
    assert ids[1] in err and words in err  # the warning names the folder and what is wrong
    listed = sorted(e.id for e in Library(root).list())
    assert listed == (sorted(ids) if shown else [ids[0]])
    assert cli.main(["library", "--library", str(root), "check"]) == 1
    out = capsys.readouterr().out
    assert f"{ids[1]}  {'repairable' if shown else 'skipped'}: " in out and words in out
    if shown:
        assert cli.main(["library", "--library", str(root), "check", "--repair"]) == 0
        assert cli.main(["library", "--library", str(root), "check"]) == 0
        assert (entry_json.parent / "entry.json.before-repair").exists()


def _stl(tmp_path: Path, name: str) -> Path:
    import trimesh

    path = tmp_path / f"{name}.stl"
    path.write_bytes(trimesh.creation.box().export(file_type="stl"))
    return path


@pytest.mark.parametrize(
    "content, kept",
    [
        ('{"items": "x"}', 0),
        ("[]", 0),
        ('{"items": [{"source": 5}]}', 0),
        ('{"items": [{"source": "a.png", "params": "oops"}, {"source": "b.png"}]}', 1),
        ('{"items": [{"source": "a.png", "status": "exploded"}, "x", {"source": "b.png"}]}', 1),
        ('{"items": [{"source": "a.png", "max_side": true}]}', 0),
    ],
)
def test_a_queue_file_of_the_wrong_shape_is_moved_aside(tmp_path, content, kept):
    path = tmp_path / batch.QUEUE_FILE
    path.write_text(content)
    queue = BatchQueue(path)
    assert [i.source for i in queue.items()] == ["b.png"][:kept]
    assert len(queue.warnings) == 1
    assert (tmp_path / f"{batch.QUEUE_FILE}.damaged").read_text() == content  # nothing lost


@pytest.mark.parametrize(
    "error, words",
    [
        (RecursionError("maximum recursion depth exceeded"), "nested too deeply"),
        (KeyError("boom"), "Something went wrong inside the app: KeyError"),
    ],
)
def test_one_item_failing_in_any_way_does_not_stop_the_batch(error, words):
    queue = BatchQueue()
    queue.add(["a.png", "b.png", "c.png"])

    def execute(item, cancel):
        if item.source == "b.png":
            raise error
        return None, "made"

    batch.run(queue, execute, jobs=1)
    assert [(i.status, i.source) for i in queue.items()] == [
        ("done", "a.png"),
        ("failed", "b.png"),
        ("done", "c.png"),
    ]
    message = queue.items()[1].message
    assert words in message and "\n" not in message


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EROFS])
def test_a_full_disk_stops_the_batch_before_the_next_item(code):
    """Every item after it would pay for a model and fail to keep it the same way."""
    queue = BatchQueue()
    queue.add(["a.png", "b.png", "c.png"])
    started = []

    def execute(item, cancel):
        started.append(item.source)
        if item.source == "b.png":
            raise OSError(code, os.strerror(code), "/lib/x")
        return None, "made"

    stopped = batch.run(queue, execute, jobs=1)
    assert started == ["a.png", "b.png"]
    assert [i.status for i in queue.items()] == ["done", "waiting", "waiting"]
    assert stopped is not None and os.strerror(code) in stopped.message


KILLED_WRITER = """
import sys, time
from aiml3d_desktop.core.common.fileio import atomic_path
with atomic_path(sys.argv[1]) as tmp:
    tmp.write_bytes(b"half a mesh")
    print("writing", flush=True)
    time.sleep(60)
"""


def test_leftovers_of_a_killed_writer_are_swept_and_a_live_ones_kept(tmp_path):
    out = tmp_path / "out"
    dest = out / "chair.glb"
    live = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(dest)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    dead = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(out / "robot.glb")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert live.stdout.readline() == dead.stdout.readline() == "writing\n"
        dead.kill()  # SIGKILL; TerminateProcess on Windows
        dead.wait()
        assert len(files_in(out)) == 2
        assert fileio.sweep_partials(out) == 1
        (left,) = files_in(out)
        assert left.startswith(".chair.glb.")  # the live writer's file is untouched
    finally:
        live.kill()
        live.wait()
    assert fileio.sweep_partials(out) == 1 and files_in(out) == []


def test_generate_into_a_folder_sweeps_what_a_killed_run_left(
    fake_api, tmp_path, photo, monkeypatch
):
    out = tmp_path / "out"
    fake_api.slow_seconds = 30
    fake_api.queue("slow-download")
    to_folder = generate_args(fake_api, photo, out=out, extra=("--no-library",))
    env = {**os.environ, "AIMLAPI_KEY": fake_api.KEY}
    proc = subprocess.Popen(
        aiml3d_command(*to_folder),
        cwd=ROOT,
        env=env,
    )
    wait_for(lambda: files_in(out), what="the download to start")
    proc.kill()  # SIGKILL; TerminateProcess on Windows
    proc.wait()
    (leftover,) = files_in(out)
    assert leftover.endswith(".part")
    monkeypatch.setenv("AIMLAPI_KEY", fake_api.KEY)
    assert cli.main(to_folder) == 0
    assert files_in(out) == ["chair.glb", "chair.glb.json"]


def as_root(*command: str) -> list[str]:
    """``command`` run as root: directly when we are, else through sudo without a password
    (GitHub's runners allow that)."""
    return list(command) if os.geteuid() == 0 else ["sudo", "-n", *command]


@pytest.fixture
def full_disk(tmp_path):
    """A real 5 MiB file system (a tmpfs, ours to write), which tests fill: writes then fail
    with ENOSPC. Mounting needs Linux and root or sudo; on Linux CI a failure to mount fails
    the test rather than skipping it, so that it can never stop guarding unseen."""
    if sys.platform != "linux":
        pytest.skip("a tmpfs of its own needs Linux (Windows and macOS CI run core tests only)")
    mount = tmp_path / "disk"
    mount.mkdir()
    options = f"size=5m,uid={os.getuid()},gid={os.getgid()}"
    done = subprocess.run(
        as_root("mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)),
        capture_output=True,
        text=True,
    )
    if done.returncode:
        why = f"cannot mount a tmpfs here ({done.stderr.strip()})"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    try:
        yield mount
    finally:
        subprocess.run(as_root("umount", "-l", str(mount)), check=True)


def fill(folder: Path, leave: int) -> None:
    stat = os.statvfs(folder)
    (folder / "ballast").write_bytes(b"\0" * max(0, stat.f_bavail * stat.f_frsize - leave))


def test_a_full_disk_costs_nothing_and_the_library_still_reads(
    fake_api, full_disk, photo, capsys, monkeypatch
):
    """Three pictures on a full disk: no paid call at all (each would make a model that
    cannot be kept), one clear message, and the library still reads."""
    root = full_disk / "lib"
    kept = Library(root).import_mesh(_stl(full_disk, "kept"))
    monkeypatch.setenv("AIML3D_LIBRARY", str(root))
    monkeypatch.setenv("AIMLAPI_KEY", fake_api.KEY)
    pictures = [str(shutil.copy(photo, full_disk / f"p{n}.png")) for n in range(3)]
    fill(full_disk, leave=0)
    args = ["generate", *pictures, "-j", "1", "-q", "--api-base", fake_api.base_url]
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    (error,) = [line for line in err.splitlines() if line.startswith("aiml3d: error:")]
    assert "Nothing was sent" in error and "MB free" in error and "Traceback" not in err
    assert "3 not made" in error
    assert fake_api.calls("api") == []
    assert list((root / ".staging").iterdir()) == []  # nothing half-made left behind
    assert cli.main(["library", "list"]) == 0  # a full disk still reads
    assert kept.id in capsys.readouterr().out


def test_a_disk_that_fills_during_a_batch_stops_it_and_the_call_is_counted(
    fake_api, full_disk, photo, capsys, monkeypatch
):
    """Room for the ledger's line but not for the model: the paid call is recorded, the
    batch stops before the next one."""
    root = full_disk / "lib"
    library = Library(root)
    assert library.usage is not None and library.usage.calls() == []
    library.close()
    monkeypatch.setenv("AIML3D_LIBRARY", str(root))
    monkeypatch.setenv("AIMLAPI_KEY", fake_api.KEY)
    monkeypatch.setattr(fileio, "MIN_FREE", 1)  # let the first call through
    pictures = [str(shutil.copy(photo, full_disk / f"p{n}.png")) for n in range(3)]
    fake_api.glb = make_mesh(5).export(file_type="glb")  # 0.8 MB: more than is left
    fill(full_disk, leave=256 << 10)  # for the index's and the ledger's files
    args = ["generate", *pictures, "-j", "1", "-q", "--api-base", fake_api.base_url]
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert len(fake_api.calls("api")) == 1, err  # the next two never paid
    (full_disk / "ballast").unlink()
    (call,) = Library(root).usage.calls()
    assert call.model == "triposr" and call.credits == 182_000
    assert Library(root).list() == [] and list((root / ".staging").iterdir()) == []


def test_no_space_for_the_picture_copy_is_a_storage_error(
    fake_api, job_options, photo, tmp_path, monkeypatch
):
    """The step the reported batch died in: the mesh is in the draft, copying the picture
    beside it fails."""
    import shutil

    from aiml3d_desktop.core.api.params import TriposrParams
    from aiml3d_desktop.core.common.errors import LibraryError
    from aiml3d_desktop.core.generation import jobs

    def no_space(src, dst, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    library = Library(tmp_path / "lib")
    monkeypatch.setattr(shutil, "copyfile", no_space)
    with pytest.raises(LibraryError, match="Could not save to the library: No space left"):
        jobs.generate_to_library(library, str(photo), TriposrParams(), job_options)
    assert files_in(library.staging_dir) == [] and library.list() == []


def test_a_deeply_nested_settings_file_is_a_warning(capsys):
    from aiml3d_desktop import paths

    paths.config_dir().mkdir(parents=True)
    (paths.config_dir() / "settings.json").write_text("[" * 100_000 + "]" * 100_000)
    assert cli.main(["library", "list"]) == 0
    err = capsys.readouterr().err
    assert "settings file" in err and "nested too deeply" in err


def test_many_processes_opening_a_new_library_at_once(tmp_path):
    """Each sets up the index only if no other has: no crash, and no process throws away
    an index another one is using."""
    root = tmp_path / "lib"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "aiml3d_desktop", "library", "--library", str(root), "list"],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(8)
    ]
    results = [(p.wait(60), p.stderr.read()) for p in procs]
    assert all(code == 0 for code, _ in results), results
    assert not any("damaged" in err or "Traceback" in err for _, err in results), results


def test_an_unmarked_folder_in_the_trash_is_kept(tmp_path):
    """What a delete killed at the wrong moment (or an older version) left: never purged
    without a date, but dated now."""
    library = Library(tmp_path / "lib")
    entry = library.import_mesh(_stl(tmp_path, "box"))
    os.rename(entry.folder, library.trash_dir / entry.id)
    Library(tmp_path / "lib")
    assert (library.trash_dir / entry.id / "box.stl").exists()
    assert (library.trash_dir / entry.id / ".deleted").exists()
    assert Library(tmp_path / "lib").restore(entry.id).title == "box"


def test_a_thumbnail_after_another_process_deleted_the_entry(tmp_path):
    from aiml3d_desktop.core.common.errors import InputError, LibraryError

    library = Library(tmp_path / "lib")
    entry = library.import_mesh(_stl(tmp_path, "box"))
    Library(tmp_path / "lib").delete(entry.id)  # the other process
    with pytest.raises(LibraryError, match="moved or deleted meanwhile"):
        library.save_thumbnail(entry, b"png")
    with pytest.raises(InputError, match="No library entry"):
        library.update(entry.id, title="x")
    assert not (library.entries_dir / entry.id).exists()  # not made anew, half empty
    assert Library(tmp_path / "lib").restore(entry.id).title == "box"


@pytest.mark.parametrize("prefix", ["%", "_", "", " "])
def test_wildcards_and_nothing_are_not_an_entry_id(tmp_path, prefix):
    from aiml3d_desktop.core.common.errors import InputError

    library = Library(tmp_path / "lib")
    library.import_mesh(_stl(tmp_path, "box"))
    with pytest.raises(InputError, match="No library entry"):
        library.delete(prefix)
    assert len(library.list()) == 1


def test_a_killed_queue_write_is_swept_when_the_library_opens(tmp_path):
    root = tmp_path / "lib"
    Library(root)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(root / "queue.json")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline() == "writing\n"
    proc.kill()  # SIGKILL; TerminateProcess on Windows
    proc.wait()
    assert any(name.endswith(".part") for name in os.listdir(root))
    Library(root)
    assert not any(name.endswith(".part") for name in os.listdir(root))


@pytest.mark.parametrize("name", ["a" * 300 + ".png", "a" * 300 + ".glb"])
def test_names_no_disk_allows_are_one_line(capsys, name):
    assert cli.main([name]) == 2
    assert cli.main(["generate", name, "-q", "--backend", "local"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("aiml3d: error:") == 2


def test_an_unexpected_failure_is_one_line_here_and_a_traceback_in_the_log(
    photo, capsys, monkeypatch
):
    from aiml3d_desktop import paths
    from aiml3d_desktop.core.generation import jobs

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(jobs, "generate_item", broken)
    assert cli.main(["generate", str(photo), "-q", "--backend", "local"]) == 1
    err = capsys.readouterr().err
    assert "Something went wrong inside the app: KeyError" in err and "Traceback" not in err
    log = (paths.log_dir() / "aiml3d.log").read_text()
    assert "Traceback" in log and "KeyError: 'a bug'" in log


def test_a_read_only_library_still_lists(full_disk, capsys, monkeypatch):
    root = full_disk / "lib"
    library = Library(root)
    kept = library.import_mesh(_stl(full_disk, "kept"))
    library.close()  # nothing of ours open there: the remount needs that
    subprocess.run(as_root("mount", "-o", "remount,ro", str(full_disk)), check=True)
    monkeypatch.setenv("AIML3D_LIBRARY", str(root))
    assert cli.main(["library", "list"]) == 0
    captured = capsys.readouterr()
    assert kept.id in captured.out and "read from its folders" in captured.err


def test_one_number_too_big_for_sqlite_leaves_every_command_working(tmp_path, capsys, monkeypatch):
    """The audit's case: triangles of 1e30 (as an integer) in one entry.json, the index
    deleted; list, show, export, rebuild, usage and check all run, the rest is shown."""
    root = tmp_path / "lib"
    library = Library(root)
    good, bad = (library.import_mesh(_stl(tmp_path, name)) for name in ("good", "bad"))
    library.close()
    data = json.loads((bad.folder / "entry.json").read_text())
    data["stats"]["triangles"] = data["stats"]["file_size"] = 10**30
    (bad.folder / "entry.json").write_text(json.dumps(data))
    (root / "index.sqlite").unlink()
    lib = ["library", "--library", str(root)]
    for args in (["list"], ["show", good.id], ["export", good.id, str(tmp_path / "o.stl")],
                 ["rebuild"], ["show", bad.id]):  # fmt: skip
        assert cli.main([*lib, *args]) == 0, args
    assert (tmp_path / "o.stl").is_file()
    assert cli.main([*lib, "check"]) == 1
    assert "stats.triangles is a number out of range" in capsys.readouterr().out
    monkeypatch.setenv("AIML3D_LIBRARY", str(root))
    assert cli.main(["usage"]) == 0
    assert "Traceback" not in capsys.readouterr().err


def _link(path: Path, target: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    path.symlink_to(target)


@pytest.mark.parametrize("what", ["mesh", "entry.json", "versions", "folder", "later"])
def test_a_symbolic_link_inside_the_library_is_never_followed(tmp_path, capsys, monkeypatch, what):
    """A library synced or unpacked with links in it: an export must not copy out a private
    file, a new version must not be written outside; check names the entry."""
    root = tmp_path / "lib"
    library = Library(root)
    entry = library.import_mesh(_stl(tmp_path, "chair"))
    secret = tmp_path / "outside" / "secret.stl"
    secret.parent.mkdir()
    shutil.copy(entry.mesh_path, secret)
    library.close()
    if what in ("mesh", "later"):
        _link(entry.mesh_path, secret)
    elif what == "entry.json":
        shutil.copy(entry.folder / "entry.json", secret.parent / "entry.json")
        _link(entry.folder / "entry.json", secret.parent / "entry.json")
    elif what == "versions":
        _link(entry.folder / "versions", secret.parent)
    else:
        moved = tmp_path / "outside" / entry.id
        shutil.move(entry.folder, moved)
        _link(entry.folder, moved)
    if what != "later":
        (root / "index.sqlite").unlink()  # else the index still holds the entry as it was
    before = sorted(p.name for p in secret.parent.iterdir())
    lib = ["library", "--library", str(root)]
    assert cli.main([*lib, "export", entry.id, str(tmp_path / "out.stl")]) == 1
    monkeypatch.setenv("AIML3D_LIBRARY", str(root))
    assert cli.main(["process", "--clean", entry.id]) != 0
    err = capsys.readouterr().err
    assert "symbolic link" in err and "Traceback" not in err
    assert not (tmp_path / "out.stl").exists()
    assert sorted(p.name for p in secret.parent.iterdir()) == before  # nothing written there
    assert cli.main([*lib, "check"]) == 1
    out = capsys.readouterr().out
    assert f"{entry.id}  skipped: " in out and "symbolic link" in out
    assert cli.main([*lib, "delete", entry.id]) == 0 or what != "later"


def test_an_answer_nested_too_deeply_is_not_kept_in_an_entry():
    """Kept whole, 500 levels in an answer's unknown fields (json reads them) would make the
    entry impossible to write or index later (asdict takes two frames a level)."""
    from aiml3d_desktop.core.api import answers
    from aiml3d_desktop.core.library.entry import Entry

    deep: list = []
    for _ in range(500):
        deep = [deep]
    kept = answers._unknown({"weird": deep, "fine": {"a": [1, 2]}}, set())
    assert "nested too deeply" in kept["note"]
    entry = Entry("x", "2026-11-01T00:00:00+00:00", "t", "m.glb", extra={"answer_unknown": kept})
    json.dumps(entry.to_json())  # writable

"""Starting the app with every kind of argument a file manager, a terminal or a script can
give it, as a real process on the test display: it must come up and handle each one, never
crash before (or after) its window appears."""

from __future__ import annotations

import pytest

from tests.app_process import AppProcess
from tests.conftest import make_photo
from tests.fake_api import make_mesh

pytestmark = pytest.mark.gui


@pytest.fixture
def things(tmp_path, fake_api):
    folder = tmp_path / "photos"
    folder.mkdir()
    make_photo(folder / "a.png")
    make_photo(folder / "b.png")
    model = tmp_path / "model.glb"
    model.write_bytes(make_mesh(2).export(file_type="glb"))
    odd = tmp_path / "odd.glb"
    odd.mkdir()  # a folder with a mesh's name
    return {
        "picture": (str(make_photo(tmp_path / "chair.png")), "opened picture", "chair.png"),
        "mesh": (str(model), "opened mesh", "model.glb"),
        "folder": (str(folder), "queued 2 item(s)", ""),
        "link": (f"{fake_api.cdn_url}/images/robot.png", "opened picture", "robot.png"),
        "missing file": (
            str(tmp_path / "gone.png"),
            "Something went wrong: No image file",
            "gone.png",
        ),
        "folder named like a mesh": (str(odd), "Something went wrong: odd.glb is a folder", ""),
    }


@pytest.mark.parametrize(
    "kind, entry",
    [
        ("picture", "aiml3d-desktop"),
        ("picture", "aiml3d"),
        ("mesh", "aiml3d"),
        ("folder", "aiml3d-desktop"),
        ("link", "aiml3d"),
        ("missing file", "aiml3d-desktop"),
        ("folder named like a mesh", "aiml3d-desktop"),
    ],
)
def test_the_app_opens_what_it_is_given(tmp_path, things, kind, entry):
    source, said, name = things[kind]
    app = AppProcess(tmp_path / "home", [source], entry)
    try:
        log = app.wait_for_log("started", said)
        assert name in log.split(said, 1)[1].splitlines()[0]
    finally:
        code, err = app.stop()
    assert "Traceback" not in err and "uncaught exception" not in app.log_text()
    assert code == 0, err  # SIGTERM closed the window cleanly


def test_aiml3d_says_what_it_cannot_open(tmp_path, capsys):
    from aiml3d_desktop import cli

    assert cli.main([str(tmp_path / "gone.glb")]) == 2
    err = capsys.readouterr().err
    assert "gone.glb' is neither a command nor a file or folder" in err


def test_a_second_copy_hands_its_files_to_the_running_window(tmp_path, things):
    """A double-click in the file manager while the app runs: the file opens in the running
    window, and the second process ends at once, without a window of its own."""
    home = tmp_path / "home"
    first = AppProcess(home, [])
    try:
        first.wait_for_log("started")
        model, _, _ = things["mesh"]
        second = AppProcess(home, [model])
        code, err = second.stop_when_done(timeout=10)
        assert code == 0, err
        log = first.wait_for_log("handed over 1 item(s)", "opened mesh", "mesh on screen")
        assert f"mesh on screen: {model}" in log
        assert log.count("started AIML 3D Desktop") == 1  # one window, one process
        assert AppProcess(home, []).stop_when_done(timeout=10)[0] == 0  # no files: raised
        assert first.proc.poll() is None
    finally:
        code, err = first.stop()
    assert code == 0, err


def test_a_stale_socket_or_a_stranger_does_not_stop_the_app(tmp_path, things):
    import signal
    import socket

    from aiml3d_desktop.gui import instance

    home = tmp_path / "home"  # the isolated fixture's AIML3D_HOME: the same address
    first = AppProcess(home, [])
    first.wait_for_log("started")
    path = instance.address()
    with socket.socket(socket.AF_UNIX) as sock:  # garbage on the socket is ignored
        sock.connect(path)
        sock.sendall(b'{"sources": [1, {"x": "\xff"}]\n')
        assert sock.recv(16) == b"no\n"
    first.wait_for_log("not from a copy of the app")
    first.proc.send_signal(signal.SIGKILL)  # leaves its socket behind
    first.proc.wait()
    second = AppProcess(home, [things["mesh"][0]])
    try:
        second.wait_for_log("mesh on screen")  # its own window, quickly
    finally:
        code, err = second.stop()
    assert code == 0, err


def test_a_second_server_never_takes_a_live_windows_socket(qtbot, monkeypatch):
    """A window too busy to answer in time: the copy that then starts its own must not
    remove the running window's socket (the running window keeps taking files)."""
    import socket

    from aiml3d_desktop.gui import instance, instance_server
    from aiml3d_desktop.gui.instance_server import InstanceServer

    first, second = InstanceServer(), InstanceServer()
    try:
        assert first.listen() and not second.listen()
        with qtbot.waitSignal(first.sources_received) as got:
            done = {}

            def send():
                done["ok"] = instance.hand_over(["/tmp/a.png"])

            import threading

            sender = threading.Thread(target=send)
            sender.start()
            qtbot.waitUntil(lambda: "ok" in done, timeout=5000)
            sender.join()
        assert done["ok"] and got.args == [["/tmp/a.png"]]
        # Idle connections are closed, and at most MAX_CLIENTS are read at once.
        monkeypatch.setattr(instance_server, "READ_MS", 300)
        idle = [socket.socket(socket.AF_UNIX) for _ in range(instance_server.MAX_CLIENTS + 4)]
        for sock in idle:
            sock.connect(instance.address())
        qtbot.waitUntil(lambda: not first._buffers and _all_closed(idle), timeout=5000)
    finally:
        first.close()
        second.close()


def _all_closed(socks) -> bool:
    for sock in socks:
        sock.setblocking(False)
        try:
            if sock.recv(16) != b"":
                return False
        except BlockingIOError:
            return False
    return True


def test_names_no_disk_allows_do_not_stop_the_window(qtbot, window):
    from PySide6.QtCore import QMimeData

    from tests.gui.test_gui import error_box

    window.open_sources(["a" * 300 + ".png"])
    assert "No image file" in error_box(qtbot, window).text()
    mime = QMimeData()
    mime.setText("a pasted sentence " * 30)
    window.take_mime(mime)
    qtbot.waitUntil(lambda: "That is not a picture" in window.status.label.text(), timeout=5000)

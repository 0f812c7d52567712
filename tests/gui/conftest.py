"""Fixtures of the GUI tests: the main window over an empty library and the fake API; a library
of three entries and the window over it with no key; the usage view over a known ledger.

Most controllers are tested without the window: a ``Session`` over the library of the test's
home, a ``Runner`` whose errors end as the window's do (a line in a status line, a message box
on the widget that stands in for the window, and a record of each), a ``Context`` of those,
and each controller built and connected as main_window.py builds and connects it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QSettings, Slot
from PySide6.QtWidgets import QHBoxLayout, QMessageBox, QStatusBar, QVBoxLayout, QWidget

from aiml3d_desktop.core.api.calls import Call
from aiml3d_desktop.core.api.params import TriposrParams
from aiml3d_desktop.core.common.errors import Aiml3DError, Cancelled
from aiml3d_desktop.core.library.store import Library
from aiml3d_desktop.core.session import PICTURE, Session
from aiml3d_desktop.core.settings import Settings
from tests.conftest import FAST, corpus_file, make_photo


@pytest.fixture
def window(qtbot, fake_api, monkeypatch, isolated):
    """The main window, shown, its library open, talking to the fake API; on teardown it
    closes with no worker thread left behind."""
    from aiml3d_desktop.gui.main_window import MainWindow
    from aiml3d_desktop.gui.qt_setup import create_app

    create_app()
    monkeypatch.setenv("AIMLAPI_KEY", fake_api.KEY)
    monkeypatch.setenv("AIML_API_BASE", fake_api.base_url)
    before = {t for t in threading.enumerate()}

    def answer(parent, title, text, *args):
        """A scene left with changes goes (a test that cares answers for itself); any other
        question no test answers would hang it."""
        if title == "The scene is not saved":
            return QMessageBox.StandardButton.Discard
        raise AssertionError(f"the window asked {title!r}: {text}")

    monkeypatch.setattr(QMessageBox, "question", answer)
    win = MainWindow()
    win.session.retry = FAST  # quick retries for the tests
    qtbot.addWidget(win)
    win.resize(1200, 760)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.library is not None, timeout=5000)
    yield win
    win.close()
    assert not win.runner.busy  # no worker thread outlives the window
    leftover = [t for t in threading.enumerate() if t not in before and not t.daemon]
    assert leftover == []


@pytest.fixture
def stocked_library(isolated, fake_api, tmp_path) -> Library:
    """A library with three entries, made before the app starts: two generated (with their
    pictures and parameters) and one imported."""
    lib = Library()
    for title, tags, params in (
        ("Red chair", ["furniture"], TriposrParams(mc_resolution=320)),
        ("Robot", ["toy"], TriposrParams()),
    ):
        with lib.draft() as draft:
            draft.add_file("model.glb", fake_api.glb)
            picture = make_photo(tmp_path / f"{title}.png", size=(300, 200))
            draft.copy_file(picture, "source.png")
            draft.commit(
                title=title,
                mesh_file="model.glb",
                source=str(picture),
                tags=tags,
                source_file="source.png",
                params=params.as_dict(),
                model="triposr",
                stats={"triangles": len(fake_api.mesh.faces)},
            )
    lib.import_mesh(corpus_file("meshes", "Duck.glb"))
    lib.close()
    return lib


@pytest.fixture
def stocked_window(qtbot, stocked_library):
    """The app as a person starts it with no key and no network, over the stocked library.
    A module whose tests all want it names it ``window`` in a fixture of its own."""
    from aiml3d_desktop.gui.main_window import MainWindow
    from aiml3d_desktop.gui.qt_setup import create_app

    create_app()
    before = set(threading.enumerate())
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1400, 860)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.library_panel.model.rowCount() == 3, timeout=5000)
    yield win
    win.close()
    assert not win.runner.busy
    assert [t for t in threading.enumerate() if t not in before and not t.daemon] == []


def history() -> list[Call]:
    """Three weeks up to today: TripoSR every day, Meshy twice, failures now and then."""
    today = datetime.now(timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0)
    calls = []
    for n in range(21):
        at = (today - timedelta(days=20 - n)).isoformat()
        calls.append(Call(at, "triposr", True, credits=182000.0, seconds=8.0 + n % 5))
        if n % 7 == 0:
            calls.append(Call(at, "meshy/meshy-6-image-to-3d", True, usd=0.4, seconds=300))
        if n % 5 == 0:
            calls.append(Call(at, "triposr", False, kind="rate limit"))
    return calls


def open_usage_view(qtbot, usage, calls):
    """View > Usage over ``calls``, drawn."""
    usage.ctx.session.library.usage.add(calls)
    usage.show()
    qtbot.waitUntil(lambda: bool(usage.view and usage.view.calls), timeout=5000)
    view = usage.view
    qtbot.waitExposed(view)
    return view


@pytest.fixture
def usage_view(qtbot, usage):
    """View > Usage over three weeks of ``history()``."""
    return open_usage_view(qtbot, usage, history())


# Controllers without the window


class Host(QWidget):
    """What stands in for the window: the parent of the controllers and of their dialogs,
    their panels down the side and a 3D view (where one is wanted) beside them."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("host")
        row = QHBoxLayout(self)
        self.side_column = QVBoxLayout()
        row.addLayout(self.side_column, 0)
        self.centre_row = QHBoxLayout()
        row.addLayout(self.centre_row, 1)
        self.resize(1200, 760)

    def side(self, widget: QWidget) -> QWidget:
        self.side_column.addWidget(widget)
        return widget

    def centre(self, widget: QWidget) -> QWidget:
        self.centre_row.addWidget(widget, 1)
        return widget


class Route(QObject):
    """The one error route as MainWindow.report_error ends it: a line in the status line and
    a message box on the host (or, for Cancelled, only the line); each error recorded."""

    def __init__(self, host: Host, status) -> None:
        super().__init__(host)
        self.host, self.status = host, status
        self.seen: list[tuple[Aiml3DError, str]] = []

    @Slot(object)
    @Slot(object, str)
    def report(self, error: Aiml3DError, title: str = "Something went wrong") -> None:
        from aiml3d_desktop.gui.errors import show_error

        self.seen.append((error, title))
        if isinstance(error, Cancelled):
            self.status.show("Cancelled — nothing was kept")
            return
        self.status.show(str(error.message))
        show_error(self.host, error, title)


@pytest.fixture
def host(qtbot):
    """The widget in the window's place, shown; closed and deleted after the test."""
    from aiml3d_desktop.gui.qt_setup import create_app

    create_app()
    widget = Host()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def session(fake_api, monkeypatch, isolated):
    """A session as the window's, over the settings' defaults and the library of the test's
    home, talking to the fake API with quick retries; the library closed after the test."""
    monkeypatch.setenv("AIMLAPI_KEY", fake_api.KEY)
    monkeypatch.setenv("AIML_API_BASE", fake_api.base_url)
    session = Session(Settings())
    session.retry = FAST
    library = Library(session.conf.library_path)
    library.usage  # noqa: B018 - opened, as tasks.open_library opens it for the window
    session.open_library(library)
    yield session
    library.close()


@pytest.fixture
def status(host):
    """The status line, in a status bar of its own under the host's panels."""
    from aiml3d_desktop.gui.status_line import StatusLine

    bar = host.side(QStatusBar())
    return StatusLine(bar, host)


@pytest.fixture
def route(host, status) -> Route:
    return Route(host, status)


@pytest.fixture
def runner(qtbot, session, host, status, route):
    """The window's runner: failures to the error route, progress to the status line, and
    garbage collected on the GUI thread. After the test every job is stopped and no thread
    is left behind (the session's library closes after it)."""
    from aiml3d_desktop.gui.qt_setup import collect_garbage_on_gui_thread
    from aiml3d_desktop.gui.workers import Runner

    collect_garbage_on_gui_thread()
    before = set(threading.enumerate())
    runner = Runner(route.report, status.progress, host)
    yield runner
    assert runner.shutdown()
    assert not runner.busy
    assert [t for t in threading.enumerate() if t not in before and not t.daemon] == []


@pytest.fixture
def requests(host, status, route):
    """What the tools ask for, with status lines and errors connected as the window does;
    the rest (open an entry, compare, export) for a test to connect."""
    from aiml3d_desktop.gui.context import Requests

    asked = Requests(host)
    asked.status.connect(status.show)
    asked.error.connect(route.report)
    return asked


@pytest.fixture
def ui(tmp_path) -> QSettings:
    """The window's remembered state, in a file of the test's own."""
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def context(session, runner, ui, requests, host):
    """A tool's Context with no 3D view (for those that draw nothing in it)."""
    from aiml3d_desktop.gui.context import Context

    return Context(session, runner, None, ui, requests, host)


@pytest.fixture
def viewer(qtbot, host):
    """A real 3D view beside the host's panels, exposed."""
    from aiml3d_desktop.gui.widgets.viewer import Viewer

    view = host.centre(Viewer())
    qtbot.waitExposed(view)
    return view


@pytest.fixture
def view_context(context, viewer):
    """A tool's Context with a real 3D view."""
    import dataclasses

    return dataclasses.replace(context, viewer=viewer)


@pytest.fixture
def generation(session, runner, status, route, host):
    """The GenerationController with its picture, prompt, parameters and view slots, as
    main_window.py builds and connects them (the picture panel follows the session)."""
    from aiml3d_desktop.gui.generation import GenerationController
    from aiml3d_desktop.gui.widgets.image_panel import ImagePanel
    from aiml3d_desktop.gui.widgets.params_panel import ParamsPanel
    from aiml3d_desktop.gui.widgets.prompt_box import PromptBox
    from aiml3d_desktop.gui.widgets.view_slots import ViewSlots

    conf = session.conf
    image_panel = host.side(ImagePanel())
    session.listen(PICTURE, image_panel.set_preview)
    params = host.side(ParamsPanel())
    params.load_from(conf)
    views = host.side(ViewSlots())
    prompt = host.side(PromptBox())
    prompt.set_options(conf.image_model, conf.prompt_suffix)
    controller = GenerationController(
        session, runner, status, image_panel, prompt, params, views, host
    )
    controller.error.connect(route.report)
    controller.status.connect(status.show)
    prompt.draw_requested.connect(controller.draw)
    prompt.queue_requested.connect(controller.queue_prompt)
    controller.made: list = []  # what `generated` gave: (library Entry, JobResult)
    controller.generated.connect(lambda entry, result: controller.made.append((entry, result)))
    controller.refresh_ready()
    return controller


@pytest.fixture
def batch(session, runner, status, route, host):
    """The BatchController with its queue panel, over the session's library and queue; what
    runs goes back to waiting after the test, as when the window closes."""
    from aiml3d_desktop.gui.batch_controller import BatchController
    from aiml3d_desktop.gui.widgets.queue_panel import QueuePanel

    panel = host.side(QueuePanel())
    controller = BatchController(session, runner, panel, host)
    controller.status.connect(status.show)
    controller.error.connect(route.report)
    controller.set_library(session.library)
    session.open_library(session.library, controller.queue)
    yield controller
    controller.shutdown()


@pytest.fixture
def queueing(generation, batch):
    """Generation's queued pictures into the batch queue, as the window connects them."""
    generation.enqueue.connect(batch.add)
    return generation, batch


@pytest.fixture
def file_actions(session, runner, ui, host, status, generation):
    """File > Settings and the rest, as the window connects them to the session and to
    generation's request for Settings."""
    from aiml3d_desktop.gui.file_actions import FileActions

    actions = FileActions(host, runner, session, ui, None, generation.picture)
    actions.key_saved.connect(session.key_saved)
    actions.status.connect(status.show)
    generation.settings_wanted.connect(actions.open_settings)
    return actions


@pytest.fixture
def usage(context, status):
    """View > Usage's controller."""
    from aiml3d_desktop.gui.usage_controller import UsageController

    controller = UsageController(context)
    controller.status.connect(status.show)
    yield controller
    if controller.view is not None:
        controller.view.close()


def beside_the_side_panel(controller, host, status):
    """A tool's panel where the window puts it, its status lines in the status bar."""
    host.side(controller.panel)
    controller.status.connect(status.show)
    return controller


@pytest.fixture
def assets(view_context, host, status):
    """Prepare asset's controller with its panel (a tab beside the side panel in the window)."""
    from aiml3d_desktop.gui.asset_controller import AssetController

    return beside_the_side_panel(AssetController(view_context), host, status)


@pytest.fixture
def parts_tool(view_context, host, status):
    """Split into parts' controller with its panel."""
    from aiml3d_desktop.gui.parts_controller import PartsController

    return beside_the_side_panel(PartsController(view_context), host, status)


@pytest.fixture
def outline(view_context, host):
    """The outline's controller, its panel in a dock of its own (hidden until asked for)."""
    from PySide6.QtWidgets import QDockWidget

    from aiml3d_desktop.gui.outline_controller import OutlineController

    controller = OutlineController(view_context)
    dock = QDockWidget("Outline", host)
    dock.setObjectName("outlineDock")
    dock.setWidget(controller.panel)
    host.side(dock)
    dock.hide()
    controller.attach(dock)
    yield controller
    if controller.texture_view is not None:
        controller.texture_view.close()


@pytest.fixture
def lookdev(view_context, host):
    """The look-dev controls, their submenus in a View menu of the host's."""
    from PySide6.QtWidgets import QMenu

    from aiml3d_desktop.gui.lookdev import Lookdev

    controller = Lookdev(view_context)
    controller.add_menus(QMenu("View", host))
    return controller


def show_picture(session: Session, params, path: Path) -> None:
    """A picture opened as the window opens one (prepared as the parameters say), into the
    session: what a drop of it on the window comes to."""
    from aiml3d_desktop.core.common.cancel import CancelToken
    from aiml3d_desktop.gui import tasks

    preview = tasks.open_picture(
        str(path),
        params.fill(),
        params.max_side_px(),
        progress=lambda *_: None,
        cancel=CancelToken(),
    )
    session.set_picture(preview)


def show_model(session: Session, viewer, path: Path, entry=None):
    """A mesh on screen as the window shows one: drawn from the home view, then the
    session's document (the tools follow it)."""
    from aiml3d_desktop.core.meshes import mesh

    loaded = mesh.load(path)
    viewer.show_scene(loaded.scene, view=None if session.same_model(loaded, entry) else "home")
    session.show(loaded, entry)
    return loaded


def controller_idle(qtbot, generation, timeout=15000) -> None:
    """No generation and no job of the runner running."""
    qtbot.waitUntil(lambda: generation.job is None and not generation.runner.busy, timeout=timeout)


@pytest.fixture
def desk(tmp_path, window):
    """A composed scene (issue 29) in desk.json: a red box, and a library entry (the corpus
    duck) placed twice, in a row."""
    import trimesh

    from aiml3d_desktop.core.composition import assemble, history
    from aiml3d_desktop.core.composition import document as scene_doc
    from aiml3d_desktop.core.composition.document import Source

    box = trimesh.creation.box((0.6, 0.6, 0.6))
    box.visual.vertex_colors = [220, 30, 30, 255]
    box.export(tmp_path / "box.glb")
    entry = window.session.library.import_mesh(corpus_file("meshes", "Duck.glb"))
    composition = history.Composition(scene_doc.SceneDoc(name="Desk"))
    duck = Source(entry=entry.id)
    ids = composition.add([(Source(file="box.glb"), "Box"), (duck, "Duck"), (duck, "Duck")])
    models = assemble.read_models(composition.doc, tmp_path, window.session.library)
    composition.arrange(ids, "row", 0.3, {k: m.outline for k, m in models.items()})
    path = tmp_path / "desk.json"
    scene_doc.save(composition.doc, path)
    return path

"""What the installers rely on, checked from source: the self-test mode of the app, opening
files given on the command line, and the desktop entry and file types the .deb installs.
(CI builds the real bundle and .deb, installs it and runs the installed self-test.)"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import ROOT


@pytest.mark.gui
def test_self_test_mode_passes_from_source(isolated):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from aiml3d_desktop.gui.app import main; sys.exit(main(['--self-test']))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "xcb"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("AIML 3D Desktop") and lines[-1].startswith("self-test passed")
    assert sum(line.startswith("  ok") for line in lines) == 5
    assert any(line.startswith("  ok   asset pipeline: ") for line in lines)
    assert any(line.startswith("  ok   OpenGL: ") for line in lines)  # which driver drew it
    assert not (isolated / "config").exists()  # the self-test leaves the user's folders alone


def test_a_self_test_that_breaks_prints_why_and_fails(monkeypatch, capsys, isolated):
    """An uncaught error would end a windowed program in a dialog nobody on CI can close."""
    from aiml3d_desktop.gui import selftest

    def broken():
        raise RuntimeError("no such module in the bundle")

    monkeypatch.setattr(selftest, "_imports", broken)
    assert selftest.run() == 1
    out = capsys.readouterr().out
    assert "RuntimeError: no such module in the bundle" in out
    assert out.splitlines()[-1].startswith("self-test FAILED")


def test_a_file_given_to_aiml3d_opens_in_the_app(monkeypatch, tmp_path):
    from aiml3d_desktop import cli
    from aiml3d_desktop.gui import app

    opened = []
    monkeypatch.setattr(app, "run", lambda files, *more: opened.append(files) or 0)
    model = tmp_path / "chair.glb"
    model.write_bytes(b"glTF")
    assert cli.main([str(model)]) == 0 and opened == [[str(model)]]
    assert app.main([str(model)]) == 0 and opened[-1] == [str(model)]


def test_desktop_entry_and_file_types():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(ROOT / "resources" / "aiml3d-desktop.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Exec"] == "aiml3d-desktop %F" and desktop["Icon"] == "aiml3d-desktop"
    assert {"model/gltf-binary", "model/gltf+json"} <= set(desktop["MimeType"].split(";"))
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    root = ET.parse(ROOT / "resources" / "aiml3d-desktop-mime.xml").getroot()
    globs = {
        t.get("type"): t.find("m:glob", ns).get("pattern") for t in root.findall("m:mime-type", ns)
    }
    assert globs == {"model/gltf-binary": "*.glb", "model/gltf+json": "*.gltf"}
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(
            ["desktop-file-validate", str(ROOT / "resources" / "aiml3d-desktop.desktop")],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stdout + check.stderr


def test_bundled_samples_are_what_the_self_test_expects():
    from aiml3d_desktop import paths
    from aiml3d_desktop.core.meshes import mesh

    glb, ply = (mesh.load(paths.resource(f"samples/sample.{ext}")) for ext in ("glb", "ply"))
    assert len(glb.arrays.indices) == len(ply.arrays.indices) == 3072
    assert glb.arrays.colors is not None and glb.stats.watertight


def test_the_bundle_carries_the_qt_and_usd_modules_the_app_imports():
    """Found from the imports (packaging/bundle_contents.py), not a list kept by hand: the
    window's Qt modules and those a USDZ export loads are carried; what nothing imports
    (Qt Quick, WebEngine, USD's physics) is left out."""
    bundle_contents = _bundle_contents()
    qt_used, qt_unused = bundle_contents.qt_modules()
    # QtOpenGL: pyqtgraph asks for it through importlib, which no reading of the source sees.
    for needed in ("QtCore", "QtGui", "QtWidgets", "QtNetwork", "QtOpenGLWidgets", "QtOpenGL"):
        assert f"PySide6.{needed}" in qt_used
    assert {"PySide6.QtQuick", "PySide6.QtWebEngineCore", "PySide6.QtQml"} <= set(qt_unused)
    usd_used, usd_unused = bundle_contents.usd_modules()
    assert {"pxr.Usd", "pxr.UsdGeom", "pxr.UsdShade", "pxr.UsdUtils", "pxr.Sdf"} <= set(usd_used)
    assert {"pxr.UsdPhysics", "pxr.UsdSkel"} <= set(usd_unused)
    assert not set(qt_used) & set(qt_unused) and not set(usd_used) & set(usd_unused)


def _bundle_contents():
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        import bundle_contents
    finally:
        sys.path.remove(str(ROOT / "packaging"))
    return bundle_contents


def test_qt_libraries_are_named_for_their_modules_on_every_system():
    qt_library = _bundle_contents().qt_library
    assert qt_library("PySide6/Qt/lib/libQt6Pdf.so.6") == "QtPdf"  # Linux
    assert qt_library("PySide6\\Qt6OpenGLWidgets.dll") == "QtOpenGLWidgets"  # Windows
    assert qt_library("@rpath/QtPdf.framework/Versions/A/QtPdf") == "QtPdf"  # macOS
    assert qt_library("PySide6/Qt/lib/QtGui.framework/Versions/A/QtGui") == "QtGui"
    for other in ("PySide6/QtGui.abi3.so", "libpyside6.abi3.so.6.11", "libicudata.so.73"):
        assert qt_library(other) is None


def test_what_links_a_qt_module_left_out_is_left_out_too():
    """From what each binary links: the PDF image plugin and the libraries of PySide6
    modules left out go (and the virtual keyboard, which links QML); a module left out
    whose library a carried one links (QtDBus: QtGui links it) stays, with the plugins
    that need only what stays (the X11 platform, the SVG images)."""
    graph = {  # a binary: what it links (name, where found)
        "lib/libQt6Core.so.6": [],
        "lib/libQt6DBus.so.6": [("libQt6Core.so.6", "lib/libQt6Core.so.6")],
        "lib/libQt6Gui.so.6": [("libQt6DBus.so.6", "lib/libQt6DBus.so.6")],
        "lib/libQt6Svg.so.6": [("libQt6Gui.so.6", "lib/libQt6Gui.so.6")],
        "lib/libQt6XcbQpa.so.6": [("libQt6Gui.so.6", "lib/libQt6Gui.so.6")],
        "lib/libQt6Pdf.so.6": [("libQt6Gui.so.6", "lib/libQt6Gui.so.6")],
        "lib/libQt6Qml.so.6": [("libQt6Core.so.6", "lib/libQt6Core.so.6")],
        "lib/libQt6VirtualKeyboard.so.6": [("libQt6Qml.so.6", "lib/libQt6Qml.so.6")],
        "QtGui.abi3.so": [("libQt6Gui.so.6", "lib/libQt6Gui.so.6")],
        "QtSvg.abi3.so": [("libQt6Svg.so.6", "lib/libQt6Svg.so.6"), ("libc.so.6", None)],
        "plugins/platforms/libqxcb.so": [("libQt6XcbQpa.so.6", "lib/libQt6XcbQpa.so.6")],
        "plugins/imageformats/libqsvg.so": [("libQt6Svg.so.6", "lib/libQt6Svg.so.6")],
        "plugins/imageformats/libqpdf.so": [("libQt6Pdf.so.6", "lib/libQt6Pdf.so.6")],
        "plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so": [
            ("libQt6VirtualKeyboard.so.6", "lib/libQt6VirtualKeyboard.so.6")
        ],
    }
    binaries = [(f"PySide6/{path}", path, "BINARY") for path in graph]
    binaries.append(("numpy/_core/_multiarray_umath.so", "elsewhere.so", "EXTENSION"))
    left_out = _bundle_contents().qt_left_out(
        binaries,
        used=["PySide6.QtGui", "PySide6.QtSvg"],
        unused=["PySide6.QtPdf", "PySide6.QtQml", "PySide6.QtDBus"],
        imports=lambda path: graph[path],
    )
    assert left_out == {
        "PySide6/lib/libQt6Pdf.so.6",
        "PySide6/lib/libQt6Qml.so.6",
        "PySide6/lib/libQt6VirtualKeyboard.so.6",
        "PySide6/plugins/imageformats/libqpdf.so",
        "PySide6/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
    }


def test_the_bundle_leaves_out_whole_frameworks_translations_and_the_gtk_theme():
    """A macOS framework left out goes with its Info.plist and symlinks (a half-removed one
    would fail code signing); Qt's translations and the GTK 3 theme never go in, on any
    system; what is carried stays."""
    is_left_out = _bundle_contents().is_left_out
    left_out = {"PySide6/Qt/lib/QtPdf.framework/Versions/A/QtPdf", "PySide6/Qt6Qml.dll"}
    for gone in (
        "PySide6/Qt/lib/QtPdf.framework/Versions/A/QtPdf",
        "PySide6/Qt/lib/QtPdf.framework/Resources/Info.plist",
        "PySide6/Qt/lib/QtPdf.framework/Versions/Current",
        "PySide6/Qt6Qml.dll",
        "PySide6/Qt/translations/qt_de.qm",
        "PySide6\\translations\\qt_de.qm",  # Windows: no Qt folder
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/qml/QtQuick/qmldir",
    ):
        assert is_left_out(gone, left_out), gone
    for kept in (
        "PySide6/Qt/lib/QtGui.framework/Versions/A/QtGui",
        "PySide6/Qt/lib/QtGui.framework/Resources/Info.plist",
        "PySide6\\Qt6Gui.dll",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "numpy/translations/not_qt.txt",
    ):
        assert not is_left_out(kept, left_out), kept

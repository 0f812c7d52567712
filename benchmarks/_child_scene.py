"""Child of bench_scene.py: a viewer on screen showing a composed scene (or one mesh file),
from process start; prints FIRST_FRAME when it is drawn, ORBIT with the steady orbit frame
time, then PEAK with the process's peak memory (MB).

    python _child_scene.py scene|mesh PATH
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer

from aiml3d_desktop.gui.qt_setup import create_app


def main() -> None:
    mode, path = sys.argv[1], Path(sys.argv[2])
    app = create_app()
    from aiml3d_desktop.core.composition import assemble, document
    from aiml3d_desktop.core.meshes import mesh
    from aiml3d_desktop.gui.widgets.viewer import Viewer

    viewer = Viewer()
    viewer.resize(1280, 800)
    viewer.show()
    if mode == "scene":
        doc = document.load(path)
        scene = assemble.drawable(doc, assemble.read_models(doc, path.parent))
    else:
        scene = mesh.load(path).scene
    scene.prepare()
    scene.smooth_normals()
    viewer.show_scene(scene)

    def on_frame() -> None:
        if viewer.item.drawn and not viewer.item.plain_frame:
            viewer.frameSwapped.disconnect(on_frame)
            print("FIRST_FRAME", flush=True)
            QTimer.singleShot(0, orbit)

    def orbit() -> None:
        times = []
        for _ in range(12):
            start = time.perf_counter()
            viewer.orbit(3, 0)
            viewer.grabFramebuffer()  # the frame drawn to completion
            times.append(time.perf_counter() - start)
        times.sort()
        print(f"ORBIT {times[len(times) // 2]:.4f}", flush=True)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                print(f"PEAK {int(line.split()[1]) / 1024:.0f}", flush=True)
        app.quit()

    viewer.frameSwapped.connect(on_frame)
    app.exec()


if __name__ == "__main__":
    main()

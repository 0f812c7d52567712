"""Child of the benchmarks: start the real app window and report when it is on screen.

Modes: ``interactive`` prints when the window has painted and the event loop is idle;
``mesh PATH`` opens PATH as `aiml3d view` does and reports the first frame that shows it,
then the steady orbit frame time.
"""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import QTimer

from aiml3d_desktop.gui.qt_setup import create_app, install_excepthook


def main() -> None:
    mode = sys.argv[1]
    app = create_app()
    from aiml3d_desktop.gui.main_window import MainWindow

    files = sys.argv[2:]  # as `aiml3d view FILE` passes them
    window = MainWindow(files)
    install_excepthook(window)
    app.aboutToQuit.connect(window.runner.shutdown)
    window.resize(1280, 800)
    if mode == "interactive":
        # A zero timer fires once the event loop runs with the window painted: interactive.
        window.show()
        QTimer.singleShot(0, lambda: (print("READY", flush=True), app.quit()))
    else:
        viewer = window.viewer

        def on_frame() -> None:
            if viewer.item.drawn:  # the mesh has been drawn
                viewer.frameSwapped.disconnect(on_frame)
                print("FIRST_FRAME", flush=True)
                QTimer.singleShot(0, orbit)

        def orbit() -> None:
            times = []
            for _ in range(30):
                start = time.perf_counter()
                viewer.orbit(3, 0)
                viewer.grabFramebuffer()  # renders the frame to completion (plus a readback)
                times.append(time.perf_counter() - start)
            times.sort()
            print(
                f"ORBIT {times[len(times) // 2]:.4f} {viewer.width()}x{viewer.height()}", flush=True
            )
            app.quit()

        viewer.frameSwapped.connect(on_frame)
        window.show()
    app.exec()


if __name__ == "__main__":
    main()

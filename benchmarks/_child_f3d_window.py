"""Child of bench_first_frame.py: f3d (PyPI) showing a file in a window of 800x600, as its
viewer does, until it is closed."""

from __future__ import annotations

import sys

import f3d


def main() -> None:
    engine = f3d.Engine.create(offscreen=False)
    engine.window.size = (800, 600)
    engine.scene.add(sys.argv[1])
    engine.window.render()  # the window made and drawn: start() alone may return at once
    while True:  # until ended by the benchmark: start() may return early on a bare X screen
        engine.interactor.start()


if __name__ == "__main__":
    main()

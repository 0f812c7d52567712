"""Render resources/aiml3d.svg into the icon files each OS wants: PNGs in the usual sizes
(Linux), an .ico (Windows) and an .icns (macOS). Usage: python make_icons.py OUT_DIR"""

import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ROOT = Path(__file__).resolve().parent.parent


def main(out: Path) -> None:
    QGuiApplication.instance() or QGuiApplication(["make_icons", "-platform", "offscreen"])
    renderer = QSvgRenderer(str(ROOT / "resources" / "aiml3d.svg"))
    out.mkdir(parents=True, exist_ok=True)
    pngs = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        path = out / f"aiml3d-{size}.png"
        image.save(str(path))
        pngs.append(path)
    big = Image.open(pngs[-1])
    big.save(out / "aiml3d.ico", sizes=[(s, s) for s in SIZES if s <= 256])
    big.save(out / "aiml3d.icns")
    print(f"icons in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

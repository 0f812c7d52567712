"""What there is to know about the mesh on screen, and what the API said about making it."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGuiQt
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from aiml3d_desktop.core.library.entry import Entry
from aiml3d_desktop.core.meshes.mesh import MeshStats
from aiml3d_desktop.core.meshes.scene import Scene
from aiml3d_desktop.core.settings import SIZE_UNITS
from aiml3d_desktop.gui.widgets.labels import width_from_layout

# The names of the units files come in (metres per unit: core.meshes.scene.Scene.unit).
UNIT_NAMES = ((1.0, "m"), (0.01, "cm"), (0.001, "mm"), (0.0254, "in"), (0.3048, "ft"))
SIZE_TIP = (
    "Width × height × depth in the unit chosen in Settings (at first the file's own). {file} "
    "(glTF is in metres, STL and 3MF in millimetres unless a 3MF says otherwise; OBJ, PLY "
    "and OFF have no unit and are read as metres.)"
)
ROWS = (
    "File",
    "Vertices",
    "Triangles",
    "Size",
    "Watertight",
    "Parts",
    "File size",
    "Timings",
    "Cost",
    "Request",
    "Likeness",
    "Verdict",
)
LIKENESS_TIP = (
    "How well the model's outline seen from the front matches the object cut out of the "
    "photo: the overlap of the two (intersection over union), from 0 to 1. It says nothing "
    "of the back."
)


class StatsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.values: dict[str, QLabel] = {}
        self.size_unit = "file"  # "file" or one of settings.SIZE_UNITS: sizes are shown in it
        self._size: tuple[tuple[float, float, float], float] | None = None  # size, file unit
        for row in ROWS:
            label = QLabel("—")
            label.setTextFormat(Qt.TextFormat.PlainText)  # a checker's words are not markup
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            self.values[row] = width_from_layout(label)  # the tooltip has it whole
            form.addRow(row, label)
        self.clear()

    def clear(self) -> None:
        self._size = None
        for row in ROWS:
            self._set(row, "—")

    def show_pending(self, name: str) -> None:
        self.clear()
        self._set("File", name)
        self._set("Vertices", "counting…")

    def show_scene(self, name: str, scene: Scene, models: int) -> None:
        """A composed scene's counts: what is drawn (each placement counts), its size."""
        self.clear()
        low, high = scene.bounds
        self._set("File", name)
        self._set("Vertices", f"{scene.vertices:,}")
        self._set("Triangles", f"{scene.triangles:,}")
        width, height, depth = (float(v) for v in high - low)
        self._set("Size", dimensions((width, height, depth), 1.0, self.size_unit))
        placed = len(scene.placements())
        self._set("Parts", f"{placed} placed, {models} model{'s' if models != 1 else ''}")

    def show_stats(
        self, name: str, stats: MeshStats, entry: Entry | None = None, unit: float = 1.0
    ) -> None:
        """The mesh's statistics, and how it was made if it is a library entry's; ``unit``
        is the file's, in metres."""
        timings = entry.timings if entry and entry.timings else {}
        credits = entry.credits if entry else None
        values = {
            "File": name,
            "Vertices": f"{stats.vertices:,}",
            "Triangles": f"{stats.triangles:,}",
            "Size": dimensions(stats.size, unit, self.size_unit),
            "Watertight": "yes" if stats.watertight else "no",
            "Parts": f"{stats.parts:,}",
            "File size": _size(stats.file_size),
            "Timings": ", ".join(
                f"{k} {float(v):.2f}\u00a0s"
                for k, v in timings.items()
                if isinstance(v, int | float)
            )
            or "—",
            "Cost": _cost(credits, entry.extra.get("usd_spent") if entry else None),
            "Request": (entry.request_id if entry else None) or "—",
            "Likeness": _likeness(entry.extra.get("likeness") if entry else None),
            "Verdict": _verdict(entry.extra.get("verdict") if entry else None),
        }
        for row, text in values.items():
            self._set(row, text)
        self._size = (stats.size, unit)
        self._size_tip()
        if values["Likeness"] != "—":
            self.values["Likeness"].setToolTip(LIKENESS_TIP)
        kept = entry.extra.get("verdict") if entry else None
        if isinstance(kept, dict) and values["Verdict"] != "—":
            notes = kept.get("notes") if isinstance(kept.get("notes"), str) else ""
            said = f"{notes}\n(by {kept.get('model', '?')}; Model > Compare with the photo)"
            self.values["Verdict"].setToolTip(plain(said))  # the checker's words: plain text

    def set_size_unit(self, name: str) -> None:
        """Show sizes in ``name`` (mm, cm, m, in) from now on, the one shown included."""
        self.size_unit = name if name in SIZE_UNITS else "file"
        if self._size is not None:
            self.values["Size"].setText(dimensions(*self._size, self.size_unit))
            self._size_tip()

    def _size_tip(self) -> None:
        if self._size is None:
            return
        unit = self._size[1]
        name = next((n for metres, n in UNIT_NAMES if math.isclose(unit, metres)), None)
        file = f"The file is in {name}." if name else f"The file's unit is {unit:g} m."
        self.values["Size"].setToolTip(SIZE_TIP.format(file=file))

    def _set(self, row: str, text: str) -> None:
        self.values[row].setText(text)
        self.values[row].setToolTip(plain(text) if row == "Verdict" and text != "—" else
                                    text if text != "—" else "")  # fmt: skip

    def text(self, row: str) -> str:
        return self.values[row].text()


def dimensions(size: tuple[float, float, float], unit: float = 1.0, shown: str = "file") -> str:
    """Such as "1.20 × 0.800 × 0.950 m": ``size`` in a file whose unit is ``unit`` metres,
    shown in the unit named ``shown`` (settings.SIZE_UNITS), or "file": the file's own
    (an STL's millimetres; a unit with no name, in metres)."""
    if shown not in SIZE_UNITS:
        shown = next((n for metres, n in UNIT_NAMES if math.isclose(unit, metres)), "m")
        shown = shown if shown in SIZE_UNITS else "m"
    factor = unit / SIZE_UNITS[shown]
    return " × ".join(_figure(v * factor) for v in size) + f"\u00a0{shown}"


def _figure(value: float) -> str:
    """Three significant figures, trailing zeros kept (1.20); no exponent."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    text = f"{value:#.3g}".rstrip(".")  # "500." is 500
    return f"{value:.7f}".rstrip("0").rstrip(".") if "e" in text else text


def plain(text: str) -> str:
    """``text`` as a tooltip shows it, whatever it holds (a tooltip takes markup)."""
    return QtGuiQt.convertFromPlainText(text)


def _verdict(kept: object) -> str:
    """The checker's verdict kept with an entry (core/assets/verdict.py), in one line."""
    if not isinstance(kept, dict) or not isinstance(kept.get("match"), int | float):
        return "—"
    said = [f"{kept['match']:.2f} match"]
    for key in ("missing", "wrong"):
        found = kept.get(key)
        if isinstance(found, list) and found:
            said.append(f"{key}: " + ", ".join(str(v) for v in found[:6]))
    return "; ".join(said)


def _likeness(kept: object) -> str:
    """An entry's likeness to its photo (core/assets/likeness.py), as kept with it."""
    iou = kept.get("silhouette_iou") if isinstance(kept, dict) else None
    if not isinstance(iou, int | float) or not 0 <= iou <= 1:
        return "—"
    return f"outline {iou:.2f} of the photo's (front)"


def _cost(credits: object, dollars: object) -> str:
    """What the call cost as the API reported it: credits, or US dollars (Meshy)."""
    if isinstance(credits, int | float):
        return f"{credits:,} credits"
    if isinstance(dollars, int | float) and not isinstance(dollars, bool):
        return f"US${dollars:,.2f}"
    return "—"


def _size(size: int | None) -> str:
    if size is None:
        return "—"
    return f"{size / 2**20:.2f} MB" if size >= 2**20 else f"{size / 1024:.0f} KB"

"""Labels whose text changes while the window is up."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QSizePolicy


def width_from_layout(label: QLabel) -> QLabel:
    """Let the layout, not the text, set the label's width: a long file name or message is
    clipped (give it a tooltip) instead of widening its panel or the window, which would
    squeeze the 3D view and make it draw a big mesh over again."""
    label.setSizePolicy(QSizePolicy.Policy.Ignored, label.sizePolicy().verticalPolicy())
    return label

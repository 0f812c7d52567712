"""Labels whose text changes while the window is up, and form labels kept in one column."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QFormLayout, QLabel, QSizePolicy, QWidget


def width_from_layout(label: QLabel) -> QLabel:
    """Let the layout, not the text, set the label's width: a long file name or message is
    clipped (give it a tooltip) instead of widening its panel or the window, which would
    squeeze the 3D view and make it draw a big mesh over again."""
    label.setSizePolicy(QSizePolicy.Policy.Ignored, label.sizePolicy().verticalPolicy())
    return label


class FormColumns(QObject):
    """Every form under ``root`` starts its fields at the same x, as one form would: each
    label is given the widest label's width. Rows made later (a panel that rebuilds its
    fields for another model) are aligned when their form lays them out."""

    def __init__(self, root: QWidget) -> None:
        super().__init__(root)
        self.root = root
        for form in root.findChildren(QFormLayout):
            owner = form.parentWidget()
            if owner is not None:
                owner.installEventFilter(self)
        self.align()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt's name
        if event.type() == QEvent.Type.LayoutRequest:
            self.align()
        return False

    def labels(self) -> list[QWidget]:
        role = QFormLayout.ItemRole.LabelRole
        items = (
            form.itemAt(row, role)
            for form in self.root.findChildren(QFormLayout)
            for row in range(form.rowCount())
        )
        widgets = (item.widget() for item in items if item is not None)
        return [widget for widget in widgets if widget is not None]

    def align(self) -> None:
        labels = self.labels()
        # A label's size hint is its text's, whatever minimum it was given: this settles.
        width = max((label.sizeHint().width() for label in labels), default=0)
        for label in labels:
            label.setMinimumWidth(width)

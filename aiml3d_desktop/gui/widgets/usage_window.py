"""View > Usage: what the API calls cost and how they went, drawn with pyqtgraph from the
library's usage ledger: credits and dollars per day stacked by model, generation time per
model, failures per day by kind. A date range and a model filter; hover for the values;
the numbers export as CSV."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
from PySide6.QtCore import QDate, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QCursor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from aiml3d_desktop.core.api.calls import KINDS, Call
from aiml3d_desktop.core.spending import usage
from aiml3d_desktop.gui.pyqtgraph_lean import pg

ALL = "All models"
PERIODS = (("All time", None), ("Last 7 days", 7), ("Last 30 days", 30), ("Last 90 days", 90),
           ("Dates chosen", "chosen"))  # fmt: skip
# Tableau 10: distinct on the dark plots, and the same model keeps its colour in each plot.
COLOURS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")  # fmt: skip
DOTS = 300  # calls drawn as dots per model in the time plot
KIND_COLOURS = dict(zip(KINDS, COLOURS[2:] + COLOURS[:2], strict=False))
# The days the pickers reach: QDateEdit's own range (1752 to 9999) is three million bars a
# plot, seconds of a frozen window; this is 36,500 at most.
FIRST_DAY, LAST_DAY = QDate(2000, 1, 1), QDate(2099, 12, 31)


class UsageWindow(QWidget):
    export_requested = Signal(list)  # the calls shown, for CSV
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Usage")
        self.resize(1100, 760)
        for key in ("Esc", "Ctrl+W"):  # closed as other windows are
            QShortcut(QKeySequence(key), self, self.close)
        self.calls: list[Call] = []
        self.days: list[date] = []  # each call's local day, worked out once
        self.shown: list[int] = []  # the calls the filters keep, by index
        self.period = QComboBox()
        for label, days in PERIODS:
            self.period.addItem(label, days)
        self.first, self.last = QDateEdit(), QDateEdit()
        for edit in (self.first, self.last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDateRange(FIRST_DAY, LAST_DAY)
            edit.dateChanged.connect(self._dates_chosen)
        self.model = QComboBox()
        self.model.addItem(ALL, None)
        self.model.setMinimumContentsLength(24)  # "meshy/meshy-6-image-to-3d" whole
        self.model.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(lambda: self.export_requested.emit(self._kept()))
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.summary = QLabel()
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hover = QLabel(" ")  # what the pointer is over, also shown as a tooltip
        self.hover.setStyleSheet("color: #9aa4b0")
        self.period.currentIndexChanged.connect(self._period_chosen)
        self.model.currentIndexChanged.connect(self._filters_changed)

        pg.setConfigOptions(antialias=True)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("#1e2127")
        self.credits = self._plot("Credits per day", 0, 0, _DayAxis())
        self.dollars = self._plot("US dollars per day", 0, 1, _DayAxis())
        self.times = self._plot("Generation time per model (seconds)", 1, 0, _NameAxis())
        self.times.setLogMode(y=True)  # seconds for TripoSR, minutes for Meshy: both readable
        self.failures = self._plot("Failures per day", 1, 1, _DayAxis())
        self.plots.scene().sigMouseMoved.connect(self._pointer_moved)
        self._hovers: dict[pg.PlotItem, Callable[[float, float], str]] = {}
        self._rows = ((self.credits, self.dollars), (self.times, self.failures))
        self._arranged: tuple = self._rows  # the plots shown, row by row

        bar = QHBoxLayout()
        for label, widget in (("Period", self.period), ("From", self.first), ("to", self.last),
                              ("Model", self.model)):  # fmt: skip
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(self.plots, 1)
        layout.addWidget(self.hover)

    def _plot(self, title: str, row: int, col: int, axis: pg.AxisItem) -> pg.PlotItem:
        plot = self.plots.addPlot(
            row=row, col=col, title=title, axisItems={"bottom": axis, "left": _AmountAxis()}
        )
        plot.showGrid(y=True, alpha=0.2)
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.addLegend(
            offset=(6, 6),
            labelTextSize="8pt",
            labelTextColor="#d8dce4",
            brush=pg.mkBrush(30, 33, 39, 210),  # readable over the bars it may cover
        )
        return plot

    # The data

    def set_calls(self, calls: list[Call], days: list[date]) -> None:
        """Every call in the ledger, with its local day (worked out on a worker)."""
        self.calls, self.days = calls, days
        chosen = self.model.currentData()
        self.model.blockSignals(True)
        self.model.clear()
        self.model.addItem(ALL, None)
        for name in sorted({c.model for c in calls}):
            self.model.addItem(name, name)
        self.model.setCurrentIndex(max(0, self.model.findData(chosen)))
        self.model.blockSignals(False)
        self._period_chosen()

    def _dates_chosen(self) -> None:
        """Dates set by hand: the period says so; From after To is swapped, not empty."""
        first, last = self._range()
        if first > last:
            self._set_dates(last, first)
        self.period.blockSignals(True)
        self.period.setCurrentIndex(self.period.findData("chosen"))
        self.period.blockSignals(False)
        self._filters_changed()

    def _set_dates(self, first: date, last: date) -> None:
        for edit, value in ((self.first, first), (self.last, last)):
            edit.blockSignals(True)
            edit.setDate(QDate(value.year, value.month, value.day))
            edit.blockSignals(False)

    def _period_chosen(self) -> None:
        days = self.period.currentData()
        if days == "chosen":
            return self._filters_changed()
        last = max(self.days) if self.days else date.today()
        first = min(self.days) if self.days else last
        if days is not None:
            last = date.today()
            first = last - timedelta(days=days - 1)
        self._set_dates(first, last)
        self._filters_changed()

    def _range(self) -> tuple[date, date]:
        return self.first.date().toPython(), self.last.date().toPython()  # type: ignore[return-value]

    def _kept(self) -> list[Call]:
        return [self.calls[i] for i in self.shown]

    def _filters_changed(self) -> None:
        first, last = self._range()
        model = self.model.currentData()
        self.shown = [
            i
            for i, (call, day) in enumerate(zip(self.calls, self.days, strict=True))
            if first <= day <= last and (model is None or call.model == model)
        ]
        self._draw(first, last)

    # Drawing

    def _draw(self, first: date, last: date) -> None:
        calls = self._kept()
        days = [self.days[i] for i in self.shown]
        span, credit = usage.per_day(calls, days, first, last, "credits")
        _, dollar = usage.per_day(calls, days, first, last, "usd")
        _, failed = usage.per_day(calls, days, first, last, "failures")
        models = sorted({c.model for c in calls})
        colour = {
            m: COLOURS[n % len(COLOURS)]
            for n, m in enumerate(sorted({c.model for c in self.calls}))
        }
        self._stack(self.credits, span, credit, colour, "{:,.0f} credits")
        self._stack(self.dollars, span, dollar, colour, "US${:,.2f}")
        self._stack(self.failures, span, failed, KIND_COLOURS, "{:.0f} failed")
        self._times(calls, models, colour)
        self._arrange(
            {
                self.credits: _any(credit),
                self.dollars: _any(dollar),
                self.times: any(c.ok and c.seconds for c in calls),
                self.failures: _any(failed),
            }
        )
        self.hover.setText(" ")  # what it said was about the plots as they were
        (total,) = usage.summarise(calls, "all") or [usage.Row("total")]
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(total.failures.items()))
        spent = [f"{total.credits:,.0f} credits"] if total.credits or not total.usd else []
        spent += [f"US${total.usd:,.2f}"] if total.usd else []
        self.summary.setText(
            f"{first:%d %b %Y} to {last:%d %b %Y}: {total.made:,} made, {total.failed:,} failed"
            f"{f' ({kinds})' if kinds else ''} · {' · '.join(spent)}"
        )

    def _stack(
        self, plot: pg.PlotItem, span: list[date], series: dict, colours: dict, fmt: str
    ) -> None:
        plot.clear()
        plot.getAxis("bottom").days = span
        x = np.arange(len(span), dtype=float)
        bottom = np.zeros(len(span))
        for name, values in series.items():
            heights = np.array(values)
            brush = QColor(colours.get(name, "#bab0ac"))
            plot.addItem(
                pg.BarGraphItem(
                    x=x, height=heights, y0=bottom, width=0.8, brush=brush, pen=None, name=name
                )
            )
            bottom = bottom + heights
        plot.setXRange(-0.6, max(len(span) - 0.4, 0.6), padding=0)
        top = max(float(bottom.max()) if len(bottom) else 0, 1)
        plot.setYRange(0, top * 1.35, padding=0)  # room for the legend above the bars
        if fmt.endswith("failed"):  # whole failures: whole ticks
            step = max(1, math.ceil(top / 5))
            plot.getAxis("left").setTickSpacing(step, step)

        def said(x_at: float, y_at: float) -> str:
            n = int(round(x_at))
            if not 0 <= n < len(span):
                return ""
            parts = [f"{name} {fmt.format(v[n])}" for name, v in series.items() if v[n]]
            return f"{span[n]:%a %d %b %Y}: " + ("; ".join(parts) or "nothing")

        self._hovers[plot] = said

    def _times(self, calls: list[Call], models: list[str], colour: dict) -> None:
        plot = self.times
        plot.clear()
        plot.getAxis("bottom").names = models
        stats = []
        rng = np.random.default_rng(0)  # the same jitter every time it is drawn
        for n, model in enumerate(models):
            seconds = np.array(
                [c.seconds for c in calls if c.model == model and c.ok and c.seconds]
            )
            if not len(seconds):
                stats.append("")
                continue
            # A few hundred dots show the spread as well as ten thousand, at a tenth of the
            # time on the GUI thread; the median and the percentile are of every call.
            dotted = seconds if len(seconds) <= DOTS else rng.choice(seconds, DOTS, replace=False)
            x = n + rng.uniform(-0.25, 0.25, len(dotted))
            dots = QColor(colour[model])
            plot.addItem(pg.PlotDataItem(x, dotted, pen=None, symbol="o", symbolSize=5,
                                         symbolPen=None, symbolBrush=dots))  # fmt: skip
            median = float(np.median(seconds))
            line = pg.mkPen("w", width=2)
            plot.addItem(pg.PlotDataItem([n - 0.35, n + 0.35], [median, median], pen=line))
            stats.append(
                f"{model}: {len(seconds)} made, median {median:.1f} s, "
                f"90% under {float(np.percentile(seconds, 90)):.1f} s"
            )
        plot.setXRange(-0.6, max(len(models) - 0.4, 0.6), padding=0)
        everything = [c.seconds for c in calls if c.ok and c.seconds]
        if everything:  # whole decades: a narrow range still has its labels
            low = math.floor(math.log10(min(everything)))
            high = max(math.ceil(math.log10(max(everything))), low + 1)
            plot.setYRange(low, high, padding=0.02)

        def said(x_at: float, y_at: float) -> str:
            n = int(round(x_at))
            return stats[n] if 0 <= n < len(stats) else ""

        self._hovers[plot] = said

    def _arrange(self, has_data: dict[pg.PlotItem, bool]) -> None:
        """A plot with nothing to show is left out (an account billed in credits only has
        no dollars); the other of its row takes the whole row. A row with nothing keeps its
        first plot, empty, so the window is never blank."""
        wanted = tuple(tuple(p for p in row if has_data[p]) or row[:1] for row in self._rows)
        if wanted == self._arranged:
            return
        for row in self._rows:
            for plot in row:
                if plot in self.plots.ci.items:
                    self.plots.removeItem(plot)
                plot.setVisible(any(plot in kept for kept in wanted))
        for number, kept in enumerate(wanted):
            for column, plot in enumerate(kept):
                self.plots.addItem(plot, row=number, col=column, colspan=2 // len(kept))
        self._arranged = wanted

    def _pointer_moved(self, pos: QPointF) -> None:
        for plot, said in self._hovers.items():
            if plot.isVisible() and plot.sceneBoundingRect().contains(pos):
                point = plot.vb.mapSceneToView(pos)
                text = said(point.x(), point.y())
                self.hover.setText(text or " ")
                if text:
                    QToolTip.showText(QCursor.pos(), text, self.plots)
                return
        self.hover.setText(" ")  # between the plots: nothing is pointed at


class _AmountAxis(pg.AxisItem):
    """Amounts as people write them: 500, 250k, 1.5M (not 1.5e+06)."""

    def __init__(self) -> None:
        super().__init__("left")

    def tickStrings(  # pyqtgraph's name
        self, values: list[float], scale: float, spacing: float
    ) -> list[str]:
        if self.logMode:
            return [_compact(10**v) if self._labelled(v) else "" for v in values]
        return [_compact(v) for v in values]

    def _labelled(self, exponent: float) -> bool:
        """On a log axis, 1, 2 and 5 of each decade carry a label (only 1 when a decade is
        under 60 px high); the lines between stay, unlabelled: nine labels a decade run
        together."""
        first = 10 ** (exponent - math.floor(exponent + 1e-9))
        low, high = self.range
        decade = self.size().height() / max(high - low, 1e-9)
        wanted = (1, 2, 5) if decade >= 60 else (1,)
        return any(math.isclose(first, w, rel_tol=1e-6) for w in wanted)


def _any(series: dict) -> bool:
    """Whether any day of any series has a value."""
    return any(any(values) for values in series.values())


def _compact(value: float) -> str:
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.4g}{suffix}"
    return f"{value:.4g}"


class _DayAxis(pg.AxisItem):
    """Day numbers as dates, at most about eight labels."""

    def __init__(self) -> None:
        super().__init__("bottom")
        self.days: list[date] = []

    def tickValues(  # pyqtgraph's names
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, list[int]]]:
        labels = max(2, min(8, int(size // 70)))  # about 70 px a date: never run together
        step = max(1, -(-len(self.days) // labels))
        return [(step, list(range(0, len(self.days), step)))]

    def tickStrings(  # pyqtgraph's name
        self, values: list[float], scale: float, spacing: float
    ) -> list[str]:
        return [
            f"{self.days[int(v)]:%d %b}" if 0 <= int(v) < len(self.days) else "" for v in values
        ]


class _NameAxis(pg.AxisItem):
    """Model names under their columns."""

    def __init__(self) -> None:
        super().__init__("bottom")
        self.names: list[str] = []

    def tickValues(  # pyqtgraph's names
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, list[int]]]:
        return [(1, list(range(len(self.names))))]

    def tickStrings(  # pyqtgraph's name
        self, values: list[float], scale: float, spacing: float
    ) -> list[str]:
        return [
            self.names[int(v)].split("/")[-1] if 0 <= int(v) < len(self.names) else ""
            for v in values
        ]

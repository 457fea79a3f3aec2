"""Line charts over time (plotext via textual-plotext): a backtest's equity curve and its drawdown, and the equity
curves of several stored runs overlaid.

Built on the pair chart's pieces — the cached plot (one build per change and size) and its thinning (two points
a column, the last always kept) — with a time axis: runs over different ranges overlay on one calendar, so the
x axis is the bar time (in days), labelled with dates. Curves are named in the border title, not a legend (a
legend would cover the lines at 80×24).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from textual.app import ComposeResult
from textual.containers import Vertical

from cryptoterm.domain.indicators import FloatArray
from cryptoterm.domain.strategy.frames import IntArray
from cryptoterm.tui.widgets.cached_plot import CachedPlot
from cryptoterm.tui.widgets.candle_chart import AXIS_COLUMNS
from cryptoterm.tui.widgets.pair_chart import thinned

DAY_MS = 86_400_000
#: Most date labels on the x axis, and the columns each needs: a date is 10 wide, and a label whose room overlaps
#: a neighbour or the y axis is moved by plotext in a way that depends on what it drew before (not repeatable).
X_LABELS = 5
LABEL_COLUMNS = 16
#: Colours of overlaid curves, in order (the first is a single run's).
PALETTE = ("cyan", "orange", "magenta", "green", "yellow", "blue", "red", "white")


@dataclass(frozen=True, slots=True)
class Curve:
    """One line: a value at each bar open time (ms)."""

    label: str
    color: str
    times: IntArray
    values: FloatArray


def date_ticks(first_ms: int, last_ms: int, columns: int) -> tuple[list[float], list[str]]:
    """Evenly spaced x positions (days) between the ends and their labels: dates, or dates and hours when the
    span is under a few days (a bare date would repeat)."""
    count = max(1, min(X_LABELS, columns // LABEL_COLUMNS))
    if last_ms <= first_ms or count == 1:
        stamps = [first_ms]
    else:
        step = (last_ms - first_ms) / count
        stamps = [int(first_ms + step * (i + 0.5)) for i in range(count)]
    fmt = "%Y-%m-%d" if last_ms - first_ms > 4 * DAY_MS else "%m-%d %H:%M"
    labels = [datetime.fromtimestamp(t / 1000, tz=UTC).strftime(fmt) for t in stamps]
    return [t / DAY_MS for t in stamps], labels


class EquityChart(Vertical):
    """A bordered line chart over time; `show` draws it, the border title names what is drawn."""

    DEFAULT_CSS = """
    EquityChart { border: round $primary 60%; border-title-color: $text; border-title-style: bold; }
    EquityChart > CachedPlot { height: 1fr; }
    """

    def __init__(self, *, fill: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        #: Fill between each line and zero (the drawdown chart).
        self.fill = fill
        self.curves: tuple[Curve, ...] = ()
        self.draws = 0

    def compose(self) -> ComposeResult:
        yield CachedPlot(id="equity-plot")

    @property
    def plot(self) -> CachedPlot:
        return self.query_one(CachedPlot)

    def on_resize(self) -> None:
        self._draw()

    def show(self, title: str, curves: Sequence[Curve]) -> None:
        self.border_title = title
        self.curves = tuple(curves)
        self._draw()

    def _draw(self) -> None:
        plt = self.plot.plt
        plt.clear_data()
        plt.clear_figure()
        drawn = [c for c in self.curves if len(c.times)]
        if drawn:
            columns = max(10, self.content_size.width - AXIS_COLUMNS)
            for curve in drawn:
                picked = thinned(len(curve.times), columns)
                xs = np.asarray(curve.times, dtype=np.float64)[picked] / DAY_MS
                values = np.asarray(curve.values, dtype=np.float64)[picked]
                keep = np.isfinite(values)
                if keep.any():
                    plt.plot(
                        xs[keep].tolist(),
                        values[keep].tolist(),
                        color=curve.color,
                        marker="braille",
                        fillx=self.fill or None,
                    )
            first = min(int(c.times[0]) for c in drawn)
            last = max(int(c.times[-1]) for c in drawn)
            ticks, labels = date_ticks(first, last, columns)
            plt.xticks(ticks, labels)
            if last > first:
                plt.xlim(first / DAY_MS, last / DAY_MS)
            low = min((float(np.nanmin(c.values)) for c in drawn if np.isfinite(c.values).any()), default=math.nan)
            if self.fill and math.isfinite(low) and low >= 0:
                plt.ylim(-1.0, 0.1)  # a run that never fell: a flat line at zero, not a collapsed axis
        self.draws += 1
        self.plot.redraw()

"""Line charts of a pair (plotext via textual-plotext): prices on one scale, the spread's z-score with its bands,
the Kalman beta over time, the rolling correlation — one chart, switched by its screen.

A window can hold 20,000 bars and the plot a few hundred braille columns; the series are thinned to two points
a column (every k-th bar) before plotext sees them, so drawing costs the same whatever the window. Lines are
named in the border title, not a legend (a legend would cover the lines at 80×24).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from textual.app import ComposeResult
from textual.containers import Vertical

from cryptoterm.domain.pairs.arrays import FloatArray
from cryptoterm.tui.widgets.cached_plot import CachedPlot
from cryptoterm.tui.widgets.candle_chart import AXIS_COLUMNS


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    color: str
    values: FloatArray


@dataclass(frozen=True, slots=True)
class Band:
    value: float
    color: str


def thinned(count: int, columns: int) -> np.ndarray:
    """Bar indexes to draw: all of them when they fit two a column, else every k-th and always the last."""
    room = max(2, 2 * columns)
    if count <= room:
        return np.arange(count)
    step = math.ceil(count / room)
    picked = np.arange(count - 1, -1, -step)[::-1]
    return picked


class PairChart(Vertical):
    """A bordered line chart; `show` draws it, the border title names what is drawn."""

    DEFAULT_CSS = """
    PairChart { border: round $primary 60%; border-title-color: $text; border-title-style: bold; }
    PairChart > CachedPlot { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: tuple[Line, ...] = ()
        self.bands: tuple[Band, ...] = ()
        self.draws = 0

    def compose(self) -> ComposeResult:
        yield CachedPlot(id="pair-plot")

    @property
    def plot(self) -> CachedPlot:
        return self.query_one(CachedPlot)

    def on_resize(self) -> None:
        self._draw()

    def show(self, title: str, lines: Sequence[Line], bands: Sequence[Band] = ()) -> None:
        self.border_title = title
        self.lines, self.bands = tuple(lines), tuple(bands)
        self._draw()

    def _draw(self) -> None:
        plt = self.plot.plt
        plt.clear_data()
        plt.clear_figure()
        count = max((len(line.values) for line in self.lines), default=0)
        if count:
            columns = max(10, self.plot.size.width - AXIS_COLUMNS)
            picked = thinned(count, columns)
            xs = (picked + 1).astype(float).tolist()
            for line in self.lines:
                values = np.asarray(line.values, dtype=np.float64)[picked]
                keep = np.isfinite(values)
                if keep.any():
                    plt.plot(
                        [x for x, k in zip(xs, keep, strict=True) if k],
                        values[keep].tolist(),
                        color=line.color,
                        marker="braille",
                    )
            for band in self.bands:
                if math.isfinite(band.value):
                    plt.hline(band.value, band.color)
            plt.xlim(0.5, count + 0.5)
            plt.xticks([])
        self.draws += 1
        self.plot.redraw()

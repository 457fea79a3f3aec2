"""A plotext plot that builds its figure once per drawing and size, and where its frame's columns fall.

Kept apart from the candle chart: the chart composes several of these (price, volume, study panels), and the
column arithmetic a click needs is the plot's own business.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot


class CachedPlot(PlotextPlot):
    """A plotext plot that builds its picture once per drawing and size.

    textual-plotext builds (and ANSI-parses) the figure in every `render`, and Textual renders a widget again
    for reasons that change nothing in it (a toast over it, a screen switch, the parent's border title).
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.generation = 0
        self.builds = 0
        self._built: tuple[object, RenderResult] | None = None

    def redraw(self) -> None:
        """The figure changed: build it at the next render."""
        self.generation += 1
        self.refresh()

    def render(self) -> RenderResult:
        key = (self.generation, self.size, self.app.theme)
        if self._built is None or self._built[0] != key:
            self.builds += 1
            self._built = (key, super().render())
        return self._built[1]

    def frame_columns(self) -> tuple[int, int] | None:
        """The first and one-past-last column inside the plot's frame, read off the figure as last built (plotext
        sizes its y labels itself, so where the data starts is known only from what it drew)."""
        if self._built is None or not isinstance(self._built[1], Text):
            return None
        for line in self._built[1].plain.splitlines():
            left, right = line.find("┌"), line.rfind("┐")
            if 0 <= left < right - 1:
                return left + 1, right
        return None


def bar_at_column(column: int, frame: tuple[int, int], bars: int) -> int:
    """Which of `bars` bars (0: the oldest) a column inside a frame shows: the x axis spans 0.5 … bars + 0.5, and
    a column stands for the bar at its middle."""
    left, right = frame
    share = (column - left + 0.5) / (right - left)
    return min(bars - 1, max(0, math.floor(share * bars)))

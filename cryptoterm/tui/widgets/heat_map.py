"""A sweep's heat map: the rank metric over two params as a grid of coloured cells (a Rich table), worst red,
middling yellow, best green — the value printed in each cell, so the colours are a guide, never the only reading.

A table rather than a plot: every cell is a value a trader reads off, and at 80×24 a grid of 7-character cells
holds ten columns of a sweep where a plotted raster would hold unreadable blocks.
"""

from __future__ import annotations

import math
from itertools import pairwise

from rich.console import RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from cryptoterm.tui.backtest_view import HeatGrid, format_metric, metric_kind, metric_label, shade

#: (place from worst 0 to best 1, background) stops; a cell takes the colour between its two stops.
SCALE: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (0.0, (165, 38, 38)),
    (0.5, (190, 160, 40)),
    (1.0, (40, 140, 60)),
)


def cell_colour(place: float) -> tuple[int, int, int] | None:
    """The background of a cell at `place` (0 worst … 1 best); None for a cell without a value."""
    if not math.isfinite(place):
        return None
    place = min(1.0, max(0.0, place))
    for (left, low), (right, high) in pairwise(SCALE):
        if place <= right:
            t = (place - left) / (right - left)
            r, g, b = (round(a + (c - a) * t) for a, c in zip(low, high, strict=True))
            return (r, g, b)
    return SCALE[-1][1]


def param_text(value: float) -> str:
    return f"{value:g}"


def heat_table(grid: HeatGrid) -> Table:
    """The grid as a table: a header of the column param's values, a row per value of the row param."""
    places = shade(grid)
    kind = metric_kind(grid.rank)
    table = Table(box=None, show_header=True, header_style="bold", padding=(0, 1, 0, 0), expand=False)
    corner = f"{grid.y_name} \\ {grid.x_name}" if grid.y_name is not None else grid.x_name
    table.add_column(corner, style="bold", no_wrap=True, justify="right")
    for x in grid.xs:
        table.add_column(param_text(x), justify="right", no_wrap=True, min_width=7)
    labels = [param_text(y) for y in grid.ys] if grid.y_name is not None else [metric_label(grid.rank)]
    for label, values, row_places in zip(labels, grid.values, places, strict=True):
        cells: list[RenderableType] = [label]
        for value, place in zip(values, row_places, strict=True):
            colour = cell_colour(place)
            text = format_metric(value, kind) if math.isfinite(value) else "·"
            style = Style(color="black", bgcolor=f"rgb{colour}") if colour is not None else Style(dim=True)
            cells.append(Text(f" {text} ", style=style))
        table.add_row(*cells)
    return table


class HeatMap(Static):
    """The heat map of the sweep on screen (`show`); says so when there is none."""

    DEFAULT_CSS = """
    HeatMap { height: auto; border: round $primary 60%; border-title-color: $text; border-title-style: bold;
              padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None, note: str = "") -> None:
        super().__init__(Text(note, style="dim"), id=id)
        self.border_title = "Heat map"
        self.grid: HeatGrid | None = None

    def show(self, grid: HeatGrid | None, *, note: str = "") -> None:
        self.grid = grid
        if grid is None:
            self.border_title = "Heat map"
            self.update(Text(note or "Sweep two params to see a heat map (v switches the params).", style="dim"))
            return
        rows = f" × {grid.y_name}" if grid.y_name is not None else ""
        held = " · ".join(f"{k}={v:g}" for k, v in grid.fixed.items())
        self.border_title = f"{metric_label(grid.rank)} by {grid.x_name}{rows}" + (f" · at best {held}" if held else "")
        self.update(heat_table(grid))

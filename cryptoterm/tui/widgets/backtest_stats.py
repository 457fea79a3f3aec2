"""The backtest screen's stats tab: a run's metrics two pairs a line, then its exits and symbols breakdowns."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from cryptoterm.tui.backtest_view import RunView, breakdown_rows, stats_rows


def stats_panel(run: RunView) -> RenderableType:
    """The metrics two pairs a line, then the exits and symbols breakdowns."""
    rows = stats_rows(run.metrics)
    table = Table(box=None, show_header=False, expand=True, padding=(0, 2, 0, 0))
    for style in ("dim", "", "dim", ""):
        table.add_column(style=style, no_wrap=True, justify="right" if style == "" else "left")
    half = (len(rows) + 1) // 2
    for left, right in zip(rows[:half], [*rows[half:], ("", "")], strict=False):
        table.add_row(*left, *right)
    parts: list[RenderableType] = [table]
    for key, title in (("by_reason", "exit"), ("by_symbol", "symbol")):
        lines = breakdown_rows(run.metrics, key)
        if lines:
            breakdown = Table(box=None, header_style="bold", expand=True, padding=(0, 2, 0, 0))
            for header in (f"by {title}", "trades", "win rate", "pnl"):
                breakdown.add_column(header, justify="left" if header.startswith("by") else "right", no_wrap=True)
            for line in lines:
                breakdown.add_row(*line)
            parts += [Text(""), breakdown]
    note = f"{len(run.trades)} trades ({run.skipped} plans skipped)"
    parts.append(Text(f"\n{note}" + "".join(f"\nerror: {e}" for e in run.errors), style="dim"))
    return Group(*parts)

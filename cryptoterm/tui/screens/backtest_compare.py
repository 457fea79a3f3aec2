"""Stored backtests side by side: one column of metrics per run (what ran, then every figure of the stats
panel), and their equity curves overlaid as returns since each run's start (runs of different sizes or ranges
then share one scale and one calendar).

The curves are the ones stored with each run (`backtests.equity_json`), read in a thread worker; a sweep or a
walk-forward run keeps none, and the title says which runs have no curve.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from cryptoterm.ports.backtests import BacktestRecord
from cryptoterm.tui.backtest_jobs import Comparison, load_comparison
from cryptoterm.tui.backtest_view import compare_rows, run_label
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.widgets.equity_chart import PALETTE, Curve, EquityChart
from cryptoterm.tui.workers import report_worker_state


def compare_table(records: Sequence[BacktestRecord], spans: Sequence[tuple[int, int] | None] = ()) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", expand=False, padding=(0, 2, 0, 0))
    table.add_column("", style="dim", no_wrap=True)
    for i, record in enumerate(records):
        table.add_column(Text(run_label(record), style=f"bold {PALETTE[i % len(PALETTE)]}"), justify="right",
                         no_wrap=True, overflow="ellipsis")  # fmt: skip
    for label, values in compare_rows(records, spans):
        table.add_row(label, *values)
    return table


def return_curves(comparison: Comparison) -> tuple[list[Curve], list[str]]:
    """Each stored curve as % return since its first point, coloured like its column; the runs without one."""
    curves: list[Curve] = []
    missing: list[str] = []
    for i, (record, points) in enumerate(zip(comparison.records, comparison.equity, strict=True)):
        if not points or not points[0][1]:
            missing.append(f"#{record.id}")
            continue
        times = np.array([p[0] for p in points], dtype=np.int64)
        equity = np.array([p[1] for p in points], dtype=np.float64)
        start = float(record.metrics.get("initial_equity") or equity[0])  # type: ignore[arg-type]
        curves.append(Curve(run_label(record), PALETTE[i % len(PALETTE)], times, (equity / start - 1.0) * 100.0))
    return curves, missing


class BacktestCompareScreen(Screen[None]):
    """Pushed over the backtest screen with the runs marked there; escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the backtest"),
    ]
    DEFAULT_CSS = """
    BacktestCompareScreen #bt-compare-scroll { height: 1fr; max-height: 60%; border: round $primary 40%;
                                              padding: 0 1; }
    BacktestCompareScreen #bt-compare-chart { height: 1fr; min-height: 7; }
    """

    def __init__(self, session: TuiSession, records: Sequence[BacktestRecord]) -> None:
        super().__init__(name="backtest-compare", id="backtest-compare")
        self.session = session
        self.records = tuple(records)
        self.comparison: Comparison | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="bt-compare-scroll"):
            yield Static(compare_table(self.records), id="bt-compare-table")
        yield EquityChart(id="bt-compare-chart")
        yield Footer()

    @property
    def chart(self) -> EquityChart:
        return self.query_one(EquityChart)

    def on_mount(self) -> None:
        self.query_one("#bt-compare-scroll").border_title = f"{len(self.records)} runs compared"
        self.chart.border_title = "equity curves: loading…"
        self.run_worker(
            lambda: load_comparison(self.session, self.records),
            name="load comparison", group="compare", thread=True, exclusive=True,
        )  # fmt: skip

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_state(event.worker, event.state, owner="backtest compare")
        worker: Worker[Any] = event.worker
        if event.state == WorkerState.SUCCESS and isinstance(worker.result, Comparison):
            self.show(worker.result)

    def show(self, comparison: Comparison) -> None:
        self.comparison = comparison
        spans = [(points[0][0], points[-1][0]) if points else None for points in comparison.equity]
        self.query_one("#bt-compare-table", Static).update(compare_table(self.records, spans))
        curves, missing = return_curves(comparison)
        title = "return % since start: " + "  ".join(c.label for c in curves)
        if missing:
            title += f"  (no curve stored: {', '.join(missing)})"
        self.chart.show(title, curves)

    def palette_commands(self) -> list[PaletteCommand]:
        return [PaletteCommand("Back to the backtest", "Close the comparison", self.app.pop_screen, "esc")]

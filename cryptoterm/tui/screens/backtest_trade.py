"""One backtest trade on its candles: the entry, stop, targets and exit as labelled lines (the setup detail's
chart and level colours), the entry bar marked, and the trade's figures beside it.

The bars are read from the store in a thread worker over the run's own range, and the strategy is evaluated
there as the backtest did, so the targets drawn are the signal bar's levels (`backtest_jobs.load_trade_chart`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from cryptoterm.domain.backtest.trades import Trade
from cryptoterm.tui.backtest_jobs import TradeChart, load_trade_chart
from cryptoterm.tui.backtest_view import RunView, minute
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.formatting import fmt_price
from cryptoterm.tui.widgets.candle_chart import CandleChart
from cryptoterm.tui.widgets.chart_overlays import level_label
from cryptoterm.tui.workers import report_worker_state


def trade_summary(trade: Trade, chart: TradeChart | None) -> Table:
    table = Table(box=None, show_header=False, expand=True, padding=(0, 1, 0, 0))
    table.add_column(style="dim", no_wrap=True, min_width=6)
    table.add_column(overflow="fold")
    r = "—" if trade.r_multiple is None else f"{trade.r_multiple:+.2f} R"
    style = "green" if trade.pnl > 0 else "red"
    pnl = Text(f"{trade.pnl:+,.2f} ({trade.return_pct:+.2f} %, {r}) · qty {trade.qty:.6g} · fees {trade.fees:,.2f}")
    pnl.stylize(style, 0, pnl.plain.index(" · "))
    levels = " · ".join(level_label(level) for level in chart.levels) if chart is not None else "loading…"
    exit_by = "open at the end" if trade.open else trade.reason
    table.add_row("signal", minute(trade.signal_time))
    table.add_row("entry", f"{minute(trade.entry_time)} at {fmt_price(trade.entry_price)}")
    table.add_row("exit", f"{minute(trade.exit_time)} at {fmt_price(trade.exit_price)} ({exit_by})")
    table.add_row("pnl", pnl)
    table.add_row("levels", Text(levels))
    if chart is not None and chart.note:
        table.add_row("note", Text(chart.note, style="yellow"))
    return table


class BacktestTradeScreen(Screen[None]):
    """Pushed over the backtest screen; escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the backtest"),
    ]
    DEFAULT_CSS = """
    BacktestTradeScreen #bt-trade-chart { height: 1fr; min-height: 8; }
    BacktestTradeScreen #bt-trade-summary { height: auto; border: round $primary 40%; padding: 0 1; }
    """

    def __init__(self, session: TuiSession, run: RunView, index: int) -> None:
        super().__init__(name="backtest-trade", id="backtest-trade")
        self.session = session
        self.run = run
        self.index = index
        self.trade = run.trades[index]
        self.chart_data: TradeChart | None = None

    def compose(self) -> ComposeResult:
        yield CandleChart(warmup=0, id="bt-trade-chart")
        yield Static(trade_summary(self.trade, None), id="bt-trade-summary")
        yield Footer()

    @property
    def chart(self) -> CandleChart:
        return self.query_one(CandleChart)

    def on_mount(self) -> None:
        t = self.trade
        self.query_one(
            "#bt-trade-summary", Static
        ).border_title = f"Trade {self.index + 1} of {len(self.run.trades)} · {t.side} {t.symbol}"
        self.run_worker(
            lambda: load_trade_chart(self.session, self.run, self.index),
            name="load trade chart", group="trade-chart", thread=True, exclusive=True,
        )  # fmt: skip

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_state(event.worker, event.state, owner="backtest trade")
        worker: Worker[Any] = event.worker
        if event.state == WorkerState.SUCCESS and isinstance(worker.result, TradeChart):
            self.show(worker.result)

    def show(self, data: TradeChart) -> None:
        self.chart_data = data
        candles = list(data.candles)
        capacity = self.chart.capacity
        entry = next((i for i, c in enumerate(candles) if c.open_time == data.marker_time), None)
        if entry is not None and len(candles) > capacity:
            start = max(0, min(entry - capacity // 4, len(candles) - capacity))
            candles = candles[start : start + capacity]
        t = data.trade
        title = f"{t.symbol} · {data.timeframe} · {self.run.strategy.name} · {t.side} · {t.reason}"
        self.chart.show(title, data.timeframe, candles, (), data.levels, marker_time=data.marker_time, symbol=t.symbol)
        self.query_one("#bt-trade-summary", Static).update(trade_summary(t, data))

    def palette_commands(self) -> list[PaletteCommand]:
        return [PaletteCommand("Back to the backtest", "Close the trade chart", self.app.pop_screen, "esc")]

"""One setup in detail: its chart with entry / stop / target lines and the signal bar marked, the conditions
that fired with their values at the signal bar, and its state history.

The candles and the history are read from the store in a thread worker (the setup's symbol need not be on
the watchlist, so the feed may not hold its bars); when the store has none, the feed's in-memory bars are used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from cryptoterm.domain.market import Candle
from cryptoterm.domain.setups import Setup
from cryptoterm.domain.timeframes import timeframe_ms
from cryptoterm.ports.setups import SetupEvent
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.formatting import fmt_price
from cryptoterm.tui.trading_actions import journal_entry, take_setup
from cryptoterm.tui.widgets.candle_chart import CandleChart
from cryptoterm.tui.widgets.chart_overlays import PriceLevel
from cryptoterm.tui.widgets.setup_table import STATE_STYLES
from cryptoterm.tui.workers import report_worker_state

#: Bars shown around the setup: some before the signal bar, and everything since.
BARS_BEFORE = 120
BARS_MAX = 400


@dataclass(frozen=True, slots=True)
class SetupDetail:
    """What the worker loads for the screen."""

    setup: Setup
    events: tuple[SetupEvent, ...]
    candles: tuple[Candle, ...]


def _utc(ms: int | None) -> str:
    if ms is None:
        return "–"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def setup_levels(setup: Setup) -> list[PriceLevel]:
    """Entry (yellow), stop (red) and each target (green) as chart lines."""
    levels = [PriceLevel("entry", setup.entry, "yellow"), PriceLevel("stop", setup.stop, "red")]
    levels += [PriceLevel(f"target {i}", t, "green") for i, t in enumerate(setup.targets, start=1)]
    return levels


def summary_table(setup: Setup) -> Table:
    table = Table(box=None, show_header=False, expand=True, padding=(0, 1, 0, 0))
    table.add_column(style="dim", no_wrap=True, min_width=10)
    table.add_column(no_wrap=True, overflow="ellipsis")
    arrow = "▲" if setup.direction == "long" else "▼"
    table.add_row("setup", Text(f"{arrow} {setup.direction} {setup.symbol} {setup.timeframe} · {setup.strategy}"))
    table.add_row("state", Text(setup.state, style=STATE_STYLES.get(setup.state, "")))
    table.add_row("entry", f"{fmt_price(setup.entry)}  zone {fmt_price(setup.zone_low)} – {fmt_price(setup.zone_high)}")
    table.add_row("stop", fmt_price(setup.stop))
    table.add_row("targets", " ".join(fmt_price(t) for t in setup.targets))
    table.add_row("R:R", f"{setup.rr:.2f}")
    table.add_row("size", f"{setup.size:.6g} (risk {setup.risk:,.2f})")
    table.add_row("signal bar", f"{_utc(setup.bar_time)} UTC")
    table.add_row("expires", f"{_utc(setup.expires_ms)} UTC")
    if setup.r_multiple is not None:
        table.add_row("result", f"{setup.r_multiple:+.2f}R at {fmt_price(setup.exit_price or float('nan'))}")
    return table


def conditions_table(setup: Setup) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", expand=True, padding=(0, 1, 0, 0))
    table.add_column("", no_wrap=True)
    table.add_column("Condition at the signal bar", ratio=2)
    table.add_column("Values", ratio=2)
    if not setup.conditions:
        table.add_row("", Text("no conditions recorded", style="dim"), "")
    for condition in setup.conditions:
        mark = Text("✓", style="green") if condition.passed else Text("✗", style="red")
        table.add_row(mark, condition.text, Text(condition.values, style="dim"))
    return table


def history_table(events: tuple[SetupEvent, ...]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", expand=True, padding=(0, 1, 0, 0))
    table.add_column("Time (UTC)", no_wrap=True)
    table.add_column("State", no_wrap=True)
    table.add_column("Price", justify="right", no_wrap=True)
    table.add_column("Note", ratio=1)
    for event in events:
        change = f"{event.from_state} → {event.to_state}" if event.from_state else event.to_state
        price = fmt_price(event.price) if event.price is not None else "–"
        table.add_row(_utc(event.ts), Text(change, style=STATE_STYLES.get(event.to_state, "")), price, event.note)
    if not events:
        table.add_row(Text("loading…", style="dim"), "", "", "")
    return table


class SetupDetailScreen(Screen[None]):
    """Pushed over the setups list; escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the setups list"),
        Binding("r", "reload", "Reload", tooltip="Read the setup and its history again"),
        Binding("k", "take_setup", "Take setup", tooltip="Order ticket filled from the setup's levels and size"),
        Binding("e", "journal", "Journal", tooltip="Write a journal entry about this setup"),
    ]

    DEFAULT_CSS = """
    SetupDetailScreen #detail-chart { height: 1fr; min-height: 8; }
    SetupDetailScreen #detail-info { height: auto; max-height: 45%; }
    SetupDetailScreen #detail-summary { width: 1fr; min-width: 34; height: auto; }
    SetupDetailScreen #detail-right { width: 2fr; height: auto; }
    SetupDetailScreen .detail-panel { border: round $primary 40%; padding: 0 1; height: auto; }
    """

    def __init__(self, session: TuiSession, setup: Setup) -> None:
        super().__init__(name="setup-detail", id="setup-detail")
        self.session = session
        self.setup = setup
        self.detail: SetupDetail | None = None

    def compose(self) -> ComposeResult:
        yield CandleChart(warmup=0, id="detail-chart")
        with Horizontal(id="detail-info"):
            yield Static(summary_table(self.setup), id="detail-summary", classes="detail-panel")
            with VerticalScroll(id="detail-right"):
                yield Static(conditions_table(self.setup), id="detail-conditions", classes="detail-panel")
                yield Static(history_table(()), id="detail-history", classes="detail-panel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#detail-summary", Static).border_title = "Levels"
        self.query_one("#detail-conditions", Static).border_title = "Conditions"
        self.query_one("#detail-history", Static).border_title = "History"
        self.action_reload()

    def action_reload(self) -> None:
        self.run_worker(self._load, name="load setup", group="detail", thread=True, exclusive=True)

    def _load(self) -> SetupDetail:
        """Worker thread: the setup as stored now, its history and its candles around the signal bar."""
        setup = self.setup
        scanning = self.session.scanning
        records = self.session.records
        if scanning is None or records is None or setup.id is None:
            return SetupDetail(setup, (), ())
        fresh = records.get_setup(setup.id) or setup
        events = tuple(records.setup_events(setup.id))
        step = timeframe_ms(setup.timeframe)
        candles = scanning.store.read_candles(
            scanning.exchange, setup.symbol, setup.timeframe, since_ms=setup.bar_time - BARS_BEFORE * step
        )
        return SetupDetail(fresh, events, tuple(candles[:BARS_MAX]))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_state(event.worker, event.state, owner="setup detail")
        worker: Worker[Any] = event.worker
        if event.state == WorkerState.SUCCESS and worker.group == "detail" and worker.result is not None:
            self.show(worker.result)

    def show(self, detail: SetupDetail) -> None:
        self.detail = detail
        self.setup = setup = detail.setup
        candles: list[Candle] = list(detail.candles)
        if not candles:
            candles = self.session.feed.candles(setup.symbol, setup.timeframe, BARS_MAX)
        capacity = self.chart.capacity
        signal = next((i for i, c in enumerate(candles) if c.open_time == setup.bar_time), None)
        if signal is not None and len(candles) > capacity:
            start = max(0, min(signal - capacity // 3, len(candles) - capacity))
            candles = candles[start : start + capacity]
        title = f"{setup.symbol} · {setup.timeframe} · {setup.strategy} · {setup.direction} · {setup.state}"
        self.chart.show(
            title, setup.timeframe, candles, (), setup_levels(setup), marker_time=setup.bar_time, symbol=setup.symbol
        )
        self.query_one("#detail-summary", Static).update(summary_table(setup))
        self.query_one("#detail-conditions", Static).update(conditions_table(setup))
        self.query_one("#detail-history", Static).update(history_table(detail.events))

    def action_take_setup(self) -> None:
        take_setup(self, self.session, self.setup)

    def action_journal(self) -> None:
        journal, setup = self.session.journal, self.setup
        if journal is not None and setup.id is not None:
            setup_id, now = setup.id, setup.updated_ms or setup.created_ms
            journal_entry(self, self.session, lambda: journal.draft_for_setup(setup_id, now))

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            PaletteCommand("Take setup", "Ticket from the setup's entry, stop, targets", self.action_take_setup, "k"),
            PaletteCommand("Journal entry for the setup", "Write about this setup", self.action_journal, "e"),
            PaletteCommand("Reload setup", "Read the setup and its history again", self.action_reload, "r"),
            PaletteCommand("Back to setups", "Close the setup detail", self.app.pop_screen, "esc"),
        ]

    @property
    def chart(self) -> CandleChart:
        return self.query_one(CandleChart)

"""System health: every stream's state and throughput, latency, the store and the process.

Stream rows come from `FeedStats.health` (one `StreamHealth` per connection); messages per second per stream
are the change in its message count between two snapshots. Latency has two legs: exchange event time →
receive (`StreamHealth.last_event_lag_ms`, measured by the adapter) and receive → screen, measured here as
the time from the feed publishing a snapshot to this screen handling it. Row counts scan tables, so they
are counted in a thread worker every `COUNTS_EVERY_S` seconds; the rest is cheap and repaints at most
`REPAINT_HZ` times a second.
"""

from __future__ import annotations

import math
import os
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from cryptoterm.ports.market import StreamHealth
from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.formatting import DASH, fmt_abbrev, fmt_age, fmt_clock, fmt_rate
from cryptoterm.tui.messages import MarketUpdated
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.widgets.status_bar import STATE_STYLES, StatusBar

REPAINT_HZ = 2.0
COUNTS_EVERY_S = 10.0
LATENCY_SAMPLES = 50

STREAM_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("name", "Stream", 14),
    ("state", "State", 12),
    ("messages", "Msgs", 8),
    ("rate", "Msg/s", 7),
    ("reconnects", "Reconn", 6),
    ("errors", "Errors", 6),
    ("age", "Last msg", 8),
    ("lag", "Evt lag", 8),
    ("breaker", "Breaker", 9),
    ("detail", "Detail", 40),
)


@dataclass(frozen=True, slots=True)
class ProcessStats:
    """The process as the health screen shows it."""

    rss_bytes: int
    uptime_s: float
    threads: int


def process_stats() -> ProcessStats:
    """RSS, uptime and thread count of this process (psutil)."""
    import psutil

    proc = psutil.Process(os.getpid())
    return ProcessStats(proc.memory_info().rss, time.time() - proc.create_time(), proc.num_threads())


def fmt_bytes(size: float) -> str:
    if math.isnan(size):
        return DASH
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def fmt_lag(ms: float) -> str:
    return DASH if math.isnan(ms) else f"{ms:.0f}ms" if ms < 10_000 else fmt_age(ms)


def stream_cells(health: StreamHealth, now_ms: int, rate: float) -> dict[str, Text]:
    """The styled cells of one stream row (pure)."""
    age = now_ms - health.last_message_ms if health.last_message_ms else float("nan")
    breaker_style = {"open": "bold red", "half-open": "yellow"}.get(health.breaker, "green")
    return {
        "name": Text(health.name, style="bold"),
        "state": Text(health.state, style=STATE_STYLES.get(health.state, "")),
        "messages": Text(fmt_abbrev(float(health.messages)), justify="right"),
        "rate": Text(fmt_rate(rate), justify="right"),
        "reconnects": Text(str(health.reconnects), justify="right", style="yellow" if health.reconnects else ""),
        "errors": Text(str(health.errors), justify="right", style="red" if health.errors else ""),
        "age": Text(fmt_age(age), justify="right"),
        "lag": Text(fmt_lag(health.last_event_lag_ms), justify="right"),
        "breaker": Text(health.breaker, style=breaker_style),
        "detail": Text(health.detail, overflow="ellipsis", no_wrap=True),
    }


def _kv_table() -> Table:
    table = Table(box=None, show_header=False, expand=True, padding=(0, 1, 0, 0))
    table.add_column(style="dim", no_wrap=True, min_width=14)
    table.add_column(no_wrap=True, overflow="ellipsis")
    return table


def median(values: deque[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


class HealthScreen(LiveScreen):
    """Streams, latency, storage and process."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh_counts", "Count rows", tooltip="Count the rows of every table now"),
        Binding("escape", "app.switch_mode('dashboard')", "Back", tooltip="Back to the dashboard"),
    ]

    DEFAULT_CSS = """
    HealthScreen #health-streams { height: 1fr; min-height: 4; }
    HealthScreen #health-panels { height: auto; }
    HealthScreen .health-panel { width: 1fr; height: auto; border: round $primary 40%; padding: 0 1; }
    HealthScreen.-wide .health-panel { min-height: 11; }
    HealthScreen.-narrow #health-panels { layout: grid; grid-size: 2; grid-rows: auto; }
    """

    #: Below 110 columns the three panels take two columns (feed and store side by side, process under them).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # noqa: RUF012 (typed by Screen)

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="health", id="health")
        self._painted_at = 0.0
        self._stream_marks: dict[str, tuple[int, float]] = {}
        self._stream_rates: dict[str, float] = {}
        self.ui_latency_ms: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self.counts: dict[str, int] | None = None
        self.counts_at = 0
        self.paints = 0

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(id="health-streams", cursor_type="row", zebra_stripes=True)
        table.border_title = "Streams"
        yield table
        with Horizontal(id="health-panels"):
            yield Static(id="health-feed", classes="health-panel")
            yield Static(id="health-store", classes="health-panel")
            yield Static(id="health-process", classes="health-panel")
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="health-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.streams
        for key, header, width in STREAM_COLUMNS:
            table.add_column(header, key=key, width=width)
        self.query_one("#health-feed", Static).border_title = "Feed & latency"
        self.query_one("#health-store", Static).border_title = "Store"
        self.query_one("#health-process", Static).border_title = "Process"
        super().on_mount()
        self.action_refresh_counts()
        self.set_interval(COUNTS_EVERY_S, self._timed_counts, name="table-counts")
        if self.session.snapshot is None:
            self.paint(None)

    @property
    def streams(self) -> DataTable[Text]:
        return self.query_one("#health-streams", DataTable)

    # ------------------------------------------------------------------ data in
    def on_market_updated(self, message: MarketUpdated) -> None:
        self.ui_latency_ms.append(max(0.0, (time.monotonic() - message.published) * 1000))
        super().on_market_updated(message)

    def apply_snapshot(self, snapshot: MarketSnapshot) -> None:
        super().apply_snapshot(snapshot)
        self._measure_rates(snapshot)
        now = time.monotonic()
        if now - self._painted_at >= 1.0 / REPAINT_HZ:
            self._painted_at = now
            self.paint(snapshot)

    def _measure_rates(self, snapshot: MarketSnapshot) -> None:
        now = time.monotonic()
        for health in snapshot.stats.health:
            mark = self._stream_marks.get(health.name)
            if mark is None or now - mark[1] >= 1.0:
                if mark is not None and now > mark[1]:
                    self._stream_rates[health.name] = (health.messages - mark[0]) / (now - mark[1])
                self._stream_marks[health.name] = (health.messages, now)

    def paint(self, snapshot: MarketSnapshot | None) -> None:
        self.paints += 1
        if snapshot is not None:
            self._paint_streams(snapshot)
        self.query_one("#health-feed", Static).update(self.feed_panel(snapshot))
        self.query_one("#health-store", Static).update(self.store_panel(snapshot))
        self.query_one("#health-process", Static).update(self.process_panel())

    def _paint_streams(self, snapshot: MarketSnapshot) -> None:
        table = self.streams
        seen: set[str] = set()
        for health in snapshot.stats.health:
            seen.add(health.name)
            cells = stream_cells(health, snapshot.ts, self._stream_rates.get(health.name, float("nan")))
            if health.name not in {str(r.key.value) for r in table.ordered_rows}:
                table.add_row(*cells.values(), key=health.name)
            else:
                for key, cell in cells.items():
                    table.update_cell(health.name, key, cell)
        for row in list(table.ordered_rows):
            if str(row.key.value) not in seen:
                table.remove_row(row.key)

    def feed_panel(self, snapshot: MarketSnapshot | None) -> Table:
        table = _kv_table()
        if snapshot is None:
            table.add_row("feed", "starting…")
            return table
        stats = snapshot.stats
        lags = [h.last_event_lag_ms for h in stats.health if not math.isnan(h.last_event_lag_ms)]
        age = snapshot.ts - stats.last_message_ms if stats.last_message_ms else float("nan")
        table.add_row("mode", f"{stats.mode} · {stats.exchange}")
        table.add_row("messages", f"{stats.messages_total:,} ({fmt_rate(stats.messages_per_s)}/s)")
        table.add_row("trades", f"{stats.trades_total:,}")
        table.add_row("bars closed", f"{stats.bars_closed:,}")
        table.add_row("late trades", Text(str(stats.late_trades), style="yellow" if stats.late_trades else ""))
        table.add_row("last message", fmt_age(age))
        table.add_row("event→receive", fmt_lag(max(lags)) if lags else DASH)
        table.add_row("receive→screen", fmt_lag(median(self.ui_latency_ms)))
        table.add_row("feed time", f"{fmt_clock(snapshot.ts)} UTC")
        return table

    def store_panel(self, snapshot: MarketSnapshot | None) -> Table:
        table = _kv_table()
        store = self.session.store
        queue = snapshot.stats.store_queue if snapshot is not None else 0
        if store is None:
            table.add_row("store", "not used in this mode")
            return table
        try:
            health = store.health()
        except Exception as exc:
            table.add_row("store", Text(f"unavailable: {exc}", style="red"))
            return table
        writer = health.writer
        table.add_row("file", os.path.basename(str(health.path)))
        table.add_row("size", fmt_bytes(float(health.file_size)))
        table.add_row("queue", f"{max(queue, writer.queue_depth):,}")
        table.add_row("rows written", f"{writer.rows_written:,}")
        table.add_row("dropped", Text(f"{writer.rows_dropped:,}", style="red" if writer.rows_dropped else ""))
        table.add_row("batches", f"{writer.batches_written:,}")
        if writer.last_error:
            table.add_row("last error", Text(writer.last_error, style="red"))
        if self.counts is None:
            table.add_row("rows", "counting…")
        else:
            for name, count in sorted(self.counts.items()):
                if count:
                    table.add_row(name, f"{count:,}")
        return table

    def process_panel(self) -> Table:
        table = _kv_table()
        stats = process_stats()
        table.add_row("memory", fmt_bytes(float(stats.rss_bytes)))
        table.add_row("uptime", fmt_age(stats.uptime_s * 1000))
        table.add_row("threads", str(stats.threads))
        return table

    # ------------------------------------------------------------------ table counts
    def _timed_counts(self) -> None:
        # Counting scans every table: only while someone is looking (a screen of another mode stays alive).
        if self.is_current:
            self.action_refresh_counts()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.action_refresh_counts()

    def action_refresh_counts(self) -> None:
        store = self.session.store
        if store is not None:
            self.run_worker(store.table_counts, name="table counts", group="counts", thread=True, exclusive=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        worker: Worker[Any] = event.worker
        if event.state == WorkerState.SUCCESS and worker.group == "counts":
            self.counts = dict(worker.result or {})
            self.counts_at += 1
            self.query_one("#health-store", Static).update(self.store_panel(self.session.snapshot))

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            PaletteCommand("Count table rows", "Count the rows of every table now", self.action_refresh_counts, "r")
        ]

"""The data screen: what is stored and how the process is doing, and candle files in and out.

System statistics (trades and messages seen, symbols watched, stored series and candles, database size,
uptime) over a table of every stored series of this market (candles, first and last bar). Below, two fields:
**import** takes file paths (Binance klines, headed CSV, JSON, `.gz`; checked first, then written in one
transaction through the engine's own store writer, or nothing is) and **export** takes `WHAT [SYMBOL] [TIMEFRAME]
FILE` (`candles BTC/USDT 1h btc.csv`; `.json` writes JSON, `.gz` compresses). Both run in a worker thread and say
how it went; the statistics are read again after an import, when the screen opens and on `r`.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import Worker, WorkerState

from cryptoterm.domain.timeframes import TIMEFRAMES
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import StoreView, TuiSession
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from cryptoterm.ports.data_io import SeriesCount

EXPORT_KINDS = ("candles", "trades", "setups", "backtests", "alerts")
NO_STORE = "This mode has no database to import into or export from."


def process_uptime_s() -> float:
    """Seconds since this process started (psutil)."""
    import psutil

    return time.time() - psutil.Process().create_time()


def _date(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _size(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            return f"{size:,.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:,.1f} GiB"


def parse_export(text: str) -> tuple[str, str, str, str]:
    """`candles BTC/USDT 1h btc.csv` → (kind, symbol, timeframe, file); ValueError naming what is wrong."""
    words = text.split()
    if len(words) < 2:
        raise ValueError("write WHAT [SYMBOL] [TIMEFRAME] FILE, e.g. candles BTC/USDT 1h btc.csv")
    kind, *middle, path = words
    if kind not in EXPORT_KINDS:
        raise ValueError(f'"{kind}" is not one of {", ".join(EXPORT_KINDS)}')
    symbol = next((w.upper() for w in middle if "/" in w), "")
    timeframe = next((w for w in middle if w in TIMEFRAMES), "")
    unknown = [w for w in middle if w.upper() != symbol and w != timeframe]
    if unknown:
        raise ValueError(f'"{unknown[0]}" is neither a symbol (BASE/QUOTE) nor a timeframe')
    return kind, symbol, timeframe, path


class DataScreen(LiveScreen):
    """See the module docstring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "reload", "Refresh", tooltip="Read the stored series and statistics again"),
        Binding("escape", "app.switch_mode('dashboard')", "Back", show=False, tooltip="Back to the dashboard"),
    ]
    DEFAULT_CSS = """
    DataScreen #data-stats { height: auto; border: round $primary; padding: 0 1; }
    DataScreen #data-series { height: 1fr; }
    DataScreen Input { margin: 0 0; }
    """

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="data", id="data")
        self.counts: list[SeriesCount] | None = None
        self.results: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(id="data-stats")
        yield DataTable(id="data-series", cursor_type="row", zebra_stripes=True)
        yield Input(
            placeholder="import: file paths (space-separated; .csv .json .gz), enter to import", id="data-import"
        )
        yield Input(
            placeholder="export: WHAT [SYMBOL] [TIMEFRAME] FILE, e.g. candles BTC/USDT 1h btc.csv", id="data-export"
        )
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="data-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#data-series", DataTable)
        for key, label, width in (("symbol", "Symbol", 12), ("timeframe", "TF", 4), ("candles", "Candles", 9),
                                  ("first", "First bar", 16), ("last", "Last bar", 16)):  # fmt: skip
            table.add_column(label, key=key, width=width)
        self.query_one("#data-stats", Static).border_title = "System"
        super().on_mount()
        self.action_reload()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.action_reload()

    def _io(self) -> Any:
        from cryptoterm.wiring.data_io import data_io_over

        return data_io_over(self.session.runtime.store)

    # ------------------------------------------------------------------ statistics
    def action_reload(self) -> None:
        io = self._io()
        if io is None:
            self.paint_stats()
            return
        exchange = self.session.runtime.exchange
        self.run_worker(lambda: io[2].candle_counts(exchange), name="data counts", group="data-load", thread=True,
                        exclusive=True)  # fmt: skip

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        if event.state == WorkerState.SUCCESS and event.worker.group == "data-load":
            self.show_counts(event.worker.result or [])

    def show_counts(self, counts: list[SeriesCount]) -> None:
        self.counts = counts
        table = self.query_one("#data-series", DataTable)
        table.clear()
        for c in counts:
            table.add_row(
                Text(c.symbol, style="bold"), c.timeframe, Text(f"{c.candles:,}", justify="right"),
                _date(c.first_ms), _date(c.last_ms), key=f"{c.symbol} {c.timeframe}",
            )  # fmt: skip
        self.paint_stats()

    def paint_stats(self) -> None:
        stats = self.session.snapshot.stats if self.session.snapshot is not None else None
        grid = Table.grid(padding=(0, 3))
        for _ in range(4):
            grid.add_column()
        store = self.session.runtime.store
        size = _size(store.health().file_size) if isinstance(store, StoreView) else "—"
        counts = self.counts
        series = f"{len(counts):,}" if counts is not None else "—"
        candles = f"{sum(c.candles for c in counts):,}" if counts is not None else "—"
        uptime = process_uptime_s()
        grid.add_row(
            Text.assemble(("Trades ", "dim"), f"{stats.trades_total:,}" if stats else "—"),
            Text.assemble(("Messages ", "dim"), f"{stats.messages_total:,}" if stats else "—"),
            Text.assemble(("Symbols watched ", "dim"), str(len(self.session.symbols))),
            Text.assemble(("Uptime ", "dim"), f"{int(uptime // 3600)}h {int(uptime % 3600 // 60):02d}m"),
        )
        grid.add_row(
            Text.assemble(("Stored series ", "dim"), series),
            Text.assemble(("Candles ", "dim"), candles),
            Text.assemble(("Database ", "dim"), size),
            Text.assemble(("Market ", "dim"), self.session.runtime.exchange),
        )
        if self._io() is None:
            grid.add_row(Text(NO_STORE, style="dim"), "", "", "")
        for line in self.results[-3:]:
            grid.add_row(Text(line), "", "", "")
        self.query_one("#data-stats", Static).update(grid)

    # ------------------------------------------------------------------ import / export
    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        io = self._io()
        if io is None:
            self.notify(NO_STORE, severity="warning")
            return
        if event.input.id == "data-import":
            self.run_worker(lambda: self._import(io, text.split()), name="import", group="data-io", thread=True)
        else:
            try:
                kind, symbol, timeframe, path = parse_export(text)
            except ValueError as exc:
                self.notify(str(exc), title="Export", severity="error")
                return
            job = lambda: self._export(io, kind, symbol, timeframe, path)  # noqa: E731
            self.run_worker(job, name="export", group="data-io", thread=True)
        event.input.value = ""

    def _say(self, line: str, *, error: bool = False) -> None:
        self.results.append(line)
        self.notify(line, title="Data", severity="error" if error else "information", timeout=6)
        self.paint_stats()

    def _import(self, io: Any, paths: list[str]) -> None:
        from cryptoterm.domain.candle_files import CandleFileError
        from cryptoterm.wiring.data_io import read_candle_files

        try:
            series = read_candle_files(paths)
            changed = io[1].import_series(self.session.runtime.exchange, series)
        except (CandleFileError, OSError) as exc:
            self.app.call_from_thread(self._say, f"{exc}; nothing was imported", error=True)
            return
        rows = sum(len(s.candles) for s in series)
        line = f"imported {rows:,} candles in {len(series)} series ({sum(changed):,} new or changed)"
        self.app.call_from_thread(self._say, line)
        self.app.call_from_thread(self.action_reload)

    def _export(self, io: Any, kind: str, symbol: str, timeframe: str, path: str) -> None:
        from cryptoterm.ports.data_io import ExportFilter, ExportKind
        from cryptoterm.wiring.data_io import open_export, write_export

        fmt = "json" if path.removesuffix(".gz").endswith(".json") else "csv"
        try:
            target = open_export(path, sys.stdout)
            try:
                where = ExportFilter(self.session.runtime.exchange, symbol, timeframe)
                count = write_export(io[0], cast("ExportKind", kind), where, fmt, target)
            finally:
                target.close()
        except OSError as exc:
            self.app.call_from_thread(self._say, f"{path}: cannot write: {exc.strerror or exc}", error=True)
            return
        self.app.call_from_thread(self._say, f"exported {count:,} {kind} row(s) to {path}")

    def palette_commands(self) -> list[PaletteCommand]:
        return [PaletteCommand("Refresh data statistics", "Read the stored series again", self.action_reload, "r")]

"""The screener: every pair of the stored universe tested for cointegration, in a thread worker, with progress
and cancel; the results sortable and filtered by thresholds (p-value, adjusted p, half-life, Hurst, correlation).

The screen builds its screener from wiring over the engine's store and the configured compute executor (local
processes or a Dask cluster), in the worker thread: a cluster connects there, never on the UI thread. The last
stored session is shown when the screen opens, so a screen run from cron or the command line is there too.
`enter` opens the pair detail, `z` watches the highlighted pair on the dashboard.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState

from cryptoterm.domain.pairs import PairResult
from cryptoterm.domain.redaction import redact
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.pair_watch import WatchedPair
from cryptoterm.tui.screener_filter import STATISTICS, FilterError, parse_filter
from cryptoterm.tui.screener_view import ScreenOutcome, ScreenSummary
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.widgets.pair_table import MAX_ROWS, PairTable
from cryptoterm.tui.widgets.status_bar import StatusBar

log = logging.getLogger(__name__)

SCREEN_GROUP = "screen"
LOAD_GROUP = "screen-load"


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d")


FILTER_HINT = "filter: " + " ".join(f"{name}<…" for name in ("p", "padj", "hl", "hurst")) + " corr>…"


def _latest_session(session: TuiSession) -> ScreenOutcome:
    """The newest stored screen (worker thread)."""
    from cryptoterm.ports.compute import InlineExecutor
    from cryptoterm.wiring.errors import StartupError
    from cryptoterm.wiring.screening import screening_on

    runtime = session.runtime
    try:
        _, archive = screening_on(runtime.store, runtime.exchange, InlineExecutor())
    except StartupError as exc:
        return ScreenOutcome(message=str(exc))
    stored = archive.screening_sessions(limit=1)
    if not stored:
        return ScreenOutcome(message="No screen yet: press n to screen the stored universe.")
    return ScreenOutcome(ScreenSummary.from_session(stored[0], archive.pair_results(stored[0].id)))


def _run_screen(session: TuiSession, progress: Any, cancel: threading.Event) -> ScreenOutcome:
    """Screen the stored universe with `[screener]` settings on the `[compute]` executor (worker thread)."""
    from cryptoterm.domain.pairs import KalmanParams, ScreenParams
    from cryptoterm.ports.compute import ComputeCancelled
    from cryptoterm.services.screener import ScreenError, ScreenRequest, screen_symbols
    from cryptoterm.wiring.compute import build_executor
    from cryptoterm.wiring.errors import StartupError
    from cryptoterm.wiring.screening import screening_on

    config = session.config
    settings = config.screener
    runtime = session.runtime
    try:
        executor = build_executor(config.compute)
    except StartupError as exc:
        return ScreenOutcome(message=str(exc))
    try:
        screener, _ = screening_on(runtime.store, runtime.exchange, executor)
        symbols = tuple(
            screen_symbols(
                screener.candles, runtime.exchange, settings.timeframe, top=settings.top, quote=settings.quote
            )
        )
        params = ScreenParams(
            spread_hedge=settings.spread_hedge,
            family_pvalue=settings.family_pvalue,
            kalman=KalmanParams(
                settings.kalman_observation_variance, settings.kalman_beta_variance, settings.kalman_intercept_variance
            ),
        )
        request = ScreenRequest(
            symbols,
            settings.timeframe,
            bars=settings.bars,
            min_bars=settings.min_bars,
            min_quote_volume=settings.min_quote_volume,
            params=params,
            chunk_pairs=settings.chunk_pairs,
        )
        run = screener.run(request, progress=progress, cancel=cancel)
    except ScreenError as exc:
        hint = f"store more {settings.timeframe} history with `cryptoterm download`"
        return ScreenOutcome(message=f"{exc} — {hint}")
    except StartupError as exc:
        return ScreenOutcome(message=str(exc))
    except ComputeCancelled:
        return ScreenOutcome(message="Screen cancelled; the previous results stay.")
    finally:
        executor.close()
    return ScreenOutcome(ScreenSummary.from_run(run))


class ScreenerScreen(LiveScreen):
    """The pairs screener (see the module docstring)."""

    DEFAULT_CSS = """
    ScreenerScreen #screener-panel { height: auto; max-height: 5; padding: 0 1; }
    ScreenerScreen #screener-filter { border: none; height: 1; padding: 0 1; background: $boost; }
    ScreenerScreen #screener-progress { height: 1; padding: 0 1; }
    ScreenerScreen PairTable { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "run", "Screen now", tooltip="Screen every pair of the stored universe ([screener] settings)"),
        Binding("x", "cancel", "Cancel", tooltip="Stop the screen that is running"),
        Binding("f", "filter", "Filter", tooltip="Thresholds: p, padj, prev, both, halves, hl, hurst, corr, z"),
        Binding("o", "sort", "Sort", tooltip="Sort by the next column"),
        Binding("r", "reverse", "Reverse", show=False, tooltip="Reverse the sort"),
        Binding("enter", "detail", "Detail", tooltip="Open the pair detail of the highlighted pair"),
        Binding("z", "watch", "Watch", tooltip="Watch the highlighted pair's live z-score on the dashboard"),
        Binding("escape", "app.switch_mode('dashboard')", "Back", show=False, tooltip="Back to the dashboard"),
    ]

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="screener", id="screener")
        self.summary: ScreenSummary | None = None
        self.message = ""
        self.filter_error = ""
        self.running = False
        self.progress = ("", 0, 0)
        self._cancel = threading.Event()

    def compose(self) -> ComposeResult:
        yield Static(id="screener-panel")
        yield Input(placeholder=FILTER_HINT, id="screener-filter")
        yield ProgressBar(id="screener-progress", show_eta=False)
        yield PairTable(id="pair-table")
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="screener-status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.progress_bar.display = False
        self.table.focus()
        self.paint_panel()
        self.run_worker(
            lambda: _latest_session(self.session), name="load screen", group=LOAD_GROUP, thread=True, exclusive=True
        )

    # ------------------------------------------------------------------ widgets
    @property
    def table(self) -> PairTable:
        return self.query_one(PairTable)

    @property
    def progress_bar(self) -> ProgressBar:
        return self.query_one(ProgressBar)

    @property
    def filter_input(self) -> Input:
        return self.query_one(Input)

    # ------------------------------------------------------------------ actions
    def action_run(self) -> None:
        if self.running:
            self.notify("A screen is running; x cancels it.", severity="warning")
            return
        self.running = True
        self._cancel = threading.Event()
        self.progress = ("read", 0, 0)
        self.progress_bar.update(total=None, progress=0)
        self.progress_bar.display = True
        self.paint_panel()
        cancel = self._cancel

        def progress(stage: str, done: int, total: int) -> None:
            self.app.call_from_thread(self._show_progress, stage, done, total)

        self.run_worker(
            lambda: _run_screen(self.session, progress, cancel),
            name="screen pairs",
            group=SCREEN_GROUP,
            thread=True,
            exclusive=True,
            exit_on_error=False,  # a failed screen is a message on this screen, never the end of the app
        )

    def action_cancel(self) -> None:
        if self.running:
            self._cancel.set()
            self.message = "Cancelling…"
            self.paint_panel()

    def action_filter(self) -> None:
        self.filter_input.focus()

    def action_sort(self) -> None:
        keys = [key for key, _, _ in self.table.COLUMNS]
        current = keys.index(self.table.sort_key) if self.table.sort_key in keys else -1
        self.table.sort_key, self.table.descending = keys[(current + 1) % len(keys)], False
        self.table.rebuild()
        self.paint_panel()

    def action_reverse(self) -> None:
        self.table.reverse()

    def action_detail(self) -> None:
        pair = self.table.selected
        if pair is None or self.summary is None:
            self.notify("No pair highlighted.", severity="warning")
            return
        from cryptoterm.tui.screens.pair_detail import PairDetailScreen

        self.app.push_screen(PairDetailScreen(self.session, pair, self.summary))

    def action_watch(self) -> None:
        pair = self.table.selected
        if pair is None:
            self.notify("No pair highlighted.", severity="warning")
            return
        watch_pair(self, pair)

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            PaletteCommand("Screen pairs now", "Screen every pair of the stored universe", self.action_run, "n"),
            PaletteCommand("Cancel the screen", "Stop the screen that is running", self.action_cancel, "x"),
            PaletteCommand("Filter pairs", "Thresholds on p, adjusted p, half-life, Hurst, …", self.action_filter, "f"),
            PaletteCommand("Pair detail", "The highlighted pair in depth", self.action_detail, "enter"),
            PaletteCommand(
                "Watch pair", "The highlighted pair's live z-score on the dashboard", self.action_watch, "z"
            ),
        ]

    # ------------------------------------------------------------------ events
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # The table takes enter itself (it selects the row): the selection opens the detail.
        if event.data_table is self.table:
            event.stop()
            self.action_detail()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            chosen = parse_filter(event.value)
        except FilterError as exc:
            self.filter_error = str(exc)
        else:
            self.filter_error = ""
            self.table.apply_filter(chosen)
            self.table.focus()
        self.paint_panel()

    def _show_progress(self, stage: str, done: int, total: int) -> None:
        self.progress = (stage, done, total)
        self.progress_bar.update(total=total, progress=done)
        self.paint_panel()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        worker: Worker[Any] = event.worker
        if worker.group not in (SCREEN_GROUP, LOAD_GROUP) or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            return
        if worker.group == SCREEN_GROUP:
            self.running = False
            self.progress_bar.display = False
        outcome = worker.result if event.state == WorkerState.SUCCESS else None
        if isinstance(outcome, ScreenOutcome):
            if outcome.summary is not None:
                self.show_summary(outcome.summary, stored=worker.group == LOAD_GROUP)
            else:
                self.message = outcome.message
        elif worker.group == SCREEN_GROUP:
            if event.state == WorkerState.ERROR:
                log.error("the pair screen failed: %s", redact(f"{type(worker.error).__name__}: {worker.error}"))
            self.message = "The screen failed; the log says why."
        self.paint_panel()

    def show_summary(self, summary: ScreenSummary, *, stored: bool = False) -> None:
        if stored and self.summary is not None:
            return  # a screen run here finished first: it is newer than the stored one
        self.summary = summary
        self.message = ""
        self.table.show(summary.results)

    # ------------------------------------------------------------------ panel
    def paint_panel(self) -> None:
        self.query_one("#screener-panel", Static).update(self.panel_text())

    def panel_text(self) -> Text:
        text = Text()
        summary = self.summary
        if summary is not None:
            stored = f"#{summary.session_id}" if summary.session_id is not None else "(not stored)"
            text.append(f"Session {stored}", style="bold")
            text.append(
                f" · {len(summary.symbols)} symbols · {len(summary.results):,} pairs · {summary.n_bars:,} "
                f"{summary.timeframe} bars {_day(summary.first_ms)} → {_day(summary.last_ms)}"
                f" · {summary.duration_ms / 1000:.1f} s on {summary.executor}"
            )
            shown = min(self.table.passing, MAX_ROWS)
            text.append(f"\n{self.table.passing:,} pass", style="bold")
            text.append(f" {self.table.filter}" if self.table.filter.thresholds else " (no filter)")
            if self.table.passing > shown:
                text.append(f" · first {shown} shown")
            text.append(f" · sorted by {self.table.sort_key}{' ▼' if self.table.descending else ''}")
            if summary.dropped:
                text.append(f" · left out: {', '.join(summary.dropped[:3])}", style="dim")
                if len(summary.dropped) > 3:
                    text.append(f" +{len(summary.dropped) - 3}", style="dim")
        if self.running:
            stage, done, total = self.progress
            what = "reading symbols" if stage == "read" else "screening tasks"
            text.append(f"\nScreening… {what} {done}/{total or '?'} · x cancels", style="bold yellow")
        if self.message:
            text.append(("\n" if text else "") + self.message, style="yellow")
        if self.filter_error:
            text.append(f"\nfilter {self.filter_error}; statistics: {', '.join(STATISTICS)}", style="bold red")
        return text


def watch_pair(screen: LiveScreen, pair: PairResult) -> None:
    """Watch `pair` on the dashboard, adding its legs to the watchlist when they are not streamed."""
    settings = screen.session.config.screener
    watched = WatchedPair.from_result(pair, settings.entry_z, settings.exit_z)
    screen.session.watched_pair = watched
    missing = [leg for leg in (pair.y, pair.x) if leg not in screen.session.symbols]

    async def add_legs() -> None:
        for leg in missing:
            try:
                await screen.session.runtime.add_symbol(leg)
            except ValueError as exc:
                screen.notify(str(exc), severity="warning")

    if missing:
        screen.run_worker(add_legs(), name="watch pair legs", group="watch-pair", exit_on_error=False)
    screen.notify(f"Watching {watched.label} on the dashboard ({watched.hedge} hedge).")

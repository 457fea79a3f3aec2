"""The pair detail: one pair of a screen in depth, over the screen's window.

Both prices on one scale, the spread's z-score with the entry / exit bands, the Kalman beta over time, the
rolling correlation of returns (keys 1–4 switch the chart); beside it the Engle-Granger tests both ways and on
each half of the window, the hedge-ratio table (OLS, Kalman's latest, Huber: each with the spread it gives and
that spread's ADF test) and Johansen's trace and maximum-eigenvalue tests. The closes are read again from the
store for the pair alone (its own common bars between the window's first and last bar) and the statistics
computed in a thread worker (`domain.pairs.pair_detail`). `z` watches the pair on the dashboard.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from cryptoterm.domain.pairs import DetailParams, KalmanParams, PairDetail, PairResult
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.screener_view import ScreenSummary
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.widgets.pair_chart import Band, Line, PairChart
from cryptoterm.tui.widgets.status_bar import StatusBar

DETAIL_GROUP = "pair-detail"
CHARTS = ("prices", "zscore", "kalman", "correlation")


def _num(value: float, digits: int = 3) -> str:
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:.{digits}f}"


def load_detail(session: TuiSession, pair: PairResult, summary: ScreenSummary) -> PairDetail | str:
    """The pair's detail over the screen's window, or the one line saying why not (worker thread)."""
    from cryptoterm.ports.compute import InlineExecutor
    from cryptoterm.services.screener import ScreenError
    from cryptoterm.wiring.errors import StartupError
    from cryptoterm.wiring.screening import screening_on

    settings = session.config.screener
    runtime = session.runtime
    params = DetailParams(
        spread_hedge=pair.spread_hedge,  # type: ignore[arg-type]
        kalman=KalmanParams(
            settings.kalman_observation_variance, settings.kalman_beta_variance, settings.kalman_intercept_variance
        ),
        correlation_window=settings.correlation_window,
    )
    try:
        screener, _ = screening_on(runtime.store, runtime.exchange, InlineExecutor())
        closes = screener.pair_closes(pair.y, pair.x, summary.timeframe, summary.first_ms, summary.last_ms)
        return screener.detail(closes, pair.y, pair.x, params)
    except (ScreenError, StartupError, ValueError) as exc:
        return str(exc)


def tests_table(pair: PairResult) -> Table:
    table = Table(box=None, header_style="bold", padding=(0, 1, 0, 0), title="Engle-Granger", title_style="bold")
    for column in ("", "t", "p", "lag"):
        table.add_column(column, justify="right" if column else "left", no_wrap=True)
    table.add_row("y ~ x", _num(pair.eg_t, 2), _num(pair.eg_p, 4), str(pair.eg_lag))
    table.add_row("x ~ y", _num(pair.eg_t_rev, 2), _num(pair.eg_p_rev, 4), str(pair.eg_lag_rev))
    table.add_row("1st half", _num(pair.eg_t_first_half, 2), _num(pair.eg_p_first_half, 4), "")
    table.add_row("2nd half", _num(pair.eg_t_second_half, 2), _num(pair.eg_p_second_half, 4), "")
    table.caption = f"p adj {_num(pair.p_adj, 4)} · crit 5% {_num(pair.eg_crit_5, 2)}"
    return table


def hedges_table(detail: PairDetail) -> Table:
    table = Table(box=None, header_style="bold", padding=(0, 1, 0, 0), title="Hedge ratios", title_style="bold")
    for column in ("", "β", "α", "z", "ADF t", "p"):
        table.add_column(column, justify="right" if column else "left", no_wrap=True)
    for row in detail.hedges:
        chosen = row.name == detail.params.spread_hedge
        table.add_row(
            Text(row.name + (" *" if chosen else ""), style="bold" if chosen else ""),
            _num(row.beta),
            _num(row.alpha, 2),
            _num(row.zscore, 2),
            _num(row.adf_t, 2),
            _num(row.adf_p, 3),
        )
    return table


def johansen_table(detail: PairDetail) -> Table:
    result = detail.johansen
    table = Table(
        box=None,
        header_style="bold",
        padding=(0, 1, 0, 0),
        title=f"Johansen (k={result.k_ar_diff})",
        title_style="bold",
    )
    for column in ("", "trace", "95%", "max eig", "95%"):
        table.add_column(column, justify="right" if column else "left", no_wrap=True)
    for rank, label in enumerate(("r = 0", "r ≤ 1")):
        table.add_row(
            label,
            _num(float(result.trace_statistic[rank]), 2),
            _num(float(result.trace_critical_values[rank, 1]), 2),
            _num(float(result.max_eigen_statistic[rank]), 2),
            _num(float(result.max_eigen_critical_values[rank, 1]), 2),
        )
    table.caption = f"hedge {_num(result.hedge_ratio)}"
    return table


class PairDetailScreen(LiveScreen):
    """One pair in depth (see the module docstring); pushed over the screener."""

    DEFAULT_CSS = """
    PairDetailScreen #pair-title { height: auto; padding: 0 1; }
    PairDetailScreen #pair-body { height: 1fr; }
    PairDetailScreen #pair-tables { width: 42; padding: 0 1; }
    PairDetailScreen #pair-chart { width: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "chart('prices')", "Prices", tooltip="Both prices as multiples of their first bar"),
        Binding("2", "chart('zscore')", "Z-score", tooltip="The spread's z-score with the entry and exit bands"),
        Binding("3", "chart('kalman')", "Kalman β", tooltip="The Kalman hedge ratio over time, OLS and Huber beside"),
        Binding("4", "chart('correlation')", "Corr", tooltip="Rolling correlation of returns"),
        Binding("z", "watch", "Watch", tooltip="Watch this pair's live z-score on the dashboard"),
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the screener"),
    ]

    def __init__(self, session: TuiSession, pair: PairResult, summary: ScreenSummary) -> None:
        super().__init__(session, name="pair-detail")
        self.pair = pair
        self.summary = summary
        self.detail: PairDetail | None = None
        self.message = "Loading…"
        self.chart_name = "zscore"

    def compose(self) -> ComposeResult:
        yield Static(id="pair-title")
        with Horizontal(id="pair-body"):
            with Vertical(id="pair-tables"):
                yield Static(id="pair-tests")
                yield Static(id="pair-hedges")
            yield PairChart(id="pair-chart")
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="pair-status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.paint()
        self.run_worker(
            lambda: load_detail(self.session, self.pair, self.summary),
            name=f"pair detail {self.pair.y} {self.pair.x}",
            group=DETAIL_GROUP,
            thread=True,
            exclusive=True,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        worker: Worker[Any] = event.worker
        if worker.group != DETAIL_GROUP or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        result = worker.result if event.state == WorkerState.SUCCESS else "The pair detail failed; the log says why."
        if isinstance(result, str):
            self.message = result
        else:
            self.detail, self.message = result, ""
        self.paint()

    # ------------------------------------------------------------------ actions
    def action_chart(self, name: str) -> None:
        if name in CHARTS:
            self.chart_name = name
            self.draw_chart()

    def action_watch(self) -> None:
        from cryptoterm.tui.screens.screener import watch_pair

        watch_pair(self, self.pair)

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            PaletteCommand("Chart: prices", "Both prices on one scale", lambda: self.action_chart("prices"), "1"),
            PaletteCommand(
                "Chart: z-score", "The spread's z-score and bands", lambda: self.action_chart("zscore"), "2"
            ),
            PaletteCommand("Chart: Kalman beta", "The hedge ratio over time", lambda: self.action_chart("kalman"), "3"),
            PaletteCommand(
                "Chart: rolling correlation", "Correlation of returns", lambda: self.action_chart("correlation"), "4"
            ),
            PaletteCommand("Watch pair", "This pair's live z-score on the dashboard", self.action_watch, "z"),
        ]

    # ------------------------------------------------------------------ painting
    def paint(self) -> None:
        pair, summary = self.pair, self.summary
        title = Text()
        title.append(f"{pair.y} ~ {pair.x}", style="bold")
        bars = self.detail.spread.size if self.detail is not None else pair.n_bars
        title.append(f" · {bars:,} {summary.timeframe} bars · p {_num(pair.eg_p, 4)} (adj {_num(pair.p_adj, 4)})")
        title.append(
            f" · half-life {_num(pair.half_life, 1)} · Hurst {_num(pair.hurst, 2)} · corr {_num(pair.corr, 2)}"
        )
        if self.message:
            title.append(f"\n{self.message}", style="yellow")
        self.query_one("#pair-title", Static).update(title)
        self.query_one("#pair-tests", Static).update(tests_table(pair))
        detail = self.detail
        if detail is not None:
            self.query_one("#pair-hedges", Static).update(Group(hedges_table(detail), johansen_table(detail)))
        self.draw_chart()

    def draw_chart(self) -> None:
        chart = self.query_one(PairChart)
        detail = self.detail
        if detail is None:
            chart.show("loading…", [])
            return
        settings = self.session.config.screener
        if self.chart_name == "prices":
            chart.show(
                f"{self.pair.y} (cyan) and {self.pair.x} (orange), × first bar",
                [Line(self.pair.y, "cyan", detail.relative_y), Line(self.pair.x, "orange", detail.relative_x)],
            )
        elif self.chart_name == "zscore":
            entry, exit_ = settings.entry_z, settings.exit_z
            chart.show(
                f"z-score ({detail.params.spread_hedge}) · entry ±{entry:g} · exit ±{exit_:g}",
                [Line("z", "cyan", detail.zscore)],
                [Band(entry, "yellow"), Band(-entry, "yellow"), Band(exit_, "green"), Band(-exit_, "green")],
            )
        elif self.chart_name == "kalman":
            ols = next(h.beta for h in detail.hedges if h.name == "ols")
            huber = next(h.beta for h in detail.hedges if h.name == "huber")
            chart.show(
                f"Kalman β (cyan) · OLS {ols:.3f} (green) · Huber {huber:.3f} (yellow)",
                [Line("kalman", "cyan", detail.kalman_beta)],
                [Band(ols, "green"), Band(huber, "yellow")],
            )
        else:
            window = detail.params.correlation_window
            chart.show(
                f"rolling correlation of returns, {window} bars · whole window {self.pair.corr:.2f}",
                [Line("corr", "cyan", detail.correlation)],
                [Band(self.pair.corr, "green")],
            )

"""Every fill rule, cost, sizing mode and metric of the backtester, on hand-made series."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptoterm.domain.backtest.metrics import bootstrap_drawdowns, compute_metrics, drawdowns
from cryptoterm.domain.backtest.plans import AT_OPEN, INTRABAR, Plan, plans_from_walk, plans_next_open
from cryptoterm.domain.backtest.portfolio import SymbolSeries, simulate
from cryptoterm.domain.backtest.rules import YEAR_MS, BacktestRules
from cryptoterm.domain.setup_walk import OhlcvArrays, SetupRules, walk_setups
from cryptoterm.domain.strategy import LevelSeries, TermResult
from cryptoterm.domain.timeframes import HOUR_MS

T0 = 1_700_000_000_000 - (1_700_000_000_000 % HOUR_MS)


def bars_of(rows: list[tuple[float, float, float, float]]) -> OhlcvArrays:
    """(open, high, low, close) per bar, hourly from T0."""
    a = np.asarray(rows, dtype=np.float64)
    return OhlcvArrays(
        open_time=T0 + np.arange(len(rows), dtype=np.int64) * HOUR_MS,
        open=a[:, 0], high=a[:, 1], low=a[:, 2], close=a[:, 3], volume=np.ones(len(rows)),
    )  # fmt: skip


def mask(n: int, *on: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[list(on)] = True
    return out


def levels(n: int, stop: float, target: float, entry: float = 100.0) -> LevelSeries:
    return LevelSeries(np.full(n, entry), np.full(n, stop), (np.full(n, target),), None)


FLAT = [(100.0, 101.0, 99.0, 100.0)] * 6


# -- next_open fills -------------------------------------------------------------------------------------


def test_a_signal_enters_at_the_next_open_and_exit_terms_close_at_the_open_after_them() -> None:
    bars = bars_of([(100, 101, 99, 100), (102, 103, 101, 102), (104, 105, 103, 104), (106, 107, 105, 106),
                    (108, 109, 107, 108)])  # fmt: skip
    (plan,) = plans_next_open(bars, mask(5, 0), mask(5, 2), None, side=1).rows()
    assert (plan.entry_index, plan.entry_price, plan.entry_phase) == (1, 102.0, AT_OPEN)
    assert (plan.exit_index, plan.exit_price, plan.exit_phase, plan.reason) == (3, 106.0, AT_OPEN, "exit")


def test_exit_terms_before_the_entry_bar_do_not_count_and_one_position_at_a_time() -> None:
    bars = bars_of(FLAT)
    plans = plans_next_open(bars, mask(6, 0, 1, 3), mask(6, 0, 2), None, side=1).rows()
    # signal 0 → in at bar 1; its exit at 0 is before the entry, the one at 2 exits at bar 3's open; signal 1
    # came while in the position; signal 3 enters at bar 4 and is still open at the end.
    assert [(p.entry_index, p.exit_index, p.reason) for p in plans] == [(1, 3, "exit"), (4, 5, "end")]


def _next_open_by_bar(signal: list[bool], exits: list[bool]) -> list[tuple[int, int, str]]:
    """The next-open rule bar by bar, as a trader would apply it: (entry bar, exit bar, reason)."""
    n = len(signal)
    trades: list[tuple[int, int, str]] = []
    entered_on: int | None = None
    exited_on = -1
    for bar in range(n - 1):  # a signal on the last bar has no next open
        if entered_on is not None and exits[bar] and bar > entered_on:
            trades.append((entered_on + 1, bar + 1, "exit"))
            entered_on, exited_on = None, bar
            continue
        if entered_on is None and signal[bar] and bar > exited_on:
            entered_on = bar
    if entered_on is not None:
        trades.append((entered_on + 1, n - 1, "end"))
    return trades


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=2, max_size=60))
def test_next_open_trades_follow_the_signals_bar_by_bar(flags: list[tuple[bool, bool]]) -> None:
    signal, exits = [f[0] for f in flags], [f[1] for f in flags]
    bars = bars_of([(100.0 + i, 101.0 + i, 99.0 + i, 100.0 + i) for i in range(len(flags))])
    plans = plans_next_open(bars, np.array(signal), np.array(exits), None, side=1).rows()
    assert [(p.entry_index, p.exit_index, p.reason) for p in plans] == _next_open_by_bar(signal, exits)
    for p in plans:
        assert p.entry_price == bars.open[p.entry_index]
        assert p.exit_price == (bars.close[-1] if p.reason == "end" else bars.open[p.exit_index])


def test_stop_and_target_are_checked_inside_bars_from_the_entry_bar_stop_first() -> None:
    rows = [(100, 101, 99, 100), (100, 101, 99, 100), (100, 112, 95, 100)]  # bar 2 reaches both
    (plan,) = plans_next_open(bars_of(rows), mask(3, 0), None, levels(3, stop=96.0, target=110.0), side=1).rows()
    assert (plan.exit_index, plan.exit_price, plan.reason, plan.exit_phase) == (2, 96.0, "stop", INTRABAR)
    rows = [(100, 101, 99, 100), (100, 111, 99, 100)]
    (plan,) = plans_next_open(bars_of(rows), mask(2, 0), None, levels(2, stop=96.0, target=110.0), side=1).rows()
    assert (plan.exit_index, plan.exit_price, plan.reason) == (1, 110.0, "target")  # in the entry bar itself


def test_a_bar_opening_through_the_stop_fills_at_its_open() -> None:
    rows = [(100, 101, 99, 100), (100, 101, 99, 100), (90, 92, 89, 91)]
    (plan,) = plans_next_open(bars_of(rows), mask(3, 0), None, levels(3, stop=96.0, target=120.0), side=1).rows()
    assert (plan.exit_price, plan.reason) == (90.0, "stop")
    (short,) = plans_next_open(
        bars_of([(100, 101, 99, 100), (100, 101, 99, 100), (110, 111, 108, 109)]),
        mask(3, 0), None, levels(3, stop=104.0, target=80.0), side=-1,
    ).rows()  # fmt: skip
    assert (short.exit_price, short.reason) == (110.0, "stop")


def test_a_signal_on_the_last_bar_cannot_enter() -> None:
    assert plans_next_open(bars_of(FLAT), mask(6, 5), None, None, side=1).rows() == []


# -- levels fills: the scanner's setups -----------------------------------------------------------------


def test_levels_fill_trades_exactly_the_setups_that_triggered() -> None:
    rows = [(100, 101, 99, 100), (101, 102, 100.5, 101), (100.5, 101, 99.5, 100), (100, 107, 99.8, 106),
            (100, 101, 99, 100), (100, 101, 99, 100)]  # fmt: skip
    bars = bars_of(rows)
    n = len(rows)
    series = LevelSeries(bars.close.copy(), bars.close - 3.0, (bars.close + 6.0,), None)
    signal = mask(n, 0, 1, 2, 4)  # still true while the first setup waits for its entry (else: invalidated)
    terms = [TermResult("x", signal, {})]
    rules = SetupRules("s", "X/USDT", "1h", "long", expires_bars=3, equity=1e4, risk_pct=1.0)
    walk = walk_setups(bars, signal, series, terms, rules, start=0, now_ms=T0 + 99 * HOUR_MS)
    plans = plans_from_walk(walk, bars).rows()
    # setup 0 (entry 100) is active on bar 1, triggers on bar 2 (its range crosses 100) and reaches the 106
    # target on bar 3; setup 4 (entry 100) triggers on bar 5 and is open at the end.
    assert [(p.entry_index, p.entry_price, p.exit_index, p.exit_price, p.reason) for p in plans] == [
        (2, 100.0, 3, 106.0, "target"),
        (5, 100.0, 5, 100.0, "end"),
    ]
    assert walk.setups[0].final.state == "closed_target" and all(p.entry_phase == INTRABAR for p in plans)


# -- the account -------------------------------------------------------------------------------------------


def one(plan: Plan, bars: OhlcvArrays, **kw: object) -> tuple[float, object]:
    rules = BacktestRules(**{"initial_equity": 10_000.0, "fee_bps": 10.0, **kw})  # type: ignore[arg-type]
    result = simulate({"X": [plan]}, {"X": SymbolSeries(bars.open_time, bars.close)}, rules)
    return float(result.equity[-1]), result


def test_all_equity_sizing_and_fees_are_vectorbt_s_arithmetic() -> None:
    bars = bars_of(FLAT)
    plan = Plan(0, 1, 100.0, AT_OPEN, 3, 110.0, AT_OPEN, "exit", math.nan, 1)
    final, result = one(plan, bars, sizing="equity_pct", size_pct=100.0)
    qty = 10_000.0 / (100.0 * 1.001)
    (trade,) = result.trades  # type: ignore[attr-defined]
    assert trade.qty == pytest.approx(qty)
    assert trade.fees == pytest.approx(qty * 100 * 0.001 + qty * 110 * 0.001)
    assert final == pytest.approx(qty * 110 * 0.999)
    assert trade.pnl == pytest.approx(final - 10_000.0)


def test_slippage_moves_both_fills_against_the_trade_and_shorts_profit_from_a_fall() -> None:
    bars = bars_of(FLAT)
    plan = Plan(0, 1, 100.0, AT_OPEN, 3, 90.0, AT_OPEN, "exit", math.nan, -1)
    _, result = one(plan, bars, sizing="fixed", size_quote=1_000.0, slippage_bps=50.0, fee_bps=0.0)
    (trade,) = result.trades  # type: ignore[attr-defined]
    assert trade.entry_price == pytest.approx(99.5) and trade.exit_price == pytest.approx(90.45)
    assert trade.pnl == pytest.approx((99.5 - 90.45) * 1_000.0 / 99.5)


def test_risk_sizing_risks_the_share_of_equity_between_entry_and_stop() -> None:
    bars = bars_of(FLAT)
    plan = Plan(0, 1, 100.0, AT_OPEN, 3, 95.0, INTRABAR, "stop", 95.0, 1)
    _, result = one(plan, bars, sizing="risk", risk_pct=2.0, fee_bps=0.0)
    (trade,) = result.trades  # type: ignore[attr-defined]
    assert trade.qty == pytest.approx(200.0 / 5.0) and trade.pnl == pytest.approx(-200.0)
    assert trade.r_multiple == pytest.approx(-1.0)
    no_stop = Plan(0, 1, 100.0, AT_OPEN, 3, 95.0, AT_OPEN, "exit", math.nan, 1)
    _, result = one(no_stop, bars, sizing="risk")
    assert result.trades == () and result.skipped[0].why == "no stop"  # type: ignore[attr-defined]


def test_an_open_position_is_marked_at_the_last_close_without_an_exit_fee() -> None:
    bars = bars_of([(100, 101, 99, 100), (100, 101, 99, 100), (100, 121, 99, 120)])
    plan = Plan(0, 1, 100.0, AT_OPEN, 2, 120.0, INTRABAR, "end", math.nan, 1)
    final, result = one(plan, bars, sizing="fixed", size_quote=1_000.0)
    (trade,) = result.trades  # type: ignore[attr-defined]
    qty = 1_000.0 / (100 * 1.001)
    assert trade.open and trade.fees == pytest.approx(qty * 100 * 0.001)
    assert final == pytest.approx(10_000.0 - qty * 100 * 1.001 + qty * 120)


def test_max_positions_skips_entries_while_full_and_an_exit_frees_its_slot_first() -> None:
    bars = bars_of(FLAT)
    series = {s: SymbolSeries(bars.open_time, bars.close) for s in ("A", "B", "C")}
    plans = {
        "A": [Plan(0, 1, 100.0, AT_OPEN, 3, 100.0, AT_OPEN, "exit", math.nan, 1)],
        "B": [Plan(0, 2, 100.0, AT_OPEN, 4, 100.0, AT_OPEN, "exit", math.nan, 1)],  # A is open: skipped
        "C": [Plan(0, 3, 100.0, AT_OPEN, 5, 100.0, AT_OPEN, "exit", math.nan, 1)],  # A exits at that open
    }
    rules = BacktestRules(max_positions=1, sizing="fixed", size_quote=1_000.0, fee_bps=0.0)
    result = simulate(plans, series, rules)
    assert [t.symbol for t in result.trades] == ["A", "C"]
    assert [(s.symbol, s.why) for s in result.skipped] == [("B", "max positions")]
    assert list(result.exposed) == [False, True, True, True, True, False]


# -- metrics -----------------------------------------------------------------------------------------------


def test_drawdown_is_the_fall_from_the_running_peak() -> None:
    assert list(drawdowns(np.array([100.0, 120.0, 90.0, 130.0]))) == pytest.approx([0, 0, -0.25, 0])


def test_metrics_of_a_known_sequence_of_trades() -> None:
    bars = bars_of([(100, 101, 99, 100)] * 10)
    plans = [
        Plan(0, 1, 100.0, AT_OPEN, 2, 110.0, AT_OPEN, "exit", 95.0, 1),  # +100 on 1,000
        Plan(2, 3, 100.0, AT_OPEN, 4, 95.0, INTRABAR, "stop", 95.0, 1),  # -50
        Plan(4, 5, 100.0, AT_OPEN, 6, 120.0, INTRABAR, "target", 95.0, 1),  # +200
    ]
    rules = BacktestRules(initial_equity=10_000.0, fee_bps=0.0, sizing="fixed", size_quote=1_000.0)
    result = simulate({"X": plans}, {"X": SymbolSeries(bars.open_time, bars.close)}, rules)
    m = compute_metrics(result, step_ms=HOUR_MS, bootstrap_runs=200)
    assert m.final_equity == pytest.approx(10_250.0) and m.total_return == pytest.approx(0.025)
    assert m.trade_count == 3 and m.win_rate == pytest.approx(2 / 3)
    assert m.profit_factor == pytest.approx(300 / 50) and m.expectancy == pytest.approx(250 / 3)
    assert m.expectancy_r == pytest.approx((100 / 50 - 1 + 200 / 50) / 3)
    assert m.avg_win == pytest.approx(150.0) and m.avg_loss == pytest.approx(-50.0)
    assert m.best_trade_pct == pytest.approx(20.0) and m.worst_trade_pct == pytest.approx(-5.0)
    assert m.cagr == pytest.approx(1.025 ** (YEAR_MS / (10 * HOUR_MS)) - 1)
    assert {b.key: (b.trades, b.wins) for b in m.by_reason} == {"exit": (1, 1), "stop": (1, 0), "target": (1, 1)}
    assert m.exposure == pytest.approx(3 / 10)
    assert 0 <= m.drawdown_p5 <= m.drawdown_p50 <= m.drawdown_p95 <= 50 / 10_000 + 1e-12  # the loss first


def test_the_bootstrap_is_seeded_and_sees_the_worst_order() -> None:
    pnls = [100.0, -300.0, 50.0, -300.0, 400.0]
    assert bootstrap_drawdowns(pnls, 1_000.0, seed=3) == bootstrap_drawdowns(pnls, 1_000.0, seed=3)
    p5, p50, p95 = bootstrap_drawdowns(pnls, 1_000.0, runs=2_000, seed=3)
    worst_possible = 600.0 / 1_000.0  # both losses first
    assert 0 < p5 <= p50 <= p95 <= worst_possible + 1e-12


@st.composite
def _random_account(draw: st.DrawFn) -> tuple[dict[str, list[Plan]], dict[str, SymbolSeries], BacktestRules]:
    n = 40
    times = T0 + np.arange(n, dtype=np.int64) * HOUR_MS
    plans: dict[str, list[Plan]] = {}
    series: dict[str, SymbolSeries] = {}
    for symbol in draw(st.sampled_from([["A"], ["A", "B"], ["A", "B", "C"]])):
        closes = 100 + np.cumsum(draw(st.lists(st.floats(-3, 3), min_size=n, max_size=n)))
        series[symbol] = SymbolSeries(times, np.asarray(closes))
        own: list[Plan] = []
        at = draw(st.integers(0, 5))
        while at < n - 2:
            reason = draw(st.sampled_from(["exit", "stop", "target", "end"]))
            # As the planners make them: an exit at an open comes at a later bar; one inside a bar may be the
            # entry's own bar.
            length = draw(st.integers(1 if reason == "exit" else 0, 6))
            exit_at = min(at + length, n - 1)
            if exit_at >= n - 1:
                reason = "end"
            phase = AT_OPEN if reason == "exit" else INTRABAR
            entry_phase = draw(st.sampled_from([AT_OPEN, INTRABAR]))
            price = float(closes[at])
            side = draw(st.sampled_from([1, -1]))
            stop = price * (0.95 if side > 0 else 1.05)
            own.append(Plan(max(at - 1, 0), at, price, entry_phase, exit_at, float(closes[exit_at]), phase,
                            reason, stop, side))  # fmt: skip
            if reason == "end":
                break
            at = exit_at + draw(st.integers(1, 4))
        plans[symbol] = own
    sizing = draw(st.sampled_from(["risk", "equity_pct", "fixed"]))
    rules = BacktestRules(
        fee_bps=draw(st.sampled_from([0.0, 10.0])), slippage_bps=draw(st.sampled_from([0.0, 5.0])), sizing=sizing,
        size_pct=draw(st.sampled_from([30.0, 100.0])), size_quote=2_000.0, max_positions=1,
    )  # fmt: skip
    return plans, series, rules


@settings(max_examples=200, deadline=None)
@given(_random_account())
def test_the_vectorised_account_equals_the_fill_by_fill_loop(
    account: tuple[dict[str, list[Plan]], dict[str, SymbolSeries], BacktestRules],
) -> None:
    plans, series, rules = account
    fast = simulate(plans, series, rules)
    loop = simulate(plans, series, rules, method="loop")
    assert [(t.symbol, t.entry_time, t.exit_time, t.reason, t.open) for t in fast.trades] == [
        (t.symbol, t.entry_time, t.exit_time, t.reason, t.open) for t in loop.trades
    ]
    np.testing.assert_allclose([t.qty for t in fast.trades], [t.qty for t in loop.trades], rtol=1e-9)
    np.testing.assert_allclose([t.pnl for t in fast.trades], [t.pnl for t in loop.trades], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fast.equity, loop.equity, rtol=1e-9)
    assert list(fast.exposed) == list(loop.exposed)
    assert [(s.symbol, s.why) for s in fast.skipped] == [(s.symbol, s.why) for s in loop.skipped]


def test_the_longest_time_under_water_runs_from_a_peak_to_the_last_bar_below_it() -> None:
    from cryptoterm.domain.backtest.trades import PortfolioResult, TradeTable

    times = T0 + np.arange(6, dtype=np.int64) * HOUR_MS
    equity = np.array([100.0, 120.0, 90.0, 110.0, 130.0, 125.0])
    result = PortfolioResult(TradeTable.concat([]), (), times, equity, np.zeros(6, dtype=bool), 100.0)
    m = compute_metrics(result, step_ms=HOUR_MS, bootstrap_runs=0)
    assert m.max_drawdown_duration_ms == 2 * HOUR_MS  # under 120 from bar 1 through bar 3
    assert m.max_drawdown == pytest.approx(0.25) and m.trade_count == 0

"""One account trading every symbol's planned trades: sizing, costs, the position limit, the equity curve.

Fills are processed in time order across symbols — by bar, then fills at the open before fills inside the
bar, then exits before entries (an exit frees its cash and its slot for an entry at the same moment; a trade
that enters and exits in the same moment exits right after its own entry) — and
each entry is sized against the equity of that moment: cash plus the open positions marked at their symbols'
previous closes. Cash accounting is the same for both sides: an entry reserves quantity × fill × (1 + fee)
of cash (a short's collateral); an exit returns the collateral plus the profit, less its fee.

Two paths compute exactly that. When positions can never overlap (one symbol, or one position at a time)
equity at each entry is the cash after the previous exit, and every sizing rule makes the cash after a trade
the cash before it times a factor of that trade alone, so the whole account is a cumulative product over
arrays. Otherwise a loop walks the fills. Either way trades are kept as columns (`TradeTable`): a sweep of a
thousand backtests never builds a trade object, and `PortfolioResult.trades` builds them when asked.

The equity curve is measured at every bar close of the union of the symbols' bars (a symbol without a bar at
some time is marked at its previous close — marking, never a made-up trade price).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from cryptoterm.domain.backtest.account_columns import PlanColumns
from cryptoterm.domain.backtest.fill_loop import fill_loop
from cryptoterm.domain.backtest.plans import Plan, PlanTable
from cryptoterm.domain.backtest.rules import BacktestRules
from cryptoterm.domain.backtest.sequential_account import one_at_a_time, sequential_account
from cryptoterm.domain.backtest.trades import PortfolioResult, Skipped, SymbolSeries, Trade, TradeTable
from cryptoterm.domain.indicators import BoolArray, FloatArray
from cryptoterm.domain.strategy.frames import IntArray

__all__ = ["PortfolioResult", "Skipped", "SymbolSeries", "Trade", "TradeTable", "simulate"]


def simulate(
    plans: Mapping[str, PlanTable | Sequence[Plan]],
    series: Mapping[str, SymbolSeries],
    rules: BacktestRules,
    *,
    method: Literal["auto", "loop"] = "auto",
) -> PortfolioResult:
    """Size and fill every symbol's plans in one account (module docstring). `method="loop"` walks every fill
    even where the vectorised path applies (the two must agree: a test holds them to it)."""
    symbols = tuple(sorted(plans))
    tables = {s: p if isinstance(p, PlanTable) else PlanTable.of(p) for s, p in plans.items()}
    times = _union_times([series[s].open_time for s in symbols]) if symbols else np.zeros(0, dtype=np.int64)
    marks = [_marks_on(times, series[s]) for s in symbols]
    table = _columns(symbols, tables, series, times)
    order = np.lexsort((np.arange(table.entry_at.size), table.symbol, table.entry_phase, table.entry_at))
    sequential = method == "auto" and (len(symbols) == 1 or rules.max_positions == 1)
    chosen, skipped_rows = one_at_a_time(table, order) if sequential else (None, [])
    fast = None
    if chosen is not None:
        fast = sequential_account(table, chosen, marks, rules, times.size)
    if fast is None:
        trades_table, skipped, cash_delta, held = fill_loop(table, marks, rules, times.size, symbols)
    else:
        trades_table, skipped, cash_delta, held = fast
        skipped = [Skipped(symbols[table.symbol[i]], int(table.signal_time[i]), "max positions") for i in skipped_rows]
    equity = rules.initial_equity + np.cumsum(cash_delta[:-1])
    exposed: BoolArray | None = None
    for si, (net_delta, short_const) in held.positions.items():
        net = np.cumsum(net_delta[:-1])
        mark = marks[si] if len(symbols) == 1 else np.nan_to_num(marks[si])  # NaN only before a symbol's start
        equity += net * mark
        if short_const is not None:
            equity += np.cumsum(short_const[:-1])
        elif len(symbols) == 1:
            exposed = net != 0  # one symbol's long positions: held exactly where its quantity is
    if exposed is None:
        exposed = np.cumsum(held.open_count()[:-1]) > 0
    return PortfolioResult(
        table=trades_table,
        skipped=tuple(skipped),
        times=times,
        equity=equity,
        exposed=exposed,
        initial_equity=rules.initial_equity,
    )


def _columns(
    symbols: Sequence[str], plans: Mapping[str, PlanTable], series: Mapping[str, SymbolSeries], times: IntArray
) -> PlanColumns:
    parts: dict[str, list[npt.NDArray[np.generic]]] = {k: [] for k in PlanColumns.__dataclass_fields__ if k != "names"}
    for si, symbol in enumerate(symbols):
        table = plans[symbol]
        if not len(table):
            continue
        local = series[symbol].open_time
        on_axis = np.searchsorted(times, local) if len(symbols) > 1 else None
        parts["symbol"].append(np.full(len(table), si, dtype=np.int64))
        parts["entry_at"].append(table.entry_index if on_axis is None else on_axis[table.entry_index])
        parts["exit_at"].append(table.exit_index if on_axis is None else on_axis[table.exit_index])
        parts["entry_phase"].append(table.entry_phase)
        parts["exit_phase"].append(table.exit_phase)
        parts["entry_price"].append(table.entry_price)
        parts["exit_price"].append(table.exit_price)
        parts["side"].append(table.side)
        parts["stop"].append(table.stop)
        parts["reason"].append(table.reason)
        parts["is_open"].append(table.is_open)
        parts["signal_time"].append(local[np.clip(table.signal_index, 0, local.size - 1)])
        parts["entry_time"].append(local[table.entry_index])
        parts["exit_time"].append(local[table.exit_index])
    kinds = {"is_open": np.bool_, "entry_price": np.float64, "exit_price": np.float64, "stop": np.float64}
    arrays = {k: np.concatenate(v) if v else np.zeros(0, dtype=kinds.get(k, np.int64)) for k, v in parts.items()}
    return PlanColumns(names=tuple(symbols), **arrays)  # type: ignore[arg-type]


def _union_times(arrays: Sequence[IntArray]) -> IntArray:
    """Every open time of any symbol, sorted, once (each input is already sorted and unique)."""
    if len(arrays) == 1:
        return arrays[0]
    merged = np.sort(np.concatenate(arrays), kind="stable")
    out: IntArray = merged[np.r_[True, merged[1:] != merged[:-1]]] if merged.size else merged
    return out


def _marks_on(times: IntArray, series: SymbolSeries) -> FloatArray:
    """The symbol's close at each time of the axis, or its previous close where it has no bar (NaN before
    its first bar: nothing can be held there)."""
    if series.open_time is times or (series.open_time.size == times.size and np.array_equal(series.open_time, times)):
        return series.close
    pos = np.searchsorted(series.open_time, times, side="right") - 1
    out: FloatArray = np.where(pos >= 0, series.close[np.maximum(pos, 0)], np.nan)
    return out

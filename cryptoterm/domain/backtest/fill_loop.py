"""The general account: every entry and exit in time order, each entry sized against the equity of its moment
(cash plus open positions marked at their previous closes). Used when positions can overlap or a cash cap binds."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cryptoterm.domain.backtest.account_columns import Held, PlanColumns, held_steps, trade_table
from cryptoterm.domain.backtest.rules import BacktestRules
from cryptoterm.domain.backtest.trades import Skipped, TradeTable
from cryptoterm.domain.indicators import FloatArray


def fill_loop(
    table: PlanColumns, marks: Sequence[FloatArray], rules: BacktestRules, size: int, symbols: Sequence[str]
) -> tuple[TradeTable, list[Skipped], FloatArray, Held]:
    """The general account: every fill in time order (module docstring)."""
    n = table.entry_at.size
    # Sort keys: (bar, phase, 0 = exit / 1 = entry, symbol, plan, 0 = entry / 1 = its exit). An exit in the same
    # moment as its own entry follows that entry at once, before the next entry of that moment.
    same = (table.exit_at == table.entry_at) & (table.exit_phase == table.entry_phase)
    rows, ones = np.arange(n), np.ones(n, np.int64)
    keys = np.concatenate([
        np.stack([table.entry_at, table.entry_phase, ones, table.symbol, rows, 0 * ones], axis=1),
        np.stack([table.exit_at, table.exit_phase, np.where(same, 1, 0), table.symbol, rows, ones], axis=1)[
            ~table.is_open
        ],
    ])  # fmt: skip
    order = np.lexsort(keys.T[::-1])
    fee, slip = rules.fee, rules.slippage
    cash = rules.initial_equity
    qty = np.zeros(n)
    entry_fill = np.zeros(n)
    taken = np.zeros(n, dtype=np.bool_)
    open_now: dict[int, None] = {}
    skipped: list[Skipped] = []
    entry_price, exit_price, side, stop = (table.entry_price.tolist(), table.exit_price.tolist(),
                                           table.side.tolist(), table.stop.tolist())  # fmt: skip
    sym = table.symbol.tolist()
    cash_delta = np.zeros(size + 1)
    for at, _phase, _kind, _si, i, is_exit in keys[order].tolist():
        if not is_exit:
            if len(open_now) >= rules.max_positions:
                skipped.append(Skipped(symbols[sym[i]], int(table.signal_time[i]), "max positions"))
                continue
            fill = entry_price[i] * (1.0 + slip * side[i])
            equity = cash
            for j in open_now:
                mark = float(marks[sym[j]][max(at - 1, 0)])
                equity += qty[j] * entry_fill[j] + (mark - entry_fill[j]) * qty[j] * side[j]
            sized = _size(rules, equity, fill, stop[i])
            if sized is None:
                skipped.append(Skipped(symbols[sym[i]], int(table.signal_time[i]), "no stop"))
                continue
            units = min(sized, max(cash, 0.0) / (fill * (1.0 + fee)))
            if not units > 0:
                skipped.append(Skipped(symbols[sym[i]], int(table.signal_time[i]), "no cash"))
                continue
            reserved = units * fill * (1.0 + fee)
            cash -= reserved
            cash_delta[at] -= reserved
            qty[i], entry_fill[i], taken[i] = units, fill, True
            open_now[i] = None
            continue
        if i not in open_now:  # its entry was skipped
            continue
        del open_now[i]
        exit_fill = exit_price[i] * (1.0 - slip * side[i])
        proceeds = qty[i] * entry_fill[i] + (exit_fill - entry_fill[i]) * qty[i] * side[i] - qty[i] * exit_fill * fee
        cash += proceeds
        cash_delta[at] += proceeds
    chosen = np.flatnonzero(taken)
    is_open = table.is_open[chosen]
    last = size - 1
    end_mark = np.array([m[last] for m in marks])[table.symbol[chosen]] if chosen.size else np.zeros(0)
    sides = table.side[chosen]
    fills = entry_fill[chosen]
    exits = np.where(is_open, end_mark, table.exit_price[chosen] * (1.0 - slip * sides))
    units = qty[chosen]
    entry_fee = units * fills * fee
    exit_fee = np.where(is_open, 0.0, units * exits * fee)
    gross = (exits - fills) * units * sides
    exit_at = np.where(is_open, size, table.exit_at[chosen])
    held = held_steps(table.symbol[chosen], sides, units, fills, table.entry_at[chosen], exit_at, size)
    trades = trade_table(
        table, chosen, fills, exits, units, entry_fee + exit_fee, gross - entry_fee - exit_fee,
        units * fills * (1.0 + fee),
    )  # fmt: skip
    return trades, skipped, cash_delta, held


def _size(rules: BacktestRules, equity: float, fill: float, stop: float) -> float | None:
    """Quantity before the cash cap; None when risk sizing has no stop to size by."""
    if rules.sizing == "risk":
        distance = abs(fill - stop)
        if not math.isfinite(distance) or distance <= 0:
            return None
        return equity * rules.risk_pct / 100.0 / distance
    if rules.sizing == "equity_pct":
        return equity * rules.size_pct / 100.0 / (fill * (1.0 + rules.fee))
    return rules.size_quote / (fill * (1.0 + rules.fee))

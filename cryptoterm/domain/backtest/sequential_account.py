"""The account when positions never overlap, as arrays: each trade multiplies the cash by a factor of its own,
so the whole account is a cumulative product (the fill loop gives the same numbers; a property test holds it)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from cryptoterm.domain.backtest.account_columns import Held, PlanColumns, held_steps, trade_table
from cryptoterm.domain.backtest.rules import BacktestRules
from cryptoterm.domain.backtest.trades import Skipped, TradeTable
from cryptoterm.domain.indicators import FloatArray


def one_at_a_time(table: PlanColumns, order: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], list[int]]:
    """The plans taken when one position is open at a time: in entry order, each only once the last taken one
    has exited (an exit frees the slot for an entry at the same moment)."""
    entry_key = table.entry_at * 2 + table.entry_phase
    exit_key = table.exit_at * 2 + table.exit_phase
    ordered_entries, ordered_exits = entry_key[order], exit_key[order]
    if not table.is_open[order][:-1].any() and np.all(ordered_entries[1:] >= ordered_exits[:-1]):
        return order, []  # already one after another (one symbol's plans always are)
    taken: list[int] = []
    skipped: list[int] = []
    free_from = -1  # the moment the slot is free again
    for i in order.tolist():
        if entry_key[i] >= free_from:
            taken.append(i)
            free_from = int(exit_key[i]) if not table.is_open[i] else np.iinfo(np.int64).max
        else:
            skipped.append(i)
    return np.asarray(taken, dtype=np.int64), skipped


def sequential_account(
    table: PlanColumns, chosen: npt.NDArray[np.int64], marks: Sequence[FloatArray], rules: BacktestRules, size: int
) -> tuple[TradeTable, list[Skipped], FloatArray, Held] | None:
    """The account when positions never overlap: equity at an entry is the cash after the last exit, and the
    cash after a trade is the cash before it times a factor of that trade. None when a cash cap binds in a way
    that is not a factor (fixed sizing beyond the cash, cash running out): the event loop handles those."""
    fee, slip = rules.fee, rules.slippage
    side = table.side[chosen].astype(np.float64)
    entry_fill = table.entry_price[chosen] * (1.0 + slip * side)
    is_open = table.is_open[chosen]
    last = size - 1
    end_mark = np.array([m[last] for m in marks])[table.symbol[chosen]] if chosen.size else np.zeros(0)
    exit_fill = np.where(is_open, end_mark, table.exit_price[chosen] * (1.0 - slip * side))
    exit_fee_rate = np.where(is_open, 0.0, fee)
    stop = table.stop[chosen]
    # Net cash a trade returns per unit of quantity, beyond the cash it reserved.
    per_unit = (exit_fill - entry_fill) * side - entry_fill * fee - exit_fill * exit_fee_rate
    cost = entry_fill * (1.0 + fee)
    if rules.sizing == "equity_pct":
        units_per_cash = np.full(chosen.size, rules.size_pct / 100.0) / cost
    elif rules.sizing == "risk":
        distance = np.abs(entry_fill - stop)
        if not np.all(np.isfinite(distance) & (distance > 0)):
            return None
        units_per_cash = np.minimum(rules.risk_pct / 100.0 / distance, 1.0 / cost)
    else:
        units = rules.size_quote / cost
        cash_before = rules.initial_equity + np.r_[0.0, np.cumsum(units * per_unit)[:-1]]
        if chosen.size and np.any(cash_before < units * cost):
            return None
        return _finish(table, chosen, entry_fill, exit_fill, exit_fee_rate, units, size, fee)
    factors = 1.0 + units_per_cash * per_unit
    if chosen.size and np.any(factors <= 0):
        return None
    cash_before = rules.initial_equity * np.r_[1.0, np.cumprod(factors)[:-1]]
    return _finish(table, chosen, entry_fill, exit_fill, exit_fee_rate, units_per_cash * cash_before, size, fee)


def _finish(
    table: PlanColumns,
    chosen: npt.NDArray[np.int64],
    entry_fill: FloatArray,
    exit_fill: FloatArray,
    exit_fee_rate: FloatArray,
    qty: FloatArray,
    size: int,
    fee: float,
) -> tuple[TradeTable, list[Skipped], FloatArray, Held]:
    side = table.side[chosen]
    is_open = table.is_open[chosen]
    reserved = qty * entry_fill * (1.0 + fee)
    entry_fee = qty * entry_fill * fee
    exit_fee = qty * exit_fill * exit_fee_rate
    gross = (exit_fill - entry_fill) * qty * side
    proceeds = qty * entry_fill + gross - exit_fee
    entry_at = table.entry_at[chosen]
    exit_at = np.where(is_open, size, table.exit_at[chosen])
    closed = ~is_open
    summed = np.bincount(
        np.concatenate([exit_at[closed], entry_at]), weights=np.concatenate([proceeds[closed], -reserved]),
        minlength=size + 1,
    )  # fmt: skip
    cash_delta: FloatArray = np.asarray(summed[: size + 1], dtype=np.float64)
    held = held_steps(table.symbol[chosen], side, qty, entry_fill, entry_at, exit_at, size)
    trades = trade_table(
        table, chosen, entry_fill, exit_fill, qty, entry_fee + exit_fee, gross - entry_fee - exit_fee, reserved
    )
    return trades, [], cash_delta, held

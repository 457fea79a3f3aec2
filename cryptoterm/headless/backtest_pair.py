"""`cryptoterm backtest --pair Y,X`: the spread of two stored series traded on z-score bands (`domain.backtest
.pairs`), with the hedge from the bars before each bar, both legs' fees and dollar-neutral sizing; printed as
a table or `--json` (per-leg and combined profit of every trade), stored as a backtest of kind `pairs`."""

from __future__ import annotations

import argparse
import hashlib
import time
from typing import TextIO

import numpy as np
import orjson

from cryptoterm.domain.backtest.metrics import compute_metrics
from cryptoterm.domain.backtest.pairs import PairBars, PairRules, PairTrade, backtest_pair
from cryptoterm.domain.backtest.trades import Trade
from cryptoterm.domain.timeframes import TIMEFRAMES, timeframe_ms
from cryptoterm.headless.dates import iso_utc
from cryptoterm.headless.figures import finite, num, pct
from cryptoterm.services.scan_inputs import read_range
from cryptoterm.wiring.build import BacktestParts


class PairUsageError(ValueError):
    """Bad pair arguments; the message is shown as is."""


def pair_symbols(text: str) -> tuple[str, str]:
    parts = [p.strip().upper() for p in text.split(",") if p.strip()]
    if len(parts) != 2 or parts[0] == parts[1]:
        raise PairUsageError(f"--pair {text!r}: expected two different symbols, Y,X (e.g. ETH/USDT,BTC/USDT)")
    return parts[0], parts[1]


def run_pair(
    args: argparse.Namespace,
    parts: BacktestParts,
    since: int | None,
    until: int | None,
    fee_bps: float,
    slippage_bps: float,
    initial_equity: float,
    out: TextIO,
) -> tuple[int, list[str]]:
    """The pair backtest; returns (exit code, error lines)."""
    y_symbol, x_symbol = pair_symbols(args.pair)
    if args.timeframe not in TIMEFRAMES:
        raise PairUsageError(f"--timeframe {args.timeframe!r}: timeframes are {', '.join(TIMEFRAMES)}")
    try:
        rules = PairRules(
            entry_z=args.entry_z, exit_z=args.exit_z, stop_z=args.stop_z, hedge=args.hedge, window=args.window,
            initial_equity=initial_equity, fee_bps=fee_bps, slippage_bps=slippage_bps, leg_pct=args.leg_pct,
        )  # fmt: skip
    except ValueError as exc:
        raise PairUsageError(str(exc)) from None
    warm = None if since is None else since - (rules.window + 2) * timeframe_ms(args.timeframe)
    frames = {}
    for symbol in (y_symbol, x_symbol):
        frame, _ = read_range(parts.store, parts.exchange, symbol, args.timeframe, warm, until)
        if frame.empty:
            return 1, [f"{symbol}: no {args.timeframe} candles stored on {parts.exchange}"]
        frames[symbol] = frame
    common = frames[y_symbol].index.intersection(frames[x_symbol].index)
    y, x = frames[y_symbol].loc[common], frames[x_symbol].loc[common]
    if len(common) <= rules.window + 2:
        return 1, [f"{y_symbol} and {x_symbol} share {len(common)} bars: fewer than the {rules.window}-bar window"]
    bars = PairBars(common.to_numpy(), y["open"].to_numpy(), y["close"].to_numpy(), x["open"].to_numpy(),
                    x["close"].to_numpy())  # fmt: skip
    result = backtest_pair(bars, rules)
    # Trades that began in the warm-up are not the range's.
    kept = [t for t in result.trades if since is None or t.entry_time >= since]
    metrics = compute_metrics(result.account, step_ms=timeframe_ms(args.timeframe), bootstrap_runs=0)
    backtest_id = None
    if not args.no_save:
        name = f"{y_symbol}~{x_symbol}"
        settings = _rules_dict(rules)
        text = orjson.dumps(settings).decode()
        backtest_id = parts.archive.save_backtest(
            created_ms=int(time.time() * 1000), kind="pairs", label=f"{args.hedge} z {rules.entry_z}/{rules.exit_z}",
            strategy=name, toml=text, digest=hashlib.sha256(text.encode()).hexdigest(), exchange=parts.exchange,
            timeframe=args.timeframe, symbols=[y_symbol, x_symbol], since_ms=since, until_ms=until, rules=settings,
            metrics=metrics.as_dict(), equity=[], errors=[],
            trades=[_as_trade(name, t) for t in kept],
        )  # fmt: skip
    if args.backtest_json:
        payload = {
            "pair": [y_symbol, x_symbol],
            "backtest_id": backtest_id,
            "hedge": args.hedge,
            "trade_count": sum(1 for t in kept if not t.open),
            "final_equity": metrics.final_equity,
            "metrics": finite(metrics.as_dict()),
            "trades": [finite(_row(t)) for t in kept],
        }
        out.write(orjson.dumps(payload).decode() + "\n")
        return 0, []
    out.write(f"pair {y_symbol} ~ {x_symbol} ({args.timeframe}, {args.hedge} hedge, window {rules.window}):\n")
    closed = sum(1 for t in kept if not t.open)
    out.write(
        f"  {closed} trades, {pct(metrics.total_return)} total, Sharpe {num(metrics.sharpe)}, max drawdown"
        f" {pct(metrics.max_drawdown)}, win rate {pct(metrics.win_rate)}, fees {metrics.fees:,.2f}\n"
    )
    y_sum, x_sum = sum(t.y_pnl for t in kept), sum(t.x_pnl for t in kept)
    beta = float(np.nanmedian(np.abs(result.beta)))
    out.write(f"  legs: {y_symbol} {y_sum:,.2f}, {x_symbol} {x_sum:,.2f}; median |β| {beta:.3f}\n")
    if backtest_id is not None:
        out.write(f"  stored as backtest #{backtest_id}\n")
    return 0, []


def _row(t: PairTrade) -> dict[str, object]:
    return {
        "direction": "long spread" if t.direction > 0 else "short spread",
        "entry_time": iso_utc(t.entry_time), "exit_time": iso_utc(t.exit_time), "entry_z": t.entry_z,
        "exit_z": t.exit_z, "y_qty": t.y_qty, "x_qty": t.x_qty, "y_pnl": t.y_pnl, "x_pnl": t.x_pnl,
        "fees": t.fees, "pnl": t.pnl, "exit_reason": t.reason, "open": t.open,
    }  # fmt: skip


def _rules_dict(rules: PairRules) -> dict[str, object]:
    return {name: getattr(rules, name) for name in rules.__dataclass_fields__}


def _as_trade(name: str, t: PairTrade) -> Trade:
    return Trade(
        symbol=name, side="long" if t.direction > 0 else "short", signal_time=t.entry_time, entry_time=t.entry_time,
        entry_price=t.y_entry, exit_time=t.exit_time, exit_price=t.y_exit, qty=t.y_qty, fees=t.fees, pnl=t.pnl,
        return_pct=t.pnl / (2 * t.y_qty * t.y_entry) * 100, r_multiple=None, reason=t.reason, open=t.open,
    )  # fmt: skip

"""`cryptoterm backtest STRATEGY`: the strategy the scanner runs live, on the stored candles, with metrics.

The strategy comes from the config (enabled or not), the symbols from `--symbols` or its universe, the rules
from `[backtest]` with each flag overriding its key. The run is stored (`backtests`, `backtest_trades`, with
the strategy's TOML and hash) unless `--no-save`, then printed: a summary table, or with `--json` one object
with `strategy`, `trade_count`, `final_equity`, `metrics`, `trades`, `open` and `backtest_id`.

Exit codes: 0 the backtest ran; 1 it ran but some symbols had no history (named on stderr); 2 bad usage or
configuration (unknown strategy, bad date, a fill or sizing the strategy cannot use, no symbols).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, TextIO

import msgspec
import orjson

from cryptoterm.config.schema import AppConfig, StrategyConfig
from cryptoterm.domain.backtest.rules import BacktestRules
from cryptoterm.domain.backtest.trades import Trade
from cryptoterm.domain.strategy import StrategyError
from cryptoterm.headless.dates import DateError, iso_utc, parse_date
from cryptoterm.headless.figures import finite, num, pct
from cryptoterm.ports.backtests import BacktestArchive
from cryptoterm.services.backtester import BacktestError, BacktestRequest, BacktestRun, backtest_symbols
from cryptoterm.services.notifications import format_price
from cryptoterm.wiring.errors import StartupError

if TYPE_CHECKING:
    from cryptoterm.wiring.build import BacktestParts
from cryptoterm.wiring.options import RunOptions

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
PROG = "cryptoterm backtest"


class UsageError(Exception):
    """Bad arguments for a backtest; the message is shown as is."""


def rules_from(config: AppConfig, args: argparse.Namespace) -> BacktestRules:
    """`[backtest]` with every given flag overriding its key; flags are checked against the same ranges."""
    base = config.backtest
    overrides = {
        "initial_equity": args.initial_equity,
        "fee_bps": args.fee_bps,
        "slippage_bps": args.slippage_bps,
        "fill": args.fill,
        "sizing": args.sizing,
        "risk_pct": args.risk_pct,
        "size_pct": args.size_pct,
        "size_quote": args.size_quote,
        "max_positions": args.max_positions,
    }
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        merged = msgspec.convert({**msgspec.to_builtins(base), **given}, type(base))
    except msgspec.ValidationError as exc:
        key = str(exc).rsplit("$.", 1)[-1].rstrip("`")
        flag = "--" + key.replace("_", "-")
        raise UsageError(f"{flag}: {str(exc).split(' - at ')[0]}") from None
    return BacktestRules(**msgspec.to_builtins(merged))


def run(config: AppConfig, args: argparse.Namespace, options: RunOptions, *, out: TextIO | None = None) -> int:
    """Entry point called by the CLI; returns the exit code."""
    stdout = out if out is not None else sys.stdout
    if args.pair:
        return _pair(config, args, options, stdout)
    try:
        request_args = _request_args(config, args)
    except (UsageError, DateError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from cryptoterm.wiring.build import build_backtest

    try:
        analysis = bool(args.sweep or args.walk_forward)
        parts = build_backtest(
            config, options, workers=args.workers if analysis else 1, cluster=args.cluster if analysis else None
        )
    except StartupError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        strategy, rules, chosen, since, until = request_args
        symbols = backtest_symbols(chosen, parts.universe, strategy.name)
        if not symbols:
            print(f"{PROG}: no symbols: give --symbols or store candles for the strategy's universe", file=sys.stderr)
            return EXIT_USAGE
        if args.sweep or args.walk_forward or args.lookahead_check:
            return _analysis(args, strategy, rules, symbols, since, until, parts, stdout)
        request = BacktestRequest(strategy, symbols, rules, since, until)
        try:
            result = parts.backtester.run(request, progress=_progress)
        except BacktestError as exc:
            print(f"{PROG}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        backtest_id = None if args.no_save else _save(parts.archive, result, parts.exchange)
    finally:
        parts.close()
    _print(result, backtest_id, args.backtest_json, stdout)
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if not result.result.trades and len(result.errors) == len(symbols):
        print("hint: no candles for these symbols; fetch them with `cryptoterm download`", file=sys.stderr)
    return EXIT_ERRORS if result.errors else EXIT_OK


def _pair(config: AppConfig, args: argparse.Namespace, options: RunOptions, out: TextIO) -> int:
    """`--pair Y,X` (`backtest_pair`)."""
    from cryptoterm.headless.backtest_pair import PairUsageError, run_pair
    from cryptoterm.wiring.build import build_backtest

    if args.backtest_strategy:
        print(f"{PROG}: give a STRATEGY or --pair, not both", file=sys.stderr)
        return EXIT_USAGE
    try:
        rules = rules_from(config, args)
        since = parse_date(args.since, "--since") if args.since else None
        until = parse_date(args.until, "--until") if args.until else None
        parts = build_backtest(config, options, workers=1)
    except (UsageError, DateError, StartupError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        code, errors = run_pair(args, parts, since, until, rules.fee_bps, rules.slippage_bps, rules.initial_equity, out)
    except PairUsageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        parts.close()
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    return code


def _analysis(
    args: argparse.Namespace,
    strategy: StrategyConfig,
    rules: BacktestRules,
    symbols: tuple[str, ...],
    since: int | None,
    until: int | None,
    parts: BacktestParts,
    out: TextIO,
) -> int:
    """--sweep, --walk-forward or --lookahead-check (`backtest_modes`)."""
    from cryptoterm.headless import backtest_modes as modes
    from cryptoterm.services.sweeps import grid, parse_sweep

    try:
        points = grid(parse_sweep(args.sweep)) if args.sweep else [{}]
        windows = None
        if args.walk_forward:
            train, sep, test = args.walk_forward.partition(":")
            if not sep:
                raise ValueError(f"--walk-forward {args.walk_forward!r}: expected TRAIN:TEST, e.g. 180d:30d")
            windows = (
                modes.parse_duration(train, "--walk-forward TRAIN"),
                modes.parse_duration(test, "--walk-forward TEST"),
            )
        inputs = modes.load_for(parts.backtester, strategy, points, symbols, since, until)
        for error in inputs.errors:
            print(f"error: {error}", file=sys.stderr)
        archive = None if args.no_save else parts.archive
        if args.lookahead_check:
            code = modes.run_lookahead(strategy, inputs, args.backtest_json, out)
        elif windows is not None:
            code = modes.run_walk_forward(
                strategy, points, inputs, rules, parts.executor, args.rank, windows[0], windows[1], archive,
                parts.exchange, args.backtest_json, out,
            )  # fmt: skip
        else:
            code = modes.run_sweep(
                strategy, points, inputs, rules, parts.executor, args.rank, archive, parts.exchange,
                args.backtest_json, out,
            )  # fmt: skip
    except (ValueError, StrategyError) as exc:  # BacktestError is a ValueError
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return code if code else (EXIT_ERRORS if inputs.errors else EXIT_OK)


def _request_args(
    config: AppConfig, args: argparse.Namespace
) -> tuple[StrategyConfig, BacktestRules, tuple[str, ...], int | None, int | None]:
    every = {s.name: s for s in config.strategy}
    if not args.backtest_strategy:
        raise UsageError("give a STRATEGY (a [[strategy]] name) or --pair Y,X")
    strategy = every.get(args.backtest_strategy)
    if strategy is None:
        valid = ", ".join(sorted(every)) or "none are configured"
        raise UsageError(f"unknown strategy {args.backtest_strategy!r}; valid names: {valid}")
    rules = rules_from(config, args)
    chosen = tuple(s.strip() for s in (args.symbols or "").split(",") if s.strip())
    since = parse_date(args.since, "--since") if args.since else None
    until = parse_date(args.until, "--until") if args.until else None
    if since is not None and until is not None and until <= since:
        raise UsageError("--until must be after --since")
    return strategy, rules, chosen, since, until


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\r{PROG}: {done}/{total} symbols", end="" if done < total else "\n", file=sys.stderr, flush=True)


def _save(archive: BacktestArchive, run: BacktestRun, exchange: str) -> int:
    from cryptoterm.services.backtest_records import save_run

    return save_run(archive, run, exchange, created_ms=int(time.time() * 1000))


def trade_record(trade: Trade) -> dict[str, object]:
    """The JSON shape of one trade."""
    return {
        "symbol": trade.symbol,
        "side": trade.side,
        "entry_time": iso_utc(trade.entry_time),
        "entry_time_ms": trade.entry_time,
        "entry_price": trade.entry_price,
        "exit_time": iso_utc(trade.exit_time),
        "exit_time_ms": trade.exit_time,
        "exit_price": trade.exit_price,
        "qty": trade.qty,
        "fees": trade.fees,
        "pnl": trade.pnl,
        "return_pct": trade.return_pct,
        "r_multiple": trade.r_multiple,
        "exit_reason": trade.reason,
    }


def _print(run: BacktestRun, backtest_id: int | None, as_json: bool, out: TextIO) -> None:
    metrics = run.metrics
    trades = [t for t in run.result.trades if not t.open]
    still_open = [t for t in run.result.trades if t.open]
    if as_json:
        payload = {
            "strategy": run.request.strategy.name,
            "backtest_id": backtest_id,
            "symbols": list(run.request.symbols),
            "trade_count": metrics.trade_count,
            "final_equity": metrics.final_equity,
            "metrics": finite(metrics.as_dict()),
            "trades": [finite(trade_record(t)) for t in trades],
            "open": [finite(trade_record(t)) for t in still_open],
            "skipped": len(run.result.skipped),
            "errors": list(run.errors),
        }
        out.write(orjson.dumps(payload).decode() + "\n")
        out.flush()
        return
    symbols = run.request.symbols
    shown = ", ".join(symbols[:6]) + ("…" if len(symbols) > 6 else "")
    dd = f"{pct(metrics.drawdown_p5)} / {pct(metrics.drawdown_p50)} / {pct(metrics.drawdown_p95)}"
    rows = [
        ("strategy", run.request.strategy.name),
        ("symbols", f"{len(symbols)} ({shown})"),
        ("fill / sizing", f"{run.request.rules.fill} / {run.request.rules.sizing}"),
        ("trades", f"{metrics.trade_count} closed, {metrics.open_trades} open, {len(run.result.skipped)} skipped"),
        ("equity", f"{format_price(metrics.initial_equity)} → {format_price(metrics.final_equity)}"),
        ("total return", pct(metrics.total_return)),
        ("CAGR", pct(metrics.cagr)),
        ("Sharpe / Sortino / Calmar", f"{num(metrics.sharpe)} / {num(metrics.sortino)} / {num(metrics.calmar)}"),
        ("max drawdown", f"{pct(metrics.max_drawdown)} over {metrics.max_drawdown_duration_ms / 86_400_000:.1f} d"),
        ("drawdown p5 / p50 / p95", dd),
        ("win rate", pct(metrics.win_rate)),
        ("profit factor", num(metrics.profit_factor)),
        ("expectancy", f"{format_price(metrics.expectancy)} ({num(metrics.expectancy_r)} R)"),
        ("avg win / loss", f"{format_price(metrics.avg_win)} / {format_price(metrics.avg_loss)}"),
        ("best / worst trade", f"{num(metrics.best_trade_pct)} % / {num(metrics.worst_trade_pct)} %"),
        ("exposure", pct(metrics.exposure)),
        ("fees", format_price(metrics.fees)),
        ("exits", ", ".join(f"{b.key} {b.trades}" for b in metrics.by_reason) or "—"),
    ]
    if backtest_id is not None:
        rows.append(("stored as", f"backtest #{backtest_id}"))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        out.write(f"{key.ljust(width)}  {value}\n")
    out.flush()

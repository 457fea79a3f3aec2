"""`cryptoterm download`: page candle history from the exchange into the store.

    cryptoterm download --symbols BTC/USDT,ETH/USDT --timeframes 1h,1d --since 2023-01-01 [--until 2023-07-01]
                        [--exchange binance] [--json]

Only bars missing from the store are fetched, page by page, each page committed as it arrives: interrupt it
and run it again and it continues; run it twice and the second run writes nothing. Bars the exchange itself
does not have (outages, the time before a market was listed) are reported, never filled.

Exit codes: 0 everything downloaded; 1 some series failed (network, exchange errors — the rest still ran);
2 bad usage (a bad date, an unknown exchange, timeframe or symbol), reported before anything is written. What
can be checked without the network — the exchange id against ccxt's list, the timeframes against the ones
cryptoterm keeps, the form of each symbol — is checked first, so a typo never waits through network retries.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptoterm.config.schema import AppConfig, ExchangeConfig
from cryptoterm.domain.gaps import Gap
from cryptoterm.domain.quality import QualityReport, assess_quality
from cryptoterm.domain.timeframes import TIMEFRAMES, timeframe_ms
from cryptoterm.headless.dates import DateError
from cryptoterm.headless.dates import parse_date as parse_cli_date
from cryptoterm.headless.download_args import add_arguments as add_arguments
from cryptoterm.ports.candles import CandleStore
from cryptoterm.ports.market import HistorySource
from cryptoterm.ports.quality import QualityMetricsRow, QualityStore
from cryptoterm.services.backfill import Backfiller, BackfillProgress, BackfillResult


class ExchangeHistory(HistorySource, Protocol):
    """The REST history of an exchange, which can also say which timeframes it serves."""

    async def supported_timeframes(self) -> Sequence[str]: ...


class DownloadStore(CandleStore, QualityStore, Protocol):
    """The store a download writes candles and their quality into."""


EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2

#: A ccxt unified symbol: BASE/QUOTE, or BASE/QUOTE:SETTLE for derivatives ("1000SHIB/USDT", "BTC/USDT:USDT").
_UNIFIED_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9._-]*/[A-Z0-9][A-Z0-9._-]*(?::[A-Z0-9][A-Z0-9._-]*)?$")


class UsageError(Exception):
    """A problem with what the user typed; printed as one line, exit code 2."""


@dataclass(frozen=True, slots=True)
class DownloadPlan:
    """What the command line asked for, validated."""

    exchange: ExchangeConfig
    symbols: tuple[str, ...]
    timeframes: tuple[str, ...]
    since_ms: int
    until_ms: int | None
    json: bool


def parse_date(text: str, option: str) -> int:
    """Epoch ms (UTC) from a date, a date and time, or an integer epoch-ms; `UsageError` names the option."""
    try:
        return parse_cli_date(text, option)
    except DateError as exc:
        raise UsageError(str(exc)) from None


def _split(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def make_plan(config: AppConfig, args: argparse.Namespace, now_ms: int) -> DownloadPlan:
    """Validate the arguments against the config (no network); raises `UsageError`."""
    symbols = _split(args.symbols) if args.symbols else tuple(config.watchlist.symbols)
    if not symbols:
        raise UsageError("--symbols: no symbols given and [watchlist].symbols is empty")
    for symbol in symbols:
        _check_symbol_form(symbol, "--symbols" if args.symbols else "[watchlist].symbols")
    timeframes = _split(args.timeframes or "")
    if not timeframes:
        raise UsageError("--timeframes: no timeframe given")
    for timeframe in timeframes:
        try:
            timeframe_ms(timeframe)
        except ValueError as exc:
            raise UsageError(f"--timeframes: {exc}") from None
        if timeframe not in TIMEFRAMES:
            raise UsageError(
                f"--timeframes: {timeframe!r} is not a timeframe cryptoterm keeps (expected one of "
                f"{', '.join(TIMEFRAMES)})"
            )
    default_since = now_ms - int(config.watchlist.backfill_days * 86_400_000)
    since = parse_date(args.since, "--since") if args.since else default_since
    until = parse_date(args.until, "--until") if args.until else None
    if until is not None and until <= since:
        raise UsageError(f"--until ({args.until}) must be after --since ({args.since})")
    _check_exchange_id(args.exchange or config.exchange.id, "--exchange" if args.exchange else "[exchange].id")
    exchange = config.exchange
    if args.exchange and args.exchange != exchange.id:
        # Another exchange than the configured one: its URL overrides and keys do not apply.
        exchange = ExchangeConfig(id=args.exchange, market=exchange.market, reliability=exchange.reliability)
    json_out = bool(getattr(args, "download_json", False) or getattr(args, "json", False))
    return DownloadPlan(exchange, symbols, timeframes, since, until, json_out)


def _check_symbol_form(symbol: str, option: str) -> None:
    if _UNIFIED_SYMBOL.match(symbol):
        return
    hint = ""
    if _UNIFIED_SYMBOL.match(symbol.upper()):
        hint = f" (symbols are upper case: {symbol.upper()})"
    elif "/" not in symbol and symbol.isalnum():
        hint = " (write base and quote apart, e.g. BTC/USDT)"
    raise UsageError(f"{option}: {symbol!r} is not a unified symbol like BTC/USDT or BTC/USDT:USDT{hint}")


def _check_exchange_id(exchange_id: str, option: str) -> None:
    """The id must be one of ccxt's exchanges: an unknown one would only fail after the network retries."""
    import ccxt.async_support as ccxt_async  # the download needs this module next anyway

    known: list[str] = list(ccxt_async.exchanges)
    if exchange_id in known:
        return
    close = difflib.get_close_matches(exchange_id.lower(), known, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; ccxt's exchange ids are lower case, e.g. binance"
    raise UsageError(f"{option}: unknown exchange {exchange_id!r}{hint}")


def open_history(exchange: ExchangeConfig) -> ExchangeHistory:
    """The REST history client for `exchange` (ccxt itself is imported on first request)."""
    from cryptoterm.wiring.build import exchange_history

    return exchange_history(exchange)


def open_store(db_path: str) -> DownloadStore:
    """The SQLite candle store at `db_path` (created and migrated if needed); `UsageError` if it cannot be."""
    from cryptoterm.wiring.build import store_at
    from cryptoterm.wiring.errors import StartupError

    try:
        return store_at(db_path)
    except StartupError as exc:
        raise UsageError(str(exc)) from None


def check_db_path(db_path: str) -> None:
    """Refuse a database path that cannot work (under a file, unwritable) before any network; creates nothing."""
    from cryptoterm.wiring.database_checks import check_database_path
    from cryptoterm.wiring.errors import StartupError

    try:
        check_database_path(db_path)
    except StartupError as exc:
        raise UsageError(str(exc)) from None


def run(config: AppConfig, args: argparse.Namespace, db_path: str) -> int:
    """Entry point called by the CLI. Returns the exit code."""
    try:
        plan = make_plan(config, args, int(time.time() * 1000))
        check_db_path(db_path)
    except UsageError as exc:
        print(f"cryptoterm download: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return asyncio.run(download(plan, db_path))
    except UsageError as exc:
        print(f"cryptoterm download: {exc}", file=sys.stderr)
        return EXIT_USAGE


async def download(plan: DownloadPlan, db_path: str) -> int:
    """Run the plan: check symbols and timeframes against the exchange, then backfill each series."""
    history = open_history(plan.exchange)
    try:
        await _check_against_exchange(history, plan)
        store = open_store(db_path)
        try:
            results, errors, qualities = await _download_all(history, store, plan)
        finally:
            store.close()
    except UsageError:
        raise
    except Exception as exc:
        # Could not even load the exchange's markets: nothing ran.
        _print_failure(plan, f"{plan.exchange.id}: {exc}")
        return EXIT_ERRORS
    finally:
        await history.close()
    _print_summary(plan, results, errors, qualities)
    return EXIT_ERRORS if errors else EXIT_OK


async def _check_against_exchange(history: ExchangeHistory, plan: DownloadPlan) -> None:
    markets = {m.symbol for m in await history.markets()}
    for symbol in plan.symbols:
        if symbol not in markets:
            close = difflib.get_close_matches(symbol, sorted(markets), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise UsageError(f"--symbols: unknown symbol {symbol!r} on {plan.exchange.id}{hint}")
    supported = await history.supported_timeframes()
    for timeframe in plan.timeframes:
        if supported and timeframe not in supported:
            raise UsageError(
                f"--timeframes: {plan.exchange.id} has no {timeframe!r} candles (it has {', '.join(supported)})"
            )


async def _download_all(
    history: HistorySource, store: DownloadStore, plan: DownloadPlan
) -> tuple[list[BackfillResult], list[dict[str, str]], dict[tuple[str, str], QualityReport]]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    backfiller = Backfiller(history, store, plan.exchange.id)
    results: list[BackfillResult] = []
    errors: list[dict[str, str]] = []
    qualities: dict[tuple[str, str], QualityReport] = {}
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("bars"),
        TimeRemainingColumn(),
        console=console,
        disable=plan.json or not console.is_terminal,
        transient=False,
    ) as bar:
        for symbol in plan.symbols:
            for timeframe in plan.timeframes:
                task = bar.add_task(f"{symbol} {timeframe}", total=None)

                def on_progress(p: BackfillProgress, task: Any = task) -> None:
                    bar.update(task, total=max(p.bars_total, 1), completed=p.bars_done)

                try:
                    result = await backfiller.backfill(symbol, timeframe, plan.since_ms, plan.until_ms, on_progress)
                except Exception as exc:
                    errors.append({"symbol": symbol, "timeframe": timeframe, "error": str(exc)})
                    bar.update(task, description=f"{symbol} {timeframe} [failed]")
                    continue
                results.append(result)
                qualities[(symbol, timeframe)] = _quality(store, result)
    return results, errors, qualities


def _quality(store: DownloadStore, result: BackfillResult) -> QualityReport:
    """Quality of what is now stored for the series, with the outages the exchange confirmed; the result is
    also recorded in `quality_metrics`, where the health screen and `doctor` read it."""
    frame = store.read_candles_frame(result.exchange, result.symbol, result.timeframe, result.since_ms, result.until_ms)
    report = assess_quality(frame, result.timeframe, symbol=result.symbol, known_outages=result.outages)
    store.write_quality_metrics([quality_row(result.exchange, report, int(time.time() * 1000))])
    return report


def quality_row(exchange: str, report: QualityReport, checked_ms: int) -> QualityMetricsRow:
    """A `quality_metrics` row from a quality report."""
    return QualityMetricsRow.from_report(exchange, report, checked_ms)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _gap_json(gap: Gap | None) -> dict[str, Any] | None:
    if gap is None:
        return None
    return {"start_ms": gap.start_ms, "end_ms": gap.end_ms, "missing": gap.missing, "start": _iso(gap.start_ms)}


def summary(
    plan: DownloadPlan,
    results: list[BackfillResult],
    errors: list[dict[str, str]],
    qualities: dict[tuple[str, str], QualityReport] | None = None,
) -> dict[str, Any]:
    """The machine-readable summary printed by `--json`."""
    qualities = qualities or {}
    return {
        "exchange": plan.exchange.id,
        "since_ms": plan.since_ms,
        "until_ms": plan.until_ms,
        "series": [
            {
                "symbol": r.symbol,
                "timeframe": r.timeframe,
                "since_ms": r.since_ms,
                "until_ms": r.until_ms,
                "fetched": r.fetched,
                "written": r.written,
                "already_stored": r.already_stored,
                "stored": r.stored,
                "requests": r.requests_made,
                "outages": [_gap_json(g) for g in r.outages],
                "outage_bars": r.outage_bars,
                "before_first": _gap_json(r.before_first),
                "after_last": _gap_json(r.after_last),
                "quality_score": q.score if (q := qualities.get((r.symbol, r.timeframe))) else None,
                "quality_issues": list(q.issues) if q else [],
            }
            for r in results
        ],
        "rows_written": sum(r.written for r in results),
        "errors": errors,
    }


def _print_summary(
    plan: DownloadPlan,
    results: list[BackfillResult],
    errors: list[dict[str, str]],
    qualities: dict[tuple[str, str], QualityReport],
) -> None:
    if plan.json:
        print(json.dumps(summary(plan, results, errors, qualities), indent=None))
        return
    for r in results:
        line = f"{r.symbol} {r.timeframe}: {r.written} new, {r.already_stored} already stored, {r.stored} in range"
        if r.outages:
            spans = ", ".join(f"{_iso(g.start_ms)} ({g.missing})" for g in r.outages)
            line += f"; exchange outages: {len(r.outages)} ({r.outage_bars} bars): {spans}"
        if r.before_first is not None:
            line += f"; no data before {_iso(r.before_first.end_ms)}"
        quality = qualities.get((r.symbol, r.timeframe))
        if quality is not None:
            line += f"; quality {quality.score:g}/100"
        print(line)
    for e in errors:
        print(f"{e['symbol']} {e['timeframe']}: FAILED: {e['error']}", file=sys.stderr)


def _print_failure(plan: DownloadPlan, message: str) -> None:
    if plan.json:
        print(json.dumps(summary(plan, [], [{"symbol": "", "timeframe": "", "error": message}])))
    print(f"cryptoterm download: {message}", file=sys.stderr)

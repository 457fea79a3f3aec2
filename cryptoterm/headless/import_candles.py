"""`cryptoterm import FILE...`: candle files into the store, all of them or nothing.

Every file is read and checked first (`domain.candle_files`: Binance's 6- and 12-column klines with or without
a header, generic headed CSV, JSON arrays of rows or of objects, JSON lines; `.gz` read directly; times in s, ms,
µs or ISO; OHLC sanity; duplicate and out-of-order rows sorted out; gaps reported). Only when every row of every
file is good are they written, in one transaction. The symbol and timeframe come from columns, else `--symbol` /
`--timeframe`, else a Binance-pattern file name (`BTCUSDT-1h-2024-01.csv`); `--exchange` names the exchange the
candles are stored under (default: the config's; `--demo`: the simulated market's).

Prints one line per series (rows, new or changed, duplicates, out of order, gaps), or with `--json` one JSON
object per series. Exit codes: 0 imported; 2 a file could not be read or checked — one line naming the file, the
line and the column (`btc.csv:1203: column "high": "41,2" is not a number`) — and nothing was written.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

import orjson

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.candle_files import CandleFileError, SeriesRead, symbol_from_native
from cryptoterm.domain.timeframes import TIMEFRAMES
from cryptoterm.wiring.errors import StartupError
from cryptoterm.wiring.options import RunOptions

EXIT_OK = 0
EXIT_USAGE = 2
PROG = "cryptoterm import"
_ROW_KEYS = ("open_time", "open", "high", "low", "close", "volume", "quote_volume", "trades", "symbol", "timeframe")


def run(config: AppConfig, args: argparse.Namespace, options: RunOptions, *, out: TextIO | None = None) -> int:
    """Entry point called by the CLI; returns the exit code."""
    stdout = out if out is not None else sys.stdout
    symbol = args.import_symbol.strip().upper()
    if symbol and "/" not in symbol:
        symbol = symbol_from_native(symbol) or symbol
    if symbol and "/" not in symbol:
        print(f"{PROG}: --symbol: {args.import_symbol!r} is not a symbol (write BASE/QUOTE)", file=sys.stderr)
        return EXIT_USAGE
    if args.import_timeframe and args.import_timeframe not in TIMEFRAMES:
        print(f"{PROG}: --timeframe: {args.import_timeframe!r} is not one of {', '.join(TIMEFRAMES)}", file=sys.stderr)
        return EXIT_USAGE
    from cryptoterm.wiring.data_io import open_data_io, read_candle_files

    try:
        series = read_candle_files(args.import_files, symbol, args.import_timeframe)
    except CandleFileError as exc:
        print(f"{PROG}: {exc}; nothing was imported", file=sys.stderr)
        return EXIT_USAGE
    try:
        data = open_data_io(config, options)
    except StartupError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    exchange = args.import_exchange.strip() or data.exchange
    try:
        changed = data.importer.import_series(exchange, series)
    except Exception as exc:  # the transaction was rolled back: say so, on one line
        print(f"{PROG}: writing failed, nothing was imported: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        data.close()
    for item, count in zip(series, changed, strict=True):
        _report(item, count, exchange, args.import_json, stdout)
    return EXIT_OK


def _report(series: SeriesRead, changed: int, exchange: str, as_json: bool, out: TextIO) -> None:
    candles = series.candles
    if as_json:
        payload = {
            "file": series.source,
            "exchange": exchange,
            "symbol": series.symbol,
            "timeframe": series.timeframe,
            "rows": len(candles),
            "new_or_changed": changed,
            "first_open_time": candles[0].open_time,
            "last_open_time": candles[-1].open_time,
            "duplicates": series.duplicates,
            "out_of_order": series.out_of_order,
            "gaps": [{"start": g.start_ms, "end": g.end_ms, "missing": g.missing} for g in series.gaps],
        }
        out.write(orjson.dumps(payload).decode() + "\n")
        return
    notes = []
    if series.duplicates:
        notes.append(f"{series.duplicates} duplicate row(s) dropped")
    if series.out_of_order:
        notes.append(f"{series.out_of_order} row(s) out of order, sorted")
    if series.gaps:
        notes.append(f"{series.missing_bars} bar(s) missing in {len(series.gaps)} gap(s)")
    said = f" ({'; '.join(notes)})" if notes else ""
    print(
        f"{series.source}: {exchange} {series.symbol} {series.timeframe}: {len(candles)} candles, "
        f"{changed} new or changed{said}",
        file=out,
    )

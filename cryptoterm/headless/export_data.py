"""`cryptoterm export candles|trades|setups|backtests|alerts`: stored data as CSV (a header naming the columns;
every time in epoch ms and beside it in ISO 8601 UTC, `open_time` / `open_time_iso`) or JSON (one array of
objects), to stdout or `-o FILE` (`.gz` compressed). `--symbol`, `--timeframe`, `--since` and `--until` narrow it
where they apply. What `export candles` writes, `cryptoterm import` reads back.

Exit codes: 0 written (also when no row matched: the file then holds only the header); 2 bad usage, or a
database or output file that cannot be used (one line).
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.timeframes import TIMEFRAMES
from cryptoterm.headless.dates import DateError, parse_date
from cryptoterm.ports.data_io import ExportFilter
from cryptoterm.wiring.errors import StartupError
from cryptoterm.wiring.options import RunOptions

EXIT_OK = 0
EXIT_USAGE = 2
PROG = "cryptoterm export"


def run(config: AppConfig, args: argparse.Namespace, options: RunOptions, *, out: TextIO | None = None) -> int:
    """Entry point called by the CLI; returns the exit code."""
    stdout = out if out is not None else sys.stdout
    try:
        since = parse_date(args.export_since, "--since") if args.export_since else None
        until = parse_date(args.export_until, "--until") if args.export_until else None
    except DateError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.export_timeframe and args.export_timeframe not in TIMEFRAMES:
        print(f"{PROG}: --timeframe: {args.export_timeframe!r} is not one of {', '.join(TIMEFRAMES)}", file=sys.stderr)
        return EXIT_USAGE
    from cryptoterm.wiring.data_io import open_data_io, open_export, write_export

    try:
        data = open_data_io(config, options)
    except StartupError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    where = ExportFilter(data.exchange, args.export_symbol.strip().upper(), args.export_timeframe, since, until)
    try:
        target = open_export(args.export_output, stdout)
    except OSError as exc:
        data.close()
        print(f"{PROG}: {args.export_output}: cannot write: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    try:
        count = write_export(data.exporter, args.export_kind, where, args.export_format, target)
    finally:
        if target is not stdout:
            target.close()
        data.close()
    if args.export_output:
        print(f"{PROG}: {count} {args.export_kind} row(s) written to {args.export_output}", file=sys.stderr)
    return EXIT_OK

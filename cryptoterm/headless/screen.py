"""`cryptoterm screen`: every pair of a universe of stored series tested for cointegration, stored and printed.

The universe is `--symbols`, else the stored symbols of the timeframe (the `--top N` by 24 h quote volume);
the window the newest `--bars` common bars of [--since, --until). The pairs are screened on the configured
executor (`--workers N` local processes, `--cluster ADDR` a Dask scheduler), stored as a session unless
`--no-save`, and printed: a table of the best pairs, or with `--json` one object per pair per line (every field
of the pair's result; numbers that are not finite are null), smallest adjusted p-value first.

Exit codes: 0 the screen ran; 1 it ran but some symbols had no candles (named on stderr); 2 bad usage or
configuration (a bad date, fewer than two symbols with enough common bars, an executor that cannot start).
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import TextIO

import msgspec

from cryptoterm.config.schema import AppConfig
from cryptoterm.headless.dates import DateError, iso_utc, parse_date
from cryptoterm.wiring.errors import StartupError
from cryptoterm.wiring.options import RunOptions

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
PROG = "cryptoterm screen"
#: Pairs the table shows (`--json` prints every pair).
TABLE_ROWS = 25


class UsageError(Exception):
    """Bad arguments for a screen; the message is shown as is."""


def run(config: AppConfig, args: argparse.Namespace, options: RunOptions, *, out: TextIO | None = None) -> int:
    """Entry point called by the CLI; returns the exit code."""
    stdout = out if out is not None else sys.stdout
    try:
        since, until = _window(args)
    except (UsageError, DateError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from cryptoterm.domain.pairs import KalmanParams, ScreenParams
    from cryptoterm.ports.compute import ComputeCancelled
    from cryptoterm.services.screener import ScreenError, ScreenRequest, screen_symbols
    from cryptoterm.wiring.screening import build_screener

    settings = config.screener
    try:
        parts = build_screener(config, options, workers=args.screen_workers, scheduler=args.screen_cluster)
    except StartupError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        timeframe = args.screen_timeframe or settings.timeframe
        chosen = tuple(s.strip() for s in (args.screen_symbols or "").split(",") if s.strip())
        top = settings.top if args.screen_top is None else args.screen_top
        symbols = chosen or tuple(
            screen_symbols(parts.candles, parts.exchange, timeframe, top=top, quote=settings.quote)
        )
        if len(symbols) < 2:
            hint = "give --symbols" if not chosen else "give at least two"
            print(f"{PROG}: fewer than 2 symbols to screen on {timeframe}: {hint}, or store candles with"
                  " `cryptoterm download`", file=sys.stderr)  # fmt: skip
            return EXIT_USAGE
        params = ScreenParams(
            spread_hedge=settings.spread_hedge,
            family_pvalue=settings.family_pvalue,
            kalman=KalmanParams(
                settings.kalman_observation_variance, settings.kalman_beta_variance, settings.kalman_intercept_variance
            ),
        )
        try:
            request = ScreenRequest(
                symbols=symbols,
                timeframe=timeframe,
                since_ms=since,
                until_ms=until,
                bars=settings.bars if args.screen_bars is None else args.screen_bars,
                min_bars=settings.min_bars,
                min_quote_volume=settings.min_quote_volume,
                params=params,
                chunk_pairs=settings.chunk_pairs,
            )
            result = parts.screener.run(request, progress=_progress, save=not args.screen_no_save)
        except ScreenError as exc:
            hint = f"store more {timeframe} history with `cryptoterm download`"
            print(f"{PROG}: {exc}; {hint}", file=sys.stderr)
            return EXIT_USAGE
        except ComputeCancelled:
            print(f"{PROG}: cancelled", file=sys.stderr)
            return EXIT_ERRORS
    finally:
        parts.close()
    _print(result, args.screen_json, stdout)
    first, last = int(result.aligned.open_time[0]), int(result.aligned.open_time[-1])
    stored = f", session #{result.session_id}" if result.session_id is not None else ""
    print(
        f"{PROG}: {len(result.results)} pairs of {len(result.symbols)} symbols, {result.n_bars} {timeframe} bars "
        f"{iso_utc(first)} → {iso_utc(last)}, {result.duration_ms / 1000:.1f} s on {result.executor}{stored}",
        file=sys.stderr,
    )
    for dropped in result.report.dropped_symbols:
        print(f"note: {dropped.symbol} left out: {dropped.reason} ({dropped.detail})", file=sys.stderr)
    if result.report.dropped_times.size:
        print(f"note: {result.report.dropped_times.size} bars some symbol lacked were dropped", file=sys.stderr)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    return EXIT_ERRORS if result.errors else EXIT_OK


def _window(args: argparse.Namespace) -> tuple[int | None, int | None]:
    since = parse_date(args.screen_since, "--since") if args.screen_since else None
    until = parse_date(args.screen_until, "--until") if args.screen_until else None
    if since is not None and until is not None and until <= since:
        raise UsageError("--until must be after --since")
    if args.screen_bars is not None and args.screen_bars < 50:
        raise UsageError(f"--bars must be at least 50, got {args.screen_bars}")
    return since, until


def _progress(stage: str, done: int, total: int) -> None:
    if sys.stderr.isatty():
        what = "symbols read" if stage == "read" else "tasks screened"
        end = "\n" if done == total and stage == "screen" else ""
        print(f"\r{PROG}: {done}/{total} {what}\033[K", end=end, file=sys.stderr, flush=True)


def _print(result: object, as_json: bool, out: TextIO) -> None:
    from cryptoterm.services.screener import ScreenRun

    assert isinstance(result, ScreenRun)
    if as_json:
        encoder = msgspec.json.Encoder()
        buffer = bytearray()
        for pair in result.results:
            encoder.encode_into(pair, buffer, -1)
            buffer.extend(b"\n")
        out.write(buffer.decode())
        out.flush()
        return
    header = ("y", "x", "p", "p adj", "p rev", "half-life", "hurst", "corr", "beta", "z")
    rows = [
        (
            pair.y,
            pair.x,
            _num(pair.eg_p, 4),
            _num(pair.p_adj, 4),
            _num(pair.eg_p_rev, 4),
            _num(pair.half_life, 1),
            _num(pair.hurst, 2),
            _num(pair.corr, 2),
            _num(pair.beta_ols, 3),
            _num(pair.zscore, 2),
        )
        for pair in result.results[:TABLE_ROWS]
    ]
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(len(header))]
    lines = [
        "  ".join(h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True)))
    ]
    for row in rows:
        lines.append(
            "  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths, strict=True)))
        )
    if len(result.results) > TABLE_ROWS:
        lines.append(f"… {len(result.results) - TABLE_ROWS} more pairs (--json prints every pair)")
    out.write("\n".join(lines) + "\n")
    out.flush()


def _num(value: float, digits: int) -> str:
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:.{digits}f}" if math.isfinite(value) else "—"

"""`cryptoterm --scan-once`: update candles, run the strategies once, record and notify setups, print, exit.

Made for cron. Steps: compile the strategies (all enabled ones, or those named with `--strategy`), take the
scan lock beside the database (a second overlapping run exits at once with code 1, see `headless.lock`),
bring candles up to date (the exchange through ccxt, `--demo` the simulated market, `--offline` nothing:
the store only), advance open setups through the bars that closed since the last run, scan, deliver
notifications, print the new setups, exit.

Output: a plain table on stdout, or with `--json` one JSON object per new setup per line (strategy, symbol,
timeframe, direction, entry, stop, targets, rr, size, risk, state, bar_time ISO-8601 UTC and bar_time_ms).
A summary and any errors go to stderr, so stdout stays machine-readable.

Exit codes: 0 scan ran without errors; 1 some symbol or update failed (the rest was still scanned and
recorded), or another scan holds the lock; 2 bad usage or configuration (unknown `--strategy` name, a
strategy that does not compile, an unusable notification URL or database path).

Never imports textual (a test checks `sys.modules` in a subprocess).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TextIO

import msgspec
import orjson

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.redaction import redact
from cryptoterm.domain.setups import Setup
from cryptoterm.headless.lock import LockBusy, ScanLock, lock_path_for
from cryptoterm.ports.clock import Clock
from cryptoterm.services.notifications import format_price
from cryptoterm.services.scan_report import ScanError, ScanReport
from cryptoterm.services.setup_tracker import TrackedChange
from cryptoterm.wiring.errors import StartupError
from cryptoterm.wiring.options import RunOptions
from cryptoterm.wiring.paths import resolve_db_path

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
PROG = "cryptoterm --scan-once"


class UsageError(Exception):
    """Bad command line or configuration for a scan; the message is shown as is."""


def select_strategies(config: AppConfig, names: Sequence[str]) -> AppConfig:
    """The config with exactly the strategies to run: the enabled ones, or the named ones (enabled or not).

    Raises UsageError for an unknown name or when nothing would run. Compiling happens in the scan session.
    """
    every = {s.name: s for s in config.strategy}
    if names:
        unknown = [n for n in names if n not in every]
        if unknown:
            valid = ", ".join(sorted(every)) or "none are configured"
            raise UsageError(f"unknown strategy {unknown[0]!r}; valid names: {valid}")
        chosen = [msgspec.structs.replace(every[n], enabled=True) for n in dict.fromkeys(names)]
    else:
        chosen = [s for s in config.strategy if s.enabled]
    if not chosen:
        where = f" in {config.source}" if config.source else " (no config file found)"
        raise UsageError(f"no enabled strategies{where}; add a [[strategy]] table (see config.example.toml)")
    return msgspec.structs.replace(config, strategy=chosen)


def run(
    config: AppConfig,
    options: RunOptions,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    clock: Clock | None = None,
) -> int:
    """Run one headless scan as described in the module docstring; returns the exit code.

    `out`/`err` default to the process's stdout/stderr; `clock` (default: the system clock) decides which bar
    is the last closed one.
    """
    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    try:
        chosen = select_strategies(config, options.strategies)
    except UsageError as exc:
        print(f"{PROG}: {exc}", file=stderr)
        return EXIT_USAGE
    db_path = resolve_db_path(config, options)
    try:
        with ScanLock(lock_path_for(db_path)):
            return asyncio.run(_run(chosen, options, stdout, stderr, clock))
    except LockBusy as exc:
        print(f"{PROG}: {exc}; exiting", file=stderr)
        return EXIT_ERRORS
    except (StartupError, UsageError) as exc:
        print(f"{PROG}: {exc}", file=stderr)
        return EXIT_USAGE


async def _run(config: AppConfig, options: RunOptions, stdout: TextIO, stderr: TextIO, clock: Clock | None) -> int:
    from cryptoterm.wiring.build import build_scan_once

    secrets = tuple(s for s in (config.exchange.api_key, config.exchange.api_secret) if s)
    parts = build_scan_once(config, options, clock)
    try:
        broken = [s for s in parts.session.strategies() if s.error]
        if broken:
            raise UsageError(broken[0].error)
        await parts.session.start()
        await parts.session.wait_ready()
        report = await asyncio.to_thread(parts.session.scan, "scan-once")
        await parts.session.drain_notifications()
        update_errors = list(parts.session.update_errors)
        changes = parts.session.caught_up
    finally:
        await parts.close()
    _print(report, options.json, stdout)
    _summarise(report, update_errors, stderr, secrets, changes, offline=options.offline)
    return EXIT_ERRORS if report.errors or update_errors else EXIT_OK


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


def setup_record(setup: Setup, *, stale: bool = False) -> dict[str, object]:
    """The JSON shape of one setup on `--json` output (`stale`: opened on a series far behind the clock)."""
    return {
        "id": setup.id,
        "strategy": setup.strategy,
        "symbol": setup.symbol,
        "timeframe": setup.timeframe,
        "direction": setup.direction,
        "entry": setup.entry,
        "stop": setup.stop,
        "targets": list(setup.targets),
        "rr": round(setup.rr, 4),
        "size": setup.size,
        "risk": setup.risk,
        "state": setup.state,
        "bar_time": _iso(setup.bar_time),
        "bar_time_ms": setup.bar_time,
        "stale": stale,
    }


def _print(report: ScanReport, as_json: bool, out: TextIO) -> None:
    if as_json:
        for setup in report.new_setups:
            out.write(orjson.dumps(setup_record(setup, stale=report.is_stale(setup))).decode() + "\n")
        out.flush()
        return
    if not report.new_setups:
        out.write("no new setups\n")
        return
    header = ("STRATEGY", "SYMBOL", "DIR", "ENTRY", "STOP", "TARGETS", "R:R", "STATE", "BAR (UTC)", "DATA")
    rows = [
        (
            s.strategy,
            s.symbol,
            s.direction,
            format_price(s.entry),
            format_price(s.stop),
            " ".join(format_price(t) for t in s.targets),
            f"{s.rr:.2f}",
            s.state,
            _iso(s.bar_time)[:16].replace("T", " "),
            "STALE" if report.is_stale(s) else "",
        )
        for s in report.new_setups
    ]
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        out.write("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")
    out.flush()


def _summarise(
    report: ScanReport,
    update_errors: list[ScanError],
    err: TextIO,
    secrets: Sequence[str],
    changes: Sequence[TrackedChange] = (),
    *,
    offline: bool = False,
) -> None:
    for change in changes:
        s = change.setup
        for t in change.transitions:
            err.write(
                f"setup: {s.strategy} {s.symbol} {s.direction}: {t.from_state} → {t.to_state} "
                f"at {format_price(t.price)} ({t.note})\n"
            )
    err.write(
        f"scan: {report.strategies} strategies, {report.symbols} symbols, {report.hits} hits, "
        f"{len(report.new_setups)} new setups, {len(report.duplicates)} already open, "
        f"{len(report.errors) + len(update_errors)} errors ({report.duration_ms} ms)\n"
    )
    for note in report.notes:
        err.write(f"note: {note}\n")
    for stale in report.stale:
        err.write(
            f"stale: {stale.symbol} {stale.timeframe}: newest bar {_iso(stale.last_bar_ms)[:16].replace('T', ' ')}"
            f" UTC, {stale.bars_behind:,} bars behind the clock; its setups come from old data\n"
        )
    for error in (*update_errors, *report.errors):
        err.write(redact(f"error: {error.strategy} {error.symbol}: {error.error}\n", tuple(secrets)))
    if offline and any("no " in e.error and "candles stored" in e.error for e in report.errors):
        err.write("hint: --offline scans only what is stored; fetch candles first with `cryptoterm download`\n")
    err.flush()

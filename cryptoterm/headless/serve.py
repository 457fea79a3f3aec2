"""`cryptoterm --headless`: the whole engine without a UI — a server process you leave running 24/7.

It runs exactly what the TUI runs, built by the same wiring: the market (the exchange's streams, `--demo` the
simulated market, `--replay FILE` a recording), bar building, the store, data-quality checks, and the scan
session with its scheduled scans (interval and bar close) and notifications. Log lines go to stderr; a
heartbeat line every `HEARTBEAT_S` says the engine is alive and what it is doing.

It ends cleanly on SIGTERM, SIGINT or SIGHUP (an SSH drop): scheduling stops, a scan under way finishes, the
feed stops, the store writes what is queued and every connection closes. With `--replay` it also ends when the
recording does. Exit codes: 0 stopped by a signal or the recording's end; 1 the engine stopped on an error
(the market stream failed for good); 2 it could not start as configured (one line, never a traceback).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import TextIO

from cryptoterm.config.schema import AppConfig
from cryptoterm.services.engine import Engine
from cryptoterm.services.scan_timer import ScanTimer
from cryptoterm.wiring.errors import StartupError
from cryptoterm.wiring.options import RunOptions

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
PROG = "cryptoterm --headless"
#: Seconds between the "still running" lines.
HEARTBEAT_S = 60.0
_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def run(config: AppConfig, options: RunOptions, *, err: TextIO | None = None) -> int:
    """Run the engine until a signal (or the end of a replay); returns the exit code."""
    stderr = err if err is not None else sys.stderr
    return asyncio.run(_serve(config, options, stderr))


async def _serve(config: AppConfig, options: RunOptions, stderr: TextIO) -> int:
    from cryptoterm.wiring.build import build_engine

    try:
        engine = build_engine(config, options)
    except StartupError as exc:
        print(f"{PROG}: {exc}", file=stderr)
        return EXIT_USAGE
    stop = asyncio.Event()
    received: list[str] = []
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig.name)
        stop.set()

    for sig in _SIGNALS:
        loop.add_signal_handler(sig, on_signal, sig)
    timer: ScanTimer | None = None
    feed: asyncio.Task[None] | None = None
    heartbeat: asyncio.Task[None] | None = None
    code = EXIT_OK
    try:
        await engine.start()
        if engine.scanning is not None:
            timer = ScanTimer(engine.scanning, config.scanner.interval_s)
            timer.start()
        feed = loop.create_task(engine.feed.run(), name="market feed")
        heartbeat = loop.create_task(_heartbeat(engine, timer), name="heartbeat")
        log.info("headless engine running (%s, %s); stop with SIGTERM or ctrl+c", engine.mode, engine.exchange)
        waiter = loop.create_task(stop.wait())
        await asyncio.wait({feed, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if received:
            log.info("received %s: stopping", received[0])
        elif feed.done():
            error = None if feed.cancelled() else feed.exception()
            if error is not None:
                log.error("the market stream stopped: %s: %s", type(error).__name__, error)
                code = EXIT_ERRORS
            elif options.mode == "replay":
                log.info("replay finished: %d trades", engine.feed.stats().trades_total)
            else:
                log.error("the market stream ended")
                code = EXIT_ERRORS
    except Exception as exc:
        log.error("the engine stopped: %s: %s", type(exc).__name__, exc)
        log.debug("engine failure", exc_info=True)
        code = EXIT_ERRORS
    finally:
        for sig in _SIGNALS:
            loop.remove_signal_handler(sig)
        if heartbeat is not None:
            heartbeat.cancel()
        if timer is not None:
            await timer.stop()
        engine.feed.stop()
        if feed is not None and not feed.done():
            feed.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await feed
        await engine.close()
        log.info("headless engine stopped")
    return code


async def _heartbeat(engine: Engine, timer: ScanTimer | None) -> None:
    while True:
        await asyncio.sleep(HEARTBEAT_S)
        stats = engine.feed.stats()
        streams = ", ".join(f"{h.name} {h.state}" for h in stats.health) or "no streams"
        scans = f", {timer.scans} scans" if timer is not None else ""
        log.info(
            "running: %d symbols, %d trades, %d bars closed, store queue %d, %s%s",
            len(engine.feed.symbols),
            stats.trades_total,
            stats.bars_closed,
            stats.store_queue,
            streams,
            scans,
        )

"""Bringing the series a scan reads up to date from a history source, before the scan reads the store.

Scans read the store only, the same way in every mode; what fills it differs: the exchange over REST live
and in `--scan-once`, the simulated market in the demo, nothing with `--offline`. Each is a `HistorySource`
behind the same `Backfiller`, which fetches only what is missing, so a second update of unchanged data asks
for nothing. A failing series is reported, never fatal: the scan then names the symbols it could not read.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from cryptoterm.domain.redaction import redact
from cryptoterm.ports.candles import CandleStore
from cryptoterm.ports.clock import Clock
from cryptoterm.ports.market import HistorySource
from cryptoterm.services.backfill import Backfiller
from cryptoterm.services.scan_report import ScanError

log = logging.getLogger(__name__)


class CandleUpdater:
    """Backfills wanted series (symbol, timeframe → since) from `history` into `store` under `exchange`."""

    def __init__(self, history: HistorySource, store: CandleStore, exchange: str, clock: Clock) -> None:
        self.history = history
        self._backfiller = Backfiller(history, store, exchange, clock=clock)

    async def update(self, wanted: Mapping[tuple[str, str], int]) -> list[ScanError]:
        """Fetch what the store lacks of each series; returns one error per series that failed."""
        errors: list[ScanError] = []
        for (symbol, timeframe), since in sorted(wanted.items()):
            try:
                await self._backfiller.backfill(symbol, timeframe, since)
            except Exception as exc:
                message = redact(f"{timeframe} candles: {type(exc).__name__}: {exc}")
                log.warning("updating %s %s", symbol, message)
                errors.append(ScanError("update", symbol, message))
        return errors

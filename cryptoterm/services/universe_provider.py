"""Which symbols each strategy scans, refreshed before every scan (tickers are async, scans are not)."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from cryptoterm.config.schema import UniverseConfig
from cryptoterm.domain.universe import VolumeEntry, fixed_universe, top_by_quote_volume
from cryptoterm.ports.candles import CandleReader
from cryptoterm.ports.market import HistorySource

#: Bars of the 1h series summed for the offline 24 h quote volume.
_DAY_OF_HOURS = 24


class UniverseProvider:
    """The symbols each strategy scans: its fixed list, or the top N by 24 h quote volume, after exclusions.

    Volumes come from `history.fetch_tickers()` when a history source is given (refreshed by `refresh()`),
    otherwise from the store: the sum of the last 24 stored 1h candles' quote volume (close × volume when the
    exchange gave none), or the last 1d candle. A strategy with neither a list nor `top` scans `default`
    (the watchlist).
    """

    def __init__(
        self,
        store: CandleReader,
        exchange: str,
        universes: Mapping[str, UniverseConfig],
        default: Sequence[str],
        history: HistorySource | None = None,
    ) -> None:
        self._store = store
        self._exchange = exchange
        self._universes = dict(universes)
        self._default = list(default)
        self._history = history
        self._volumes: list[VolumeEntry] | None = None
        self._lock = threading.Lock()

    async def refresh(self) -> None:
        """Fetch fresh 24 h volumes (when some strategy uses `top` and a history source exists)."""
        if not any(u.top > 0 and not u.symbols for u in self._universes.values()):
            return
        if self._history is not None:
            tickers = await self._history.fetch_tickers()
            volumes = [VolumeEntry(t.symbol, float(t.quote_volume_24h)) for t in tickers]
        else:
            volumes = self.stored_volumes()
        with self._lock:
            self._volumes = volumes

    def stored_volumes(self) -> list[VolumeEntry]:
        """24 h quote volume per stored symbol, from the newest 1h candles (or the newest 1d candle)."""
        out: dict[str, float] = {}
        for timeframe, bars in (("1d", 1), ("1h", _DAY_OF_HOURS)):
            for symbol in self._store.symbols_with_candles(self._exchange, timeframe):
                candles = self._store.read_candles(self._exchange, symbol, timeframe, limit=bars)
                out[symbol] = float(sum(c.quote_volume or c.close * c.volume for c in candles))
        return [VolumeEntry(s, v) for s, v in sorted(out.items())]

    def symbols_for(self, strategy: str) -> list[str]:
        universe = self._universes.get(strategy, UniverseConfig())
        if universe.symbols:
            return fixed_universe(universe.symbols, universe.exclude)
        if universe.top > 0:
            with self._lock:
                volumes = self._volumes
            if volumes is None:
                volumes = self.stored_volumes()
                with self._lock:
                    self._volumes = volumes
            return top_by_quote_volume(
                volumes,
                top=universe.top,
                quote=universe.quote,
                exclude=universe.exclude,
                min_quote_volume=universe.min_quote_volume,
            )
        return fixed_universe(self._default, universe.exclude)

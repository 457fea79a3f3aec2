"""What one scan reports back: the setups it opened, the hits that duplicated stored ones, what failed, and what
it has to say about its data (derived timeframes, stale series)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptoterm.domain.setups import Setup
from cryptoterm.services.scan_inputs import StaleSeries


@dataclass(frozen=True, slots=True)
class ScanError:
    """One strategy + symbol that could not be scanned, and why (already redacted)."""

    strategy: str
    symbol: str
    error: str

    def as_dict(self) -> dict[str, str]:
        return {"strategy": self.strategy, "symbol": self.symbol, "error": self.error}


@dataclass(frozen=True, slots=True)
class ScanReport:
    """What one scan did: the setups it opened, the hits that duplicated open ones, and the errors."""

    run_id: int
    origin: str
    started_ms: int
    finished_ms: int
    strategies: int
    symbols: int
    hits: int
    new_setups: tuple[Setup, ...]
    errors: tuple[ScanError, ...]
    duplicates: tuple[str, ...] = field(default_factory=tuple)
    #: Market regime at the reference symbol's last closed bar ("" when its candles are missing).
    regime: str = ""
    #: Series whose newest bar is well behind the clock: their setups come from old data.
    stale: tuple[StaleSeries, ...] = ()
    #: What the scan did to its data that a user should know ("BTC/USDT 4h derived from 1h").
    notes: tuple[str, ...] = ()

    @property
    def duration_ms(self) -> int:
        return self.finished_ms - self.started_ms

    @property
    def ok(self) -> bool:
        return not self.errors

    def is_stale(self, setup: Setup) -> bool:
        """Whether `setup` was opened on a stale series."""
        return any(s.symbol == setup.symbol and s.timeframe == setup.timeframe for s in self.stale)

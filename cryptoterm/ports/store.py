"""Persistence port. One SQLite file in production; the protocol keeps services testable with temp files."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cryptoterm.domain.market import Candle


class Store(Protocol):
    """Candle persistence. Writes are batched by one writer; every multi-row write is one transaction."""

    def write_candles(self, exchange: str, symbol: str, timeframe: str, candles: Sequence[Candle]) -> int:
        """Upsert closed candles; returns how many rows were new or changed."""
        ...

    def read_candles(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int | None = None,
    ) -> list[Candle]:
        """Closed candles in open_time order; `limit` keeps the newest ones."""
        ...

    def candle_bounds(self, exchange: str, symbol: str, timeframe: str) -> tuple[int, int] | None:
        """(first, last) stored open_time, or None when nothing is stored."""
        ...

    def close(self) -> None: ...

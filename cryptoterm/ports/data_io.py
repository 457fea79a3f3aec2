"""Data in and out: stored tables read as rows for `cryptoterm export`, and checked candle files written by
`cryptoterm import` in one transaction (all of them, or nothing)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cryptoterm.domain.candle_files import SeriesRead
from cryptoterm.ports.export_kinds import EXPORT_KINDS, ExportKind

__all__ = ["EXPORT_KINDS", "ExportKind"]


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """Which rows an export takes; None / "" means no limit. Times are epoch ms, `until_ms` exclusive."""

    exchange: str
    symbol: str = ""
    timeframe: str = ""
    since_ms: int | None = None
    until_ms: int | None = None


class TableExporter(Protocol):
    def columns(self, kind: ExportKind) -> list[str]:
        """The columns of `kind`'s rows, in order (the CSV header)."""
        ...

    def rows(self, kind: ExportKind, where: ExportFilter) -> Iterator[dict[str, Any]]:
        """The rows, oldest first, as they are stored (times in ms beside ISO text)."""
        ...


class CandleImporter(Protocol):
    def import_series(self, exchange: str, series: Sequence[SeriesRead]) -> list[int]:
        """Upsert every series in ONE transaction; per series, the rows that were new or changed."""
        ...


@dataclass(frozen=True, slots=True)
class SeriesCount:
    """How much of one series is stored."""

    symbol: str
    timeframe: str
    candles: int
    first_ms: int
    last_ms: int


class CandleStatistics(Protocol):
    def candle_counts(self, exchange: str) -> list[SeriesCount]:
        """Every stored series of `exchange`: candles, first and last open time (scans the candles' key)."""
        ...

"""Data-quality summaries as stored: one row per series, replaced on every check (download, the running app).

The row type is shared by the services that compute it, the store that keeps it and the screens and
`doctor` that show it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from cryptoterm.domain.quality import QualityReport


@dataclasses.dataclass(frozen=True, slots=True)
class QualityMetricsRow:
    """One series' data-quality summary. `detail` is free-form JSON-able detail (gap list, …)."""

    exchange: str
    symbol: str
    timeframe: str
    checked_ms: int
    bars: int = 0
    gaps: int = 0
    missing_bars: int = 0
    outages: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    ohlc_violations: int = 0
    spikes: int = 0
    stale_s: float | None = None
    score: float | None = None
    detail: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_report(cls, exchange: str, report: QualityReport, checked_ms: int) -> QualityMetricsRow:
        """The row for a domain quality report."""
        return cls(
            exchange=exchange,
            symbol=report.symbol,
            timeframe=report.timeframe,
            checked_ms=checked_ms,
            bars=report.rows,
            gaps=len(report.holes) + len(report.outages),
            missing_bars=report.missing_bars,
            outages=len(report.outages),
            duplicates=report.duplicates,
            out_of_order=report.out_of_order,
            ohlc_violations=report.ohlc_violations,
            spikes=report.spikes,
            stale_s=report.last_bar_age_ms / 1000 if report.stale and report.last_bar_age_ms is not None else None,
            score=report.score,
            detail={
                "outages": [[g.start_ms, g.end_ms, g.missing] for g in report.outages],
                "holes": [[g.start_ms, g.end_ms, g.missing] for g in report.holes],
                "spike_times": list(report.spike_times[:50]),
                "invalid_bars": report.invalid_bars,
                "issues": list(report.issues),
            },
        )


class QualityStore(Protocol):
    """Where quality rows are kept."""

    def write_quality_metrics(self, rows: Sequence[QualityMetricsRow]) -> int: ...

    def read_quality_metrics(
        self, exchange: str | None = None, timeframe: str | None = None
    ) -> list[QualityMetricsRow]: ...

"""Rows of `quality_metrics`: the latest data-quality check per (exchange, symbol, timeframe).

The health screen and `cryptoterm doctor` read these to show which series have gaps, outages, duplicates or
spikes. One row per series, replaced on every check, so the table stays as small as the watchlist. Not a hot
path, so it uses sqlite-utils' upsert directly.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlite_utils import Database

from cryptoterm.adapters.store.writes import check_series_key
from cryptoterm.domain.quality import QualityReport

QUALITY_TABLE = "quality_metrics"
QUALITY_PK = ("exchange", "symbol", "timeframe")


@dataclasses.dataclass(frozen=True, slots=True)
class QualityMetricsRow:
    """One series' data-quality summary as stored. `detail` is free-form JSON-able detail (gap list, …)."""

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

    def to_record(self) -> dict[str, Any]:
        """The row as the table's columns (`detail` serialised to `detail_json`)."""
        record = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "detail"}
        record["detail_json"] = json.dumps(dict(self.detail), sort_keys=True, allow_nan=False)
        return record

    @classmethod
    def from_report(cls, exchange: str, report: QualityReport, checked_ms: int) -> QualityMetricsRow:
        """The row for a domain quality report (download, and the running app's periodic checks)."""
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

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> QualityMetricsRow:
        """Build from a table row (a dict with the column names)."""
        values = {f.name: record[f.name] for f in dataclasses.fields(cls) if f.name != "detail"}
        detail = json.loads(record.get("detail_json") or "{}")
        return cls(**values, detail=detail)


def upsert_quality_metrics(db: Database, rows: Sequence[QualityMetricsRow]) -> int:
    """Insert or replace the rows (inside the caller's transaction when there is one); returns the count."""
    for row in rows:
        check_series_key(row.exchange, row.symbol, row.timeframe)
    if not rows:
        return 0
    db.table(QUALITY_TABLE).upsert_all([row.to_record() for row in rows], pk=QUALITY_PK)
    return len(rows)


def read_quality_metrics(
    db: Database, exchange: str | None = None, timeframe: str | None = None
) -> list[QualityMetricsRow]:
    """Stored rows, optionally for one exchange and/or timeframe, worst score first (unscored last)."""
    clauses: list[str] = []
    args: list[str] = []
    if exchange is not None:
        clauses.append("exchange = ?")
        args.append(exchange)
    if timeframe is not None:
        clauses.append("timeframe = ?")
        args.append(timeframe)
    rows = db.table(QUALITY_TABLE).rows_where(
        " AND ".join(clauses) or None,
        args or None,
        order_by="score IS NULL, score, exchange, symbol, timeframe",
    )
    return [QualityMetricsRow.from_record(row) for row in rows]

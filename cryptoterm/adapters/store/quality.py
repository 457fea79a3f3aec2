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
from cryptoterm.ports.quality import QualityMetricsRow

QUALITY_TABLE = "quality_metrics"
QUALITY_PK = ("exchange", "symbol", "timeframe")


def quality_record(row: QualityMetricsRow) -> dict[str, Any]:
    """The row as the table's columns (`detail` serialised to `detail_json`)."""
    record = {f.name: getattr(row, f.name) for f in dataclasses.fields(row) if f.name != "detail"}
    record["detail_json"] = json.dumps(dict(row.detail), sort_keys=True, allow_nan=False)
    return record


def quality_row(record: Mapping[str, Any]) -> QualityMetricsRow:
    """Build from a table row (a dict with the column names)."""
    values = {f.name: record[f.name] for f in dataclasses.fields(QualityMetricsRow) if f.name != "detail"}
    detail = json.loads(record.get("detail_json") or "{}")
    return QualityMetricsRow(**values, detail=detail)


def upsert_quality_metrics(db: Database, rows: Sequence[QualityMetricsRow]) -> int:
    """Insert or replace the rows (inside the caller's transaction when there is one); returns the count."""
    for row in rows:
        check_series_key(row.exchange, row.symbol, row.timeframe)
    if not rows:
        return 0
    db.table(QUALITY_TABLE).upsert_all([quality_record(row) for row in rows], pk=QUALITY_PK)
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
    return [quality_row(row) for row in rows]

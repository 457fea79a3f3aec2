"""Market anomaly events: per-symbol return, volume and realized-volatility anomalies against a trailing robust
baseline (`robust`), grouped so that a move most of the market makes is one market event (`detector`)."""

from __future__ import annotations

from cryptoterm.domain.anomaly.detector import (
    MARKET_MOVE_Z,
    METRICS,
    AnomalyEvent,
    AnomalyParams,
    SharedMoves,
    SymbolMetrics,
    attention,
    events_at,
    find_anomalies,
    measure,
    shared_moves,
)
from cryptoterm.domain.anomaly.robust import centred_zscores, history_needed, last_zscore, trailing_zscores

__all__ = [
    "MARKET_MOVE_Z",
    "METRICS",
    "AnomalyEvent",
    "AnomalyParams",
    "SharedMoves",
    "SymbolMetrics",
    "attention",
    "centred_zscores",
    "events_at",
    "find_anomalies",
    "history_needed",
    "last_zscore",
    "measure",
    "shared_moves",
    "trailing_zscores",
]

"""The hedge of a pair as the newest stored screen measured it (`pair_results` of the latest session that tested
y ~ x): what a z-score alert reads so its z is the screener's watched-pair z-score, not a refit of its own."""

from __future__ import annotations

import math

from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.domain.alerts.checks import PairHedge

_SQL = """
SELECT r.session_id, r.spread_hedge, r.beta_ols, r.alpha_ols, r.beta_kalman, r.alpha_kalman, r.beta_huber,
       r.alpha_huber, r.spread_mean, r.spread_std
FROM pair_results r
WHERE r.y = ? AND r.x = ?
ORDER BY r.session_id DESC
LIMIT 1
"""


class StoredPairHedges:
    """`lookup(y, x)` → the newest screen's `PairHedge` of y on x, or None (never screened, or unusable)."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def lookup(self, y: str, x: str) -> PairHedge | None:
        with self._store.reader() as db:
            row = db.execute(_SQL, (y, x)).fetchone()
        if row is None:
            return None
        session, hedge, b_ols, a_ols, b_kal, a_kal, b_hub, a_hub, mean, std = row
        beta, alpha = {"ols": (b_ols, a_ols), "kalman": (b_kal, a_kal), "huber": (b_hub, a_hub)}.get(
            str(hedge), (b_ols, a_ols)
        )
        values = [beta, alpha, mean, std]
        if any(v is None or not math.isfinite(float(v)) for v in values) or not float(std) > 0:
            return None
        return PairHedge(float(beta), float(alpha), float(mean), float(std), f"screen #{int(session)}, {hedge}")

"""Pairs positions in the SQLite store (`pair_positions`): the spec a bot trades and where it stands, per account.

The legs' orders, fills and positions are ordinary rows of `orders` / `fills` / `positions` carrying the pair's
id; this table holds only what ties them into one trade.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from sqlite_utils import Database

from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.domain.trading.pair_trade import PairSpec, PairStatus

log = logging.getLogger(__name__)

_COLUMNS = (
    "pair_id, y, x, hedge, beta, alpha, spread_mean, spread_std, entry_z, exit_z, stop_z, notional, state, direction,"
    " opened_ms, closed_ms, opened_z, closed_z, exit_reason, trades"
)


class PairPositionsRepo:
    """The `PairPositionStore` port over a `SqliteStore`."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def pair_positions(self, account: str, *, active_only: bool = True) -> list[tuple[PairSpec, PairStatus]]:
        where = "WHERE account = ? AND state != 'closed'" if active_only else "WHERE account = ?"
        with self._store.reader() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM pair_positions {where} ORDER BY created_ms", (account,))
            return [_pair(row) for row in rows.fetchall()]

    def save_pair(self, account: str, spec: PairSpec, status: PairStatus, created_ms: int) -> Future[None]:
        values = (
            account, spec.pair_id, spec.y, spec.x, spec.hedge, spec.beta, spec.alpha, spec.mean, spec.std,
            spec.entry_z, spec.exit_z, spec.stop_z, spec.notional, status.state, status.direction, status.opened_ms,
            status.closed_ms, status.opened_z, status.closed_z, status.exit_reason, status.trades, created_ms,
        )  # fmt: skip

        def write(db: Database) -> None:
            db.execute(
                f"INSERT INTO pair_positions (account, {_COLUMNS}, created_ms) VALUES ({', '.join('?' * 22)})"
                " ON CONFLICT (account, pair_id) DO UPDATE SET state = excluded.state,"
                " direction = excluded.direction, opened_ms = excluded.opened_ms, closed_ms = excluded.closed_ms,"
                " opened_z = excluded.opened_z, closed_z = excluded.closed_z, exit_reason = excluded.exit_reason,"
                " trades = excluded.trades, notional = excluded.notional",
                values,
            )

        future = self._store.writer.submit(write, what="pairs position")
        future.add_done_callback(_log_failure)
        return future


def _log_failure(future: Future[None]) -> None:
    exc = future.exception()
    if exc is not None:
        log.error("storing a pairs position failed: %s", exc)


def _pair(row: Sequence[Any]) -> tuple[PairSpec, PairStatus]:
    spec = PairSpec(*row[:12])
    status = PairStatus(row[12], row[13], row[14], row[15], row[16], row[17], row[18], row[19])
    return spec, status

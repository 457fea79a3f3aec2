"""Rows of `symbols`: the markets an exchange listed the last time they were fetched.

Kept so the universe filter, symbol search and `--scan-once` work offline and start instantly; refreshed from
`HistorySource.markets()`. A market the exchange stopped listing is kept with `active = 0` rather than deleted,
because stored candles and setups still refer to it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlite_utils import Database

from cryptoterm.domain.market import SymbolInfo

UPSERT_SYMBOLS_SQL = """
INSERT INTO symbols (exchange, symbol, base, quote, exchange_id, active, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (exchange, symbol) DO UPDATE SET
    base = excluded.base, quote = excluded.quote, exchange_id = excluded.exchange_id,
    active = excluded.active, updated_ms = excluded.updated_ms
"""


def replace_symbols(db: Database, exchange: str, markets: Sequence[SymbolInfo], updated_ms: int) -> int:
    """Store `markets` as the exchange's current listing inside the caller's transaction.

    Markets missing from the new listing are marked inactive. Returns how many markets were written.
    """
    if not exchange:
        raise ValueError("exchange must be a non-empty string")
    rows = [(exchange, m.symbol, m.base, m.quote, m.exchange_id, int(bool(m.active)), int(updated_ms)) for m in markets]
    conn = db.conn
    conn.executemany(UPSERT_SYMBOLS_SQL, rows)
    conn.execute(
        "UPDATE symbols SET active = 0, updated_ms = ? WHERE exchange = ? AND updated_ms < ? AND active = 1",
        (int(updated_ms), exchange, int(updated_ms)),
    )
    return len(rows)


def read_symbols(db: Database, exchange: str, *, active_only: bool = True) -> list[SymbolInfo]:
    """Stored markets of `exchange` in symbol order."""
    sql = "SELECT symbol, base, quote, exchange_id, active FROM symbols WHERE exchange = ?"
    if active_only:
        sql += " AND active = 1"
    rows = db.execute(sql + " ORDER BY symbol", (exchange,)).fetchall()
    return [
        SymbolInfo(symbol, base, quote, exchange_id, bool(active)) for symbol, base, quote, exchange_id, active in rows
    ]

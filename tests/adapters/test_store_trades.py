"""Recorded trades (`[store].record_trades`): in batches through the writer, once per exchange id, and every
trade of an exchange whose ids are not numbers (schema v3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cryptoterm.adapters.store import SqliteStore, open_database
from cryptoterm.adapters.store.migrations import MIGRATIONS, migrate_schema
from cryptoterm.domain.market import Trade

T0 = 1_723_161_600_000


def _trades(ids: list[int], symbol: str = "BTC/USDT") -> list[Trade]:
    return [Trade(symbol, T0 + i, 60_000.0 + i, 0.01, "buy", trade_id) for i, trade_id in enumerate(ids)]


def _rows(path: Path) -> list[tuple[str, int, int]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT symbol, trade_id, ts FROM trades ORDER BY symbol, ts").fetchall()


def test_trades_without_an_id_are_all_kept_and_trades_with_one_once(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    with SqliteStore(path, batch_ms=600_000) as store:
        store.submit_trades("kraken", _trades([0, 0, 0], "XBT/EUR"))  # ids that are not numbers: all kept
        store.submit_trades("binance", _trades([5, 6, 7]))
        store.submit_trades("binance", _trades([6, 7]))  # resent: ignored
        store.flush()
        assert store.writer.stats().queue_depth == 0
    rows = _rows(path)
    assert [r[1] for r in rows if r[0] == "XBT/EUR"] == [0, 0, 0]
    assert [r[1] for r in rows if r[0] == "BTC/USDT"] == [5, 6, 7]


def test_the_migration_keeps_trades_recorded_under_the_old_key(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = open_database(path, migrate=False)
    migrate_schema(db, str(path), MIGRATIONS[:2])
    db.execute("INSERT INTO trades VALUES ('binance', 'BTC/USDT', 9, 1, 2.0, 3.0, 'sell')")
    db.conn.commit()
    db.close()
    with SqliteStore(path) as store:
        store.submit_trades("binance", _trades([9, 10]))
        store.flush()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT trade_id, side FROM trades ORDER BY trade_id").fetchall() == [
            (9, "sell"),
            (10, "buy"),
        ]
        assert int(conn.execute("PRAGMA user_version").fetchone()[0]) == MIGRATIONS[-1].version

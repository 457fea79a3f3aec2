"""Backtests and their trades in the SQLite store (`backtests`, `backtest_trades`).

A backtest and every one of its trades are written in one transaction through the store's single writer, so
a killed process never leaves a run without its trades. Metrics, rules and the (downsampled) equity curve are
JSON columns: they are read back whole, never queried by field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from sqlite_utils import Database

from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.domain.backtest.trades import Trade
from cryptoterm.ports.backtests import BacktestRecord

_TRADE_COLUMNS = (
    "symbol, side, signal_ms, entry_ms, entry_price, exit_ms, exit_price, qty, fees, pnl, return_pct,"
    " r_multiple, reason, open"
)


def _json(value: object) -> str:
    """JSON with non-finite numbers as null (SQLite JSON and most readers refuse NaN / inf)."""

    def clean(item: Any) -> Any:
        if isinstance(item, float) and not math.isfinite(item):
            return None
        if isinstance(item, dict):
            return {k: clean(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [clean(v) for v in item]
        return item

    return json.dumps(clean(value), ensure_ascii=False, allow_nan=False)


class BacktestsRepo:
    """Repository over `backtests` and `backtest_trades`."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def save_backtest(
        self,
        *,
        created_ms: int,
        kind: str,
        label: str,
        strategy: str,
        toml: str,
        digest: str,
        exchange: str,
        timeframe: str,
        symbols: Sequence[str],
        since_ms: int | None,
        until_ms: int | None,
        rules: Mapping[str, object],
        metrics: Mapping[str, object],
        equity: Sequence[tuple[int, float]],
        errors: Sequence[str],
        trades: Sequence[Trade],
    ) -> int:
        row = (
            created_ms, kind, label, strategy, toml, digest, exchange, timeframe, _json(list(symbols)), since_ms,
            until_ms, _json(dict(rules)), _json(dict(metrics)), _json([list(p) for p in equity]), _json(list(errors)),
        )  # fmt: skip
        records = [
            (
                t.symbol,
                t.side,
                t.signal_time,
                t.entry_time,
                t.entry_price,
                t.exit_time,
                t.exit_price,
                t.qty,
                t.fees,
                t.pnl,
                t.return_pct,
                t.r_multiple,
                t.reason,
                int(t.open),
            )
            for t in trades
        ]

        def write(db: Database) -> int:
            cur = db.execute(
                "INSERT INTO backtests (created_ms, kind, label, strategy, strategy_toml, strategy_hash, exchange,"
                " timeframe, symbols_json, since_ms, until_ms, rules_json, metrics_json, equity_json, errors_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            backtest_id = int(cur.lastrowid or 0)
            db.conn.executemany(
                f"INSERT INTO backtest_trades (backtest_id, {_TRADE_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(backtest_id, *r) for r in records],
            )
            return backtest_id

        return self._store.writer.call(write, what="backtest")

    def backtests(self, limit: int = 50, strategy: str | None = None) -> list[BacktestRecord]:
        """The newest backtests first, of one strategy or all."""
        sql = (
            "SELECT id, created_ms, kind, label, strategy, strategy_hash, timeframe, symbols_json, since_ms,"
            " until_ms, metrics_json FROM backtests"
        )
        args: list[object] = []
        if strategy is not None:
            sql += " WHERE strategy = ?"
            args.append(strategy)
        with self._store.reader() as db:
            rows = db.execute(sql + " ORDER BY id DESC LIMIT ?", [*args, limit]).fetchall()
        return [
            BacktestRecord(
                int(r[0]),
                int(r[1]),
                str(r[2]),
                str(r[3]),
                str(r[4]),
                str(r[5]),
                str(r[6]),
                json.loads(r[7]),
                r[8],
                r[9],
                json.loads(r[10]),
            )
            for r in rows
        ]

    def backtest_equity(self, backtest_id: int) -> list[tuple[int, float]]:
        """A backtest's stored equity curve, oldest point first (empty when none was kept)."""
        with self._store.reader() as db:
            row = db.execute("SELECT equity_json FROM backtests WHERE id = ?", (backtest_id,)).fetchone()
        if row is None or not row[0]:
            return []
        return [(int(t), float(e)) for t, e in json.loads(row[0]) if e is not None]

    def backtest_trades(self, backtest_id: int) -> list[Trade]:
        """A backtest's trades in entry order."""
        with self._store.reader() as db:
            rows = db.execute(
                f"SELECT {_TRADE_COLUMNS} FROM backtest_trades WHERE backtest_id = ? ORDER BY entry_ms, id",
                (backtest_id,),
            ).fetchall()
        return [
            Trade(
                symbol=r[0],
                side=r[1],
                signal_time=r[2],
                entry_time=r[3],
                entry_price=r[4],
                exit_time=r[5],
                exit_price=r[6],
                qty=r[7],
                fees=r[8],
                pnl=r[9],
                return_pct=r[10],
                r_multiple=r[11],
                reason=r[12],
                open=bool(r[13]),
            )
            for r in rows
        ]

"""`cryptoterm export` reads and `cryptoterm import` writes, over the SQLite store.

Exports stream rows straight from a read-only connection (a year of 1m candles is half a million rows: they are
never all in memory). An import is one writer job: every series of every file is upserted inside one savepoint
of one transaction, so a failure anywhere leaves the file exactly as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.adapters.store.writes import UPSERT_CANDLES_SQL, candle_rows
from cryptoterm.domain.candle_files import SeriesRead
from cryptoterm.ports.data_io import ExportFilter, ExportKind, SeriesCount

#: (select list, table, time column, symbol column, timeframe column, exchange column, extra ISO columns)
_TABLES: dict[str, tuple[str, str, str, str, str, str]] = {
    "candles": (
        "open_time, open, high, low, close, volume, quote_volume, trades, symbol, timeframe, exchange",
        "candles", "open_time", "symbol", "timeframe", "exchange",
    ),
    "trades": ("ts, trade_id, price, qty, side, symbol, exchange", "trades", "ts", "symbol", "", "exchange"),
    "setups": (
        "id, strategy, symbol, timeframe, direction, state, entry, stop, targets_json, rr, size, risk, bar_time,"
        " created_ms, updated_ms, expires_ms, triggered_ms, closed_ms, exit_price, r_multiple",
        "setups", "created_ms", "symbol", "timeframe", "",
    ),
    "backtests": (
        "id, created_ms, kind, label, strategy, exchange, timeframe, symbols_json, since_ms, until_ms, metrics_json,"
        " (SELECT count(*) FROM backtest_trades t WHERE t.backtest_id = backtests.id) AS trade_count",
        "backtests", "created_ms", "", "timeframe", "exchange",
    ),
    "alerts": (
        "id, ts, alert_name, symbol, kind, price, value, status, attempts, error, test, title, message",
        "alert_events", "ts", "symbol", "", "",
    ),
    "journal": (
        "id, created_ms, updated_ms, account, strategy, symbol, direction, setup_id, order_id, position_key, notes,"
        " tags_json, outcome, pnl, risk, r_multiple, opened_ms, closed_ms",
        "journal", "created_ms", "symbol", "", "",
    ),
}  # fmt: skip
#: Columns holding epoch ms that also get an ISO twin (`open_time` → `open_time_iso`, `created_ms` → `created_iso`).
_TIME_COLUMNS = ("open_time", "ts", "bar_time", "created_ms", "updated_ms", "expires_ms", "triggered_ms",
                 "closed_ms", "since_ms", "until_ms", "opened_ms")  # fmt: skip
_JSON_COLUMNS = {"targets_json": "targets", "symbols_json": "symbols", "metrics_json": "metrics", "tags_json": "tags"}


def _iso(ms: Any) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _iso_name(column: str) -> str:
    return column.removesuffix("_ms") + "_iso"


def _names(select: str) -> list[str]:
    names: list[str] = []
    depth = 0
    current = ""
    for char in select:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += char
    names.append(current)
    return [name.strip().split()[-1] for name in names]


class StoreDataIO:
    """`TableExporter` and `CandleImporter` over one `SqliteStore`."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def columns(self, kind: ExportKind) -> list[str]:
        out: list[str] = []
        for name in _names(_TABLES[kind][0]):
            name = _JSON_COLUMNS.get(name, name)
            out.append(name)
            if name in _TIME_COLUMNS:
                out.append(_iso_name(name))
        return out

    def rows(self, kind: ExportKind, where: ExportFilter) -> Iterator[dict[str, Any]]:
        select, table, time_column, symbol_column, tf_column, exchange_column = _TABLES[kind]
        sql = f"SELECT {select} FROM {table} WHERE 1 = 1"
        args: list[Any] = []
        if exchange_column and kind != "backtests":
            sql += f" AND {exchange_column} = ?"
            args.append(where.exchange)
        if where.symbol:
            if symbol_column:
                sql += f" AND {symbol_column} = ?"
                args.append(where.symbol)
            elif kind == "backtests":
                sql += " AND EXISTS (SELECT 1 FROM json_each(symbols_json) WHERE value = ?)"
                args.append(where.symbol)
        if where.timeframe and tf_column:
            sql += f" AND {tf_column} = ?"
            args.append(where.timeframe)
        if where.since_ms is not None:
            sql += f" AND {time_column} >= ?"
            args.append(where.since_ms)
        if where.until_ms is not None:
            sql += f" AND {time_column} < ?"
            args.append(where.until_ms)
        order = (
            "symbol, timeframe, open_time"
            if kind == "candles"
            else f"{time_column}, rowid"
            if kind != "setups"
            else "id"
        )
        sql += f" ORDER BY {order}"
        names = _names(select)
        with self._store.reader() as db:
            cursor = db.execute(sql, args)
            while batch := cursor.fetchmany(2000):
                for values in batch:
                    yield self._row(names, values)

    @staticmethod
    def _row(names: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for name, value in zip(names, values, strict=True):
            if name in _JSON_COLUMNS:
                row[_JSON_COLUMNS[name]] = json.loads(value) if value else None
                continue
            if name == "test":
                value = bool(value)
            row[name] = value
            if name in _TIME_COLUMNS:
                row[_iso_name(name)] = _iso(value)
        return row

    def candle_counts(self, exchange: str) -> list[SeriesCount]:
        with self._store.reader() as db:
            rows = db.execute(
                "SELECT symbol, timeframe, count(*), min(open_time), max(open_time) FROM candles WHERE exchange = ?"
                " GROUP BY symbol, timeframe ORDER BY symbol, timeframe",
                (exchange,),
            ).fetchall()
        return [SeriesCount(str(s), str(t), int(n), int(a), int(b)) for s, t, n, a, b in rows]

    def import_series(self, exchange: str, series: Sequence[SeriesRead]) -> list[int]:
        prepared = [candle_rows(exchange, s.symbol, s.timeframe, s.candles) for s in series]

        def write(db: Database) -> list[int]:
            counts: list[int] = []
            for rows in prepared:
                before = db.conn.total_changes
                db.conn.executemany(UPSERT_CANDLES_SQL, rows)
                counts.append(db.conn.total_changes - before)
            return counts

        total = sum(len(rows) for rows in prepared)
        return self._store.writer.call(write, what=f"import of {total} candles")

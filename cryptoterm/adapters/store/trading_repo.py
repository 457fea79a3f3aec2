"""Orders, fills, positions and equity samples in the SQLite store (schema v6), per account.

Each market step's `Changes` is written as one job of the store's one writer, so a step's orders, fills,
positions and equity sample land together or not at all: a kill mid-step leaves the account as it was before
the step, never a fill without its order's new state. Writes are queued without waiting (the broker runs on the
event loop); a failed job is logged. Reads use the store's read-only connections.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from sqlite_utils import Database

from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.domain.trading.brackets import BracketPlan
from cryptoterm.domain.trading.guards import day_start_ms
from cryptoterm.domain.trading.orders import Fill, Order, OrderRequest, Position
from cryptoterm.domain.trading.paper_account import Changes
from cryptoterm.ports.trading import EquitySample, PositionRecord, StoredAccount

log = logging.getLogger(__name__)

_ORDER_COLUMNS = (
    "id, client_id, symbol, side, type, qty, price, stop_price, reduce_only, bracket_id, setup_id, pair_id, status,"
    " mode, created_ms, updated_ms, filled_qty, avg_fill_price, fees, reason, triggered, bracket_stop,"
    " bracket_targets_json"
)
_FILL_COLUMNS = "order_id, symbol, side, qty, price, fee, time_ms, liquidity, trade_id"
_POSITION_COLUMNS = "symbol, pair_id, opened_ms, qty, avg_price, realized_pnl, mode, closed_ms, updated_ms"
_OPEN = "('pending', 'open', 'partially_filled')"


class TradingRepo:
    """The `TradingStore` port over a `SqliteStore`."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    # -- writes ---------------------------------------------------------------------------------------------

    def submit_changes(self, account: str, changes: Changes, sample: EquitySample | None = None) -> Future[None]:
        def write(db: Database) -> None:
            for order in changes.orders.values():
                plan = changes.brackets.get(order.id)
                _upsert_order(db, account, order, order.id in changes.triggered, plan)
            db.conn.executemany(
                f"INSERT INTO fills (account, {_FILL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(account, *_fill_values(fill)) for fill in changes.fills],
            )
            for event in changes.positions:
                _upsert_position(db, account, event.position, event.closed_ms, event.time_ms)
            if sample is not None:
                _insert_sample(db, account, sample)

        rows = len(changes.orders) + len(changes.fills) + len(changes.positions) + 1
        return self._watch(self._store.writer.submit(write, rows=rows, what="paper trading"))

    def submit_equity(self, account: str, sample: EquitySample) -> Future[None]:
        return self._watch(
            self._store.writer.submit(lambda db: _insert_sample(db, account, sample), what="equity sample")
        )

    def reset_account(self, account: str) -> None:
        def write(db: Database) -> None:
            for table in ("orders", "fills", "positions", "equity", "pair_positions"):
                db.execute(f"DELETE FROM {table} WHERE account = ?", (account,))

        self._store.writer.call(write, what="paper account reset")

    @staticmethod
    def _watch(future: Future[None]) -> Future[None]:
        def done(f: Future[None]) -> None:
            exc = f.exception()
            if exc is not None:
                log.error("storing paper trading failed: %s", exc)

        future.add_done_callback(done)
        return future

    # -- reads ----------------------------------------------------------------------------------------------

    def load_account(self, account: str) -> StoredAccount:
        with self._store.reader() as db:
            positions = [
                record.position
                for record in _positions(db, "WHERE account = ? AND closed_ms IS NULL", (account,), limit=100_000)
            ]
            live_brackets = [
                row[0]
                for row in db.execute(
                    f"SELECT DISTINCT bracket_id FROM orders WHERE account = ? AND bracket_id IS NOT NULL"
                    f" AND status IN {_OPEN}",
                    (account,),
                )
            ]
            marks = ", ".join("?" for _ in live_brackets) or "NULL"
            rows = db.execute(
                f"SELECT {_ORDER_COLUMNS} FROM orders WHERE account = ? AND (status IN {_OPEN}"
                f" OR bracket_id IN ({marks})) ORDER BY created_ms, rowid",
                (account, *live_brackets),
            ).fetchall()
            orders = [_order(row) for row in rows]
            plans = [plan for row in rows if (plan := _plan(row)) is not None]
            triggered = [str(row[0]) for row in rows if row[20]]
            numbers = db.execute(
                "SELECT max(CAST(substr(id, 2) AS INTEGER)) FROM orders WHERE account = ? AND id LIKE 'P%'",
                (account,),
            ).fetchone()
            last_row = db.execute(
                "SELECT ts, equity, cash, unrealized FROM equity WHERE account = ? ORDER BY ts DESC LIMIT 1",
                (account,),
            ).fetchone()
            last = EquitySample(*last_row) if last_row else None
            day_start = None
            if last is not None:
                first = db.execute(
                    "SELECT ts, equity, cash, unrealized FROM equity WHERE account = ? AND ts >= ? ORDER BY ts LIMIT 1",
                    (account, day_start_ms(last.ts)),
                ).fetchone()
                day_start = EquitySample(*first) if first else None
            held = {p.symbol for p in positions}
            fill_marks = {
                str(symbol): float(price)
                for symbol, price in db.execute(
                    "SELECT symbol, price FROM fills WHERE id IN (SELECT max(id) FROM fills WHERE account = ?"
                    " GROUP BY symbol)",
                    (account,),
                )
                if symbol in held
            }
        return StoredAccount(
            positions=positions,
            orders=orders,
            plans=plans,
            triggered=triggered,
            last=last,
            day_start=day_start,
            last_order_number=int(numbers[0] or 0),
            marks=fill_marks,
        )

    def orders(self, account: str, *, open_only: bool = False, limit: int = 500) -> list[Order]:
        where = f"WHERE account = ? AND status IN {_OPEN}" if open_only else "WHERE account = ?"
        with self._store.reader() as db:
            rows = db.execute(
                f"SELECT {_ORDER_COLUMNS} FROM orders {where} ORDER BY updated_ms DESC, rowid DESC LIMIT ?",
                (account, limit),
            ).fetchall()
        return [_order(row) for row in rows]

    def order_by_client_id(self, account: str, client_id: str) -> Order | None:
        with self._store.reader() as db:
            row = db.execute(
                f"SELECT {_ORDER_COLUMNS} FROM orders WHERE account = ? AND client_id = ?", (account, client_id)
            ).fetchone()
        return _order(row) if row else None

    def order_by_id(self, account: str, order_id: str) -> Order | None:
        with self._store.reader() as db:
            row = db.execute(
                f"SELECT {_ORDER_COLUMNS} FROM orders WHERE account = ? AND id = ?", (account, order_id)
            ).fetchone()
        return _order(row) if row else None

    def fills(
        self, account: str, symbol: str | None = None, since_ms: int | None = None, limit: int = 1000
    ) -> list[Fill]:
        sql = f"SELECT {_FILL_COLUMNS} FROM fills WHERE account = ?"
        args: list[Any] = [account]
        if symbol is not None:
            sql += " AND symbol = ?"
            args.append(symbol)
        if since_ms is not None:
            sql += " AND time_ms >= ?"
            args.append(since_ms)
        with self._store.reader() as db:
            rows = db.execute(f"{sql} ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [_fill(row) for row in reversed(rows)]

    def positions(self, account: str, *, open_only: bool = True, limit: int = 500) -> list[PositionRecord]:
        where = "WHERE account = ? AND closed_ms IS NULL" if open_only else "WHERE account = ?"
        with self._store.reader() as db:
            return _positions(db, where, (account,), limit=limit)

    def equity_history(self, account: str, since_ms: int | None = None, limit: int = 10_000) -> list[EquitySample]:
        with self._store.reader() as db:
            rows = db.execute(
                "SELECT ts, equity, cash, unrealized FROM equity WHERE account = ? AND ts >= ? ORDER BY ts DESC"
                " LIMIT ?",
                (account, since_ms if since_ms is not None else -(2**62), limit),
            ).fetchall()
        return [EquitySample(*row) for row in reversed(rows)]

    def accounts(self) -> list[str]:
        with self._store.reader() as db:
            rows = db.execute("SELECT account FROM orders UNION SELECT account FROM equity ORDER BY 1").fetchall()
        return [str(row[0]) for row in rows]


def _upsert_order(db: Database, account: str, order: Order, triggered: bool, plan: BracketPlan | None) -> None:
    r = order.request
    db.execute(
        f"INSERT INTO orders (account, {_ORDER_COLUMNS}) VALUES ({', '.join('?' * 24)})"
        " ON CONFLICT (account, id) DO UPDATE SET qty = excluded.qty, status = excluded.status,"
        " created_ms = excluded.created_ms,"
        " updated_ms = excluded.updated_ms, filled_qty = excluded.filled_qty,"
        " avg_fill_price = excluded.avg_fill_price, fees = excluded.fees, reason = excluded.reason,"
        " triggered = max(orders.triggered, excluded.triggered)",
        (
            account,
            order.id,
            r.client_id,
            r.symbol,
            r.side,
            r.type,
            r.qty,
            r.price,
            r.stop_price,
            int(r.reduce_only),
            r.bracket_id,
            r.setup_id,
            r.pair_id,
            order.status,
            order.mode,
            order.created_ms,
            order.updated_ms,
            order.filled_qty,
            order.avg_fill_price,
            order.fees,
            order.reason,
            int(triggered),
            plan.stop if plan is not None else None,
            json.dumps([list(t) for t in plan.targets]) if plan is not None else None,
        ),
    )


def _order(row: Sequence[Any]) -> Order:
    request = OrderRequest(
        client_id=row[1],
        symbol=row[2],
        side=row[3],
        type=row[4],
        qty=row[5],
        price=row[6],
        stop_price=row[7],
        reduce_only=bool(row[8]),
        bracket_id=row[9],
        setup_id=row[10],
        pair_id=row[11],
    )
    return Order(
        id=row[0],
        request=request,
        status=row[12],
        mode=row[13],
        created_ms=row[14],
        updated_ms=row[15],
        filled_qty=row[16],
        avg_fill_price=row[17],
        fees=row[18],
        reason=row[19],
    )


def _plan(row: Sequence[Any]) -> BracketPlan | None:
    if row[21] is None or row[9] is None:
        return None
    targets = tuple((float(price), float(share)) for price, share in json.loads(row[22] or "[]"))
    return BracketPlan(row[9], row[0], float(row[21]), targets)


def _fill_values(fill: Fill) -> tuple[Any, ...]:
    return (
        fill.order_id,
        fill.symbol,
        fill.side,
        fill.qty,
        fill.price,
        fill.fee,
        fill.time_ms,
        fill.liquidity,
        fill.trade_id,
    )


def _fill(row: Sequence[Any]) -> Fill:
    return Fill(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8])


def _upsert_position(db: Database, account: str, position: Position, closed_ms: int | None, updated_ms: int) -> None:
    db.execute(
        f"INSERT INTO positions (account, {_POSITION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (account, symbol, pair_id, opened_ms) DO UPDATE SET qty = excluded.qty,"
        " avg_price = excluded.avg_price, realized_pnl = excluded.realized_pnl, closed_ms = excluded.closed_ms,"
        " updated_ms = excluded.updated_ms",
        (
            account,
            position.symbol,
            position.pair_id or "",
            position.opened_ms,
            position.qty,
            position.avg_price,
            position.realized_pnl,
            position.mode,
            closed_ms,
            updated_ms,
        ),
    )


def _positions(db: Database, where: str, args: tuple[Any, ...], *, limit: int) -> list[PositionRecord]:
    rows = db.execute(
        f"SELECT {_POSITION_COLUMNS} FROM positions {where} ORDER BY opened_ms DESC LIMIT ?", (*args, limit)
    ).fetchall()
    return [
        PositionRecord(Position(row[0], row[3], row[4], row[5], row[2], row[6], row[1] or None), row[7], row[8])
        for row in rows
    ]


def _insert_sample(db: Database, account: str, sample: EquitySample) -> None:
    db.execute(
        "INSERT OR REPLACE INTO equity (account, ts, equity, cash, unrealized) VALUES (?, ?, ?, ?, ?)",
        (account, sample.ts, sample.equity, sample.cash, sample.unrealized),
    )

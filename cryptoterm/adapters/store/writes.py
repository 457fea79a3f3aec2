"""The hot write statements: candle upserts and trade recording, as executemany over prepared tuples.

These run inside the writer's transaction and never commit themselves. They are hand-written SQL rather than
sqlite-utils' `upsert_all` because they run for every closed bar of every symbol: `upsert_all` builds a dict
per row and inspects the table on every call, several times slower on this path (bench/bench_store.py
measures both, and tests/adapters/test_store_candles.py proves they leave identical rows).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from sqlite_utils import Database

from cryptoterm.domain.market import Candle, Trade
from cryptoterm.domain.timeframes import timeframe_ms

CANDLE_FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume", "quote_volume", "trades")

# A corrected candle replaces the stored one; an identical one changes nothing (and is not counted as a change).
UPSERT_CANDLES_SQL = """
INSERT INTO candles (exchange, symbol, timeframe, open_time, open, high, low, close, volume, quote_volume, trades)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (exchange, symbol, timeframe, open_time) DO UPDATE SET
    open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
    volume = excluded.volume, quote_volume = excluded.quote_volume, trades = excluded.trades
WHERE open IS NOT excluded.open OR high IS NOT excluded.high OR low IS NOT excluded.low
    OR close IS NOT excluded.close OR volume IS NOT excluded.volume
    OR quote_volume IS NOT excluded.quote_volume OR trades IS NOT excluded.trades
"""

INSERT_TRADES_SQL = """
INSERT OR IGNORE INTO trades (exchange, symbol, trade_id, ts, price, qty, side) VALUES (?, ?, ?, ?, ?, ?, ?)
"""

CandleRow = tuple[str, str, str, int, float, float, float, float, float, float, int]


def candle_rows(exchange: str, symbol: str, timeframe: str, candles: Iterable[Candle]) -> list[CandleRow]:
    """Parameter tuples for `UPSERT_CANDLES_SQL`; forming (not closed) candles are left out.

    Raises ValueError naming the series, the candle's open time and the field when a value is not a finite
    number, so one bad bar from an exchange is reported precisely instead of as a constraint failure.
    """
    check_series_key(exchange, symbol, timeframe)
    rows: list[CandleRow] = []
    append = rows.append
    for candle in candles:
        if not candle.closed:
            continue
        try:
            row: CandleRow = (
                exchange,
                symbol,
                timeframe,
                int(candle.open_time),
                float(candle.open),
                float(candle.high),
                float(candle.low),
                float(candle.close),
                float(candle.volume),
                float(candle.quote_volume),
                int(candle.trades),
            )
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValueError(_bad_candle(exchange, symbol, timeframe, candle, exc)) from exc
        # One check per candle: a sum of finite values is finite (prices never approach 1e308).
        if not math.isfinite(row[4] + row[5] + row[6] + row[7] + row[8] + row[9]):
            raise ValueError(_bad_candle(exchange, symbol, timeframe, candle, None))
        append(row)
    return rows


def upsert_candles(db: Database, exchange: str, symbol: str, timeframe: str, candles: Sequence[Candle]) -> int:
    """Upsert closed candles inside the caller's transaction; returns how many rows were new or changed."""
    rows = candle_rows(exchange, symbol, timeframe, candles)
    if not rows:
        return 0
    conn = db.conn
    before = conn.total_changes
    conn.executemany(UPSERT_CANDLES_SQL, rows)
    return conn.total_changes - before


def insert_trades(db: Database, exchange: str, trades: Sequence[Trade]) -> int:
    """Record trades inside the caller's transaction, ignoring ones already stored; returns how many were new."""
    if not exchange:
        raise ValueError("exchange must be a non-empty string")
    rows = []
    for trade in trades:
        if trade.side not in ("buy", "sell"):
            raise ValueError(
                f"trade {trade.symbol} #{trade.trade_id}: side must be 'buy' or 'sell', got {trade.side!r}"
            )
        if not math.isfinite(float(trade.price) + float(trade.qty)):
            raise ValueError(f"trade {trade.symbol} #{trade.trade_id}: price and qty must be finite numbers")
        rows.append(
            (
                exchange,
                trade.symbol,
                int(trade.trade_id),
                int(trade.ts),
                float(trade.price),
                float(trade.qty),
                trade.side,
            )
        )
    if not rows:
        return 0
    conn = db.conn
    before = conn.total_changes
    conn.executemany(INSERT_TRADES_SQL, rows)
    return conn.total_changes - before


def check_series_key(exchange: str, symbol: str, timeframe: str) -> None:
    """Reject an empty exchange or symbol and an unknown timeframe before they reach the table."""
    if not exchange or not isinstance(exchange, str):
        raise ValueError(f"exchange must be a non-empty string, got {exchange!r}")
    if not symbol or not isinstance(symbol, str):
        raise ValueError(f"symbol must be a non-empty string, got {symbol!r}")
    timeframe_ms(timeframe)


def _bad_candle(exchange: str, symbol: str, timeframe: str, candle: Candle, exc: Exception | None) -> str:
    where = f"candle {exchange} {symbol} {timeframe} open_time={candle.open_time!r}"
    for name in CANDLE_FIELDS:
        value = getattr(candle, name)
        try:
            ok = math.isfinite(float(value))
        except (TypeError, ValueError, OverflowError):
            ok = False
        if not ok:
            return f"{where}: field {name!r} must be a finite number, got {value!r}"
    return f"{where}: {exc}" if exc else f"{where}: values must be finite numbers"

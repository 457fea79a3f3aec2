"""Version 3: recorded trades without an exchange id are all kept. Version 1 keyed `trades` by (exchange, symbol,
trade_id), so the trades of an exchange whose ids are not numbers (they are stored as 0) collapsed into one row per
symbol. Now only trades that carry an id are unique by it (a partial unique index); the rows are kept."""

SQL = """
CREATE TABLE trades_v3 (
    exchange TEXT NOT NULL,
    symbol TEXT NOT NULL,
    trade_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    price REAL NOT NULL,
    qty REAL NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('buy', 'sell'))
);
INSERT INTO trades_v3 (exchange, symbol, trade_id, ts, price, qty, side)
    SELECT exchange, symbol, trade_id, ts, price, qty, side FROM trades;
DROP TABLE trades;
ALTER TABLE trades_v3 RENAME TO trades;
CREATE UNIQUE INDEX trades_by_id ON trades (exchange, symbol, trade_id) WHERE trade_id > 0;
CREATE INDEX trades_by_time ON trades (exchange, symbol, ts);
"""

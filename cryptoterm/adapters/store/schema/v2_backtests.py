"""Version 2: backtests with their trades (and the strategy TOML that produced them); what a scan said about its data
(derived timeframes, stale series) beside its errors."""

SQL = """
ALTER TABLE scan_runs ADD COLUMN notes_json TEXT NOT NULL DEFAULT '[]';

CREATE TABLE backtests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_ms INTEGER NOT NULL,
    kind TEXT NOT NULL DEFAULT 'single',
    label TEXT NOT NULL DEFAULT '',
    strategy TEXT NOT NULL,
    strategy_toml TEXT NOT NULL,
    strategy_hash TEXT NOT NULL,
    exchange TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    symbols_json TEXT NOT NULL DEFAULT '[]',
    since_ms INTEGER,
    until_ms INTEGER,
    rules_json TEXT NOT NULL DEFAULT '{}',
    metrics_json TEXT NOT NULL DEFAULT '{}',
    equity_json TEXT NOT NULL DEFAULT '[]',
    errors_json TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX backtests_by_strategy ON backtests (strategy, created_ms);

CREATE TABLE backtest_trades (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    backtest_id INTEGER NOT NULL REFERENCES backtests (id) ON DELETE CASCADE,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    signal_ms INTEGER NOT NULL,
    entry_ms INTEGER NOT NULL,
    entry_price REAL NOT NULL,
    exit_ms INTEGER NOT NULL,
    exit_price REAL NOT NULL,
    qty REAL NOT NULL,
    fees REAL NOT NULL,
    pnl REAL NOT NULL,
    return_pct REAL NOT NULL,
    r_multiple REAL,
    reason TEXT NOT NULL,
    open INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX backtest_trades_by_backtest ON backtest_trades (backtest_id, entry_ms);
"""

"""Version 1: the initial schema."""

SQL = """
CREATE TABLE symbols (
    exchange TEXT NOT NULL,
    symbol TEXT NOT NULL,
    base TEXT NOT NULL,
    quote TEXT NOT NULL,
    exchange_id TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    updated_ms INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (exchange, symbol)
) WITHOUT ROWID;

CREATE TABLE candles (
    exchange TEXT NOT NULL,
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    open_time INTEGER NOT NULL,
    open REAL NOT NULL,
    high REAL NOT NULL,
    low REAL NOT NULL,
    close REAL NOT NULL,
    volume REAL NOT NULL,
    quote_volume REAL NOT NULL DEFAULT 0,
    trades INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (exchange, symbol, timeframe, open_time)
) WITHOUT ROWID;

CREATE TABLE trades (
    exchange TEXT NOT NULL,
    symbol TEXT NOT NULL,
    trade_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    price REAL NOT NULL,
    qty REAL NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    PRIMARY KEY (exchange, symbol, trade_id)
) WITHOUT ROWID;
CREATE INDEX trades_by_time ON trades (exchange, symbol, ts);

CREATE TABLE quality_metrics (
    exchange TEXT NOT NULL,
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    checked_ms INTEGER NOT NULL,
    bars INTEGER NOT NULL DEFAULT 0,
    gaps INTEGER NOT NULL DEFAULT 0,
    missing_bars INTEGER NOT NULL DEFAULT 0,
    outages INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    out_of_order INTEGER NOT NULL DEFAULT 0,
    ohlc_violations INTEGER NOT NULL DEFAULT 0,
    spikes INTEGER NOT NULL DEFAULT 0,
    stale_s REAL,
    score REAL,
    detail_json TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (exchange, symbol, timeframe)
) WITHOUT ROWID;

CREATE TABLE strategies (
    name TEXT PRIMARY KEY NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    toml TEXT NOT NULL DEFAULT '',
    hash TEXT NOT NULL DEFAULT '',
    enabled INTEGER NOT NULL DEFAULT 1,
    updated_ms INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE scan_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_ms INTEGER NOT NULL,
    finished_ms INTEGER,
    duration_ms INTEGER,
    origin TEXT NOT NULL DEFAULT '',
    strategies INTEGER NOT NULL DEFAULT 0,
    symbols INTEGER NOT NULL DEFAULT 0,
    hits INTEGER NOT NULL DEFAULT 0,
    new_setups INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    errors_json TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX scan_runs_by_start ON scan_runs (started_ms);

CREATE TABLE setups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    strategy TEXT NOT NULL,
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    direction TEXT NOT NULL,
    state TEXT NOT NULL,
    entry REAL,
    stop REAL,
    targets_json TEXT NOT NULL DEFAULT '[]',
    rr REAL,
    size REAL,
    risk REAL,
    bar_time INTEGER,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    expires_ms INTEGER,
    triggered_ms INTEGER,
    closed_ms INTEGER,
    exit_price REAL,
    r_multiple REAL,
    conditions_json TEXT NOT NULL DEFAULT '{}',
    scan_run_id INTEGER REFERENCES scan_runs (id) ON DELETE SET NULL
);
CREATE INDEX setups_by_key ON setups (strategy, symbol, direction, state);
CREATE INDEX setups_by_state ON setups (state, updated_ms);

CREATE TABLE setup_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    setup_id INTEGER NOT NULL REFERENCES setups (id) ON DELETE CASCADE,
    ts INTEGER NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    price REAL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX setup_events_by_setup ON setup_events (setup_id, ts);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,
    event TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    delivered INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX notifications_by_time ON notifications (ts);

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL DEFAULT '',
    symbol TEXT NOT NULL,
    timeframe TEXT NOT NULL DEFAULT '1m',
    kind TEXT NOT NULL,
    condition TEXT NOT NULL,
    params_json TEXT NOT NULL DEFAULT '{}',
    enabled INTEGER NOT NULL DEFAULT 1,
    once INTEGER NOT NULL DEFAULT 1,
    cooldown_s REAL NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    last_fired_ms INTEGER,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alerts_by_symbol ON alerts (symbol, enabled);

CREATE TABLE alert_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    ts INTEGER NOT NULL,
    symbol TEXT NOT NULL,
    price REAL,
    value REAL,
    message TEXT NOT NULL DEFAULT '',
    delivered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alert_events_by_alert ON alert_events (alert_id, ts);
"""

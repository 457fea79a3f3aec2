"""Version 4: alert rules, their firings and every delivery attempt of a firing; market anomaly events. The alert
tables of version 1 were never written: they are replaced by ones keyed by rule name (a rule from the config and its
history meet again after a restart), with the state a rule keeps between runs."""

SQL = """
DROP TABLE alert_events;
DROP TABLE alerts;

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    origin TEXT NOT NULL CHECK (origin IN ('config', 'user')),
    symbol TEXT NOT NULL DEFAULT '',
    when_text TEXT NOT NULL,
    kind TEXT NOT NULL,
    timeframe TEXT NOT NULL DEFAULT '',
    cooldown_ms INTEGER NOT NULL DEFAULT 0,
    once INTEGER NOT NULL DEFAULT 0,
    expires_ms INTEGER,
    enabled INTEGER NOT NULL DEFAULT 1,
    tags_json TEXT NOT NULL DEFAULT '[]',
    message TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    last_fired_ms INTEGER,
    fired INTEGER NOT NULL DEFAULT 0,
    retired_ms INTEGER
);

CREATE TABLE alert_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id INTEGER REFERENCES alerts (id) ON DELETE SET NULL,
    alert_name TEXT NOT NULL,
    ts INTEGER NOT NULL,
    symbol TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    price REAL,
    value REAL,
    title TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    values_json TEXT NOT NULL DEFAULT '{}',
    test INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'no_channel')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    read INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alert_events_by_time ON alert_events (ts);
CREATE INDEX alert_events_by_alert ON alert_events (alert_id, ts);

CREATE TABLE alert_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL REFERENCES alert_events (id) ON DELETE CASCADE,
    ts INTEGER NOT NULL,
    channel TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    delivered INTEGER NOT NULL,
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alert_deliveries_by_event ON alert_deliveries (event_id, attempt);

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,
    exchange TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('symbol', 'market')),
    symbol TEXT NOT NULL DEFAULT '',
    timeframe TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
    zscore REAL NOT NULL,
    value REAL,
    symbols_json TEXT NOT NULL DEFAULT '[]',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX events_by_key ON events (exchange, scope, symbol, timeframe, kind, ts);
CREATE INDEX events_by_time ON events (ts);
"""

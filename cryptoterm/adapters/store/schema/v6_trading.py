"""Version 6: trading — orders, fills, positions and equity history of each account; pairs positions; the journal.

Every trading row carries its `account` ("paper:<exchange>" for the paper broker of a market, so paper trades on
the simulated market, a replay and the live market never mix). An order row holds its request and its state;
the entry of a bracket also holds the bracket's stop and targets, so a restart rebuilds the bracket from the
rows alone. A position row is one position's life, from its first fill (`opened_ms`) to the fill that closed
it (`closed_ms`); `pair_id` is '' outside a pairs trade. `equity` is sampled (each minute and at every fill), not
written per tick.
"""

SQL = """
CREATE TABLE orders (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    type TEXT NOT NULL CHECK (type IN ('market', 'limit', 'stop', 'stop_limit')),
    qty REAL NOT NULL,
    price REAL,
    stop_price REAL,
    reduce_only INTEGER NOT NULL DEFAULT 0,
    bracket_id TEXT,
    setup_id INTEGER,
    pair_id TEXT,
    status TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('paper', 'live')),
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    filled_qty REAL NOT NULL DEFAULT 0,
    avg_fill_price REAL,
    fees REAL NOT NULL DEFAULT 0,
    reason TEXT,
    triggered INTEGER NOT NULL DEFAULT 0,
    bracket_stop REAL,
    bracket_targets_json TEXT,
    PRIMARY KEY (account, id),
    UNIQUE (account, client_id)
);
CREATE INDEX orders_by_status ON orders (account, status);
CREATE INDEX orders_by_bracket ON orders (account, bracket_id);
CREATE INDEX orders_by_time ON orders (account, updated_ms);

CREATE TABLE fills (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    order_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    qty REAL NOT NULL,
    price REAL NOT NULL,
    fee REAL NOT NULL,
    time_ms INTEGER NOT NULL,
    liquidity TEXT NOT NULL CHECK (liquidity IN ('maker', 'taker')),
    trade_id TEXT
);
CREATE INDEX fills_by_time ON fills (account, time_ms);
CREATE INDEX fills_by_order ON fills (account, order_id);

CREATE TABLE positions (
    account TEXT NOT NULL,
    symbol TEXT NOT NULL,
    pair_id TEXT NOT NULL DEFAULT '',
    opened_ms INTEGER NOT NULL,
    qty REAL NOT NULL,
    avg_price REAL NOT NULL,
    realized_pnl REAL NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('paper', 'live')),
    closed_ms INTEGER,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (account, symbol, pair_id, opened_ms)
);
CREATE INDEX positions_open ON positions (account, closed_ms);

CREATE TABLE equity (
    account TEXT NOT NULL,
    ts INTEGER NOT NULL,
    equity REAL NOT NULL,
    cash REAL NOT NULL,
    unrealized REAL NOT NULL,
    PRIMARY KEY (account, ts)
);

CREATE TABLE pair_positions (
    account TEXT NOT NULL,
    pair_id TEXT NOT NULL,
    y TEXT NOT NULL,
    x TEXT NOT NULL,
    hedge TEXT NOT NULL,
    beta REAL NOT NULL,
    alpha REAL NOT NULL,
    spread_mean REAL NOT NULL,
    spread_std REAL NOT NULL,
    entry_z REAL NOT NULL,
    exit_z REAL NOT NULL,
    stop_z REAL NOT NULL,
    notional REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('watching', 'open', 'closed')),
    direction INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    opened_ms INTEGER,
    closed_ms INTEGER,
    opened_z REAL,
    closed_z REAL,
    exit_reason TEXT NOT NULL DEFAULT '',
    trades INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, pair_id)
);

CREATE TABLE journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    strategy TEXT NOT NULL DEFAULT '',
    symbol TEXT NOT NULL DEFAULT '',
    direction TEXT NOT NULL DEFAULT '' CHECK (direction IN ('', 'long', 'short')),
    setup_id INTEGER,
    order_id TEXT,
    position_key TEXT,
    notes TEXT NOT NULL DEFAULT '',
    tags_json TEXT NOT NULL DEFAULT '[]',
    outcome TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'open', 'win', 'loss', 'breakeven')),
    pnl REAL,
    risk REAL,
    r_multiple REAL,
    opened_ms INTEGER,
    closed_ms INTEGER
);
CREATE INDEX journal_by_time ON journal (created_ms);
CREATE INDEX journal_by_setup ON journal (setup_id);
"""

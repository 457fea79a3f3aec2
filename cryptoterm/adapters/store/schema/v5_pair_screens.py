"""Version 5: pair screens. A session is the universe, window and parameters of one screen; each of its pairs keeps
every statistic (REAL columns: NaN is stored as NULL, infinities as they are), so sessions can be reopened and
compared."""

SQL = """
CREATE TABLE screening_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_ms INTEGER NOT NULL,
    exchange TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    since_ms INTEGER,
    until_ms INTEGER,
    first_ms INTEGER NOT NULL,
    last_ms INTEGER NOT NULL,
    n_bars INTEGER NOT NULL,
    symbols_json TEXT NOT NULL DEFAULT '[]',
    requested_json TEXT NOT NULL DEFAULT '[]',
    dropped_json TEXT NOT NULL DEFAULT '[]',
    params_json TEXT NOT NULL DEFAULT '{}',
    pair_count INTEGER NOT NULL,
    executor TEXT NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL DEFAULT 0,
    errors_json TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX screening_sessions_by_time ON screening_sessions (created_ms);

CREATE TABLE pair_results (
    session_id INTEGER NOT NULL REFERENCES screening_sessions (id) ON DELETE CASCADE,
    y TEXT NOT NULL,
    x TEXT NOT NULL,
    n_bars INTEGER NOT NULL,
    eg_t REAL,
    eg_p REAL,
    eg_lag INTEGER NOT NULL,
    eg_t_rev REAL,
    eg_p_rev REAL,
    eg_lag_rev INTEGER NOT NULL,
    eg_crit_1 REAL,
    eg_crit_5 REAL,
    eg_crit_10 REAL,
    p_adj REAL,
    p_bonferroni REAL,
    eg_t_first_half REAL,
    eg_p_first_half REAL,
    eg_t_second_half REAL,
    eg_p_second_half REAL,
    corr REAL,
    corr_spearman REAL,
    beta_ols REAL,
    alpha_ols REAL,
    beta_kalman REAL,
    alpha_kalman REAL,
    beta_huber REAL,
    alpha_huber REAL,
    spread_hedge TEXT NOT NULL,
    spread_mean REAL,
    spread_std REAL,
    zscore REAL,
    adf_t REAL,
    adf_p REAL,
    adf_lag INTEGER NOT NULL,
    adf_crit_1 REAL,
    adf_crit_5 REAL,
    adf_crit_10 REAL,
    hurst REAL,
    half_life REAL,
    crossings INTEGER NOT NULL,
    PRIMARY KEY (session_id, y, x)
) WITHOUT ROWID;
CREATE INDEX pair_results_by_p_adj ON pair_results (session_id, p_adj);
"""

"""z-score alerts read a pair's hedge from the newest stored screen that tested it, under the hedge that screen
used for its spread; pairs never screened, or with an unusable spread, have none."""

from __future__ import annotations

from pathlib import Path

from cryptoterm.adapters.store import SqliteStore
from cryptoterm.adapters.store.pair_hedges import StoredPairHedges


def _screen(store: SqliteStore, hedge: str, beta_ols: float, beta_huber: float, std: float) -> None:
    def write(db: object) -> None:
        cur = db.execute(  # type: ignore[attr-defined]
            "INSERT INTO screening_sessions (created_ms, exchange, timeframe, first_ms, last_ms, n_bars, pair_count)"
            " VALUES (1, 'binance', '1h', 0, 1, 500, 1)"
        )
        db.execute(  # type: ignore[attr-defined]
            "INSERT INTO pair_results (session_id, y, x, n_bars, eg_lag, eg_lag_rev, spread_hedge, adf_lag, crossings,"
            " beta_ols, alpha_ols, beta_huber, alpha_huber, spread_mean, spread_std)"
            " VALUES (?, 'ETH/USDT', 'BTC/USDT', 500, 1, 1, ?, 1, 10, ?, 0.1, ?, 0.2, 0.0, ?)",
            (cur.lastrowid, hedge, beta_ols, beta_huber, std),
        )

    store.writer.call(write)


def test_the_newest_screen_of_the_pair_under_its_spread_hedge(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "a.db", batch_ms=0) as store:
        hedges = StoredPairHedges(store)
        assert hedges.lookup("ETH/USDT", "BTC/USDT") is None
        _screen(store, "ols", 0.9, 0.7, 0.02)
        _screen(store, "huber", 0.9, 0.7, 0.03)
        found = hedges.lookup("ETH/USDT", "BTC/USDT")
        assert found is not None
        assert (found.beta, found.alpha, found.std, found.source) == (0.7, 0.2, 0.03, "screen #2, huber")
        assert hedges.lookup("BTC/USDT", "ETH/USDT") is None  # the other regression was not screened
        _screen(store, "ols", 0.9, 0.7, 0.0)
        assert hedges.lookup("ETH/USDT", "BTC/USDT") is None  # a flat spread has no z-score

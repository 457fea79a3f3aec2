"""The screener service on real stored klines: what it reads, screens, stores and reopens."""

from __future__ import annotations

import math
import sqlite3
import threading
from pathlib import Path

import msgspec
import numpy as np
import pytest

from cryptoterm.adapters.store.screening_repo import PAIR_COLUMNS, ScreeningRepo
from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.domain.pairs import DetailParams, PairResult, ScreenParams, SymbolBars, align_closes, screen_universe
from cryptoterm.ports.compute import ComputeCancelled, InlineExecutor
from cryptoterm.services.screener import Screener, ScreenError, ScreenRequest, ranked, screen_symbols
from tests.domain.test_pairs_screen import assert_same_results
from tests.services.test_scanner_data import EXCHANGE, seed

BASES = ["BTC", "ETH", "LTC", "BCH", "XMR"]
SYMBOLS = tuple(f"{b}/USDT" for b in BASES)


@pytest.fixture
def store(tmp_path: Path, shared_data: Path) -> SqliteStore:
    with SqliteStore(tmp_path / "screen.db", batch_ms=0) as opened:
        seed(opened, shared_data, BASES, bars=700)
        yield opened


def _screener(store: SqliteStore) -> Screener:
    return Screener(store, EXCHANGE, InlineExecutor(), ScreeningRepo(store), now_ms=lambda: 1_700_000_000_000)


def test_a_screen_equals_the_domain_screen_of_the_stored_closes(store: SqliteStore) -> None:
    request = ScreenRequest(SYMBOLS, "1h", bars=600, min_bars=300, chunk_pairs=4)
    stages: list[tuple[str, int, int]] = []
    run = _screener(store).run(request, progress=lambda *p: stages.append(p))
    assert run.n_bars == 600 and set(run.symbols) == set(SYMBOLS)
    assert len(run.results) == 10 and all(r.y < r.x for r in run.results)
    assert [s for s in stages if s[0] == "read"][-1] == ("read", 5, 5)
    assert stages[-1][0] == "screen" and stages[-1][1] == stages[-1][2] > 1
    universe = []
    for symbol in SYMBOLS:
        frame = store.read_candles_frame(EXCHANGE, symbol, "1h", limit=600)
        close = frame["close"].to_numpy()
        universe.append(SymbolBars(symbol, frame.index.to_numpy(), close, close * frame["volume"].to_numpy()))
    reference = ranked(screen_universe(align_closes(universe, 300), ScreenParams()))
    assert_same_results(run.results, reference)
    p_adj = [r.p_adj for r in run.results]
    assert p_adj == sorted(p_adj)


def test_the_session_is_stored_with_every_statistic_and_reopens_equal(store: SqliteStore) -> None:
    request = ScreenRequest((*SYMBOLS, "NOPE/USDT"), "1h", bars=500, min_bars=300)
    screener = _screener(store)
    run = screener.run(request)
    assert run.errors == ("NOPE/USDT: no 1h candles stored on binance",)
    assert run.session_id is not None
    repo = ScreeningRepo(store)
    session = repo.screening_session(run.session_id)
    assert session is not None
    assert session.symbols == list(run.symbols) and session.requested == list(request.symbols)
    assert (session.first_ms, session.last_ms, session.n_bars) == (
        int(run.aligned.open_time[0]),
        int(run.aligned.open_time[-1]),
        500,
    )
    assert session.params["bars"] == 500 and session.params["spread_hedge"] == "ols"
    assert session.params["kalman"] == {"observation_variance": 1e-3, "beta_variance": 1e-7, "intercept_variance": 1e-7}
    assert session.pair_count == 10 and session.errors == list(run.errors)
    assert session.executor == "inline" and session.created_ms == 1_700_000_000_000
    assert repo.pair_results(run.session_id) == list(run.results)
    # A later screen with other parameters is a second session beside the first, to compare with it.
    later = screener.run(
        ScreenRequest(SYMBOLS, "1h", bars=400, min_bars=300, params=ScreenParams(spread_hedge="huber"))
    )
    assert [s.id for s in repo.screening_sessions()] == [later.session_id, run.session_id]
    assert {r.spread_hedge for r in repo.pair_results(later.session_id or 0)} == {"huber"}


def test_non_finite_statistics_round_trip_and_every_field_has_a_column(tmp_path: Path) -> None:
    fields = msgspec.structs.fields(PairResult)
    values: dict[str, object] = {}
    for number, f in enumerate(fields):
        values[f.name] = {str: f"S{number}/USDT", int: number}.get(f.type, float(number) + 0.25)  # type: ignore[call-overload]
    values.update(y="A/USDT", x="B/USDT", spread_hedge="ols", half_life=math.inf, eg_t=-math.inf, hurst=math.nan)
    result = PairResult(**values)  # type: ignore[arg-type]
    with SqliteStore(tmp_path / "r.db", batch_ms=0) as store:
        repo = ScreeningRepo(store)
        session_id = repo.save_screening(
            created_ms=1, exchange="x", timeframe="1h", since_ms=None, until_ms=None, first_ms=0, last_ms=1,
            n_bars=2, symbols=["A/USDT", "B/USDT"], requested=[], dropped=[], params={}, executor="inline",
            duration_ms=0, errors=[], results=[result],
        )  # fmt: skip
        (back,) = repo.pair_results(session_id)
    assert back.half_life == math.inf and back.eg_t == -math.inf and math.isnan(back.hurst)
    assert msgspec.structs.replace(back, hurst=0.0) == msgspec.structs.replace(result, hurst=0.0)
    with sqlite3.connect(tmp_path / "r.db") as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(pair_results)")]
    assert columns == ["session_id", *PAIR_COLUMNS]


def test_cancel_and_a_universe_too_small(store: SqliteStore) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ComputeCancelled):
        _screener(store).run(ScreenRequest(SYMBOLS, "1h", bars=300, min_bars=300), cancel=cancel)
    with pytest.raises(ScreenError, match="fewer than 2 symbols with 300 common 1h bars: NOPE/USDT: no 1h candles"):
        _screener(store).run(ScreenRequest(("BTC/USDT", "NOPE/USDT"), "1h", bars=300, min_bars=300))
    with pytest.raises(ScreenError, match="short history"):
        _screener(store).run(ScreenRequest(SYMBOLS[:2], "1h", bars=5000, min_bars=5000))
    assert ScreeningRepo(store).screening_sessions() == []


def test_a_timeframe_not_stored_is_derived_and_said(store: SqliteStore) -> None:
    run = _screener(store).run(ScreenRequest(SYMBOLS[:3], "4h", bars=150, min_bars=100), save=False)
    assert run.n_bars == 150 - 1 or run.n_bars >= 100
    assert any("4h derived from 1h" in note for note in run.notes)
    assert run.session_id is None


def test_the_universe_and_the_pair_detail(store: SqliteStore) -> None:
    assert screen_symbols(store, EXCHANGE, "1h") == sorted(SYMBOLS)
    top = screen_symbols(store, EXCHANGE, "1h", top=2)
    assert len(top) == 2 and "BTC/USDT" in top
    screener = _screener(store)
    run = screener.run(ScreenRequest(SYMBOLS, "1h", bars=400, min_bars=300), save=False)
    best = run.results[0]
    closes = screener.pair_closes(best.y, best.x, "1h", int(run.aligned.open_time[0]), int(run.aligned.open_time[-1]))
    assert closes.symbols == (best.y, best.x) and closes.open_time.size == 400
    detail = screener.detail(closes, best.y, best.x, DetailParams())
    ols = detail.hedges[0]
    assert ols.name == "ols" and ols.beta == pytest.approx(best.beta_ols, rel=1e-12)
    assert ols.zscore == pytest.approx(best.zscore, rel=1e-9)
    np.testing.assert_allclose(detail.relative_y[0], 1.0)

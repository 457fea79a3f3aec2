"""Screening a universe: every field of every pair is the statistic it names, whatever the chunking."""

from __future__ import annotations

import pickle
from pathlib import Path

import msgspec
import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests
from statsmodels.tsa.stattools import adfuller, coint

from cryptoterm.domain.pairs import (
    AlignedCloses,
    KalmanParams,
    PairResult,
    ScreenParams,
    combine_chunks,
    half_life,
    hurst_exponent,
    kalman_hedge,
    mean_crossings,
    pair_chunks,
    screen_chunk,
    screen_universe,
)
from tests.domain.test_pairs_alignment import real_log_closes

SYMBOLS = ("LTCUSDT", "BTCUSDT", "ETHUSDT", "BCHUSDT", "ETCUSDT", "XMRUSDT")
BARS = 1_200


@pytest.fixture(scope="module")
def aligned(shared_data: Path) -> AlignedCloses:
    return real_log_closes(shared_data, BARS, SYMBOLS)


@pytest.fixture(scope="module")
def results(aligned: AlignedCloses) -> dict[tuple[str, str], PairResult]:
    return {(r.y, r.x): r for r in screen_universe(aligned, ScreenParams())}


def assert_same_results(
    ours: list[PairResult] | tuple[PairResult, ...], theirs: list[PairResult] | tuple[PairResult, ...]
) -> None:
    """Equal pairs: names, counts and lags exactly, statistics to rounding (1e-12 relative or absolute).

    How pairs are grouped into chunks changes the order in which BLAS sums a chunk's cross products, so a
    statistic may move in its last bits; nothing else may change.
    """
    assert len(ours) == len(theirs)
    for mine, other in zip(
        sorted(ours, key=lambda r: (r.y, r.x)), sorted(theirs, key=lambda r: (r.y, r.x)), strict=True
    ):
        for item in msgspec.structs.fields(PairResult):
            a, b = getattr(mine, item.name), getattr(other, item.name)
            if isinstance(a, float):
                assert a == pytest.approx(b, rel=1e-12, abs=1e-12, nan_ok=True), (mine.y, mine.x, item.name)
            else:
                assert a == b, (mine.y, mine.x, item.name)


def _legs(aligned: AlignedCloses, result: PairResult) -> tuple[np.ndarray, np.ndarray]:
    return (
        aligned.log_close[:, aligned.symbols.index(result.y)],
        aligned.log_close[:, aligned.symbols.index(result.x)],
    )


@pytest.mark.shared
def test_every_pair_once_with_y_the_symbol_that_sorts_first(results: dict[tuple[str, str], PairResult]) -> None:
    assert len(results) == 15
    assert all(y < x for y, x in results)
    assert {s for pair in results for s in pair} == set(SYMBOLS)
    assert all(r.n_bars == BARS for r in results.values())


@pytest.mark.shared
def test_tests_and_hedges_are_the_statsmodels_values(
    aligned: AlignedCloses, results: dict[tuple[str, str], PairResult]
) -> None:
    for key in [("BTCUSDT", "ETHUSDT"), ("BCHUSDT", "LTCUSDT"), ("ETCUSDT", "XMRUSDT")]:
        result = results[key]
        y, x = _legs(aligned, result)
        t, p, crit = coint(y, x)
        t_rev, p_rev, _ = coint(x, y)
        assert (result.eg_t, result.eg_p) == (pytest.approx(t, abs=1e-8), pytest.approx(p, abs=1e-6))
        assert (result.eg_t_rev, result.eg_p_rev) == (pytest.approx(t_rev, abs=1e-8), pytest.approx(p_rev, abs=1e-6))
        np.testing.assert_allclose([result.eg_crit_1, result.eg_crit_5, result.eg_crit_10], crit)
        half = BARS // 2
        assert result.eg_t_first_half == pytest.approx(coint(y[:half], x[:half])[0], abs=1e-8)
        assert result.eg_p_second_half == pytest.approx(coint(y[half:], x[half:])[1], abs=1e-6)
        assert result.corr == pytest.approx(np.corrcoef(np.diff(y), np.diff(x))[0, 1], abs=1e-12)
        ols = sm.OLS(y, sm.add_constant(x)).fit()
        assert (result.alpha_ols, result.beta_ols) == (pytest.approx(ols.params[0]), pytest.approx(ols.params[1]))
        huber = sm.RLM(y, sm.add_constant(x), M=sm.robust.norms.HuberT()).fit()
        assert result.beta_huber == pytest.approx(huber.params[1], rel=1e-9)
        kalman = kalman_hedge(y[None], x[None], KalmanParams())
        assert result.beta_kalman == kalman.beta[0] and result.alpha_kalman == kalman.alpha[0]
        spread = ols.resid
        adf = adfuller(spread, result_object=True)
        assert (result.adf_t, result.adf_p) == (pytest.approx(adf.statistic, abs=1e-8), pytest.approx(adf.pvalue))
        assert result.adf_crit_5 == pytest.approx(adf.critical_values["5%"])
        assert result.zscore == pytest.approx((spread[-1] - spread.mean()) / spread.std(ddof=1), rel=1e-9)
        assert result.spread_std == pytest.approx(spread.std(ddof=1), rel=1e-12)
        assert result.hurst == pytest.approx(hurst_exponent(spread[None])[0], rel=1e-9)
        assert result.half_life == pytest.approx(half_life(spread[None])[0], rel=1e-9)
        assert result.crossings == mean_crossings(spread[None])[0]


@pytest.mark.shared
def test_adjusted_p_values_are_over_the_whole_screen(results: dict[tuple[str, str], PairResult]) -> None:
    rows = list(results.values())
    raw = np.array([r.eg_p for r in rows])
    np.testing.assert_allclose([r.p_adj for r in rows], multipletests(raw, method="fdr_bh")[1], rtol=1e-15)
    np.testing.assert_allclose([r.p_bonferroni for r in rows], multipletests(raw, method="bonferroni")[1])


@pytest.mark.shared
def test_chunking_and_chunk_order_change_nothing(aligned: AlignedCloses) -> None:
    params = ScreenParams()
    whole = screen_universe(aligned, params, pair_chunks(aligned.symbols, 1_000))
    chunks = pair_chunks(aligned.symbols, 4)
    assert [len(c) for c in chunks] == [4, 4, 4, 3]
    parts = [screen_chunk(aligned.log_close, chunk, params) for chunk in reversed(chunks)]
    # What a worker process would send back: a pickled chunk arrives equal.
    parts = [pickle.loads(pickle.dumps(part)) for part in parts]
    shuffled = combine_chunks(aligned.symbols, parts, params)
    assert_same_results(shuffled, whole)
    # The same chunks in another order are the same to the bit (nothing depends on what ran before).
    again = combine_chunks(aligned.symbols, [screen_chunk(aligned.log_close, c, params) for c in chunks], params)
    assert sorted(again, key=lambda r: (r.y, r.x)) == sorted(shuffled, key=lambda r: (r.y, r.x))


@pytest.mark.shared
def test_results_encode_as_json_lines_and_round_trip_through_msgpack(
    results: dict[tuple[str, str], PairResult],
) -> None:
    rows = list(results.values())
    lines = [msgspec.json.decode(msgspec.json.encode(r)) for r in rows]
    for key in ("y", "x", "eg_t", "eg_p", "eg_t_rev", "eg_p_rev", "p_adj", "corr", "hurst", "half_life"):
        assert key in lines[0]
    for key in ("beta_ols", "beta_kalman", "beta_huber", "zscore", "n_bars"):
        assert key in lines[0]
    # A spread that never reverts has an infinite half-life: JSON has no infinity, so it is null there.
    never = [(row, line) for row, line in zip(rows, lines, strict=True) if row.half_life == np.inf]
    assert never and all(line["half_life"] is None for _, line in never)
    assert [msgspec.msgpack.decode(msgspec.msgpack.encode(r), type=PairResult) for r in rows] == rows


@pytest.mark.shared
def test_family_of_both_directions_and_the_huber_spread(aligned: AlignedCloses) -> None:
    params = ScreenParams(family_pvalue="both", spread_hedge="huber")
    rows = screen_universe(aligned, params)
    family = np.array([max(r.eg_p, r.eg_p_rev) for r in rows])
    np.testing.assert_allclose([r.p_adj for r in rows], multipletests(family, method="fdr_bh")[1], rtol=1e-15)
    row = rows[0]
    y, x = _legs(aligned, row)
    spread = y - (row.alpha_huber + row.beta_huber * x)
    assert row.spread_hedge == "huber"
    assert row.zscore == pytest.approx((spread[-1] - spread.mean()) / spread.std(ddof=1), rel=1e-9)
    assert row.adf_t == pytest.approx(adfuller(spread, result_object=True).statistic, abs=1e-8)


@pytest.mark.shared
def test_a_fixed_lag_applies_to_the_whole_window_and_both_halves(aligned: AlignedCloses) -> None:
    params = ScreenParams(maxlag=4, autolag=None)
    row = screen_universe(aligned, params, [pair_chunks(aligned.symbols)[0][:1]])[0]
    y, x = _legs(aligned, row)
    half = BARS // 2
    assert row.eg_t == pytest.approx(coint(y, x, maxlag=4, autolag=None)[0], abs=1e-8)
    assert row.eg_lag == row.eg_lag_rev == 4
    assert row.eg_t_first_half == pytest.approx(coint(y[:half], x[:half], maxlag=4, autolag=None)[0], abs=1e-8)
    assert row.eg_t_second_half == pytest.approx(coint(y[half:], x[half:], maxlag=4, autolag=None)[0], abs=1e-8)


def test_parameters_and_windows_that_cannot_work_are_refused() -> None:
    with pytest.raises(ValueError, match="spread_hedge must be 'ols', 'kalman' or 'huber', got 'median'"):
        ScreenParams(spread_hedge="median")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="family_pvalue must be 'forward' or 'both'"):
        ScreenParams(family_pvalue="min")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="maxlag must be ≥ 0"):
        ScreenParams(maxlag=-1)
    with pytest.raises(ValueError, match="at least 50 common bars, got 30"):
        screen_chunk(np.zeros((30, 2)), np.array([[0, 1]]), ScreenParams())
    with pytest.raises(ValueError, match="chunk_size must be at least 1"):
        pair_chunks(["A", "B"], 0)
    assert combine_chunks(["A"], [], ScreenParams()) == ()


def test_tasks_are_sized_by_the_bars_and_cover_every_pair_once() -> None:
    from cryptoterm.domain.pairs import auto_chunk_pairs, block_pairs

    assert auto_chunk_pairs(1_000) == 1_198 and auto_chunk_pairs(19_600) == 61
    assert auto_chunk_pairs(10) == 4_096 and auto_chunk_pairs(10_000_000) == 16
    symbols = [f"S{i:02d}" for i in range(23)]
    groups = block_pairs(symbols, 25)
    pairs = [tuple(p) for g in groups for p in g.tolist()]
    assert len(pairs) == len(set(pairs)) == 23 * 22 // 2
    assert all(symbols[y] < symbols[x] for y, x in pairs)
    assert max(len(g) for g in groups) <= 25 and max(len(set(g.ravel().tolist())) for g in groups) <= 10

"""Aligning a universe on common bars: filters, the report of what was dropped, and no filled bars.

`real_universe` (real Binance 1h klines from ../shared/data) is shared by the other pair-statistics tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cryptoterm.domain.pairs import AlignedCloses, DroppedSymbol, SymbolBars, align_closes

HOUR = 3_600_000
#: Symbols of the reference tests: majors, mid caps and a thin one, so pairs range from tight to unrelated.
SYMBOLS = ("BTCUSDT", "ETHUSDT", "BNBUSDT", "LTCUSDT", "BCHUSDT", "ETCUSDT", "XMRUSDT", "DOGEUSDT")


def real_universe(shared_data: Path, symbols: tuple[str, ...] = SYMBOLS) -> list[SymbolBars]:
    """Each symbol's real 1h klines; quote volume is close × base volume (the files carry base volume)."""
    universe = []
    for symbol in symbols:
        frame = pd.read_csv(shared_data / "klines" / "1h" / f"{symbol}-1h.csv.gz")
        close = frame["close"].to_numpy(np.float64)
        universe.append(
            SymbolBars(symbol, frame["open_time"].to_numpy(np.int64), close, close * frame["volume"].to_numpy())
        )
    return universe


def real_log_closes(shared_data: Path, bars: int, symbols: tuple[str, ...] = SYMBOLS) -> AlignedCloses:
    """The last `bars` common bars of `symbols`, aligned."""
    aligned = align_closes(real_universe(shared_data, symbols), min_bars=bars)
    return AlignedCloses(aligned.symbols, aligned.open_time[-bars:], aligned.log_close[-bars:], aligned.report)


def bars(symbol: str, hours: list[int], close: float = 100.0, volume: float = 1e6) -> SymbolBars:
    times = np.array(hours, dtype=np.int64) * HOUR
    closes = close * np.exp(np.linspace(0.0, 0.1, len(hours)))
    return SymbolBars(symbol, times, closes, np.full(len(hours), volume))


def test_common_bars_only_and_the_values_are_the_original_closes() -> None:
    a = bars("A/USDT", list(range(10)))
    b = bars("B/USDT", [h for h in range(10) if h not in (3, 7)])
    aligned = align_closes([a, b], min_bars=5)
    assert aligned.symbols == ("A/USDT", "B/USDT")
    assert (aligned.open_time == np.array([0, 1, 2, 4, 5, 6, 8, 9]) * HOUR).all()
    keep = np.isin(a.open_time, aligned.open_time)
    np.testing.assert_array_equal(aligned.log_close[:, 0], np.log(a.close[keep]))
    np.testing.assert_array_equal(aligned.log_close[:, 1], np.log(b.close))
    assert (aligned.report.dropped_times == np.array([3, 7]) * HOUR).all()
    assert aligned.report.missing_by_symbol == (("B/USDT", 2),)
    assert aligned.report.dropped_symbols == ()


def test_invalid_closes_are_dropped_and_counted_not_filled() -> None:
    a = bars("A/USDT", list(range(8)))
    close = a.close.copy()
    close[2], close[5] = np.nan, 0.0
    a = SymbolBars(a.symbol, a.open_time, close, a.quote_volume)
    aligned = align_closes([a, bars("B/USDT", list(range(8)))], min_bars=4)
    assert aligned.report.invalid_closes == (("A/USDT", 2),)
    assert list(aligned.open_time // HOUR) == [0, 1, 3, 4, 6, 7]
    assert np.isfinite(aligned.log_close).all()


def test_illiquid_and_short_symbols_are_dropped_with_the_numbers() -> None:
    universe = [
        bars("A/USDT", list(range(20))),
        bars("THIN/USDT", list(range(20)), volume=10.0),
        bars("NEW/USDT", list(range(15, 20))),
    ]
    aligned = align_closes(universe, min_bars=10, min_quote_volume=1_000.0)
    assert aligned.symbols == ("A/USDT",)
    reasons = {d.symbol: (d.reason, d.detail) for d in aligned.report.dropped_symbols}
    assert reasons["THIN/USDT"] == ("illiquid", "median quote volume 10 a bar < 1,000")
    assert reasons["NEW/USDT"] == ("short history", "5 bars < 10")


def test_a_symbol_that_would_cut_the_common_window_below_min_bars_is_dropped() -> None:
    """EARLY and LATE each have enough bars, but together they share 4: the tie goes to the name, EARLY leaves."""
    universe = [
        bars("A/USDT", list(range(30))),
        bars("EARLY/USDT", list(range(17))),
        bars("LATE/USDT", list(range(13, 30))),
    ]
    aligned = align_closes(universe, min_bars=15)
    assert aligned.symbols == ("A/USDT", "LATE/USDT")
    assert list(aligned.open_time // HOUR) == list(range(13, 30))
    [dropped] = aligned.report.dropped_symbols
    assert dropped == DroppedSymbol("EARLY/USDT", "no common bars", "with it the universe shares 4 bars < 15")
    assert aligned.report.missing_by_symbol == (("LATE/USDT", 13),)


def test_duplicate_open_times_keep_the_last_bar_and_unsorted_input_is_sorted() -> None:
    times = np.array([2, 0, 1, 1], dtype=np.int64) * HOUR
    a = SymbolBars("A/USDT", times, np.array([3.0, 1.0, 2.0, 2.5]), np.ones(4))
    aligned = align_closes([a, bars("B/USDT", [0, 1, 2])], min_bars=3)
    np.testing.assert_allclose(np.exp(aligned.log_close[:, 0]), [1.0, 2.5, 3.0])


def test_bad_arguments_name_the_problem() -> None:
    with pytest.raises(ValueError, match="A/USDT: open_time, close and quote_volume differ in length"):
        SymbolBars("A/USDT", np.arange(3), np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="symbols listed twice: A/USDT"):
        align_closes([bars("A/USDT", [0, 1]), bars("A/USDT", [0, 1])], min_bars=2)
    with pytest.raises(ValueError, match="min_bars must be at least 2"):
        align_closes([bars("A/USDT", [0, 1])], min_bars=1)


def test_real_klines_share_their_outages_and_report_the_odd_bar(shared_data: Path) -> None:
    """BTC and ETH start an hour before the others: that bar is reported, the common bars are the rest."""
    universe = real_universe(shared_data)
    aligned = align_closes(universe, min_bars=10_000, min_quote_volume=0.0)
    assert aligned.symbols == SYMBOLS
    assert aligned.log_close.shape == (19_599, len(SYMBOLS))
    assert list(aligned.report.dropped_times) == [1_617_566_400_000]
    assert dict(aligned.report.missing_by_symbol) == {s: 1 for s in SYMBOLS if s not in ("BTCUSDT", "ETHUSDT")}
    assert np.isfinite(aligned.log_close).all() and (np.diff(aligned.open_time) >= HOUR).all()

"""Movers from ticker samples: 1 h change and volume surge estimated from the rolling 24 h figures, 24 h surge
once a day of samples exists, memory bounded by thinning."""

from __future__ import annotations

import math

import pytest

from cryptoterm.domain.market import TickerStats
from cryptoterm.domain.movers import DAY_MS, HOUR_MS, KEEP_MS, TickerHistory, window_volume_surge

T0 = 1_723_161_600_000


def _ticker(symbol: str, last: float, volume: float, open_24h: float = 100.0) -> TickerStats:
    return TickerStats(symbol, 0, last, open_24h, last, last, 1.0, volume)


def test_one_hour_change_and_surge_against_the_sample_an_hour_ago() -> None:
    history = TickerHistory()
    history.add(T0, [_ticker("A/USDT", 100, 24e6), _ticker("B/USDT", 50, 24e6), _ticker("C/USDT", 10, 24e6)])
    # one hour later: A +5 % on a hot hour (rolling volume +3M), B -10 % on an ordinary one, C flat
    history.add(T0 + HOUR_MS, [_ticker("A/USDT", 105, 27e6), _ticker("B/USDT", 45, 24e6), _ticker("C/USDT", 10, 24e6)])
    board = history.board("1h")
    assert board.span_ms == HOUR_MS and board.samples == 2
    assert [m.symbol for m in board.gainers] == ["A/USDT"]
    assert [m.symbol for m in board.losers] == ["B/USDT"]
    assert board.gainers[0].change_pct == pytest.approx(5.0)
    # A: window volume ≈ 27M - 24M + 24M/24 = 4M, against 27M/24 an hour: surge 4 / 1.125
    a = board.gainers[0]
    assert a.quote_volume == pytest.approx(4e6)
    assert a.surge == pytest.approx(4e6 / (27e6 / 24))
    assert [m.symbol for m in board.surges] == ["A/USDT"]  # C's and B's ordinary hours are no surge
    c = history.board("1h", ["C/USDT"])
    assert c.surges == () and c.gainers == c.losers == ()
    assert window_volume_surge(24e6, 24e6, HOUR_MS)[1] == pytest.approx(1.0)  # an ordinary hour is 1×


def test_the_reference_is_the_sample_nearest_an_hour_ago_and_the_span_says_how_far_back() -> None:
    history = TickerHistory()
    for minute, price in ((0, 100.0), (20, 101.0), (58, 102.0), (80, 110.0)):
        history.add(T0 + minute * 60_000, [_ticker("A/USDT", price, 1e6)])
    board = history.board("1h")
    assert board.span_ms == 60 * 60_000  # 80 - 20: the sample nearest 20 minutes in
    assert board.gainers[0].change_pct == pytest.approx((110 / 101 - 1) * 100)
    short = TickerHistory()
    short.add(T0, [_ticker("A/USDT", 100, 1e6)])
    short.add(T0 + 5 * 60_000, [_ticker("A/USDT", 101, 1e6)])
    assert short.board("1h").span_ms == 5 * 60_000


def test_24h_change_is_the_tickers_own_and_the_surge_needs_a_day_of_samples() -> None:
    history = TickerHistory()
    history.add(T0, [_ticker("A/USDT", 100, 10e6, open_24h=90)])
    history.add(T0 + HOUR_MS, [_ticker("A/USDT", 120, 12e6, open_24h=100)])
    board = history.board("24h")
    assert board.gainers[0].change_pct == pytest.approx(20.0)
    assert board.surges == ()  # an hour of samples says nothing of yesterday
    for hour in range(2, 25):
        history.add(T0 + hour * HOUR_MS, [_ticker("A/USDT", 120, 10e6 + hour * 1e6, open_24h=100)])
    board = history.board("24h")
    assert board.surges[0].surge == pytest.approx(34e6 / 10e6)


def test_samples_are_thinned_to_fine_minutes_and_hourly_up_to_a_day() -> None:
    history = TickerHistory()
    minutes = 3 * 24 * 60
    for minute in range(0, minutes, 1):
        history.add(T0 + minute * 60_000, [_ticker("A/USDT", 100 + minute % 7, 1e6)])
    # 65 fine minutes plus one sample an hour over the rest of KEEP_MS
    assert history.samples <= 66 + KEEP_MS // HOUR_MS + 1
    assert history.board("1h").span_ms == HOUR_MS


def test_filters_and_unknown_values_and_the_estimator_edges() -> None:
    history = TickerHistory()
    history.add(T0, [_ticker("A/USDT", 100, 1e5), _ticker("B/USDT", float("nan"), 1e9)])
    history.add(T0 + HOUR_MS, [_ticker("A/USDT", 90, 1e5), _ticker("B/USDT", float("nan"), 1e9)])
    assert [m.symbol for m in history.board("1h").losers] == ["A/USDT"]
    assert history.board("1h", min_quote_volume=1e6).losers == ()
    assert history.board("1h", ["B/USDT"]).losers == ()
    assert all(math.isnan(v) for v in window_volume_surge(float("nan"), 1.0, HOUR_MS))
    assert window_volume_surge(1e6, 2e6, DAY_MS // 24)[0] == 0.0  # never a negative volume
    assert TickerHistory().board("24h").samples == 0

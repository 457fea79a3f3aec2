"""The trade-id watermark: duplicates dropped, and one id far too high cannot drop the trades after it."""

from __future__ import annotations

from cryptoterm.adapters.trade_dedup import TradeDeduper
from cryptoterm.domain.market import Trade

T0 = 1_723_161_600_000


def trade(trade_id: int, ts: int, symbol: str = "BTC/USDT") -> Trade:
    return Trade(symbol, ts, 61_000.0, 0.1, "buy", trade_id)


def test_resent_trades_are_duplicates_per_symbol() -> None:
    dedup = TradeDeduper("test")
    first = [trade(i, T0 + i) for i in range(1, 6)]
    assert [dedup.is_new(t) for t in first] == [True] * 5
    assert [dedup.is_new(t) for t in first[2:]] == [False] * 3  # a reconnect resends the last three
    assert dedup.is_new(trade(3, T0 + 3, "ETH/USDT"))  # another symbol's ids are its own
    assert dedup.is_new(trade(6, T0 + 6)) and dedup.duplicates == 3 and dedup.rebased == 0


def test_an_id_far_too_high_is_corrected_by_the_next_newer_trade() -> None:
    dedup = TradeDeduper("test")
    assert dedup.is_new(trade(100, T0))
    assert dedup.is_new(trade(10**15, T0 + 1))  # looks like a trade: delivered
    assert not dedup.is_new(trade(101, T0 + 1))  # same millisecond: cannot tell it from a resend
    assert dedup.is_new(trade(102, T0 + 2))  # newer than the watermark trade, lower id: the id was wrong
    assert dedup.is_new(trade(103, T0 + 3)) and dedup.rebased == 1
    assert not dedup.is_new(trade(10**15, T0 + 1))  # resent after a reconnect: not delivered twice
    assert not dedup.is_new(trade(102, T0 + 2))
    assert dedup.is_new(trade(104, T0 + 4))


def test_trades_without_an_exchange_id_are_never_duplicates() -> None:
    dedup = TradeDeduper("test")
    assert all(dedup.is_new(trade(0, T0)) for _ in range(3))

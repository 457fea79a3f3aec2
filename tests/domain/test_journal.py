"""Journal entries and their statistics, checked against figures worked out by hand."""

from __future__ import annotations

import pytest

from cryptoterm.domain.journal.entries import (
    JournalEntry,
    JournalError,
    check_entry,
    from_order,
    from_position,
    from_setup,
    outcome_of,
    parse_tags,
)
from cryptoterm.domain.journal.stats import MANUAL, R_BUCKETS, UNTAGGED, journal_stats, r_bucket
from cryptoterm.domain.setups import Setup
from cryptoterm.domain.trading.orders import Order, OrderRequest, Position

H = 3_600_000


def entry(
    strategy: str, outcome: str, r: float | None, pnl: float | None, hours: float | None, *tags: str
) -> JournalEntry:
    closed = int(hours * H) if hours is not None else None
    return JournalEntry(
        created_ms=0, strategy=strategy, tags=tags, outcome=outcome, r_multiple=r, pnl=pnl,  # type: ignore[arg-type]
        opened_ms=0 if hours is not None else None, closed_ms=closed,
    )  # fmt: skip


ENTRIES = [
    entry("rsi", "win", 2.0, 200.0, 4, "breakout"),
    entry("rsi", "loss", -1.0, -100.0, 2, "breakout", "news"),
    entry("rsi", "win", 3.5, 350.0, 10),
    entry("rsi", "breakeven", 0.0, 0.0, 1, "news"),
    entry("rsi", "open", None, 40.0, None, "breakout"),  # held: counted, not judged
    entry("ema", "loss", -2.5, -250.0, 6, "news"),
    entry("ema", "win", 1.2, 120.0, 3),
    entry("", "loss", None, -30.0, None),  # a manual trade without a known risk
]


def test_statistics_by_strategy_match_the_hand_calculation() -> None:
    ema, rsi, manual = journal_stats(ENTRIES, "strategy")
    assert (rsi.key, rsi.entries, rsi.decided, rsi.wins, rsi.losses, rsi.breakeven) == ("rsi", 5, 4, 2, 1, 1)
    assert rsi.win_rate == pytest.approx(2 / 4)
    assert rsi.expectancy_r == pytest.approx((2.0 - 1.0 + 3.5 + 0.0) / 4)  # 1.125 R
    assert rsi.expectancy_pnl == pytest.approx((200 - 100 + 350 + 0) / 4)
    assert rsi.total_pnl == pytest.approx(450.0)
    assert rsi.avg_hold_ms == pytest.approx((4 + 2 + 10 + 1) / 4 * H)
    # R buckets: -1 → [-1, 0); 0 → [0, 1); 2 → [2, 3); 3.5 → ≥ 3
    assert dict(zip(R_BUCKETS, rsi.r_counts, strict=True)) == {
        "< -2R": 0, "-2R..-1R": 0, "-1R..0R": 1, "0R..1R": 1, "1R..2R": 0, "2R..3R": 1, ">= 3R": 1,
    }  # fmt: skip
    assert (ema.key, ema.win_rate, ema.expectancy_r) == ("ema", 0.5, pytest.approx((-2.5 + 1.2) / 2))
    assert ema.r_counts[0] == 1 and ema.r_counts[4] == 1
    assert (manual.key, manual.win_rate, manual.expectancy_r, manual.expectancy_pnl) == (MANUAL, 0.0, None, -30.0)
    assert manual.avg_hold_ms is None


def test_statistics_by_tag_count_an_entry_in_each_of_its_tags() -> None:
    breakout, news, untagged = journal_stats(ENTRIES, "tag")
    assert (breakout.key, breakout.entries, breakout.decided, breakout.wins) == ("breakout", 3, 2, 1)
    assert breakout.expectancy_r == pytest.approx((2.0 - 1.0) / 2)
    assert (news.key, news.decided, news.wins, news.losses, news.breakeven) == ("news", 3, 0, 2, 1)
    assert news.win_rate == 0.0 and news.expectancy_r == pytest.approx((-1.0 + 0.0 - 2.5) / 3)
    assert news.avg_hold_ms == pytest.approx((2 + 1 + 6) / 3 * H)
    assert (untagged.key, untagged.entries) == (UNTAGGED, 3)
    assert untagged.expectancy_pnl == pytest.approx((350 + 120 - 30) / 3)


def test_r_buckets_are_left_closed() -> None:
    assert [r_bucket(r) for r in (-3.0, -2.0, -1.5, -1.0, -0.01, 0.0, 0.99, 1.0, 2.0, 2.99, 3.0, 10.0)] == [
        0, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6,
    ]  # fmt: skip


def test_tags_are_normalised_and_bad_ones_named() -> None:
    assert parse_tags("Breakout, #news  late-entry,news") == ("breakout", "news", "late-entry")
    assert parse_tags("") == ()
    with pytest.raises(JournalError, match=r"tag '!fomo': use 1-32 letters"):
        parse_tags("ok !fomo")


def test_outcome_and_r_follow_the_profit() -> None:
    assert [outcome_of(p) for p in (5.0, -1.0, 0.0, None)] == ["win", "loss", "breakeven", ""]
    assert outcome_of(5.0, held=True) == "open"
    checked = check_entry(JournalEntry(created_ms=1, pnl=-50.0, risk=100.0, outcome="loss"))
    assert checked.r_multiple == pytest.approx(-0.5)
    with pytest.raises(JournalError, match=r"risk must be positive, got -1\.0"):
        check_entry(JournalEntry(created_ms=1, risk=-1.0))
    with pytest.raises(JournalError, match="outcome 'great'"):
        check_entry(JournalEntry(created_ms=1, outcome="great"))  # type: ignore[arg-type]


def test_entries_from_a_setup_an_order_and_a_position() -> None:
    setup = Setup(
        strategy="rsi-pullback", symbol="BTC/USDT", timeframe="1h", direction="long", entry=100.0, stop=95.0,
        targets=(110.0,), size=20.0, risk=100.0, bar_time=0, created_ms=0, expires_ms=10 * H, zone_low=97.5,
        zone_high=102.5, state="closed_target", triggered_ms=H, closed_ms=5 * H, exit_price=110.0, r_multiple=2.0,
        id=42,
    )  # fmt: skip
    from_s = from_setup(setup, 9)
    assert (from_s.strategy, from_s.setup_id, from_s.outcome, from_s.r_multiple, from_s.pnl) == (
        "rsi-pullback", 42, "win", 2.0, 200.0,
    )  # fmt: skip
    assert from_s.hold_ms == 4 * H
    order = Order(
        "P7", OrderRequest("c", "ETH/USDT", "sell", "limit", 1.0, price=3000.0, setup_id=5), "open", "paper", 3, 3
    )
    from_o = from_order(order, 9, strategy="ema")
    assert (from_o.symbol, from_o.direction, from_o.setup_id, from_o.order_id, from_o.strategy) == (
        "ETH/USDT", "short", 5, "P7", "ema",
    )  # fmt: skip
    held = Position("SOL/USDT", 10.0, 20.0, -0.2, 100, "paper")
    from_p = from_position(held, 9, mark=21.0, risk=10.0)
    assert (from_p.outcome, from_p.pnl, from_p.r_multiple, from_p.position_key) == (
        "open", pytest.approx(9.8), pytest.approx(0.98), "SOL/USDT||100",
    )  # fmt: skip
    closed = from_position(Position("SOL/USDT", -10.0, 20.0, 15.0, 100, "paper", "pair-1"), 9, closed_ms=100 + H)
    assert (closed.outcome, closed.direction, closed.hold_ms, closed.position_key) == (
        "win", "short", H, "SOL/USDT|pair-1|100",
    )  # fmt: skip

"""The journal over a real store: entries drafted from a setup, an order and a paper position, stored with notes
and tags, summed up by strategy and tag, and exported like the other tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptoterm.adapters.store import SqliteStore
from cryptoterm.adapters.store.data_io import StoreDataIO
from cryptoterm.adapters.store.journal_repo import JournalRepo
from cryptoterm.adapters.store.setups_repo import SetupsRepo
from cryptoterm.adapters.store.trading_repo import TradingRepo
from cryptoterm.domain.journal.entries import JournalError
from cryptoterm.domain.market import Trade
from cryptoterm.domain.setups import Setup
from cryptoterm.domain.trading.guards import GuardLimits
from cryptoterm.domain.trading.matching import MarketView
from cryptoterm.domain.trading.orders import OrderRequest
from cryptoterm.domain.trading.paper_account import PaperTerms
from cryptoterm.ports.data_io import ExportFilter
from cryptoterm.services.journal import Journal
from cryptoterm.services.paper_broker import PaperBroker, PaperSettings

T0 = 1_723_161_600_000
H = 3_600_000


def _setup() -> Setup:
    return Setup(
        strategy="rsi-pullback", symbol="BTC/USDT", timeframe="1h", direction="long", entry=60_000.0, stop=59_000.0,
        targets=(62_000.0,), size=0.01, risk=10.0, bar_time=T0 - H, created_ms=T0, expires_ms=T0 + 10 * H,
        zone_low=59_500.0, zone_high=60_500.0,
    )  # fmt: skip


async def test_entries_from_a_setup_an_order_and_a_position(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "j.db", batch_ms=0)
    try:
        setup = SetupsRepo(store).insert_setup(_setup())
        assert setup is not None and setup.id is not None
        clock = [T0]
        broker = PaperBroker(
            PaperSettings("paper:sim", PaperTerms("USDT", 0.0, 0.0, 0.0), GuardLimits(1e9, 1e9, 1e9), 10_000.0),
            TradingRepo(store),
            lambda: clock[0],
            lambda _s: MarketView(last=60_000.0),
            watched=lambda: ["BTC/USDT"],
        )
        await broker.start()
        order = await broker.place(OrderRequest("take", "BTC/USDT", "buy", "market", 0.01, setup_id=setup.id))
        clock[0] = T0 + 2 * H
        await broker.place(OrderRequest("exit", "BTC/USDT", "sell", "limit", 0.01, price=61_500.0))
        broker.on_trades([Trade("BTC/USDT", T0 + 3 * H, 61_600.0, 1.0, "buy", 1)])
        await broker.close()
        store.flush()

        journal = Journal(JournalRepo(store), setups=SetupsRepo(store), trading=TradingRepo(store), account="paper:sim")
        (life,) = TradingRepo(store).positions("paper:sim", open_only=False)
        draft = journal.draft_for_position(life.key, T0 + 4 * H)
        # the setup found through the order of the first fill; risk from its stop: |60,000 − 59,000| × 0.01
        assert (draft.setup_id, draft.strategy, draft.risk) == (setup.id, "rsi-pullback", pytest.approx(10.0))
        assert draft.pnl == pytest.approx(15.0) and draft.outcome == "win" and draft.r_multiple == pytest.approx(1.5)
        assert draft.hold_ms == 3 * H
        stored = journal.add(draft, notes="waited for the retest", tags=("pullback", "news"))
        assert stored.id is not None and journal.entries()[0] == stored

        from_order = journal.add(journal.draft_for_order(order.id, T0 + 5 * H), outcome="loss", pnl=-5.0, risk=10.0)
        assert (from_order.strategy, from_order.setup_id, from_order.r_multiple) == ("rsi-pullback", setup.id, -0.5)
        from_setup = journal.draft_for_setup(setup.id, T0 + 6 * H)
        assert from_setup.outcome == "" and from_setup.risk == 10.0
        journal.add(from_setup, tags=("pullback",))
        with pytest.raises(JournalError, match="no order P999 in paper:sim"):
            journal.draft_for_order("P999", T0)

        (by_strategy,) = journal.stats("strategy")
        assert (by_strategy.key, by_strategy.entries, by_strategy.decided, by_strategy.win_rate) == (
            "rsi-pullback", 3, 2, 0.5,
        )  # fmt: skip
        assert by_strategy.expectancy_r == pytest.approx((1.5 - 0.5) / 2)
        news, pullback, _untagged = journal.stats("tag")
        assert (news.key, news.entries, pullback.key, pullback.entries) == ("news", 1, "pullback", 2)
        assert [e.id for e in journal.entries(tag="pullback")] == [stored.id, 3]

        rows = list(StoreDataIO(store).rows("journal", ExportFilter(exchange="")))
        assert [row["tags"] for row in rows] == [["pullback", "news"], [], ["pullback"]]
        assert rows[0]["notes"] == "waited for the retest" and rows[0]["created_iso"].startswith("2024-08-09T04:00")
        assert "tags" in StoreDataIO(store).columns("journal")
    finally:
        store.close()

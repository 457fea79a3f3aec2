"""Orders, fills, positions and equity samples in SQLite (schema v6): what a step wrote reads back the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptoterm.adapters.store import SCHEMA_VERSION, SqliteStore
from cryptoterm.adapters.store.trading_repo import TradingRepo
from cryptoterm.domain.market import Trade
from cryptoterm.domain.trading.guards import GuardLimits
from cryptoterm.domain.trading.matching import MarketView
from cryptoterm.domain.trading.orders import BracketRequest, OrderRequest
from cryptoterm.domain.trading.paper_account import PaperAccount, PaperTerms
from cryptoterm.domain.trading.paper_matching import on_trade
from cryptoterm.ports.trading import EquitySample

T0 = 1_723_161_600_000
WIDE = GuardLimits(1e9, 1e9, 1e9)


@pytest.fixture
def repo(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = SqliteStore(tmp_path / "t.db", batch_ms=0)
    yield TradingRepo(store), store
    store.close()


def test_schema_has_the_trading_tables(repo) -> None:  # type: ignore[no-untyped-def]
    _repo, store = repo
    assert SCHEMA_VERSION >= 6
    with store.reader() as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"orders", "fills", "positions", "equity", "pair_positions", "journal"} <= tables


def test_a_step_reads_back_as_written(repo) -> None:  # type: ignore[no-untyped-def]
    trading, _store = repo
    account = PaperAccount(PaperTerms(), WIDE, 10_000.0)
    market = MarketView(asks=((100.0, 5.0),), bids=((99.0, 5.0),), last=99.5)
    entry = OrderRequest("e", "SOL/USDT", "buy", "limit", 2.0, price=98.0, setup_id=12)
    order, placed = account.place_bracket(BracketRequest(entry, 95.0, ((104.0, 0.5), (108.0, 0.5))), T0, market)
    trading.submit_changes("paper:x", placed).result()
    filled = on_trade(account, Trade("SOL/USDT", T0 + 1000, 97.0, 5.0, "sell", 77), lambda _s: MarketView())
    sample = EquitySample(T0 + 1000, account.equity(), account.cash, account.unrealized())
    trading.submit_changes("paper:x", filled, sample).result()
    trading.submit_changes("paper:other", placed).result()

    loaded = trading.load_account("paper:x")
    assert [p.qty for p in loaded.positions] == [2.0]
    assert {o.request.client_id for o in loaded.orders} == {"e", "e:stop", "e:t1", "e:t2"}
    (plan,) = loaded.plans
    assert (plan.bracket_id, plan.entry_order_id, plan.stop, plan.targets) == (
        "e",
        order.id,
        95.0,
        ((104.0, 0.5), (108.0, 0.5)),
    )
    assert loaded.last == sample and loaded.day_start == sample
    assert loaded.last_order_number == 4
    stored_entry = trading.order_by_client_id("paper:x", "e")
    assert stored_entry is not None and stored_entry.request.setup_id == 12 and stored_entry.status == "filled"
    (fill,) = trading.fills("paper:x")
    assert (fill.price, fill.qty, fill.liquidity, fill.trade_id) == (98.0, 2.0, "maker", "77")
    assert [o.request.client_id for o in trading.orders("paper:x", open_only=True)] == ["e:stop", "e:t2", "e:t1"]
    assert trading.accounts() == ["paper:other", "paper:x"]
    trading.reset_account("paper:x")
    assert trading.load_account("paper:x").orders == []
    assert trading.load_account("paper:other").orders


def test_closed_positions_keep_their_life(repo) -> None:  # type: ignore[no-untyped-def]
    trading, _store = repo
    account = PaperAccount(PaperTerms(), WIDE, 10_000.0)
    market = MarketView(asks=((100.0, 5.0),), bids=((101.0, 5.0),), last=100.0)
    trading.submit_changes("a", account.place(OrderRequest("1", "X/USDT", "buy", "market", 1.0), T0, market)[1])
    trading.submit_changes("a", account.place(OrderRequest("2", "X/USDT", "sell", "market", 1.0), T0 + 5, market)[1])
    trading.submit_equity("a", EquitySample(T0 + 5, account.equity(), account.cash, 0.0)).result()
    assert trading.positions("a") == []
    (life,) = trading.positions("a", open_only=False)
    assert life.closed_ms == T0 + 5 and life.position.opened_ms == T0 and life.key == f"X/USDT||{T0}"
    assert life.position.qty == 1.0  # the long it closed, as held
    assert life.position.realized_pnl == pytest.approx(1.0 - 0.1 - 0.101)

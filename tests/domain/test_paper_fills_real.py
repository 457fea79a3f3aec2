"""Paper fills on real Binance spot BTCUSDT data (2024-08-08 23:54 → 2024-08-09 00:05): a market order walks the
real 1,000-level depth snapshot, resting limits and a stop meet the 19,904 recorded trades while the book follows
the recorded diffs. Every fill, and the account's profit, is checked against a calculation written here from
the raw files (pandas over the CSV trades and the snapshot JSON), not by the account's code."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cryptoterm.adapters.binance.decode import BinanceDecoder
from cryptoterm.adapters.replay import read_recording
from cryptoterm.domain.market import DepthSnapshot, DepthUpdate, Trade
from cryptoterm.domain.orderbook import OrderBook
from cryptoterm.domain.trading.guards import GuardLimits
from cryptoterm.domain.trading.matching import MarketView
from cryptoterm.domain.trading.orders import Fill, OrderRequest
from cryptoterm.domain.trading.paper_account import Changes, PaperAccount, PaperTerms
from cryptoterm.domain.trading.paper_matching import on_trade

pytestmark = pytest.mark.shared

WS = (
    "ws/hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz",
    "ws/hftbacktest_binance-spot_btcusdt_2024-08-09.jsonl.gz",
)
TRADES = (
    "trades/binance-spot_BTCUSDT_trades_2024-08-08.csv.gz",
    "trades/binance-spot_BTCUSDT_trades_2024-08-09.csv.gz",
)
SNAPSHOT = "orderbook/hftbacktest_binance-spot_BTCUSDT_depth-snapshot_2024-08-08.json"
SYM = "BTC/USDT"
START = 5_000_000.0
MAKER_BPS, TAKER_BPS, SLIPPAGE_BPS = 7.5, 10.0, 5.0
MARKET_QTY = 25.0
#: (client id, side, type, qty, price or stop) placed right after the market buy.
RESTING = (
    ("sell-limit", "sell", "limit", 1.0, 61_850.0),
    ("buy-limit", "buy", "limit", 1.5, 61_700.0),
    ("buy-limit-deep", "buy", "limit", 0.7, 61_590.0),
    ("sell-stop", "sell", "stop", 1.0, 61_600.0),
)


def _trades_frame(shared: Path) -> pd.DataFrame:
    frame = pd.concat([pd.read_csv(shared / name, dtype={"price": str, "qty": str}) for name in TRADES])
    frame["price"] = frame["price"].astype(float)
    frame["qty"] = frame["qty"].astype(float)
    return frame.reset_index(drop=True)


def _snapshot_asks(shared: Path) -> pd.DataFrame:
    raw = json.loads((shared / SNAPSHOT).read_text())
    return pd.DataFrame([(float(p), float(q)) for p, q in raw["asks"]], columns=["price", "qty"])


def _expected_walk(levels: pd.DataFrame, qty: float) -> pd.DataFrame:
    """Fills of a market order over `levels` (best first): each level's quantity up to what is left."""
    before = levels["qty"].cumsum().shift(fill_value=0.0)
    take = np.clip(qty - before, 0.0, levels["qty"])
    return pd.DataFrame({"price": levels["price"], "qty": take})[take > 0]


def _expected_resting(trades: pd.DataFrame, placed_ms: int) -> dict[str, list[tuple[float, float, int]]]:
    """The limit rules, written out: after placement, a trade through a limit (or at it, the taker on the other
    side) fills up to its quantity, orders met in placement order sharing each trade; fills at the limit."""
    limits = [dict(cid=c, side=s, price=p, left=q) for c, s, t, q, p in RESTING if t == "limit"]
    fills: dict[str, list[tuple[float, float, int]]] = {o["cid"]: [] for o in limits}  # type: ignore[misc]
    after = trades[trades["trade_time_ms"] >= placed_ms]
    for row in after.itertuples():
        available = row.qty
        for order in limits:
            if order["left"] <= 1e-12 or available <= 1e-12:
                continue
            price = order["price"]
            if order["side"] == "buy":
                reached = row.price < price or (row.price == price and row.taker_side == "sell")
            else:
                reached = row.price > price or (row.price == price and row.taker_side == "buy")
            if reached:
                take = min(order["left"], available)
                order["left"] -= take  # type: ignore[operator]
                available -= take
                fills[order["cid"]].append((price, take, int(row.trade_id)))  # type: ignore[index, arg-type]
    return fills


def _replay(shared: Path) -> tuple[PaperAccount, list[Fill], list[float], dict[str, str], dict[str, object]]:
    acct = PaperAccount(
        PaperTerms("USDT", MAKER_BPS, TAKER_BPS, SLIPPAGE_BPS),
        GuardLimits(max_order_notional=1e12, max_position_notional=1e12, daily_loss_limit=1e12),
        START,
    )
    book = OrderBook(SYM)
    decoder = BinanceDecoder()
    fills: list[Fill] = []
    closed: list[float] = []
    ids: dict[str, str] = {}
    seen: dict[str, object] = {"stop_book": None, "placed_ms": None, "last": None}

    def keep(changes: Changes) -> None:
        fills.extend(changes.fills)
        closed.extend(e.position.realized_pnl for e in changes.positions if e.closed_ms is not None)

    def book_view(_symbol: str) -> MarketView:
        bids, asks = book.top(1000)
        view = MarketView(tuple(bids), tuple(asks))
        if seen["stop_book"] is None and "sell-stop" in ids and ids["sell-stop"] in acct.orders:
            seen["stop_book"] = bids
        return view

    asks = None
    for name in WS:
        for rec in read_recording(shared / name):
            for event in decoder.decode(rec.raw, rec.recv_ns // 1_000_000):  # type: ignore[union-attr]
                kind = type(event)
                if kind is DepthSnapshot:
                    book.on_snapshot(event)  # type: ignore[arg-type]
                    asks = event.asks  # type: ignore[union-attr]
                elif kind is DepthUpdate:
                    book.on_update(event)  # type: ignore[arg-type]
                elif kind is Trade:
                    trade: Trade = event  # type: ignore[assignment]
                    if asks is not None and seen["placed_ms"] is None:
                        # the first trade after the snapshot: the market buy walks the snapshot's asks
                        market = MarketView(asks=asks, last=trade.price)
                        request = OrderRequest("market-buy", SYM, "buy", "market", MARKET_QTY)
                        order, changes = acct.place(request, trade.ts, market)
                        ids["market-buy"] = order.id
                        keep(changes)
                        for cid, side, type_, qty, level in RESTING:
                            kw = {"price": level} if type_ == "limit" else {"stop_price": level}
                            order, changes = acct.place(
                                OrderRequest(cid, SYM, side, type_, qty, **kw),  # type: ignore[arg-type]
                                trade.ts,
                                MarketView(last=trade.price),
                            )
                            ids[cid] = order.id
                            keep(changes)
                        seen["placed_ms"] = trade.ts + 1
                        continue
                    if seen["placed_ms"] is not None:
                        keep(on_trade(acct, trade, book_view))
                    seen["last"] = trade.price
    return acct, fills, closed, ids, seen


@pytest.fixture(scope="module")
def replayed(shared_data: Path):  # type: ignore[no-untyped-def]
    return _replay(shared_data), _trades_frame(shared_data), _snapshot_asks(shared_data)


def test_the_market_buy_walks_the_real_snapshot_like_pandas(replayed) -> None:  # type: ignore[no-untyped-def]
    (_acct, fills, _closed, ids, _seen), _trades, asks = replayed
    got = pd.DataFrame([(f.price, f.qty) for f in fills if f.order_id == ids["market-buy"]], columns=["price", "qty"])
    want = _expected_walk(asks, MARKET_QTY).reset_index(drop=True)
    assert len(want) > 20, "25 BTC should walk many levels of the real book"
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)
    fee = (want["price"] * want["qty"]).sum() * TAKER_BPS / 10_000
    market_fees = sum(f.fee for f in fills if f.order_id == ids["market-buy"])
    assert market_fees == pytest.approx(fee, rel=1e-12)


def test_resting_limits_fill_on_the_real_trades_like_the_rules_written_out(replayed) -> None:  # type: ignore[no-untyped-def]
    (_acct, fills, _closed, ids, seen), trades, _asks = replayed
    want = _expected_resting(trades, int(seen["placed_ms"]))  # type: ignore[call-overload]
    for cid in ("sell-limit", "buy-limit", "buy-limit-deep"):
        got = [(f.price, f.qty, int(f.trade_id)) for f in fills if f.order_id == ids[cid]]  # type: ignore[arg-type]
        assert got, f"{cid} never filled on the real trades"
        assert [t for _p, _q, t in got] == [t for _p, _q, t in want[cid]], cid
        np.testing.assert_allclose([(p, q) for p, q, _t in got], [(p, q) for p, q, _t in want[cid]], rtol=1e-12)
        assert all(f.liquidity == "maker" for f in fills if f.order_id == ids[cid])
    # each filled in full
    for cid, _side, type_, qty, _level in RESTING:
        if type_ == "limit":
            assert sum(q for _p, q, _t in want[cid]) == pytest.approx(qty)


def test_the_stop_triggers_on_the_first_real_trade_through_it_and_walks_the_live_book(replayed) -> None:  # type: ignore[no-untyped-def]
    (_acct, fills, _closed, ids, seen), trades, _asks = replayed
    stop_fills = [f for f in fills if f.order_id == ids["sell-stop"]]
    after = trades[trades["trade_time_ms"] >= int(seen["placed_ms"])]  # type: ignore[call-overload]
    trigger = after[after["price"] <= 61_600.0].iloc[0]
    assert {f.time_ms for f in stop_fills} == {int(trigger["trade_time_ms"])}
    bids = pd.DataFrame(seen["stop_book"], columns=["price", "qty"])
    want = _expected_walk(bids, 1.0)
    # the book (diffs every 100 ms) still showed bids above the trade that went through the stop: those fill at
    # the trade's price, never better
    want["price"] = want["price"].clip(upper=float(trigger["price"]))
    np.testing.assert_allclose([(f.price, f.qty) for f in stop_fills], want.to_numpy(), rtol=1e-12)
    assert max(f.price for f in stop_fills) <= float(trigger["price"])
    assert all(f.liquidity == "taker" for f in stop_fills)


def test_profit_equals_an_independent_calculation_from_the_fills(replayed) -> None:  # type: ignore[no-untyped-def]
    (acct, fills, closed, _ids, seen), trades, _asks = replayed
    frame = pd.DataFrame([(f.side, f.qty, f.price, f.fee) for f in fills], columns=["side", "qty", "price", "fee"])
    sign = np.where(frame["side"] == "buy", 1.0, -1.0)
    held = float((sign * frame["qty"]).sum())
    cash_flow = float((-sign * frame["qty"] * frame["price"]).sum() - frame["fee"].sum())
    last = float(trades["price"].iloc[-1])
    assert seen["last"] == last
    pnl = cash_flow + held * last
    assert acct.equity() - START == pytest.approx(pnl, abs=1e-6)
    position = acct.positions[(SYM, None)]
    assert position.qty == pytest.approx(held)
    assert not closed  # the long was only reduced, never closed
    # average cost, written out: realized = Σ over sells of (price − average) × qty, less every fee
    qty = avg = realized = 0.0
    for row in frame.itertuples():
        if row.side == "buy":
            avg = (avg * qty + row.price * row.qty) / (qty + row.qty)
            qty += row.qty
        else:
            realized += (row.price - avg) * row.qty
            qty -= row.qty
    realized -= float(frame["fee"].sum())
    assert position.avg_price == pytest.approx(avg, rel=1e-12)
    assert position.realized_pnl == pytest.approx(realized, abs=1e-6)
    assert position.realized_pnl + position.unrealized(last) == pytest.approx(pnl, abs=1e-6)
    print(f"paper replay: {len(fills)} fills, held {held:.4f} BTC, profit {pnl:,.2f} USDT")

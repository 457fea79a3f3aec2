"""The market driving a paper account: each trade (live, simulated or replayed), or each 1m candle of a gap
the app did not see. The price rules are `matching`'s (its docstring is the reference); this module applies
them to the account's open orders of the symbol, oldest first, and returns what changed.

One trade's quantity is liquidity shared by the resting limits it reaches: the first order takes what it can,
the next what is left. A candle's volume is shared the same way. Orders placed at or after a trade's time are
met by later trades only (a bracket's children, placed by a fill of this very trade, wait for the next one).
"""

from __future__ import annotations

from collections.abc import Callable

from cryptoterm.domain.market import Candle, Trade
from cryptoterm.domain.trading.guards import QTY_EPSILON
from cryptoterm.domain.trading.matching import (
    MarketView,
    candle_limit_fills,
    candle_stop_price,
    limit_fill_qty,
    marketable_fills,
    no_better_than,
    stop_triggered,
    walk_book,
)
from cryptoterm.domain.trading.orders import Order
from cryptoterm.domain.trading.paper_account import Changes, PaperAccount

MarketOf = Callable[[str], MarketView]
#: A 1m candle's last millisecond: fills found in a candle are dated there.
CANDLE_MS = 60_000


def on_trade(account: PaperAccount, trade: Trade, market_of: MarketOf) -> Changes:
    """Mark the symbol at the trade and fill / trigger the open orders it reaches."""
    account.marks[trade.symbol] = trade.price
    order_ids = account.open_order_ids(trade.symbol)
    if not order_ids:
        return Changes()
    account.begin(trade.ts)
    available = trade.qty
    for order_id in order_ids:
        order = account.orders.get(order_id)
        if order is None or order.created_ms > trade.ts:
            continue
        request = order.request
        if request.stop_price is not None and order_id not in account.triggered:
            if stop_triggered(request.side, request.stop_price, trade.price):
                _trigger(account, order, trade, market_of)
            continue
        if available <= QTY_EPSILON or request.price is None:
            continue
        take = min(limit_fill_qty(request.side, request.price, trade), order.remaining_qty, available)
        if take > QTY_EPSILON:
            before = order.filled_qty
            order = account.fill(order, request.price, take, "maker", trade.ts, str(trade.trade_id))
            available -= order.filled_qty - before
    return account.take()


def _trigger(account: PaperAccount, order: Order, trade: Trade, market_of: MarketOf) -> None:
    """A stop reached: a stop fills at once as a market order; a stop-limit becomes its limit (taking what the
    book gives at once). Never better than the trade that triggered it: depth diffs come every 100 ms while
    trades come as they happen, so in a fast move the book still shows levels the market already left."""
    request = order.request
    order = account.mark_triggered(order, trade.ts)
    book = market_of(trade.symbol)
    market = MarketView(book.bids, book.asks, trade.price)
    slippage = account.terms.slippage_bps
    if request.type == "stop":
        levels = walk_book(request.side, order.remaining_qty, market, slippage)
    else:
        levels = marketable_fills(request.side, order.remaining_qty, request.price or 0.0, market, slippage)
    for price, qty in no_better_than(request.side, trade.price, levels):
        order = account.fill(order, price, qty, "taker", trade.ts)
        if order.is_final:
            break


def on_candle(account: PaperAccount, symbol: str, candle: Candle) -> Changes:
    """Fill the symbol's open orders from a closed 1m candle the app did not see trade by trade: orders placed
    before the candle opened, stops before limits, fills dated at the candle's last millisecond."""
    when = candle.open_time + CANDLE_MS - 1
    account.begin(when)
    account.marks[symbol] = candle.close
    eligible = [
        order_id
        for order_id in account.open_order_ids(symbol)
        if account.orders[order_id].created_ms < candle.open_time
    ]
    triggered_now: set[str] = set()
    slippage = account.terms.slippage_bps
    for order_id in eligible:
        order = account.orders.get(order_id)
        if order is None or order_id in account.triggered:
            continue
        request = order.request
        stop = request.stop_price
        price = candle_stop_price(request.side, stop, candle, slippage) if stop is not None else None
        if price is None:
            continue
        order = account.mark_triggered(order, when)
        triggered_now.add(order_id)
        if request.type == "stop":
            account.fill(order, price, order.remaining_qty, "taker", when)
    volume = candle.volume
    for order_id in eligible:
        order = account.orders.get(order_id)
        if order is None or order_id in triggered_now or volume <= QTY_EPSILON:
            continue
        request = order.request
        limit = request.price
        if limit is None or (request.stop_price is not None and order_id not in account.triggered):
            continue
        if not candle_limit_fills(request.side, limit, candle):
            continue
        take = min(order.remaining_qty, volume)
        before = order.filled_qty
        order = account.fill(order, limit, take, "maker", when)
        volume -= order.filled_qty - before
    return account.take()

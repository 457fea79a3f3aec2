"""Where a paper order fills: the price rules, written once for the paper account, the restart gap and tests.

* **Market** (and a stop once triggered): walks the opposite side of the order book level by level, best first,
  as a taker. Quantity beyond the visible depth fills at the last visible level moved `slippage_bps` further.
  With no book, the whole quantity fills at the last trade moved `slippage_bps` against the order.
* **Marketable limit** at placement (a buy at or above the best ask, a sell at or below the best bid): takes the
  book as a taker, only levels at or better than the limit; the rest rests. With no book, a limit at or through
  the last trade fills at once at the last trade moved `slippage_bps` against the order, capped at the limit.
* **Resting limit** (maker): a trade *through* the limit (a buy limit sees a trade below it, a sell limit one
  above) fills up to the trade's quantity; a trade *at* the limit fills it only when the trade's taker sold into
  a buy limit (or bought from a sell limit) — liquidity was taken on the order's side of the book at its price.
  Fills are at the limit price, never better (the queue was at the limit).
* **Stop**: a trade at or through the stop price (a buy stop at or above, a sell stop at or below) triggers it;
  a stop then fills as a market order, a stop-limit becomes a limit at its price (taker for what the book gives
  at once, maker for the rest). What the book gives at the trigger is never better than the triggering trade:
  a level above it (for a sell; below, for a buy) is one the market already left, and fills at the trade's
  price instead. A stop that would trigger at once is refused at placement, as the exchange does.
* **1m candles** (orders that were open while the app was down): a limit fills in full (up to the candle's
  volume) when the candle traded through it (a buy: low below the limit; a sell: high above); a stop triggers
  when the candle reached it and fills at the stop, or at the open when the candle opened through it, moved
  `slippage_bps` against the order. Within one candle, stops go before limits (the bad level first, as setups
  are walked), and an order placed by a fill in a candle (a bracket's stop and targets) waits for the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptoterm.domain.market import Candle, Trade
from cryptoterm.domain.trading.orders import Side

Level = tuple[float, float]


@dataclass(frozen=True, slots=True)
class MarketView:
    """The market an order meets: book levels best first (possibly empty) and the last trade price."""

    bids: Sequence[Level] = ()
    asks: Sequence[Level] = ()
    last: float | None = None

    def best_bid(self) -> float | None:
        return self.bids[0][0] if self.bids else None

    def best_ask(self) -> float | None:
        return self.asks[0][0] if self.asks else None


def slipped(price: float, side: Side, slippage_bps: float) -> float:
    """`price` moved `slippage_bps` against an order of `side` (up for a buy, down for a sell)."""
    factor = slippage_bps / 10_000.0
    return price * (1.0 + factor) if side == "buy" else price * (1.0 - factor)


def walk_book(side: Side, qty: float, market: MarketView, slippage_bps: float) -> list[Level]:
    """(price, qty) fills of a market order of `qty`: the book walked best first (see the module docstring)."""
    levels = market.asks if side == "buy" else market.bids
    if not levels:
        if market.last is None:
            return []
        return [(slipped(market.last, side, slippage_bps), qty)]
    fills: list[Level] = []
    left = qty
    for price, available in levels:
        if left <= 0:
            break
        take = min(left, available)
        if take > 0:
            fills.append((price, take))
            left -= take
    if left > 1e-12:
        fills.append((slipped(levels[len(levels) - 1][0], side, slippage_bps), left))
    return fills


def marketable_fills(side: Side, qty: float, limit: float, market: MarketView, slippage_bps: float) -> list[Level]:
    """(price, qty) a limit order takes at once as a taker; empty when it only rests."""
    levels = market.asks if side == "buy" else market.bids
    if not levels:
        if market.last is None or not crosses(side, limit, market.last):
            return []
        price = slipped(market.last, side, slippage_bps)
        return [(min(price, limit) if side == "buy" else max(price, limit), qty)]
    fills: list[Level] = []
    left = qty
    for price, available in levels:
        if left <= 1e-12 or not crosses(side, limit, price):
            break
        take = min(left, available)
        fills.append((price, take))
        left -= take
    return fills


def no_better_than(side: Side, price: float, levels: Sequence[Level]) -> list[Level]:
    """`levels` with every price moved to `price` where it is better than it for an order of `side`."""
    if side == "buy":
        return [(max(level, price), qty) for level, qty in levels]
    return [(min(level, price), qty) for level, qty in levels]


def crosses(side: Side, limit: float, price: float) -> bool:
    """Whether a limit of `side` at `limit` would take liquidity offered at `price`."""
    return price <= limit if side == "buy" else price >= limit


def limit_fill_qty(side: Side, limit: float, trade: Trade) -> float:
    """How much of a resting limit `trade` fills (0 when it does not reach it); see the module docstring."""
    if side == "buy":
        if trade.price < limit or (trade.price == limit and trade.side == "sell"):
            return trade.qty
        return 0.0
    if trade.price > limit or (trade.price == limit and trade.side == "buy"):
        return trade.qty
    return 0.0


def stop_triggered(side: Side, stop: float, price: float) -> bool:
    """Whether a trade at `price` triggers a stop of `side` at `stop` (at or through it)."""
    return price >= stop if side == "buy" else price <= stop


def candle_limit_fills(side: Side, limit: float, candle: Candle) -> bool:
    """Whether a 1m candle traded through a resting limit (strictly: the candle does not say who took at the
    limit itself)."""
    return candle.low < limit if side == "buy" else candle.high > limit


def candle_stop_price(side: Side, stop: float, candle: Candle, slippage_bps: float) -> float | None:
    """The fill price of a stop triggered during `candle`, or None when the candle did not reach it."""
    if side == "buy":
        if candle.high < stop:
            return None
        return slipped(max(stop, candle.open), side, slippage_bps)
    if candle.low > stop:
        return None
    return slipped(min(stop, candle.open), side, slippage_bps)

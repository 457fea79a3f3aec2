"""A spot exchange account read through ccxt: balances, positions, the account's fills, quotes, the day's profit.

A spot account holds assets, not positions: the position in BASE/QUOTE (`[trading] quote`) is the account's
whole BASE balance (free and locked in orders), for every asset the exchange lists against the quote. Its
average entry and realized profit come from the account's trades of that symbol (the newest 1,000, by average
cost, `spot_ledger.average_cost`); a holding they do not explain (a deposit, older trades) has a NaN entry.

The day's profit (`day_pnl`) is marked to market (`spot_ledger.day_pnl`): each symbol held now or traded today
is valued at the mid of its book now against the open of its daily candle, plus the quote its trades moved
since 00:00 UTC. Binance's trade history is read in windows of at most 24 hours, as its API requires.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cryptoterm.adapters.ccxt_orders import fill_from_ccxt, spot_trade_from_ccxt
from cryptoterm.adapters.ccxt_session import CcxtSession
from cryptoterm.domain.trading.guards import DAY_MS, QTY_EPSILON
from cryptoterm.domain.trading.orders import Balance, Fill, OrderRejected, Position
from cryptoterm.domain.trading.spot_ledger import average_cost, day_pnl
from cryptoterm.ports.live_account import Quote

#: Binance's largest page of account trades.
TRADE_PAGE = 1000


class SpotAccountReader:
    """Reads of one spot account, in the project's types."""

    def __init__(self, session: CcxtSession, quote: str) -> None:
        self.session = session
        self.quote_asset = quote

    async def balances(self) -> dict[str, Balance]:
        """Every asset the account holds (free or locked), by asset."""
        exchange = self.session.client()
        await self.session.markets()
        raw = await self.session.read(f"{self.session.config.id} balances", lambda: exchange.fetch_balance())
        result: dict[str, Balance] = {}
        for entry in (raw.get("info") or {}).get("balances", ()):
            free, locked = float(entry.get("free") or 0.0), float(entry.get("locked") or 0.0)
            if free > 0 or locked > 0:
                result[str(entry["asset"])] = Balance(str(entry["asset"]), free, locked)
        return result

    def held_symbols(self, balances: Mapping[str, Balance], markets: Mapping[str, Any]) -> list[str]:
        """BASE/QUOTE of every asset held that the exchange lists against the quote asset."""
        symbols = []
        for asset, balance in sorted(balances.items()):
            symbol = f"{asset}/{self.quote_asset}"
            if (
                asset != self.quote_asset
                and balance.total > QTY_EPSILON
                and self.session.ccxt_symbol(symbol) in markets
            ):
                symbols.append(symbol)
        return symbols

    async def positions(self) -> list[Position]:
        balances = await self.balances()
        markets = await self.session.markets()
        positions = []
        for symbol in self.held_symbols(balances, markets):
            market = markets[self.session.ccxt_symbol(symbol)]
            held = balances[str(market["base"])].total
            trades = [spot_trade_from_ccxt(raw, market) for raw in await self.trades(symbol)]
            cost = average_cost(trades, held)
            positions.append(Position(symbol, held, cost.avg_price, cost.realized, cost.opened_ms, "live"))
        return positions

    async def trades(self, symbol: str, since_ms: int | None = None) -> list[dict[str, Any]]:
        """The account's trades of `symbol`: the newest page, or every trade since `since_ms` (by 24 h windows)."""
        market = await self.session.market(symbol)
        exchange = self.session.client()
        sym = str(market["symbol"])
        what = f"{symbol} account trades"
        if since_ms is None:
            page: list[dict[str, Any]] = await self.session.read(
                what, lambda: exchange.fetch_my_trades(sym, None, TRADE_PAGE), market=market
            )
            return page
        now = self.session.now_ms()
        found: list[dict[str, Any]] = []
        start = since_ms
        while start <= now:
            end = min(start + DAY_MS - 1, now)
            window = await self._window(what, exchange, sym, start, end, market)
            found.extend(window)
            start = end + 1
        return found

    async def trades_of_order(self, symbol: str, order_id: str) -> list[dict[str, Any]]:
        market = await self.session.market(symbol)
        exchange = self.session.client()
        trades: list[dict[str, Any]] = await self.session.read(
            f"{symbol} trades of order {order_id}",
            lambda: exchange.fetch_my_trades(market["symbol"], None, TRADE_PAGE, {"orderId": order_id}),
            market=market,
        )
        return trades

    async def _window(
        self, what: str, exchange: Any, sym: str, start: int, end: int, market: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        params = {"endTime": end}
        page: list[dict[str, Any]] = await self.session.read(
            what, lambda: exchange.fetch_my_trades(sym, start, TRADE_PAGE, params), market=market
        )
        found = list(page)
        while len(page) == TRADE_PAGE:
            after = {"fromId": int(page[-1]["id"]) + 1}
            page = await self.session.read(
                what, functools.partial(exchange.fetch_my_trades, sym, None, TRADE_PAGE, after), market=market
            )
            page = [t for t in page if int(t.get("timestamp") or 0) <= end]
            found.extend(page)
        return found

    async def fills(self, symbols: Iterable[str], since_ms: int | None) -> list[Fill]:
        markets = await self.session.markets()
        fills: list[Fill] = []
        for symbol in symbols:
            market = markets.get(self.session.ccxt_symbol(symbol))
            if market is None:
                continue
            fills.extend(fill_from_ccxt(raw, market, symbol) for raw in await self.trades(symbol, since_ms))
        return sorted(fills, key=lambda f: (f.time_ms, f.trade_id or ""))

    async def quote(self, symbol: str) -> Quote:
        market = await self.session.market(symbol)
        exchange = self.session.client()
        book = await self.session.read(
            f"{symbol} order book", lambda: exchange.fetch_order_book(market["symbol"], 5), market=market
        )
        bid = float(book["bids"][0][0]) if book.get("bids") else None
        ask = float(book["asks"][0][0]) if book.get("asks") else None
        last = (bid + ask) / 2 if bid is not None and ask is not None else bid if bid is not None else ask
        return Quote(symbol, bid, ask, last)

    async def day_open(self, symbol: str, day_start_ms: int) -> float | None:
        """The open of the symbol's daily candle starting at `day_start_ms`, None when the exchange has none."""
        market = await self.session.market(symbol)
        exchange = self.session.client()
        rows: Sequence[Sequence[Any]] = await self.session.read(
            f"{symbol} daily candle",
            lambda: exchange.fetch_ohlcv(market["symbol"], "1d", day_start_ms, 1),
            market=market,
        )
        if rows and int(rows[0][0]) == day_start_ms and rows[0][1] is not None:
            return float(rows[0][1])
        return None

    async def day_pnl(self, day_start_ms: int, also: Iterable[str] = ()) -> float:
        """The day's profit of every symbol held now, and of `also` (symbols traded since, possibly flat now)."""
        balances = await self.balances()
        markets = await self.session.markets()
        symbols = dict.fromkeys([*self.held_symbols(balances, markets), *also])
        total = 0.0
        for symbol in symbols:
            market = markets.get(self.session.ccxt_symbol(symbol))
            if market is None or market.get("quote") != self.quote_asset:
                continue
            base = balances.get(str(market["base"]))
            held = base.total if base is not None else 0.0
            todays = [spot_trade_from_ccxt(raw, market) for raw in await self.trades(symbol, day_start_ms)]
            if held <= QTY_EPSILON and not todays:
                continue
            mark = (await self.quote(symbol)).last
            if mark is None:
                raise OrderRejected(f"{symbol}: its order book is empty, so today's profit cannot be valued")
            opened = await self.day_open(symbol, day_start_ms)
            total += day_pnl(held, mark, opened if opened is not None else mark, todays)
        return total

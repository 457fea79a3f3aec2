"""The live exchange account as the engine runs it: the guarded live broker behind a view the screens read.

An exchange account changes on the exchange (fills, the kill switch run from another terminal, orders placed on
the website), so the view is the account as last read: `refresh()` reads the open orders, the orders that left
them (their final state), balances, positions and the day's profit, places the exits of filled bracket entries,
stores every order state it has not stored yet and the new fills of this session in the `orders` / `fills`
tables (account `live:<exchange>`), samples the equity once a minute, and tells the listeners. The engine runs
it every `refresh_s` seconds and after each order; a refresh that fails is one log line and keeps the last
view. Marks come from the feed's trades, else from the book of the exchange.

Orders are confirmed through `set_confirm`: the TUI attaches its dialog when it mounts. Until one is attached
(a headless engine has none), every live order is refused — nobody can confirm it. Pairs positions stay on
paper (`pairs` is None).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence

from cryptoterm.domain.market import Trade
from cryptoterm.domain.trading.guards import day_start_ms
from cryptoterm.domain.trading.order_text import describe_request
from cryptoterm.domain.trading.orders import (
    Balance,
    BracketRequest,
    Fill,
    Order,
    OrderRejected,
    OrderRequest,
    Position,
    TradingMode,
)
from cryptoterm.domain.trading.paper_account import Changes
from cryptoterm.ports.trading import EquitySample, TradingStore
from cryptoterm.services.live_broker import Confirm, GuardedLiveBroker
from cryptoterm.services.pairs_trader import PairsTrader
from cryptoterm.services.trading_runtime import AccountView

log = logging.getLogger(__name__)
SAMPLE_EVERY_MS = 60_000


async def no_dialog(request: OrderRequest, price: float) -> bool:
    """The confirmation before a dialog is attached: nobody can confirm, so nothing is sent."""
    log.warning("%s: no confirmation dialog is attached; live orders are refused", describe_request(request))
    return False


class LiveEngineBroker:
    """The `EngineBroker` of a live exchange account."""

    pairs: PairsTrader | None = None

    def __init__(
        self,
        live: GuardedLiveBroker,
        store: TradingStore,
        account: str,
        *,
        quote: str,
        now_ms: Callable[[], int],
        refresh_s: float = 15.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.live = live
        self.store = store
        self.account = account
        self.quote = quote
        self.now_ms = now_ms
        self.refresh_s = refresh_s
        self._sleep = sleep
        self._listeners: list[Callable[[], None]] = []
        self._marks: dict[str, float] = {}
        self._known: dict[str, Order] = {}
        self._open: dict[str, Order] = {}
        self._fill_ids: set[str] = set()
        self._balances: Mapping[str, Balance] = {}
        self._positions: Sequence[Position] = ()
        self._day_pnl = 0.0
        self._started_ms = 0
        self._last_sample_ms = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def mode(self) -> TradingMode:
        return "live"

    def set_confirm(self, confirm: Confirm) -> None:
        """The trader's confirmation of each live order (the TUI's dialog)."""
        self.live = self.live.with_confirm(confirm)

    # -- the engine's side ---------------------------------------------------------------------------------

    def on_trades(self, trades: Sequence[Trade]) -> None:
        for trade in trades:
            self._marks[trade.symbol] = trade.price

    def on_update(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    async def start(self) -> None:
        self._started_ms = self.now_ms()
        await self.refresh()
        self._task = asyncio.create_task(self._keep_fresh(), name="live account refresh")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.live.close()

    async def _keep_fresh(self) -> None:
        while True:
            await self._sleep(self.refresh_s)
            await self.refresh()

    async def refresh(self) -> None:
        """Read the account back from the exchange (see the module docstring)."""
        try:
            try:
                await self.live.follow_brackets()
            except OrderRejected as exc:
                log.error("bracket exits: %s", exc)
            opened = {o.id: o for o in await self.live.open_orders()}
            changed = [o for o in opened.values() if self._known.get(o.id) != o]
            for gone in [o for oid, o in self._open.items() if oid not in opened]:
                final = await self.live.order_by_client_id(gone.request.client_id)
                if final is not None and final != self._known.get(final.id):
                    changed.append(final)
            self._open = opened
            self._balances = await self.live.balances()
            self._positions = await self.live.positions()
            self._day_pnl = await self.live.exchange.day_pnl(day_start_ms(self.now_ms()))
            for position in self._positions:
                if position.symbol not in self._marks:
                    quote = await self.live.exchange.quote(position.symbol)
                    if quote.last is not None:
                        self._marks[position.symbol] = quote.last
            fills = await self._new_fills(changed)
        except OrderRejected as exc:
            log.error("live account refresh: %s", exc)
            return
        self._persist(changed, fills)
        self._notify()

    async def _new_fills(self, changed: Sequence[Order]) -> list[Fill]:
        symbols = sorted({o.request.symbol for o in changed if o.filled_qty > 0})
        fresh: list[Fill] = []
        for symbol in symbols:
            for fill in await self.live.fills(symbol, self._started_ms):
                key = fill.trade_id or f"{fill.order_id}:{fill.time_ms}:{fill.qty}"
                if key not in self._fill_ids:
                    self._fill_ids.add(key)
                    fresh.append(fill)
        return fresh

    def _persist(self, changed: Sequence[Order], fills: Sequence[Fill]) -> None:
        for order in changed:
            self._known[order.id] = order
        now = self.now_ms()
        sample = None
        if fills or now - self._last_sample_ms >= SAMPLE_EVERY_MS:
            view = self.view()
            sample = EquitySample(now, view.equity, view.cash, view.unrealized)
            self._last_sample_ms = now
        if changed or fills:
            self.store.submit_changes(
                self.account, Changes(orders={o.id: o for o in changed}, fills=list(fills)), sample
            )
        elif sample is not None:
            self.store.submit_equity(self.account, sample)

    def _notify(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:  # a screen's listener must not break the account
                log.exception("live account listener failed")

    def view(self) -> AccountView:
        cash = self._balances.get(self.quote)
        held = tuple((p, self._marks.get(p.symbol, math.nan)) for p in self._positions)
        value = sum(p.qty * mark for p, mark in held if math.isfinite(mark))
        unrealized = sum(p.unrealized(mark) for p, mark in held if math.isfinite(mark) and math.isfinite(p.avg_price))
        total = cash.total if cash is not None else 0.0
        return AccountView(
            ts=self.now_ms(),
            quote=self.quote,
            equity=total + value,
            cash=total,
            free=cash.free if cash is not None else 0.0,
            locked=cash.locked if cash is not None else 0.0,
            unrealized=unrealized,
            day_pnl=self._day_pnl,
            positions=held,
            orders=tuple(self._open.values()),
        )

    # -- the Broker port -----------------------------------------------------------------------------------

    async def _then_refresh(self, order: Order) -> Order:
        self._open[order.id] = order
        await self.refresh()
        return order

    async def place(self, request: OrderRequest) -> Order:
        return await self._then_refresh(await self.live.place(request))

    async def place_bracket(self, bracket: BracketRequest) -> Order:
        return await self._then_refresh(await self.live.place_bracket(bracket))

    async def cancel(self, order_id: str) -> Order:
        return await self._then_refresh(await self.live.cancel(order_id))

    async def cancel_all(self, symbol: str | None = None) -> Sequence[Order]:
        cancelled = await self.live.cancel_all(symbol)
        await self.refresh()
        return cancelled

    async def close_position(self, symbol: str, pair_id: str | None = None, client_id: str | None = None) -> Order:
        """Flatten one spot position: a reduce-only market sell of what is held (confirmed like any order)."""
        position = next((p for p in await self.live.positions() if p.symbol == symbol), None)
        if position is None or position.qty <= 0:
            raise OrderRejected(f"no live position in {symbol} to close")
        cid = client_id or f"close-{symbol.replace('/', '')}-{self.now_ms()}"
        return await self.place(OrderRequest(cid, symbol, "sell", "market", position.qty, reduce_only=True))

    async def order_by_client_id(self, client_id: str) -> Order | None:
        return await self.live.order_by_client_id(client_id)

    async def open_orders(self, symbol: str | None = None) -> Sequence[Order]:
        return await self.live.open_orders(symbol)

    async def fills(self, symbol: str | None = None, since_ms: int | None = None) -> Sequence[Fill]:
        return await self.live.fills(symbol, since_ms)

    async def balances(self) -> Mapping[str, Balance]:
        return await self.live.balances()

    async def positions(self) -> Sequence[Position]:
        return await self.live.positions()

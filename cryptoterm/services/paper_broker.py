"""The paper broker: the `Broker` port on a `PaperAccount`, fed by the engine's trades and order books.

It runs on the engine's loop. Each batch of the feed's trades moves the account (`paper_matching.on_trade`, a
dict look-up for a symbol without open orders); what a trade or an order changed is queued for the store in one
transaction with an equity sample, without waiting for the disk. Equity is also sampled once per minute of market
time (never per tick: the history stays small). At start the account is read back — positions, cash, open
orders and live brackets — and orders that were open while the app was not running are met by the 1m candles of
the gap (`paper_gap`). Orders on a symbol the feed does not watch are refused: nothing would ever fill them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from cryptoterm.domain.market import Trade
from cryptoterm.domain.trading.guards import GuardLimits
from cryptoterm.domain.trading.matching import MarketView
from cryptoterm.domain.trading.orders import (
    Balance,
    BracketRequest,
    Fill,
    Order,
    OrderRejected,
    OrderRequest,
    Position,
    Side,
    TradingMode,
)
from cryptoterm.domain.trading.paper_account import Changes, PaperAccount, PaperTerms
from cryptoterm.domain.trading.paper_matching import on_trade
from cryptoterm.ports.trading import EquitySample, StoredAccount, TradingStore
from cryptoterm.services.pairs_trader import PairsTrader
from cryptoterm.services.paper_gap import GapCandles, fill_gap
from cryptoterm.services.trading_runtime import AccountView

log = logging.getLogger(__name__)

#: Market time between two equity samples while nothing fills.
SAMPLE_EVERY_MS = 60_000

BookView = Callable[[str], MarketView]
Listener = Callable[[], None]


@dataclass(frozen=True, slots=True)
class PaperSettings:
    """What wiring decides for a paper account: its name, terms, limits and starting balance."""

    account: str
    terms: PaperTerms
    limits: GuardLimits
    starting_cash: float
    #: Start afresh each run (a replay's market time goes back at every start).
    fresh: bool = False


class PaperBroker:
    """See the module docstring."""

    def __init__(
        self,
        settings: PaperSettings,
        store: TradingStore,
        clock: Callable[[], int],
        books: BookView,
        *,
        watched: Callable[[], Sequence[str]],
        watch: Callable[[str], Awaitable[None]] | None = None,
        gap: GapCandles | None = None,
    ) -> None:
        self.settings = settings
        self.account_name = settings.account
        self.account = PaperAccount(settings.terms, settings.limits, settings.starting_cash)
        self._store = store
        self._clock = clock
        self._books = books
        self._watched = watched
        self._watch = watch
        self._gap = gap
        self._last_sample_ms = 0
        self._last_write: Future[None] | None = None
        self._listeners: list[Listener] = []
        self._started = asyncio.Event()
        #: Pairs positions traded as bots on this account (wiring attaches them).
        self.pairs: PairsTrader | None = None

    @property
    def mode(self) -> TradingMode:
        return "paper"

    # ----------------------------------------------------------------- life
    async def start(self) -> None:
        """Read the account back, watch the symbols it trades, and fill what the gap would have filled."""
        if self.settings.fresh:
            await asyncio.to_thread(self._store.reset_account, self.account_name)
        stored = await asyncio.to_thread(self._store.load_account, self.account_name)
        self._restore(stored)
        now = self._clock()
        symbols = sorted(
            {o.request.symbol for o in stored.orders if not o.is_final} | {p.symbol for p in stored.positions}
        )
        if self._watch is not None:
            for symbol in symbols:
                if symbol not in self._watched():
                    try:
                        await self._watch(symbol)
                    except ValueError as exc:
                        log.warning("paper account: %s", exc)
        if stored.last is not None and now < stored.last.ts:
            log.warning(
                "paper account %s: the market's clock is %.0f s behind the account's last look at it; open orders"
                " rest from now",
                self.account_name,
                (stored.last.ts - now) / 1000,
            )
            self._persist(self.account.rest_from(now), force_sample=False)
        elif stored.last is not None and self._gap is not None and self.account.orders:
            changes = await fill_gap(self.account, self._gap, stored.last.ts, now)
            filled = sum(len(c.fills) for c in changes)
            for step in changes:
                self._persist(step, force_sample=bool(step.fills))
            if filled:
                log.info("paper account: %d fills from the 1m candles since the last run", filled)
        now = self._clock()
        if stored.last is None and now > 0:  # a new account: its history starts at the starting balance
            self._sample(now)
        if stored.last is not None:
            log.info(
                "paper account %s: equity %.2f %s, %d open orders, %d positions",
                self.account_name,
                self.account.equity(),
                self.settings.terms.quote,
                len(self.account.orders),
                len(self.account.positions),
            )
        self._started.set()
        if self.pairs is not None:
            await self.pairs.start()
        self._notify()

    def _restore(self, stored: StoredAccount) -> None:
        account = self.account
        if stored.last is not None:
            account.cash = stored.last.cash
            self._last_sample_ms = stored.last.ts
        day_start = None
        if stored.day_start is not None:
            day_start = (stored.day_start.ts - stored.day_start.ts % 86_400_000, stored.day_start.equity)
        account.restore(
            stored.positions, stored.orders, stored.plans, stored.triggered, marks=stored.marks, day_start=day_start
        )

    async def close(self) -> None:
        """A last equity sample at the market time the account last saw: the next start's gap begins there."""
        if self.pairs is not None:
            await self.pairs.close()
        now = self._clock()
        if self._started.is_set() and now > 0:
            self._last_write = self._store.submit_equity(self.account_name, self.sample(now))
        if self._last_write is not None:
            try:
                await asyncio.wrap_future(self._last_write)
            except Exception as exc:
                log.error("paper account: the last write failed: %s", exc)

    def on_update(self, listener: Listener) -> None:
        """Call `listener` (on the loop) after every change of orders or positions."""
        self._listeners.append(listener)

    # ----------------------------------------------------------------- the market
    def on_trades(self, trades: Sequence[Trade]) -> None:
        """The feed's trades, in order (a feed listener: cheap for symbols without open orders)."""
        if not self._started.is_set():
            return
        account = self.account
        changed = False
        for trade in trades:
            changes = on_trade(account, trade, self._books)
            if changes:
                self._persist(changes, force_sample=bool(changes.fills))
                changed = True
        if trades and trades[-1].ts - self._last_sample_ms >= SAMPLE_EVERY_MS:
            self._sample(trades[-1].ts)
        if changed:
            self._notify()
        if self.pairs is not None:
            self.pairs.on_trades(trades)

    # ----------------------------------------------------------------- Broker
    async def place(self, request: OrderRequest) -> Order:
        await self._ready(request)
        order, changes = self.account.place(request, self._clock(), self._market(request.symbol))
        self._after(changes)
        return order

    async def place_bracket(self, bracket: BracketRequest) -> Order:
        await self._ready(bracket.entry)
        order, changes = self.account.place_bracket(bracket, self._clock(), self._market(bracket.entry.symbol))
        self._after(changes)
        return order

    async def cancel(self, order_id: str) -> Order:
        try:
            order, changes = self.account.cancel(order_id, self._clock())
        except KeyError:
            stored = await self._stored_order(order_id)
            if stored is None:
                raise OrderRejected(f"no paper order {order_id}") from None
            return stored
        self._after(changes)
        return order

    async def cancel_all(self, symbol: str | None = None) -> Sequence[Order]:
        ended, changes = self.account.cancel_all(self._clock(), symbol)
        self._after(changes)
        return ended

    async def order_by_client_id(self, client_id: str) -> Order | None:
        found = self.account.find_client(client_id)
        if found is not None:
            return found
        await self._settled()
        return await asyncio.to_thread(self._store.order_by_client_id, self.account_name, client_id)

    async def open_orders(self, symbol: str | None = None) -> Sequence[Order]:
        return [o for o in self.account.orders.values() if symbol is None or o.request.symbol == symbol]

    async def fills(self, symbol: str | None = None, since_ms: int | None = None) -> Sequence[Fill]:
        await self._settled()
        return await asyncio.to_thread(self._store.fills, self.account_name, symbol, since_ms)

    async def balances(self) -> Mapping[str, Balance]:
        account = self.account
        quote = self.settings.terms.quote
        locked = account.locked_quote()
        out = {quote: Balance(quote, account.cash - locked, locked)}
        for (symbol, _pair), position in account.positions.items():
            base = symbol.split("/", 1)[0]
            held = out.get(base)
            qty = position.qty + (held.free if held is not None else 0.0)
            out[base] = Balance(base, qty, 0.0)
        return out

    async def positions(self) -> Sequence[Position]:
        return list(self.account.positions.values())

    async def close_position(self, symbol: str, pair_id: str | None = None, client_id: str | None = None) -> Order:
        """Flatten one position with a reduce-only market order (the kill switch's second half, per position)."""
        position = self.account.positions.get((symbol, pair_id))
        if position is None:
            raise OrderRejected(f"no paper position in {symbol} to close")
        side: Side = "sell" if position.qty > 0 else "buy"
        cid = client_id or f"close-{symbol}-{pair_id or ''}-{self._clock()}"
        request = OrderRequest(cid, symbol, side, "market", abs(position.qty), reduce_only=True, pair_id=pair_id)
        return await self.place(request)

    # ----------------------------------------------------------------- reads for the screens
    def view(self) -> AccountView:
        account = self.account
        now = self._clock()
        locked = account.locked_quote()
        positions = tuple((p, account.mark(p)) for p in account.positions.values())
        return AccountView(
            ts=now,
            quote=self.settings.terms.quote,
            equity=account.equity(),
            cash=account.cash,
            free=account.cash - locked,
            locked=locked,
            unrealized=account.unrealized(),
            day_pnl=account.day_pnl(now) if now > 0 else 0.0,
            positions=positions,
            orders=tuple(account.orders.values()),
        )

    def sample(self, ts: int) -> EquitySample:
        account = self.account
        return EquitySample(ts, account.equity(), account.cash, account.unrealized())

    # ----------------------------------------------------------------- internals
    async def _ready(self, request: OrderRequest) -> None:
        await self._started.wait()
        if request.symbol not in self._watched():
            raise OrderRejected(f"{request.symbol} is not on the watchlist: add it first, nothing would fill the order")
        if self.account.client_order_id(request.client_id) is None:
            taken = await asyncio.to_thread(self._store.order_by_client_id, self.account_name, request.client_id)
            if taken is not None:
                raise OrderRejected(f"client id {request.client_id!r} was already used by order {taken.id}")

    def _market(self, symbol: str) -> MarketView:
        view = self._books(symbol)
        last = self.account.marks.get(symbol)
        return MarketView(view.bids, view.asks, view.last if view.last is not None else last)

    def _after(self, changes: Changes) -> None:
        if changes:
            self._persist(changes, force_sample=bool(changes.fills))
            self._notify()

    def _persist(self, changes: Changes, *, force_sample: bool) -> None:
        sample = None
        if force_sample and changes.fills:
            ts = max(fill.time_ms for fill in changes.fills)
            sample = self.sample(ts)
            self._last_sample_ms = max(self._last_sample_ms, ts)
        self._last_write = self._store.submit_changes(self.account_name, changes, sample)

    def _sample(self, ts: int) -> None:
        self._last_sample_ms = ts
        self._last_write = self._store.submit_equity(self.account_name, self.sample(ts))

    async def _settled(self) -> None:
        if self._last_write is not None:
            try:
                await asyncio.wrap_future(self._last_write)
            except Exception:
                return

    async def _stored_order(self, order_id: str) -> Order | None:
        await self._settled()
        orders = await asyncio.to_thread(self._store.orders, self.account_name, limit=100_000)
        return next((o for o in orders if o.id == order_id), None)

    def _notify(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:
                log.exception("paper account listener failed")

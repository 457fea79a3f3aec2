"""Pairs positions run as bots on the paper broker: each pair's z-score read at every trade of a leg, both legs
placed together when the band rule says so (`domain.trading.pair_trade`).

A decision is acted on in a task of its own, one at a time per pair (a pair with orders in flight is not
judged again until they are done). When the second leg of an entry is refused, the first is closed at once —
a pairs position is never left with one leg — and the pair waits a minute of market time before it tries again,
so a guard that refuses every time is one log line a minute, not one per trade.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from cryptoterm.domain.market import Trade
from cryptoterm.domain.trading import pair_trade as pt
from cryptoterm.domain.trading.orders import OrderRejected, OrderRequest
from cryptoterm.ports.broker import Broker
from cryptoterm.ports.trading import PairPositionStore

log = logging.getLogger(__name__)

#: Market time a pair waits after an action failed.
RETRY_AFTER_MS = 60_000

LastPrice = Callable[[str], float | None]


@dataclass(frozen=True, slots=True)
class PairView:
    """A pairs position as the screens show it: the spec, where its bot stands, and the z-score now."""

    spec: pt.PairSpec
    status: pt.PairStatus
    z: float


class PairsTrader:
    """See the module docstring."""

    def __init__(
        self,
        broker: Broker,
        store: PairPositionStore,
        account: str,
        clock: Callable[[], int],
        last_price: LastPrice,
        *,
        watch: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self._broker = broker
        self._store = store
        self._account = account
        self._clock = clock
        self._last = last_price
        self._watch = watch
        self._pairs: dict[str, tuple[pt.PairSpec, pt.PairStatus]] = {}
        self._created: dict[str, int] = {}
        self._busy: set[str] = set()
        self._retry_at: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """The active pairs back from the store (their legs' positions are the broker's)."""
        stored = await asyncio.to_thread(self._store.pair_positions, self._account)
        if stored:
            await self._preload()
        for spec, status in stored:
            self._pairs[spec.pair_id] = (spec, status)
            self._created[spec.pair_id] = status.opened_ms or self._clock()
            await self._watch_legs(spec)

    async def settle(self) -> None:
        """Wait for the orders in flight (shutdown, and a test stepping through a market)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        await self.settle()

    # ----------------------------------------------------------------- the trader's controls
    async def add(self, spec: pt.PairSpec) -> PairView:
        """Start trading a pair; `OrderRejected` (one line) for a spec that cannot trade or a duplicate id."""
        problem = spec.problem()
        if problem is not None:
            raise OrderRejected(problem)
        if spec.pair_id in self._pairs:
            raise OrderRejected(f"pair {spec.pair_id} is already traded")
        await self._preload()
        await self._watch_legs(spec)
        now = self._clock()
        status = pt.PairStatus()
        self._pairs[spec.pair_id] = (spec, status)
        self._created[spec.pair_id] = now
        self._store.save_pair(self._account, spec, status, now)
        log.info("trading the pair %s (%s hedge, beta %.4f)", spec.label, spec.hedge, spec.beta)
        return self.view(spec.pair_id)

    async def stop(self, pair_id: str) -> PairView:
        """Stop the bot for good, closing both legs if the spread is held."""
        if pair_id not in self._pairs:
            raise OrderRejected(f"no pairs position {pair_id}")
        while pair_id in self._busy:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._busy.add(pair_id)
        try:
            spec, status = self._pairs[pair_id]
            z = self._z(spec)
            await self._flatten(spec, f"s{status.trades + 1}-{self._clock()}")
            self._set(spec, pt.closed(status, "stopped", z, self._clock(), for_good=True))
        finally:
            self._busy.discard(pair_id)
        view = self.view(pair_id)
        del self._pairs[pair_id]
        return view

    def views(self) -> list[PairView]:
        return [self.view(pair_id) for pair_id in self._pairs]

    def view(self, pair_id: str) -> PairView:
        spec, status = self._pairs[pair_id]
        return PairView(spec, status, self._z(spec))

    # ----------------------------------------------------------------- the market
    def on_trades(self, trades: Sequence[Trade]) -> None:
        """Judge every pair a leg of which traded (cheap when no pair is traded)."""
        if not self._pairs or not trades:
            return
        symbols = {trade.symbol for trade in trades}
        now = trades[-1].ts
        for pair_id, (spec, status) in list(self._pairs.items()):
            if pair_id in self._busy or (spec.y not in symbols and spec.x not in symbols):
                continue
            if now < self._retry_at.get(pair_id, 0):
                continue
            z = self._z(spec)
            decision = pt.decide(spec, status, z)
            if decision.acts:
                self._busy.add(pair_id)
                task = asyncio.get_running_loop().create_task(self._act(pair_id, decision, z), name=f"pair {pair_id}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _act(self, pair_id: str, decision: pt.PairDecision, z: float) -> None:
        spec, status = self._pairs[pair_id]
        now = self._clock()
        try:
            if decision.direction:
                if await self._open(spec, decision.direction, f"o{status.trades + 1}-{now}"):
                    self._set(spec, pt.opened(status, decision.direction, z, now))
                    log.info("pair %s: opened %s the spread at z %.2f", spec.label, _word(decision.direction), z)
            elif decision.reason is not None:
                await self._flatten(spec, f"c{status.trades + 1}-{now}")
                self._set(spec, pt.closed(status, decision.reason, z, now))
                log.info("pair %s: %s at z %.2f", spec.label, decision.reason, z)
        except OrderRejected as exc:
            self._retry_at[pair_id] = now + RETRY_AFTER_MS
            log.error("pair %s: %s", spec.label, exc)
        except Exception:
            self._retry_at[pair_id] = now + RETRY_AFTER_MS
            log.exception("pair %s failed", spec.label)
        finally:
            self._busy.discard(pair_id)

    async def _open(self, spec: pt.PairSpec, direction: int, tag: str) -> bool:
        price_y, price_x = self._last(spec.y), self._last(spec.x)
        if price_y is None or price_x is None:
            return False
        first, second = pt.entry_orders(spec, direction, price_y, price_x, tag)
        await self._broker.place(first)
        try:
            await self._broker.place(second)
        except OrderRejected:
            await self._flatten(spec, f"u{tag}")  # never one leg alone
            raise
        return True

    async def _flatten(self, spec: pt.PairSpec, tag: str) -> None:
        legs = [p for p in await self._broker.positions() if p.pair_id == spec.pair_id]
        orders: list[OrderRequest] = pt.exit_orders(spec, legs, tag)
        for request in orders:
            await self._broker.place(request)

    def _set(self, spec: pt.PairSpec, status: pt.PairStatus) -> None:
        self._pairs[spec.pair_id] = (spec, status)
        self._store.save_pair(self._account, spec, status, self._created.get(spec.pair_id, self._clock()))

    def _z(self, spec: pt.PairSpec) -> float:
        return pt.pair_zscore(spec, self._last(spec.y), self._last(spec.x))

    async def _watch_legs(self, spec: pt.PairSpec) -> None:
        if self._watch is None:
            return
        for symbol in (spec.y, spec.x):
            try:
                await self._watch(symbol)
            except ValueError as exc:
                log.warning("pair %s: %s", spec.label, exc)

    @staticmethod
    async def _preload() -> None:
        """The band rule and the spread's z-score live in modules that take half a second to import: load them
        in a thread before the first trade needs them on the loop."""
        for name in ("cryptoterm.domain.backtest.pairs", "cryptoterm.domain.pairs.detail"):
            await asyncio.to_thread(importlib.import_module, name)


def _word(direction: int) -> str:
    return "long" if direction > 0 else "short"

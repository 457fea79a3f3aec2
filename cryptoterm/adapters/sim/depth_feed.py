"""The simulated market's order books: one 100-level book per subscribed symbol, published as a snapshot once
and then as diffs, each chained by update ids as an exchange's are (ids carry on across an unsubscribe, so a new
snapshot never goes back). The market owns the best bid / ask; this module only moves the books to them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from cryptoterm.adapters.sim.book import SimBook
from cryptoterm.adapters.sim.universe import SymbolSpec
from cryptoterm.domain.market import BookTop, DepthSnapshot, MarketEvent

#: A seeded generator for a (symbol index, optional time) key: the market's draws stay reproducible.
RngFor = Callable[..., np.random.Generator]


class SimDepthFeed:
    """Books of the subscribed symbols. `rng_for(i)` seeds a symbol's live book; `one_off_rng(i, now)` seeds a
    one-off book for a symbol that is not subscribed."""

    def __init__(
        self, specs: Sequence[SymbolSpec], top_size: npt.NDArray[np.float64], rng_for: RngFor, one_off_rng: RngFor
    ) -> None:
        self._specs = specs
        self._index = {spec.symbol: i for i, spec in enumerate(specs)}
        self._top_size = top_size
        self._rng_for = rng_for
        self._one_off_rng = one_off_rng
        self.subscribed: dict[str, None] = {}
        self._books: dict[int, SimBook] = {}
        self._rngs: dict[int, np.random.Generator] = {}
        self._last_ids: dict[int, int] = {}
        self._snapshot_due: set[int] = set()

    def subscribe(self, symbol: str) -> None:
        self.subscribed.setdefault(symbol, None)

    def unsubscribe(self, symbol: str) -> None:
        if self.subscribed.pop(symbol, 0) is None:
            i = self._index[symbol]
            book = self._books.pop(i, None)
            if book is not None:
                self._last_ids[i] = book.last_update_id

    def events(self, ts: int, bid: npt.NDArray[np.int64], ask: npt.NDArray[np.int64]) -> list[MarketEvent]:
        """Each subscribed book moved to the market's best bid / ask (in ticks) at `ts`: a snapshot when the
        book is new, else its diff, then its top."""
        events: list[MarketEvent] = []
        for symbol in self.subscribed:
            i = self._index[symbol]
            book = self._books.get(i)
            if book is None:
                rng = self._rngs.setdefault(i, self._rng_for(i))
                book = self._books[i] = self._new_book(i, rng, self._last_ids.get(i, 0) + 1)
                self._snapshot_due.add(i)
            update = book.move(ts, int(bid[i]), int(ask[i]))
            if i in self._snapshot_due:
                self._snapshot_due.discard(i)
                events.append(book.snapshot(ts))
            elif update is not None:
                events.append(update)
            events.append(BookTop(symbol, ts, *book.top()))
        return events

    def snapshot(self, i: int, now_ms: int, bid: int, ask: int, limit: int) -> DepthSnapshot:
        """The live book of a subscribed symbol (its ids chain with the diffs), else a one-off book around the
        best bid / ask."""
        book = self._books.get(i)
        if book is None:
            book = self._new_book(i, self._one_off_rng(i, now_ms))
            book.move(now_ms, bid, ask)
        return book.snapshot(now_ms, limit)

    def _new_book(self, i: int, rng: np.random.Generator, first_update_id: int = 1) -> SimBook:
        """A 100-level book per side on a grid of about 2 bp (so it spans about 2% of the price)."""
        spec = self._specs[i]
        step = max(1, round(spec.price * 0.0002 / spec.tick))
        return SimBook(
            spec.symbol, spec.tick, step, float(self._top_size[i]), spec.lot, rng, first_update_id=first_update_id
        )

"""Trades → OHLCV bars for every timeframe, with exact UTC bucket boundaries.

The feed pushes hundreds of thousands of trades per second through here, so the design keeps per-trade work to
a handful of float and int operations on one mutable accumulator:

* Only the smallest timeframe (the *base*, normally 1m) is updated per trade. Larger timeframes are rolled up:
  each keeps a *partial* — the fold of its base bars that already closed — and its forming bar is that partial
  folded with the forming base bar. A base bar closes once a minute, so the roll-up costs nothing per trade,
  and OHLC, trade counts and bucket keys are identical to aggregating the trades directly (volumes differ only
  by float association, within 1e-12 relative).
* Per symbol there is one *watermark*: the newest trade time (or `advance` time) seen. For each timeframe the
  bar whose bucket contains the watermark is the only one that accepts trades. Bars are published in strictly
  increasing open-time order and never reopened, so a trade whose bucket starts before that bar is *late* for
  that timeframe: it is counted and skipped there, yet still applied to every larger timeframe whose bucket
  still contains it — it goes straight into that timeframe's partial, so the roll-up stays exact. Late sets are
  nested (late for 1h implies late for 5m implies late for 1m) whenever each timeframe divides the next.
* Out-of-order trades inside the accepting bar are fine: open is the price of the earliest-timestamped trade and
  close of the latest-timestamped one, ties broken by arrival order — the same answer as a stable sort by time
  followed by first/last, i.e. what pandas' resample gives on the sorted trades.
* Buckets without trades produce no bar: gaps stay gaps, as on the exchange.

Everything is pure: time arrives as trade timestamps or as the `now_ms` argument of `advance`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

from cryptoterm.domain.bar_accumulator import NO_TIME, BarAccumulator, SymbolBars, check_seed, merged_forming
from cryptoterm.domain.market import BarClosed, Candle, Trade
from cryptoterm.domain.timeframes import DAY_MS, TIMEFRAMES, timeframe_ms

__all__ = ["BarBuilder"]


class BarBuilder:
    """Builds OHLCV bars for every configured timeframe of every symbol from a stream of trades.

    Construct once per feed: `BarBuilder()` (1m, 5m, 15m, 1h, 4h, 1d) or `BarBuilder(("1m", "1h"))`. Feed
    trades with `on_trades(batch)` (fastest) or `on_trade(trade)`; both return the `BarClosed` events of bars
    whose bucket ended, smallest timeframe first. Call `advance(now_ms)` on a timer so a quiet market still
    closes its bars on time. Read the live candles with `forming()` / `forming_all()`.

    Timeframes must be whole multiples of the smallest one and at most 1d (epoch-aligned buckets match the
    exchange's only up to a day: Binance weeks start on Monday, the epoch on a Thursday).
    """

    def __init__(self, timeframes: Sequence[str] = TIMEFRAMES) -> None:
        if not timeframes:
            raise ValueError("BarBuilder needs at least one timeframe")
        pairs = sorted(((timeframe_ms(tf), tf) for tf in timeframes), key=lambda p: p[0])
        for (prev_len, prev_tf), (length, tf) in pairwise(pairs):
            if length == prev_len:
                raise ValueError(f"timeframes {prev_tf!r} and {tf!r} have the same length")
        base_len, base_tf = pairs[0]
        for length, tf in pairs:
            if length % base_len:
                raise ValueError(f"timeframe {tf!r} is not a whole multiple of the smallest timeframe {base_tf!r}")
            if length > DAY_MS:
                raise ValueError(f"timeframe {tf!r} is longer than 1d; its buckets would not match the exchange's")
        self.timeframes: tuple[str, ...] = tuple(tf for _, tf in pairs)
        self._lengths: tuple[int, ...] = tuple(length for length, _ in pairs)
        self._base_ms = base_len
        self._index = {tf: i for i, tf in enumerate(self.timeframes)}
        self._states: dict[str, SymbolBars] = {}
        self._advanced = NO_TIME
        self._late = [0] * len(self.timeframes)
        #: Trades that arrived after the base bar of their time had been closed. Each was still applied to every
        #: larger timeframe whose bar was forming; `late_by_timeframe` says where it was skipped.
        self.late_trades = 0

    # -- queries -------------------------------------------------------------------------------------------

    @property
    def late_by_timeframe(self) -> dict[str, int]:
        """How many trades each timeframe skipped as late. When each timeframe divides the next (the default
        set does) the counts are nested: never more for a larger timeframe."""
        return dict(zip(self.timeframes, self._late, strict=True))

    def symbols(self) -> list[str]:
        """Symbols that have state (seeded or traded)."""
        return list(self._states)

    def forming(self, symbol: str, timeframe: str) -> Candle | None:
        """The bar still forming for `symbol` at `timeframe` (closed=False), or None when that bucket has no
        trade yet."""
        k = self._tf_index(timeframe)
        st = self._states.get(symbol)
        if st is None:
            return None
        base = st.base
        if k == 0:
            return base.candle(base.t, False) if base.a else None
        part = st.parts[k - 1]
        open_time = st.floors[k]
        if part.a:
            return merged_forming(part, base, open_time) if base.a else part.candle(open_time, False)
        return base.candle(open_time, False) if base.a else None

    def forming_all(self, symbol: str) -> dict[str, Candle]:
        """Every forming bar of `symbol`, keyed by timeframe; timeframes without one are left out."""
        out: dict[str, Candle] = {}
        for tf in self.timeframes:
            candle = self.forming(symbol, tf)
            if candle is not None:
                out[tf] = candle
        return out

    # -- updates -------------------------------------------------------------------------------------------

    def on_trade(self, trade: Trade) -> list[BarClosed]:
        """Apply one trade; returns the bars it closed (empty almost always)."""
        st = self._states.get(trade.symbol)
        if st is None:
            st = self._new_state(trade.symbol)
        b = st.base
        ts = trade.ts
        out: list[BarClosed] = []
        if b.t <= ts < b.e:
            p = trade.price
            qty = trade.qty
            if p > b.h:
                b.h = p
            elif p < b.l:
                b.l = p
            if ts >= b.cts:
                b.c = p
                b.cts = ts
            elif ts < b.ots:
                b.o = p
                b.ots = ts
            b.v += qty
            b.q += p * qty
            b.n += 1
        else:
            self._slow(st, ts, trade.price, trade.qty, out)
        return out

    def on_trades(self, trades: Iterable[Trade]) -> list[BarClosed]:
        """Apply a batch of trades in arrival order; returns the bars they closed, in the order they closed.

        The per-trade work is inlined here (no call per trade): a range check against the forming base bar and
        a few float updates on it.
        """
        out: list[BarClosed] = []
        states = self._states
        cur_sym: str | None = None
        st: SymbolBars | None = None
        b = BarAccumulator()
        for tr in trades:
            sym = tr[0]
            if sym != cur_sym or st is None:
                st = states.get(sym)
                if st is None:
                    st = self._new_state(sym)
                cur_sym = sym
                b = st.base
            ts = tr[1]
            p = tr[2]
            if b.t <= ts < b.e:
                if p > b.h:
                    b.h = p
                elif p < b.l:
                    b.l = p
                if ts >= b.cts:
                    b.c = p
                    b.cts = ts
                elif ts < b.ots:
                    b.o = p
                    b.ots = ts
                qty = tr[3]
                b.v += qty
                b.q += p * qty
                b.n += 1
            else:
                self._slow(st, ts, p, tr[3], out)
        return out

    def advance(self, now_ms: int) -> list[BarClosed]:
        """Close every forming bar whose period ended at or before `now_ms`, traded on or not.

        Time only moves forward: `now_ms` also becomes the watermark, so a trade that arrives afterwards for a
        bucket that ended by then is late. Symbols first seen later start from this watermark too.
        """
        out: list[BarClosed] = []
        if now_ms > self._advanced:
            self._advanced = now_ms
        for st in self._states.values():
            self._roll(st, now_ms, out)
        return out

    def seed(self, symbol: str, timeframe: str, candles: Sequence[Candle]) -> list[BarClosed]:
        """Start `symbol`'s `timeframe` from history (oldest first, as fetched over REST or from the store).

        Closed candles move the watermark past them (trades for those buckets are late from then on). A last
        candle with closed=False becomes the forming bar; if it is already older than the watermark it is
        ignored. Seed each timeframe from its own history, before feeding that symbol trades: closed base
        candles are not folded into larger timeframes. Returns the bars the new watermark closed (normally none).
        Raises ValueError naming the candle index and field on unaligned, unordered or inconsistent candles.
        """
        k = self._tf_index(timeframe)
        length = self._lengths[k]
        check_seed(symbol, timeframe, length, candles)
        out: list[BarClosed] = []
        if not candles:
            return out
        st = self._states.get(symbol)
        if st is None:
            st = self._new_state(symbol)
        last = candles[-1]
        if last.closed:
            self._roll(st, last.open_time + length, out)
            return out
        if len(candles) > 1:
            self._roll(st, candles[-2].open_time + length, out)
        self._roll(st, last.open_time, out)
        if st.floors[k] != last.open_time:
            return out
        base = st.base
        if k == 0:
            base.t = last.open_time
            base.e = last.open_time + length
            base.set_candle(last)
            for part in st.parts:
                if part.a and part.seeded:
                    part.subtract_additive(base)
        else:
            part = st.parts[k - 1]
            part.set_candle(last)
            if base.a:
                part.subtract_additive(base)
        return out

    def discard(self, symbol: str) -> None:
        """Forget a symbol (after unsubscribing); its forming bars are dropped unpublished."""
        self._states.pop(symbol, None)

    # -- internals -----------------------------------------------------------------------------------------

    def _tf_index(self, timeframe: str) -> int:
        try:
            return self._index[timeframe]
        except KeyError:
            raise ValueError(
                f"timeframe {timeframe!r} is not built here (built: {', '.join(self.timeframes)})"
            ) from None

    def _new_state(self, symbol: str) -> SymbolBars:
        w = self._advanced
        floors = [NO_TIME if w == NO_TIME else w - w % length for length in self._lengths]
        st = SymbolBars(symbol, floors, self._lengths)
        self._states[symbol] = st
        return st

    def _slow(self, st: SymbolBars, ts: int, price: float, qty: float, out: list[BarClosed]) -> None:
        """A trade outside the forming base bar: it opens a new base bucket, or it is late for the base."""
        floors = st.floors
        b0 = ts - ts % self._base_ms
        if b0 >= floors[0]:
            if b0 > floors[0]:
                self._roll(st, ts, out)
            base = st.base
            base.t = b0
            base.e = b0 + self._base_ms
            base.start(ts, price, qty)
            return
        self.late_trades += 1
        late = self._late
        late[0] += 1
        lengths = self._lengths
        for k, part in enumerate(st.parts, 1):
            length = lengths[k]
            if ts - ts % length >= floors[k]:
                part.add(ts, price, qty)
            else:
                late[k] += 1

    def _roll(self, st: SymbolBars, w: int, out: list[BarClosed]) -> None:
        """Raise the symbol's watermark to `w`: publish every bar whose bucket now lies behind it.

        The base bar is folded into each larger partial before it is cleared (every active larger bucket
        contains it), then each larger timeframe whose bucket moved publishes its partial.
        """
        floors = st.floors
        b0 = w - w % self._base_ms
        if b0 <= floors[0]:
            return
        names = self.timeframes
        symbol = st.symbol
        base = st.base
        if base.a:
            out.append(BarClosed(symbol, names[0], base.candle(base.t, True)))
            for part in st.parts:
                part.fold(base)
            base.clear()
        floors[0] = b0
        lengths = self._lengths
        for k, part in enumerate(st.parts, 1):
            length = lengths[k]
            bk = w - w % length
            if bk > floors[k]:
                if part.a:
                    out.append(BarClosed(symbol, names[k], part.candle(floors[k], True)))
                    part.clear()
                floors[k] = bk
                part.t = bk
                part.e = bk + length

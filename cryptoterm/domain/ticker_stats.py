"""Rolling 24 h ticker statistics per symbol, kept from 1m bars instead of trades.

A ticker table refreshes many symbols several times a second, so a snapshot must cost O(1). Each symbol keeps
the closed 1m bars of the last 24 h in a deque with running sums (volume, quote volume) and monotonic deques for
the window's high and low; a closed bar costs O(1) amortised, and a snapshot folds in the forming bar. The
window is the 1440 one-minute buckets ending with the current one, so `open_24h` is the price at the start of
the oldest traded minute in it: Binance's rolling 24 h ticker to within a minute.

Live exchanges publish their own 24 h statistics (Binance `@ticker`): those are authoritative for the rolling
fields while fresh, because they cover trades from before the app started; the latest price still comes from
the bars when they are at least as new. Best bid/ask come from `BookTop` events.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Final

from cryptoterm.domain.bars import BarBuilder
from cryptoterm.domain.market import BarClosed, BookTop, Candle, Kline, MarketEvent, TickerStats
from cryptoterm.domain.timeframes import DAY_MS, MINUTE_MS, timeframe_ms

__all__ = ["RollingTicker", "TickerBook"]

_NAN: Final = float("nan")
#: Exchange 24 h stats older than this give way to the rolling values (the exchange stream has gone quiet).
DEFAULT_EXCHANGE_TTL_MS: Final = 5 * MINUTE_MS


class RollingTicker:
    """One symbol's rolling window of closed bars, best bid/ask and the exchange's latest 24 h stats.

    `bar_ms` is the length of the bars fed in (1m by default) and `window_ms` the rolling period (24 h).
    Feed closed bars with `on_bar`, normally in open-time order (O(1) amortised). An older bar still inside the
    window — a gap backfilled over REST after a reconnect — is inserted, or replaces the bar with the same open
    time (the exchange's bar is complete where one built from a broken stream may not be); the window is then
    rebuilt in O(window), which is rare. Bars already outside the window are counted in `ignored_bars`.
    """

    __slots__ = (
        "_ask",
        "_bars",
        "_bid",
        "_exchange",
        "_exchange_ttl_ms",
        "_forming",
        "_highs",
        "_last_close",
        "_lows",
        "_n_bars",
        "_quote",
        "_since_exact",
        "_volume",
        "bar_ms",
        "ignored_bars",
        "symbol",
        "window_ms",
    )

    def __init__(
        self,
        symbol: str,
        *,
        bar_ms: int = MINUTE_MS,
        window_ms: int = DAY_MS,
        exchange_ttl_ms: int = DEFAULT_EXCHANGE_TTL_MS,
    ) -> None:
        if bar_ms <= 0 or window_ms < bar_ms or window_ms % bar_ms:
            raise ValueError(f"window_ms ({window_ms}) must be a positive multiple of bar_ms ({bar_ms})")
        self.symbol = symbol
        self.bar_ms = bar_ms
        self.window_ms = window_ms
        self._n_bars = window_ms // bar_ms
        self._exchange_ttl_ms = exchange_ttl_ms
        self._bars: deque[Candle] = deque()
        # Monotonic deques of (open_time, value): the front is the window's high / low.
        self._highs: deque[tuple[int, float]] = deque()
        self._lows: deque[tuple[int, float]] = deque()
        self._volume = 0.0
        self._quote = 0.0
        self._since_exact = 0
        self._forming: Candle | None = None
        self._last_close = _NAN
        self._bid = self._ask = _NAN
        self._exchange: TickerStats | None = None
        self.ignored_bars = 0

    # -- updates -------------------------------------------------------------------------------------------

    def on_bar(self, candle: Candle) -> None:
        """Add one closed bar."""
        bars = self._bars
        if bars and candle.open_time <= bars[-1].open_time:
            self._insert_older(candle)
            return
        bars.append(candle)
        self._last_close = candle.close
        self._volume += candle.volume
        self._quote += candle.quote_volume
        t = candle.open_time
        highs, lows = self._highs, self._lows
        while highs and highs[-1][1] <= candle.high:
            highs.pop()
        highs.append((t, candle.high))
        while lows and lows[-1][1] >= candle.low:
            lows.pop()
        lows.append((t, candle.low))
        forming = self._forming
        if forming is not None and forming.open_time <= t:
            self._forming = None
        self._evict(t)
        # Running sums drift by float rounding; re-add exactly once per window's worth of bars (O(1) amortised).
        self._since_exact += 1
        if self._since_exact >= self._n_bars:
            self._resum()

    def set_forming(self, candle: Candle | None) -> None:
        """The bar still forming (e.g. from a kline stream); ignored if not newer than the last closed bar."""
        if candle is not None and self._bars and candle.open_time <= self._bars[-1].open_time:
            return
        self._forming = candle

    def on_book(self, top: BookTop) -> None:
        self._bid = top.bid
        self._ask = top.ask

    def on_exchange_stats(self, stats: TickerStats) -> None:
        """The exchange's own 24 h statistics: they overwrite the rolling values while fresh."""
        current = self._exchange
        if current is None or stats.ts >= current.ts:
            self._exchange = stats

    # -- queries -------------------------------------------------------------------------------------------

    def snapshot(self, now_ms: int, forming: Candle | None = None) -> TickerStats:
        """24 h statistics as of `now_ms`. `forming` (e.g. the bar builder's forming bar) takes precedence over
        one set with `set_forming`. Prices are NaN and volumes 0 until anything is known."""
        current_bucket = now_ms - now_ms % self.bar_ms
        start = current_bucket - self.window_ms + self.bar_ms
        self._evict_before(start)
        bars = self._bars
        if forming is None:
            forming = self._forming
        if forming is not None and (forming.open_time < start or (bars and forming.open_time <= bars[-1].open_time)):
            forming = None

        if bars:
            open_ = bars[0].open
            high = self._highs[0][1]
            low = self._lows[0][1]
            volume = max(0.0, self._volume)
            quote = max(0.0, self._quote)
            newest = bars[-1]
            last = newest.close
            newest_time, newest_high, newest_low = newest.open_time, newest.high, newest.low
        else:
            open_ = high = low = _NAN
            volume = quote = 0.0
            last = newest_high = newest_low = _NAN
            newest_time = -1
        if forming is not None:
            if not bars:
                open_, high, low = forming.open, forming.high, forming.low
            else:
                high = max(high, forming.high)
                low = min(low, forming.low)
            volume += forming.volume
            quote += forming.quote_volume
            last = forming.close
            newest_time, newest_high, newest_low = forming.open_time, forming.high, forming.low
        if math.isnan(open_):
            last = self._last_close  # no trade in the window: the price has not moved since the last one
            open_ = high = low = last

        bid, ask = self._bid, self._ask
        ex = self._exchange
        if ex is not None and now_ms - ex.ts <= self._exchange_ttl_ms:
            # Our newest bar is at least as new as the exchange's figures when it covers the same minute or a
            # later one: its close is then the latest price, and its range may reach beyond the exchange's.
            open_, volume, quote = ex.open_24h, ex.volume_24h, ex.quote_volume_24h
            if newest_time >= ex.ts - ex.ts % self.bar_ms and not math.isnan(last):
                high = max(ex.high_24h, newest_high)
                low = min(ex.low_24h, newest_low)
            else:
                last, high, low = ex.last, ex.high_24h, ex.low_24h
            if math.isnan(bid):
                bid, ask = ex.bid, ex.ask
        return TickerStats(self.symbol, now_ms, last, open_, high, low, volume, quote, bid, ask)

    def window_bars(self) -> int:
        """Closed bars currently inside the window (after the last eviction)."""
        return len(self._bars)

    # -- internals -----------------------------------------------------------------------------------------

    def _evict(self, newest_open_time: int) -> None:
        self._evict_before(newest_open_time - self.window_ms + self.bar_ms)

    def _evict_before(self, start: int) -> None:
        bars = self._bars
        if not bars or bars[0].open_time >= start:
            return
        while bars and bars[0].open_time < start:
            old = bars.popleft()
            self._volume -= old.volume
            self._quote -= old.quote_volume
        highs, lows = self._highs, self._lows
        while highs and highs[0][0] < start:
            highs.popleft()
        while lows and lows[0][0] < start:
            lows.popleft()
        if not bars:
            self._volume = self._quote = 0.0
            self._since_exact = 0

    def _insert_older(self, candle: Candle) -> None:
        bars = self._bars
        newest = bars[-1].open_time
        if candle.open_time < newest - self.window_ms + self.bar_ms:
            self.ignored_bars += 1
            return
        times = [b.open_time for b in bars]
        i = bisect_left(times, candle.open_time)
        if i < len(times) and times[i] == candle.open_time:
            bars[i] = candle
        else:
            bars.insert(i, candle)
        if i == len(bars) - 1:
            self._last_close = candle.close
        self._rebuild()

    def _rebuild(self) -> None:
        """Recompute the sums and the monotonic high/low deques from the bars in the window."""
        highs: deque[tuple[int, float]] = deque()
        lows: deque[tuple[int, float]] = deque()
        for b in self._bars:
            while highs and highs[-1][1] <= b.high:
                highs.pop()
            highs.append((b.open_time, b.high))
            while lows and lows[-1][1] >= b.low:
                lows.pop()
            lows.append((b.open_time, b.low))
        self._highs, self._lows = highs, lows
        self._resum()

    def _resum(self) -> None:
        self._volume = math.fsum(b.volume for b in self._bars)
        self._quote = math.fsum(b.quote_volume for b in self._bars)
        self._since_exact = 0


class TickerBook:
    """Rolling 24 h statistics for every symbol, fed from the bar builder's events and the market stream.

    Typical wiring in the market feed::

        bars = BarBuilder()
        tickers = TickerBook(bars)          # forming 1m bars are read from the builder at snapshot time
        tickers.on_bars(bars.on_trades(trades))
        tickers.on_events(other_events)     # BookTop, TickerStats, Kline; anything else is ignored
        rows = tickers.snapshots(now_ms)

    Without a builder, 1m `Kline` events supply both closed and forming bars. `seed` loads the last day of
    closed 1m bars from history so the figures are right from the first frame.
    """

    def __init__(
        self,
        bars: BarBuilder | None = None,
        *,
        timeframe: str = "1m",
        window_ms: int = DAY_MS,
        exchange_ttl_ms: int = DEFAULT_EXCHANGE_TTL_MS,
    ) -> None:
        self._bar_ms = timeframe_ms(timeframe)
        if bars is not None and timeframe not in bars.timeframes:
            raise ValueError(f"the bar builder does not build {timeframe!r} (it builds {', '.join(bars.timeframes)})")
        self._builder = bars
        self.timeframe = timeframe
        self._window_ms = window_ms
        self._ttl = exchange_ttl_ms
        self._tickers: dict[str, RollingTicker] = {}

    def ticker(self, symbol: str) -> RollingTicker:
        """The symbol's rolling ticker, created on first use."""
        t = self._tickers.get(symbol)
        if t is None:
            t = RollingTicker(symbol, bar_ms=self._bar_ms, window_ms=self._window_ms, exchange_ttl_ms=self._ttl)
            self._tickers[symbol] = t
        return t

    def symbols(self) -> list[str]:
        return list(self._tickers)

    def seed(self, symbol: str, candles: Sequence[Candle]) -> None:
        """Closed bars of this book's timeframe from history, oldest first (forming ones are skipped)."""
        ticker = self.ticker(symbol)
        for candle in candles:
            if candle.closed:
                ticker.on_bar(candle)

    def on_bars(self, events: Iterable[BarClosed]) -> None:
        """Closed bars from the bar builder; only this book's timeframe is used."""
        tf = self.timeframe
        for event in events:
            if event.timeframe == tf:
                self.ticker(event.symbol).on_bar(event.candle)

    def on_event(self, event: MarketEvent) -> None:
        """Book tops, exchange 24 h stats and klines of this book's timeframe; other events are ignored."""
        if isinstance(event, BookTop):
            self.ticker(event.symbol).on_book(event)
        elif isinstance(event, TickerStats):
            self.ticker(event.symbol).on_exchange_stats(event)
        elif isinstance(event, Kline) and event.timeframe == self.timeframe:
            ticker = self.ticker(event.symbol)
            if event.candle.closed:
                ticker.on_bar(event.candle)
            else:
                ticker.set_forming(event.candle)

    def on_events(self, events: Iterable[MarketEvent]) -> None:
        for event in events:
            self.on_event(event)

    def snapshot(self, symbol: str, now_ms: int) -> TickerStats:
        """The symbol's 24 h statistics as of `now_ms` (NaN prices for a symbol nothing is known about)."""
        ticker = self._tickers.get(symbol)
        if ticker is None:
            return TickerStats(symbol, now_ms, _NAN, _NAN, _NAN, _NAN, 0.0, 0.0)
        forming = self._builder.forming(symbol, self.timeframe) if self._builder is not None else None
        return ticker.snapshot(now_ms, forming)

    def snapshots(self, now_ms: int, symbols: Iterable[str] | None = None) -> tuple[TickerStats, ...]:
        """Snapshots for `symbols` (default: every known symbol), in the order given."""
        names = self._tickers if symbols is None else symbols
        return tuple(self.snapshot(symbol, now_ms) for symbol in names)

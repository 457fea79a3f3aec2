"""The demo's 24 h tickers count the closed 1m bars of the day and the forming minute's trades so far."""

from __future__ import annotations

import pytest

from cryptoterm.adapters.sim.market import SimulatedMarket
from cryptoterm.config.schema import DemoConfig
from cryptoterm.domain.market import Trade
from cryptoterm.domain.timeframes import DAY_MS, MINUTE_MS

START = 1_700_000_040_000 - 1_700_000_040_000 % MINUTE_MS


async def test_tickers_equal_the_day_bars_plus_the_forming_minutes_trades() -> None:
    market = SimulatedMarket(DemoConfig(seed=3, speed=0.0, history_days=2), START)
    forming: list[Trade] = []
    for _ in range(60 * 1000 // market.batch_ms + 250):  # one minute and a quarter: mid-minute at the end
        for event in market.next_batch():
            if isinstance(event, Trade):
                forming = [] if forming and event.ts // MINUTE_MS != forming[-1].ts // MINUTE_MS else forming
                forming.append(event)
    now = market.now_ms()
    assert now % MINUTE_MS != 0 and forming
    day = market.bars_1m(now - DAY_MS)
    tickers = {t.symbol: t for t in await market.fetch_tickers()}
    for i, symbol in enumerate(market.symbols):
        mine = [t for t in forming if t.symbol == symbol]
        high = max([float(day.high[i].max())] + [t.price for t in mine])
        low = min([float(day.low[i].min())] + [t.price for t in mine])
        volume = float(day.volume[i].sum()) + sum(t.qty for t in mine)
        quote = float(day.quote_volume[i].sum()) + sum(t.price * t.qty for t in mine)
        ticker = tickers[symbol]
        assert (ticker.high_24h, ticker.low_24h) == (high, low)
        assert ticker.volume_24h == pytest.approx(volume, rel=1e-12)
        assert ticker.quote_volume_24h == pytest.approx(quote, rel=1e-12)
        assert ticker.open_24h == float(day.open[i, 0])

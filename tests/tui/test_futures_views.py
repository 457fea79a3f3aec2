"""USDⓈ-M figures on screen: the watchlist's funding / next funding / open interest columns (in place of bid and
ask) and the symbol detail's futures line, from the engine's `FuturesStats` fed with stream and REST figures."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import App, ComposeResult

from cryptoterm.domain.market import MarkPrice, TickerStats
from cryptoterm.ports.futures import OpenInterest
from cryptoterm.services.futures_stats import FuturesStats
from cryptoterm.tui.screens.dashboard_views import futures_cells
from cryptoterm.tui.widgets.futures_line import FuturesLine, countdown
from cryptoterm.tui.widgets.watchlist import Watchlist

T0 = 1_723_161_600_000  # 2024-08-09 00:00 UTC


class _Source:
    async def premium_index(self, symbols: Sequence[str] | None = None) -> list[MarkPrice]:
        return [
            MarkPrice("BTC/USDT", T0, 61_000.0, 60_990.0, 0.0001, T0 + 3 * 3_600_000 + 12 * 60_000),
            MarkPrice("ETH/USDT", T0, 2_400.0, 2_399.0, -0.00025, T0 + 45_000),
        ]

    async def open_interest(self, symbol: str) -> OpenInterest:
        return OpenInterest(symbol, T0, 80_123.0 if symbol == "BTC/USDT" else 1_250_000.0)


async def _stats() -> FuturesStats:
    stats = FuturesStats(_Source(), dict, lambda: ["BTC/USDT", "ETH/USDT"])
    assert await stats.refresh_funding() and await stats.refresh_open_interest() == 2
    return stats


class _Board(App[None]):
    def compose(self) -> ComposeResult:
        yield Watchlist(futures=True, id="watchlist")
        yield FuturesLine(id="line")


class _Views:
    def __init__(self, futures: FuturesStats) -> None:
        self.futures = futures


async def test_the_watchlist_and_detail_show_funding_and_open_interest() -> None:
    stats = await _stats()
    cells = futures_cells(stats.quotes(), T0)
    assert cells[("BTC/USDT", "funding")].plain == "+0.0100" and cells[("BTC/USDT", "funding")].style == "green"
    assert cells[("ETH/USDT", "funding")].plain == "-0.0250" and cells[("ETH/USDT", "funding")].style == "red"
    assert cells[("BTC/USDT", "next")].plain == "3h12m" and cells[("ETH/USDT", "next")].plain == "45s"
    assert cells[("BTC/USDT", "oi")].plain == "80.1K" and cells[("ETH/USDT", "oi")].plain == "1.25M"
    app = _Board()
    async with app.run_test(size=(100, 20)) as pilot:
        watchlist = app.query_one(Watchlist)
        watchlist.apply_tickers(
            [
                TickerStats("BTC/USDT", T0, 61_000.0, 60_000.0, 61_500.0, 59_000.0, 10.0, 6e8, 60_999.9, 61_000.1),
                TickerStats("ETH/USDT", T0, 2_400.0, 2_500.0, 2_550.0, 2_380.0, 10.0, 2e8, 2_399.9, 2_400.1),
            ]
        )
        await pilot.pause()
        keys = [str(c.value) for c in watchlist.columns]
        assert "funding" in keys and "oi" in keys and "bid" not in keys
        assert watchlist.apply_cells(cells) == 6
        assert watchlist.apply_cells(cells) == 0  # unchanged cells are not written again
        line = app.query_one(FuturesLine)
        assert line.show_for(_Views(stats), "BTC/USDT", T0)  # type: ignore[arg-type]
        await pilot.pause()
        shown = str(line.render())
        assert "mark 61,000" in shown and "+0.0100% in 3h12m (03:12 UTC)" in shown and "OI 80.1K (4.89B)" in shown
        assert line.has_class("-shown")
        assert not line.show_for(None, "BTC/USDT", T0) and not line.has_class("-shown")  # spot: hidden
    assert countdown(0) == "–" and countdown(-5) == "–"

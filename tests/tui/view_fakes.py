"""The market views over the screen fakes: the real services (tape, book history, market universe) filled with
deterministic trades, book samples and ticker samples from the seeded fake feed, and a fixed replay progress.

Nothing moves unless a test moves it, so the market browser, movers, tape, full book and replay bar render the
same picture on every run (the snapshot tests) and their numbers can be checked against the feed (the Pilot tests).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.market import Trade
from cryptoterm.ports.replay import ReplayProgress
from cryptoterm.services.book_history import BookHistory
from cryptoterm.services.market_universe import MarketUniverse
from cryptoterm.services.trade_tape import TradeTape
from cryptoterm.tui.app import CryptotermApp
from cryptoterm.tui.context import Publish
from cryptoterm.wiring.options import RunOptions
from tests.tui.screen_fakes import BookFeed, ScreenRuntime, screen_config

#: Trades a symbol's tape holds (one a second up to the feed's frozen clock).
TAPE_TRADES = 240


class FixedReplay:
    """A `ReplayControl` standing still at a fixed point of a five-minute recording; controls are recorded."""

    def __init__(self) -> None:
        self.state = ReplayProgress(
            start_ms=1_723_161_253_000, end_ms=1_723_161_599_000, position_ms=1_723_161_400_000, speed=1.0
        )
        self.calls: list[str] = []

    def progress(self) -> ReplayProgress:
        return self.state

    def pause(self) -> None:
        self.calls.append("pause")
        self.state = dataclasses.replace(self.state, paused=True)

    def resume(self) -> None:
        self.calls.append("resume")
        self.state = dataclasses.replace(self.state, paused=False)

    def set_speed(self, speed: float) -> None:
        self.calls.append(f"speed {speed:g}")
        self.state = dataclasses.replace(self.state, speed=speed)

    def seek(self, to_ms: int) -> None:
        self.calls.append(f"seek {to_ms}")
        self.state = dataclasses.replace(self.state, position_ms=to_ms)


@dataclasses.dataclass
class FakeViews:
    """`tui.market_views.MarketViewsView` of real services."""

    tape: TradeTape
    book_history: BookHistory
    universe: MarketUniverse | None
    futures: None = None
    replay: FixedReplay | None = None


def tape_trades(feed: BookFeed, symbol: str) -> list[Trade]:
    """A second apart around the symbol's last price; every 37th a large buy, runs of small sells between."""
    last = feed.ticker(symbol).last
    trades = []
    for i in range(TAPE_TRADES):
        large = i % 37 == 0 or i == TAPE_TRADES - 4
        side = "buy" if large or i % 5 < 2 else "sell"
        qty = 150_000 / last if large else (5 + i % 7) * 10 / last
        price = round(last * (1 + ((i % 11) - 5) / 10_000), 6)
        trades.append(Trade(symbol, feed.now_ms - (TAPE_TRADES - i) * 1000, price, qty, side, i))  # type: ignore[arg-type]
    return trades


def fake_views(feed: BookFeed, config: AppConfig, *, replay: bool = False) -> FakeViews:
    tape = TradeTape(config.tape.capacity)
    for symbol in feed.symbols:
        tape.on_trades(tape_trades(feed, symbol))
    history = BookHistory(config.book.history)
    for second in range(60):
        history.sample(feed.books, feed.symbols, feed.now_ms - (60 - second) * 1000)
    universe = MarketUniverse(
        None, lambda: feed.symbols, lambda: [feed.ticker(s) for s in feed.symbols], lambda: feed.now_ms
    )
    hour_ago = [
        t._replace(last=t.last / (1 + (i % 5 - 2) / 100), quote_volume_24h=t.quote_volume_24h / (1 + i % 3))
        for i, t in enumerate(feed.ticker(s) for s in feed.symbols)
    ]
    universe.history.add(feed.now_ms - 3_600_000, hour_ago)
    universe.history.add(feed.now_ms, [feed.ticker(s) for s in feed.symbols])
    universe.version += 1
    return FakeViews(tape, history, universe, replay=FixedReplay() if replay else None)


def views_app(tmp_path: Path, *, replay: bool = False) -> CryptotermApp:
    """The real app over the screen runtime with the market views above."""
    config = screen_config()

    def build(config: AppConfig, options: RunOptions, publish: Publish) -> ScreenRuntime:
        feed = BookFeed(config.watchlist.symbols, publish=publish)
        runtime = ScreenRuntime(feed, config, tmp_path / "screens.db", fixed_store=True)
        runtime.views = fake_views(feed, config, replay=replay)
        return runtime

    return CryptotermApp(config, RunOptions(mode="demo"), build_engine=build)  # type: ignore[arg-type]

"""Where orders go: the broker for `[trading]`, built over the engine's feed and store.

The paper account of a market is named for it (`paper:<exchange>`: the simulated market, a replay and each
exchange keep apart), fills against the feed's order books and trades, and keeps its state in the store. A replay
starts its paper account afresh each run: its market time goes back to the recording's start every time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptoterm.config.schema import AppConfig, TradingConfig
from cryptoterm.domain.trading.guards import GuardLimits
from cryptoterm.domain.trading.matching import MarketView
from cryptoterm.domain.trading.paper_account import PaperTerms
from cryptoterm.services.pairs_trader import PairsTrader
from cryptoterm.services.paper_broker import PaperBroker, PaperSettings
from cryptoterm.services.paper_gap import StoredThenFetched

if TYPE_CHECKING:
    from cryptoterm.adapters.store import SqliteStore
    from cryptoterm.services.engine import Engine
    from cryptoterm.services.trading_runtime import EngineBroker

#: Book levels a paper market order may walk (the feed keeps up to the exchange's snapshot depth).
BOOK_DEPTH = 1000


def guard_limits(trading: TradingConfig) -> GuardLimits:
    """The `[trading]` limits as the guards take them."""
    return GuardLimits(
        max_order_notional=trading.max_order_notional,
        max_position_notional=trading.max_position_notional,
        daily_loss_limit=trading.daily_loss_limit,
        quote=trading.quote,
    )


def paper_account_name(exchange: str) -> str:
    return f"paper:{exchange}"


def paper_settings(trading: TradingConfig, exchange: str, *, fresh: bool = False) -> PaperSettings:
    terms = PaperTerms(trading.quote, trading.maker_fee_bps, trading.taker_fee_bps, trading.slippage_bps)
    return PaperSettings(paper_account_name(exchange), terms, guard_limits(trading), trading.paper_balance, fresh)


def build_broker(config: AppConfig, store: SqliteStore, engine: Engine) -> EngineBroker:
    """The broker of the engine's market: the paper account (`[trading] mode = "paper"`), or the exchange account
    (`mode = "live"` on the live market; the simulated market and replays always trade on paper)."""
    if config.trading.mode == "live" and engine.mode == "live":
        from cryptoterm.wiring.live_broker import build_live_engine_broker

        return build_live_engine_broker(config, store, engine)
    from cryptoterm.adapters.store.pair_positions_repo import PairPositionsRepo
    from cryptoterm.adapters.store.trading_repo import TradingRepo

    feed = engine.feed

    def book_view(symbol: str) -> MarketView:
        book = feed.books.get(symbol)
        bids, asks = book.top(BOOK_DEPTH) if book is not None else ([], [])
        return MarketView(tuple(bids), tuple(asks), last_price(symbol))

    def last_price(symbol: str) -> float | None:
        recent = feed.candles(symbol, "1m", 1)
        return recent[-1].close if recent else None

    settings = paper_settings(config.trading, engine.exchange, fresh=engine.mode == "replay")
    broker = PaperBroker(
        settings,
        TradingRepo(store),
        engine.now_ms,
        book_view,
        watched=lambda: feed.symbols,
        watch=engine.add_symbol,
        gap=StoredThenFetched(store, engine.exchange, engine.history),
    )
    repo = PairPositionsRepo(store)
    broker.pairs = PairsTrader(broker, repo, settings.account, engine.now_ms, last_price, watch=engine.add_symbol)
    return broker

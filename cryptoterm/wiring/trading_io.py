"""The stored paper account and the journal, for the `positions`, `orders` and `journal` commands.

The account is the one the app trades on for the same market: `paper:<exchange>` in the configured database,
`paper:sim` in the demo's (`--demo`). Positions are marked at the newest stored 1m close of their symbol (the
market the app last saw), or their last fill when none is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptoterm.config.schema import AppConfig
from cryptoterm.ports.trading import TradingStore
from cryptoterm.services.journal import Journal
from cryptoterm.wiring.brokers import paper_account_name
from cryptoterm.wiring.options import RunOptions

if TYPE_CHECKING:
    from cryptoterm.adapters.store import SqliteStore
    from cryptoterm.services.engine import Engine


@dataclass(slots=True)
class TradingTools:
    """The store, the account's tables, the journal over them, and where the account trades."""

    store: SqliteStore
    trading: TradingStore
    journal: Journal
    account: str
    exchange: str

    def mark(self, symbol: str) -> float | None:
        """The newest stored 1m close of `symbol`, else its last fill price, else None."""
        candles = self.store.read_candles(self.exchange, symbol, "1m", limit=1)
        if candles:
            return candles[-1].close
        fills = self.trading.fills(self.account, symbol, limit=1)
        return fills[-1].price if fills else None

    def close(self) -> None:
        self.store.close()


def open_trading_tools(config: AppConfig, options: RunOptions) -> TradingTools:
    """`StartupError` (one line) when the database cannot be opened."""
    from cryptoterm.adapters.store.journal_repo import JournalRepo
    from cryptoterm.adapters.store.setups_repo import SetupsRepo
    from cryptoterm.adapters.store.trading_repo import TradingRepo
    from cryptoterm.wiring.build import open_store
    from cryptoterm.wiring.markets import DEMO_EXCHANGE, REPLAY_EXCHANGE

    exchange = {"demo": DEMO_EXCHANGE, "replay": REPLAY_EXCHANGE}.get(options.mode, config.exchange.id)
    store = open_store(config, options, batch_ms=0)
    account = paper_account_name(exchange)
    trading = TradingRepo(store)
    journal = Journal(JournalRepo(store), setups=SetupsRepo(store), trading=trading, account=account)
    return TradingTools(store, trading, journal, account, exchange)


def build_journal(config: AppConfig, store: SqliteStore, engine: Engine) -> Journal:
    """The engine's journal: entries in its store, orders and positions looked up in its paper account."""
    from cryptoterm.adapters.store.journal_repo import JournalRepo
    from cryptoterm.adapters.store.setups_repo import SetupsRepo
    from cryptoterm.adapters.store.trading_repo import TradingRepo

    account = paper_account_name(engine.exchange)
    return Journal(JournalRepo(store), setups=SetupsRepo(store), trading=TradingRepo(store), account=account)

"""Ports: the protocols services use and adapters implement (live exchange, simulated market, replay, fakes).

Services depend only on these, so the same market feed, scanner and alert engine run against Binance, the
built-in simulated market, a recorded session, or a test's fake without knowing which.
"""

from cryptoterm.ports.clock import Clock
from cryptoterm.ports.market import HistorySource, MarketStream, StreamHealth
from cryptoterm.ports.notify import Notifier
from cryptoterm.ports.store import Store

__all__ = ["Clock", "HistorySource", "MarketStream", "Notifier", "Store", "StreamHealth"]

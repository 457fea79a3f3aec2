"""Fixtures of the live-order adapter tests: the loopback spot exchange and the ccxt broker pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from cryptoterm.adapters.ccxt_broker import CcxtBroker
from cryptoterm.adapters.ccxt_session import CcxtSession
from cryptoterm.adapters.credentials import ApiCredentials
from cryptoterm.config.schema import ExchangeConfig, ReliabilityConfig
from tests.loopback.binance_spot_api import LoopbackSpotExchange

#: Known credentials, so tests can prove they never leak.
API_KEY = "LoopbackApiKey7Qw3e9Rt5Yu1Io0Pa8Sd6Fg4Hj2Kl"
API_SECRET = "LoopbackSecret3Zx5Cv7Bn9Mq1Wr2Et4Yu6Io8Pa0"


class NoSleep:
    """Backoff waits recorded and skipped, so retries cost no wall time."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
async def spot_exchange(shared_data: Path) -> AsyncIterator[LoopbackSpotExchange]:
    async with LoopbackSpotExchange(shared_data, {API_KEY: API_SECRET}) as ex:
        ex.account.deposit("USDT", "10000")
        yield ex


def make_broker(
    exchange: LoopbackSpotExchange, *, watch: tuple[str, ...] = (), now_ms: Callable[[], int] | None = None
) -> CcxtBroker:
    config = ExchangeConfig(rest_url=exchange.url, reliability=ReliabilityConfig(backoff_initial_s=0.01))
    credentials = ApiCredentials(API_KEY, API_SECRET, "CRYPTOTERM_API_KEY", "CRYPTOTERM_API_SECRET")
    session = CcxtSession(config, credentials, sleep=NoSleep(), now_ms=now_ms)
    session.client().enableRateLimit = False  # the loopback has no rate limit; ccxt's pacing only costs time
    return CcxtBroker(session, quote="USDT", watch_symbols=watch)


@pytest.fixture
async def broker(spot_exchange: LoopbackSpotExchange) -> AsyncIterator[CcxtBroker]:
    live = make_broker(spot_exchange)
    yield live
    await live.close()

"""Symbols typed the way people write them all name one market."""

from __future__ import annotations

import pytest

from cryptoterm.domain.market import SymbolInfo
from cryptoterm.domain.symbol_text import SymbolTextError, parse_symbol

MARKETS = [
    SymbolInfo("BTC/USDT", "BTC", "USDT", "BTCUSDT"),
    SymbolInfo("ETH/BTC", "ETH", "BTC", "ETHBTC"),
    SymbolInfo("1000PEPE/USDT", "1000PEPE", "USDT", "1000PEPEUSDT", kind="perp"),
]


@pytest.mark.parametrize(
    "text", ["BTCUSDT", "btc/usdt", "BTC/USDT", " btc-usdt ", "btcusdt", "BTC/USDT:USDT", "btc usdt"]
)
def test_every_common_spelling_is_the_unified_symbol(text: str) -> None:
    assert parse_symbol(text) == "BTC/USDT"
    assert parse_symbol(text, MARKETS) == "BTC/USDT"


def test_a_joined_symbol_splits_where_the_exchange_splits_it() -> None:
    assert parse_symbol("ETHBTC", MARKETS) == "ETH/BTC"
    assert parse_symbol("1000pepeusdt", MARKETS) == "1000PEPE/USDT"
    # without a market list, the longest known quote suffix: FDUSD before USD
    assert parse_symbol("BTCFDUSD") == "BTC/FDUSD"
    assert parse_symbol("SOLEUR") == "SOL/EUR"


@pytest.mark.parametrize("text", ["", "   ", "BTC/USDT/ETH", "USDT", "bt$/usdt", "XYZ"])
def test_text_that_names_no_market_is_one_clear_line(text: str) -> None:
    with pytest.raises(SymbolTextError) as caught:
        parse_symbol(text, MARKETS)
    message = str(caught.value)
    assert "BTC/USDT" in message and "BTCUSDT" in message and "\n" not in message

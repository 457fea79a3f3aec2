"""Universe selection: top-N by quote volume with exclusions, and fixed lists."""

from __future__ import annotations

import pytest

from cryptoterm.domain.universe import (
    VolumeEntry,
    excluded,
    fixed_universe,
    is_leveraged_token,
    is_stablecoin,
    split_symbol,
    top_by_quote_volume,
)


@pytest.mark.parametrize("base", ["BTCUP", "ETHDOWN", "BNBBULL", "XRPBEAR", "BTC3L", "ETH3S", "LINK5L", "1INCHUP"])
def test_leveraged_tokens_are_recognised(base: str) -> None:
    assert is_leveraged_token(base)


@pytest.mark.parametrize("base", ["JUP", "SYRUP", "BTC", "SOL", "PEOPLE", "DOWN", "BEAR"])
def test_real_coins_are_not_mistaken_for_leveraged_tokens(base: str) -> None:
    assert not is_leveraged_token(base)


def test_leveraged_word_suffix_uses_known_bases() -> None:
    assert not is_leveraged_token("SOLUP")
    assert is_leveraged_token("SOLUP", known_bases={"SOL"})


def test_stablecoins() -> None:
    assert is_stablecoin("usdc") and is_stablecoin("FDUSD")
    assert not is_stablecoin("BTC")


def test_split_symbol() -> None:
    assert split_symbol("btc/usdt") == ("BTC", "USDT")
    assert split_symbol("BTC/USDT:USDT") == ("BTC", "USDT")
    with pytest.raises(ValueError, match="BTCUSDT"):
        split_symbol("BTCUSDT")


def test_excluded_reasons() -> None:
    words = ["stablecoins", "leveraged", "DOGE", "XRP/USDT"]
    assert excluded("USDC/USDT", words) == "stablecoin"
    assert excluded("BTCUP/USDT", words) == "leveraged token"
    assert excluded("DOGE/USDT", words) == "listed in exclude"
    assert excluded("XRP/USDT", words) == "listed in exclude"
    assert excluded("BTC/USDT", words) is None
    assert excluded("USDC/USDT", ["leveraged"]) is None


def test_top_by_quote_volume_applies_every_rule() -> None:
    entries = [
        VolumeEntry("BTC/USDT", 9e9),
        VolumeEntry("USDC/USDT", 8e9),
        VolumeEntry("ETH/USDT", 7e9),
        VolumeEntry("BTCUP/USDT", 6e9),
        VolumeEntry("ETH/BTC", 5e9),
        VolumeEntry("SOL/USDT", 4e9),
        VolumeEntry("DOGE/USDT", 3e9),
        VolumeEntry("XRP/USDT", 2e9),
        VolumeEntry("ADA/USDT", 2e9),
        VolumeEntry("TINY/USDT", 1e3),
        VolumeEntry("BROKEN", 1e12),
        VolumeEntry("NAN/USDT", float("nan")),
    ]
    picked = top_by_quote_volume(
        entries, top=5, quote="USDT", exclude=["stablecoins", "leveraged", "DOGE"], min_quote_volume=1e6
    )
    # ADA and XRP tie on volume: name order decides.
    assert picked == ["BTC/USDT", "ETH/USDT", "SOL/USDT", "ADA/USDT", "XRP/USDT"]
    assert top_by_quote_volume(entries, top=0) == []
    assert "TINY/USDT" in top_by_quote_volume(entries, top=50)


def test_fixed_universe_keeps_order_and_removes_named_symbols() -> None:
    got = fixed_universe(["ETH/USDT", "BTC/USDT", "ETH/USDT", "USDC/USDT"], exclude=["stablecoins", "BTC"])
    assert got == ["ETH/USDT", "USDC/USDT"]
    with pytest.raises(ValueError, match="ETHUSDT"):
        fixed_universe(["ETHUSDT"])

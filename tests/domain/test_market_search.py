"""Market browser search: the market a person means ranks first, filters narrow before ranking."""

from __future__ import annotations

from cryptoterm.domain.market import SymbolInfo, TickerStats
from cryptoterm.domain.market_search import MarketFilter, match_score, quote_assets, search_markets

MARKETS = [
    SymbolInfo("BTC/USDT", "BTC", "USDT", "BTCUSDT"),
    SymbolInfo("BTC/FDUSD", "BTC", "FDUSD", "BTCFDUSD"),
    SymbolInfo("ETH/BTC", "ETH", "BTC", "ETHBTC"),
    SymbolInfo("ETH/USDT", "ETH", "USDT", "ETHUSDT"),
    SymbolInfo("SOL/USDT", "SOL", "USDT", "SOLUSDT"),
    SymbolInfo("SOLO/USDT", "SOLO", "USDT", "SOLOUSDT"),
    SymbolInfo("WBTC/BTC", "WBTC", "BTC", "WBTCBTC"),
    SymbolInfo("BTC/USDT:USDT", "BTC", "USDT", "BTCUSDT_PERP", kind="perp"),
]


def _ticker(symbol: str, quote_volume: float) -> TickerStats:
    return TickerStats(symbol, 0, 1.0, 1.0, 1.0, 1.0, 1.0, quote_volume)


TICKERS = {
    "BTC/USDT": _ticker("BTC/USDT", 2e9),
    "BTC/FDUSD": _ticker("BTC/FDUSD", 5e8),
    "ETH/USDT": _ticker("ETH/USDT", 1e9),
    "SOL/USDT": _ticker("SOL/USDT", 3e8),
    "SOLO/USDT": _ticker("SOLO/USDT", 1e6),
}


def _symbols(**wanted: object) -> list[str]:
    return [m.market.symbol for m in search_markets(MARKETS, TICKERS, MarketFilter(**wanted))]  # type: ignore[arg-type]


def test_exact_base_first_then_prefix_then_volume() -> None:
    assert _symbols(text="sol")[:2] == ["SOL/USDT", "SOLO/USDT"]
    found = _symbols(text="btc")
    # exact base BTC (largest volume first), then BTC as quote, then BTC inside WBTC
    assert found[:2] == ["BTC/USDT", "BTC/FDUSD"]
    assert found.index("ETH/BTC") < found.index("WBTC/BTC")


def test_two_words_must_both_match_and_joined_ids_match_exactly() -> None:
    assert _symbols(text="eth btc") == ["ETH/BTC"]
    assert _symbols(text="ethusdt")[0] == "ETH/USDT"
    assert _symbols(text="btcusd")[0].startswith("BTC/")  # letters in order still find it
    assert _symbols(text="zzz") == []


def test_filters_quote_kind_and_volume() -> None:
    assert set(_symbols(quote="btc")) == {"ETH/BTC", "WBTC/BTC"}
    assert _symbols(kind="perp") == ["BTC/USDT:USDT"]
    assert _symbols(min_quote_volume=4e8) == ["BTC/USDT", "ETH/USDT", "BTC/FDUSD"]


def test_empty_text_lists_everything_by_volume_and_scores_are_zero_for_misses() -> None:
    assert _symbols()[0] == "BTC/USDT"
    assert len(_symbols()) == len(MARKETS)
    assert match_score("doge", MARKETS[0]) == 0
    assert quote_assets(MARKETS)[0] == "USDT"

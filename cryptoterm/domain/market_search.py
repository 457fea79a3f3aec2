"""Finding a market among thousands as a person types: fuzzy search by base, quote or symbol, and filters.

An exchange lists a couple of thousand markets; a trader types "sol", "eth btc" or "pepeusdt" and expects the
market they mean first. Each market is scored against every word typed: an exact base asset beats a base that
starts with the word, which beats the word anywhere in the symbol, which beats its letters in order (fzf's
subsequence match, so "btcusd" still finds BTC/USDT). Equal scores rank by 24 h quote volume — the liquid market
is the one people look for. Filters (quote asset, spot / perpetual, a volume floor) apply before the ranking.
Pure: the markets and tickers are arguments.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptoterm.domain.market import SymbolInfo, TickerStats

#: Scores of one word against one market (the sum over the words ranks the market).
EXACT_BASE = 100
BASE_PREFIX = 60
EXACT_QUOTE = 40
IN_SYMBOL = 25
IN_ORDER = 5


@dataclass(frozen=True, slots=True)
class MarketFilter:
    """What the market browser shows: `text` searched, `quote` asset ("" any), `kind` ("" any, "spot", "perp"),
    markets with at least `min_quote_volume` of 24 h quote volume (markets without a ticker pass a floor of 0)."""

    text: str = ""
    quote: str = ""
    kind: str = ""
    min_quote_volume: float = 0.0


@dataclass(frozen=True, slots=True)
class MarketMatch:
    """One market found, with its ticker when the exchange sent one, and how well it matched."""

    market: SymbolInfo
    ticker: TickerStats | None
    score: int

    @property
    def quote_volume(self) -> float:
        volume = self.ticker.quote_volume_24h if self.ticker is not None else float("nan")
        return volume if math.isfinite(volume) else 0.0


def _in_order(word: str, text: str) -> bool:
    """Every letter of `word` appears in `text` in this order (gaps allowed)."""
    position = 0
    for letter in word:
        position = text.find(letter, position) + 1
        if position == 0:
            return False
    return True


def word_score(word: str, market: SymbolInfo) -> int:
    """How well one typed word (upper case) matches `market`; 0 when it does not."""
    base, quote = market.base.upper(), market.quote.upper()
    joined = f"{base}{quote}"
    if word == base:
        return EXACT_BASE
    if word == joined or word == market.exchange_id.upper():
        return EXACT_BASE + EXACT_QUOTE
    if base.startswith(word):
        return BASE_PREFIX
    if word == quote:
        return EXACT_QUOTE
    if word in market.symbol.upper() or word in joined:
        return IN_SYMBOL
    if _in_order(word, joined):
        return IN_ORDER
    return 0


def match_score(text: str, market: SymbolInfo) -> int:
    """The market's score for the whole text (every word must match; an empty text matches everything with 1)."""
    words = text.upper().replace("/", " ").split()
    if not words:
        return 1
    total = 0
    for word in words:
        score = word_score(word, market)
        if score == 0:
            return 0
        total += score
    return total


def search_markets(
    markets: Iterable[SymbolInfo], tickers: Mapping[str, TickerStats], wanted: MarketFilter, limit: int = 500
) -> list[MarketMatch]:
    """The markets `wanted` lets through, best match first (then the largest 24 h quote volume, then the name)."""
    quote, kind = wanted.quote.upper(), wanted.kind
    found: list[MarketMatch] = []
    for market in markets:
        if quote and market.quote.upper() != quote:
            continue
        if kind and market.kind != kind:
            continue
        match = MarketMatch(market, tickers.get(market.symbol), match_score(wanted.text, market))
        if match.score == 0 or match.quote_volume < wanted.min_quote_volume:
            continue
        found.append(match)
    found.sort(key=lambda m: (-m.score, -m.quote_volume, m.market.symbol))
    return found[:limit]


def quote_assets(markets: Iterable[SymbolInfo]) -> list[str]:
    """Quote assets by how many markets use them (most first): the quote filter cycles through these."""
    counts: dict[str, int] = {}
    for market in markets:
        counts[market.quote] = counts.get(market.quote, 0) + 1
    return sorted(counts, key=lambda quote: (-counts[quote], quote))

"""Which symbols a strategy scans: a fixed list, or the top N by 24 h quote volume after exclusions.

Exclusions remove what a directional scanner should never trade: stablecoins against the quote (USDC/USDT
moves by basis points), exchange leveraged tokens (BTCUP, ETHDOWN, BNBBULL, XRP3L …, whose price decays by
construction), pairs below a minimum 24 h quote volume, and any symbol or base asset the user lists.

Leveraged tokens are recognised conservatively: a digit-count suffix (3L, 5S) always marks one, while
UP/DOWN/BULL/BEAR marks one only when what precedes it is itself a traded base asset (or one the exchange
issued leveraged tokens for), so real coins such as JUP or SYRUP are kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

#: Fiat-pegged and gold-pegged assets (the base asset of a pair). Compared upper-case.
STABLECOINS: Final[frozenset[str]] = frozenset(
    {
        "USDT", "USDC", "BUSD", "TUSD", "USDP", "PAX", "DAI", "FDUSD", "PYUSD", "USDD", "GUSD", "UST",
        "USTC", "SUSD", "LUSD", "FRAX", "USDE", "USD1", "USDJ", "USDS", "USDN", "HUSD", "EURT", "EURC",
        "EURI", "AEUR", "TRYB", "BIDR", "IDRT", "BVND", "XUSD", "RLUSD", "PAXG", "XAUT",
    }
)  # fmt: skip

#: Bases Binance issued UP/DOWN/BULL/BEAR tokens for (recognised even when the base itself is not listed).
LEVERAGED_BASES: Final[frozenset[str]] = frozenset(
    {
        "BTC", "ETH", "BNB", "XRP", "ADA", "DOT", "LINK", "TRX", "EOS", "LTC", "XTZ", "YFI", "SUSHI",
        "UNI", "FIL", "SXP", "AAVE", "XLM", "BCH", "1INCH", "ETC", "BSV", "OKB", "HT", "DOGE", "MATIC",
    }
)  # fmt: skip

_LEVERAGED_NUMERIC: Final = re.compile(r"^(?P<base>[A-Z0-9]+?)\d+[LS]$")
_LEVERAGED_WORD: Final = re.compile(r"^(?P<base>[A-Z0-9]+?)(?:UP|DOWN|BULL|BEAR)$")

#: Words in an exclude list that name a class of symbols rather than one symbol.
EXCLUDE_STABLECOINS: Final = "stablecoins"
EXCLUDE_LEVERAGED: Final = "leveraged"


@dataclass(frozen=True, slots=True)
class VolumeEntry:
    """A symbol and its 24 h volume in the quote currency."""

    symbol: str
    quote_volume: float


def split_symbol(symbol: str) -> tuple[str, str]:
    """("BTC", "USDT") from "BTC/USDT" (ccxt-unified; a ":USDT" settle suffix is ignored)."""
    pair = symbol.split(":", 1)[0]
    if "/" not in pair:
        raise ValueError(f"symbol {symbol!r} is not in BASE/QUOTE form (e.g. BTC/USDT)")
    base, quote = pair.split("/", 1)
    return base.upper(), quote.upper()


def is_stablecoin(base: str) -> bool:
    return base.upper() in STABLECOINS


def is_leveraged_token(base: str, known_bases: Iterable[str] = ()) -> bool:
    """True for exchange leveraged tokens (BTCUP, ETHDOWN, BNBBULL, XRP3L, ETH5S …)."""
    name = base.upper()
    numeric = _LEVERAGED_NUMERIC.match(name)
    if numeric:
        return True
    word = _LEVERAGED_WORD.match(name)
    if not word:
        return False
    prefix = word.group("base")
    return prefix in LEVERAGED_BASES or prefix in {b.upper() for b in known_bases}


def excluded(symbol: str, exclude: Iterable[str], known_bases: Iterable[str] = ()) -> str | None:
    """Why `symbol` is excluded ("stablecoin", "leveraged token", "listed in exclude"), or None."""
    base, _quote = split_symbol(symbol)
    words = {e.strip() for e in exclude}
    if EXCLUDE_STABLECOINS in words and is_stablecoin(base):
        return "stablecoin"
    if EXCLUDE_LEVERAGED in words and is_leveraged_token(base, known_bases):
        return "leveraged token"
    listed = {w.upper() for w in words} - {EXCLUDE_STABLECOINS.upper(), EXCLUDE_LEVERAGED.upper()}
    if symbol.upper() in listed or base in listed:
        return "listed in exclude"
    return None


def top_by_quote_volume(
    entries: Iterable[VolumeEntry],
    *,
    top: int,
    quote: str = "USDT",
    exclude: Sequence[str] = (EXCLUDE_STABLECOINS, EXCLUDE_LEVERAGED),
    min_quote_volume: float = 0.0,
) -> list[str]:
    """The `top` symbols quoted in `quote` with the largest 24 h quote volume, after exclusions.

    Ties are broken by symbol name so the universe is deterministic. Symbols not in BASE/QUOTE form and
    non-finite volumes are skipped rather than failing the whole selection.
    """
    candidates: list[VolumeEntry] = []
    for entry in entries:
        try:
            _base, entry_quote = split_symbol(entry.symbol)
        except ValueError:
            continue
        if entry_quote == quote.upper() and math.isfinite(entry.quote_volume):
            candidates.append(entry)
    known = {split_symbol(e.symbol)[0] for e in candidates}
    kept = [
        e
        for e in candidates
        if e.quote_volume >= min_quote_volume and excluded(e.symbol, exclude, known_bases=known) is None
    ]
    kept.sort(key=lambda e: (-e.quote_volume, e.symbol))
    return [e.symbol for e in kept[: max(top, 0)]]


def fixed_universe(symbols: Sequence[str], exclude: Sequence[str] = ()) -> list[str]:
    """A user's fixed list: order kept, duplicates dropped, symbols named in `exclude` removed.

    Class exclusions (stablecoins, leveraged) are not applied to a list the user wrote out by hand.
    """
    names = [e for e in exclude if e not in (EXCLUDE_STABLECOINS, EXCLUDE_LEVERAGED)]
    seen: dict[str, None] = {}
    for symbol in symbols:
        split_symbol(symbol)
        if symbol not in seen and excluded(symbol, names) is None:
            seen[symbol] = None
    return list(seen)

"""Config tables of the market views: the market browser and movers, the trade tape, the full order book, the
USDⓈ-M figures. Same rules as `config.schema`: frozen, unknown keys refused, every number with its range."""

from __future__ import annotations

from typing import Annotated

import msgspec


class _ViewSection(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base for the market views' tables (the same options as `config.schema`'s tables)."""


class MarketsConfig(_ViewSection, frozen=True):
    """The market browser (`m`) and movers (`M`): every market of the exchange and its tickers."""

    #: Seconds between readings of every market's ticker (one request for all of them).
    refresh_s: Annotated[float, msgspec.Meta(ge=10.0, le=3600.0)] = 60.0
    #: The browser's quote filter when it opens ("" = every quote asset).
    quote: str = ""
    #: The browser and movers leave out markets with less 24 h quote volume than this.
    min_quote_volume: Annotated[float, msgspec.Meta(ge=0.0, le=1e12)] = 0.0
    #: Rows of each movers list.
    movers: Annotated[int, msgspec.Meta(ge=3, le=100)] = 15


class TapeConfig(_ViewSection, frozen=True):
    """The trade tape (time and sales)."""

    #: Consecutive same-side trades are aggregated into one print until it reaches this notional (quote asset);
    #: 0 merges only the trades of one taker order.
    min_notional: Annotated[float, msgspec.Meta(ge=0.0, le=1e12)] = 0.0
    #: Prints of at least this notional are highlighted (0 = none).
    large_notional: Annotated[float, msgspec.Meta(ge=0.0, le=1e12)] = 100_000.0
    #: Trades kept per watched symbol (a fixed ring: memory does not grow).
    capacity: Annotated[int, msgspec.Meta(ge=100, le=100_000)] = 5_000


class BookConfig(_ViewSection, frozen=True):
    """The full-screen order book (`O`)."""

    #: Levels per side the full book reads (grouped levels are built from these).
    levels: Annotated[int, msgspec.Meta(ge=10, le=5000)] = 1000
    #: Seconds between samples of every watched book's spread and imbalance.
    sample_s: Annotated[float, msgspec.Meta(ge=0.2, le=60.0)] = 1.0
    #: Samples kept per symbol (a fixed ring: 900 at 1 s is the last 15 minutes).
    history: Annotated[int, msgspec.Meta(ge=10, le=86_400)] = 900


class FuturesConfig(_ViewSection, frozen=True):
    """USDⓈ-M figures on the watchlist and symbol detail (with `[exchange] market = "usdm"`)."""

    #: Seconds between REST readings of every perpetual's mark price and funding (the stream updates each second).
    funding_refresh_s: Annotated[float, msgspec.Meta(ge=10.0, le=3600.0)] = 300.0
    #: Seconds between readings of the watched symbols' open interest (one request per symbol).
    open_interest_s: Annotated[float, msgspec.Meta(ge=10.0, le=3600.0)] = 60.0

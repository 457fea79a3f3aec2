"""Number formatting for narrow terminal columns.

Prices span eight orders of magnitude across a watchlist (BTC ~1e5, PEPE ~1e-5), so the number of decimals
follows the magnitude; volumes are abbreviated (1.2M) so a column stays seven characters wide.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))
DASH = "–"


def _missing(value: float) -> bool:
    return math.isnan(value) or math.isinf(value)


def price_decimals(price: float) -> int:
    """Decimals that show about six significant digits (2 for 1,000+, more for small prices)."""
    magnitude = abs(price)
    if magnitude >= 1000:
        return 2
    if magnitude >= 1:
        return 4
    if magnitude == 0:
        return 2
    return min(10, 5 - math.floor(math.log10(magnitude)))


def fmt_price(price: float) -> str:
    """A price with magnitude-aware decimals and thousands separators; a dash when unknown."""
    if _missing(price):
        return DASH
    return f"{price:,.{price_decimals(price)}f}"


def fmt_abbrev(value: float) -> str:
    """1234567 → "1.23M"; small values plain. A dash when unknown."""
    if _missing(value):
        return DASH
    magnitude = abs(value)
    for threshold, suffix in _SUFFIXES:
        if magnitude >= threshold:
            scaled = value / threshold
            digits = 2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0
            return f"{scaled:.{digits}f}{suffix}"
    return f"{value:.0f}" if magnitude >= 10 else f"{value:.2f}"


def fmt_pct(value: float) -> str:
    """A signed percentage with two decimals ("+1.25%")."""
    return DASH if _missing(value) else f"{value:+.2f}%"


def fmt_bps(value: float) -> str:
    """Basis points with one decimal."""
    return DASH if _missing(value) else f"{value:.1f}"


def fmt_rate(value: float) -> str:
    """Messages per second: integer above 10, one decimal below."""
    if _missing(value):
        return DASH
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def fmt_age(ms: float) -> str:
    """An age in milliseconds as 850ms / 4.2s / 3m12s / 2h05m."""
    if _missing(ms) or ms < 0:
        return DASH
    if ms < 1000:
        return f"{ms:.0f}ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def fmt_clock(ts_ms: int) -> str:
    """An epoch-ms timestamp as UTC date and time ("2024-08-09 00:05:05")."""
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


HOUR_MS = 3_600_000
DAY_MS = 86_400_000


def fmt_bar_time(ts_ms: int, timeframe_ms: int) -> str:
    """An x-axis label for a bar: time of day below 1h bars (a chart spans hours), date and time for 1h / 4h
    bars (it spans days or weeks, so a bare "14:00" would be ambiguous), the date for daily bars."""
    moment = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
    if timeframe_ms >= DAY_MS:
        return moment.strftime("%m-%d")
    if timeframe_ms >= HOUR_MS:
        return moment.strftime("%m-%d %H:%M")
    return moment.strftime("%H:%M")


def axis_label_step(bars: int, most_labels: int, label_width: int) -> int:
    """Bars between x-axis labels: at most `most_labels`, and at least the label's width plus a gap apart
    (closer labels collide, and plotext then drops or shifts one of them)."""
    spacing = label_width + 2
    return max(1, bars // max(1, min(most_labels, bars // spacing)))


def fmt_spread(spread: float, mid: float) -> str:
    """A spread with its book's price decimals (0.01 on BTC, 0.0100 on SOL): one precision per ladder."""
    if _missing(spread):
        return DASH
    return f"{spread:,.{price_decimals(mid if not _missing(mid) else spread)}f}"

"""What a candle chart draws over its candles, computed before it draws: indicator lines and price levels (pure).

Indicators come from the domain kernels (`cryptoterm.domain.indicators`, tested equal to `ta`), computed over the
extra warm-up bars a screen fetches, so the lines start at the chart's left edge instead of after `period` bars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptoterm.domain.market import Candle
from cryptoterm.tui.formatting import fmt_price

EMA_COLOR = "orange"
EMA_SLOW_COLOR = "magenta"


@dataclass(frozen=True, slots=True)
class Overlay:
    """A line drawn over the candles: one value per candle (NaN where undefined)."""

    label: str
    values: tuple[float, ...]
    color: str


@dataclass(frozen=True, slots=True)
class PriceLevel:
    """A horizontal line across the chart (entry, stop, target)."""

    label: str
    price: float
    color: str


def level_label(level: PriceLevel) -> str:
    """ "stop 59,120.50": what the line is and where it sits."""
    return f"{level.label} {fmt_price(level.price)}"


def ema_values(closes: Sequence[float], period: int) -> list[float]:
    """EMA of `closes` (ta's convention: span=period, not adjusted; NaN for the first period-1 bars)."""
    if not closes:
        return []
    # Imported here: numpy / pandas are only needed once a chart has data, after the first frame is on screen.
    import numpy as np

    from cryptoterm.domain.indicators import ema

    return [float(v) for v in ema(np.asarray(closes, dtype=np.float64), period)]


def ema_overlay(candles: Sequence[Candle], period: int, color: str = EMA_COLOR) -> list[Overlay]:
    """One EMA line over `candles` (none until there are `period` bars)."""
    if len(candles) < period:
        return []
    return [Overlay(f"EMA {period}", tuple(ema_values([c.close for c in candles], period)), color)]


def indicator_overlays(
    candles: Sequence[Candle],
    *,
    ema_fast: int = 9,
    ema_slow: int = 21,
    bb_period: int = 20,
    bb_deviations: float = 2.0,
    bollinger: bool = True,
) -> list[Overlay]:
    """EMA fast / slow and (optionally) Bollinger upper / mid / lower over `candles` (oldest first)."""
    import numpy as np

    from cryptoterm.domain.indicators import bollinger as bollinger_bands
    from cryptoterm.domain.indicators import ema

    closes = np.array([c.close for c in candles], dtype=np.float64)
    overlays: list[Overlay] = []
    if closes.size == 0:
        return overlays
    for period, color in ((ema_fast, EMA_COLOR), (ema_slow, EMA_SLOW_COLOR)):
        if closes.size >= period:
            overlays.append(Overlay(f"EMA {period}", tuple(ema(closes, period).tolist()), color))
    if bollinger and closes.size >= bb_period:
        bands = bollinger_bands(closes, bb_period, bb_deviations)
        overlays.append(Overlay(f"BB {bb_period} upper", tuple(bands.upper.tolist()), "cyan"))
        overlays.append(Overlay(f"BB {bb_period} mid", tuple(bands.mid.tolist()), "blue"))
        overlays.append(Overlay(f"BB {bb_period} lower", tuple(bands.lower.tolist()), "cyan"))
    return overlays

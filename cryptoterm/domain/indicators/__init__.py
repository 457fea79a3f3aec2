"""Technical indicators as vectorised kernels over float64 arrays (oldest bar first, NaN during warm-up).

`ta` 0.11 is the reference: every kernel here is tested equal to it on real Binance klines. Where `ta` is
already compiled pandas code the kernel calls the same pandas primitive directly on arrays; where `ta` loops in
Python (ATR, ADX) the kernel is a Wilder recursion rewritten as one compiled EMA pass.
"""

from __future__ import annotations

from cryptoterm.domain.indicators._types import BoolArray, FloatArray
from cryptoterm.domain.indicators.extremes import highest, lowest
from cryptoterm.domain.indicators.momentum import Macd, Stochastic, macd, rsi, stochastic
from cryptoterm.domain.indicators.moving import ema, sma, volume_sma, wilder
from cryptoterm.domain.indicators.patterns import (
    bearish_engulfing,
    bullish_engulfing,
    doji,
    hammer,
    shooting_star,
)
from cryptoterm.domain.indicators.trend import Adx, adx
from cryptoterm.domain.indicators.volatility import Bollinger, atr, bollinger, true_range
from cryptoterm.domain.indicators.volume import obv, vwap

__all__ = [
    "Adx",
    "Bollinger",
    "BoolArray",
    "FloatArray",
    "Macd",
    "Stochastic",
    "adx",
    "atr",
    "bearish_engulfing",
    "bollinger",
    "bullish_engulfing",
    "doji",
    "ema",
    "hammer",
    "highest",
    "lowest",
    "macd",
    "obv",
    "rsi",
    "shooting_star",
    "sma",
    "stochastic",
    "true_range",
    "volume_sma",
    "vwap",
    "wilder",
]

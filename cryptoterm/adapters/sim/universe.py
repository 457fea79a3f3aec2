"""The simulated market's symbols and their parameters.

Prices, tick sizes and lot steps are plausible Binance spot USDT values, so every screen (tickers, charts,
order book, sizing) shows numbers of the right magnitude. Each symbol's move is `beta * market + own`, with
`beta = rho * daily_vol / MARKET_DAILY_VOL`, which gives it total volatility `daily_vol` and correlation `rho`
with the common market factor (hence about `rho_i * rho_j` with another symbol).

Three symbols are *cointegrated followers* of an earlier one (`Cointegration`): their log price is
`alpha + beta * log(anchor) + s` with `s` a mean-reverting (Ornstein-Uhlenbeck) spread, so a pairs screen
has genuine pairs to find:

* BCH/USDT on LTC/USDT: beta 0.9, spread half-life 8 h;
* ATOM/USDT on DOT/USDT: beta 1.0, spread half-life 24 h;
* ETC/USDT on ETH/USDT: beta 1.2, spread half-life 16 h.

For a follower, `daily_vol` is the volatility of the spread's innovations (its own news), and `alpha` is set
by the history so that the follower ends exactly at its listed price. The first N symbols are used
(`DemoConfig.symbols`); followers always come after their anchor, so any prefix is self-contained.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

#: Daily volatility of the common market factor (log-return standard deviation).
MARKET_DAILY_VOL: Final = 0.025


@dataclass(frozen=True, slots=True)
class Cointegration:
    """`log(self) = alpha + beta * log(anchor) + s`, where `s` reverts to 0 with `half_life_hours`."""

    anchor: str
    beta: float
    half_life_hours: float


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """One simulated market.

    `price` is the price the history ends at (where the live stream starts). `quote_volume_24h` (USDT) sets
    the traded volume; `trade_weight` shares `DemoConfig.trades_per_second` between symbols.
    """

    symbol: str
    price: float
    tick: float
    lot: float
    daily_vol: float
    rho: float
    quote_volume_24h: float
    trade_weight: float
    spread_ticks: int = 1
    cointegration: Cointegration | None = None

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("/")[1]

    @property
    def exchange_id(self) -> str:
        return self.symbol.replace("/", "")

    @property
    def price_decimals(self) -> int:
        """Decimals of the tick size, used to print prices without float noise."""
        return _decimals(self.tick)

    @property
    def lot_decimals(self) -> int:
        return _decimals(self.lot)


def _decimals(step: float) -> int:
    text = f"{step:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


_M = 1_000_000.0

#: Every simulated symbol, majors first. `DemoConfig.symbols` takes a prefix of this tuple.
UNIVERSE: Final[tuple[SymbolSpec, ...]] = (
    SymbolSpec("BTC/USDT", 60_000.0, 0.01, 0.00001, 0.025, 0.92, 1_500 * _M, 10.0),
    SymbolSpec("ETH/USDT", 3_000.0, 0.01, 0.0001, 0.032, 0.85, 700 * _M, 7.0),
    SymbolSpec("SOL/USDT", 150.0, 0.01, 0.001, 0.048, 0.75, 350 * _M, 5.0),
    SymbolSpec("BNB/USDT", 550.0, 0.01, 0.001, 0.028, 0.72, 120 * _M, 3.0),
    SymbolSpec("XRP/USDT", 0.55, 0.0001, 0.1, 0.040, 0.65, 160 * _M, 3.5, spread_ticks=1),
    SymbolSpec("ADA/USDT", 0.45, 0.0001, 0.1, 0.042, 0.70, 60 * _M, 2.0),
    SymbolSpec("DOGE/USDT", 0.15, 0.00001, 1.0, 0.052, 0.65, 140 * _M, 3.5),
    SymbolSpec("AVAX/USDT", 35.0, 0.01, 0.01, 0.050, 0.72, 45 * _M, 2.0),
    SymbolSpec("LINK/USDT", 15.0, 0.001, 0.01, 0.046, 0.70, 45 * _M, 2.0),
    SymbolSpec("DOT/USDT", 7.0, 0.001, 0.01, 0.042, 0.72, 30 * _M, 1.5),
    SymbolSpec("LTC/USDT", 80.0, 0.01, 0.001, 0.036, 0.70, 35 * _M, 1.5),
    SymbolSpec(
        "BCH/USDT",
        400.0,
        0.1,
        0.001,
        0.020,
        0.0,
        30 * _M,
        1.2,
        cointegration=Cointegration("LTC/USDT", 0.9, 8.0),
    ),
    SymbolSpec(
        "ATOM/USDT",
        9.0,
        0.001,
        0.01,
        0.018,
        0.0,
        18 * _M,
        1.0,
        cointegration=Cointegration("DOT/USDT", 1.0, 24.0),
    ),
    SymbolSpec("NEAR/USDT", 6.0, 0.001, 0.1, 0.052, 0.68, 25 * _M, 1.2),
    SymbolSpec("UNI/USDT", 9.0, 0.001, 0.01, 0.047, 0.66, 12 * _M, 0.8),
    SymbolSpec("FIL/USDT", 5.0, 0.001, 0.01, 0.050, 0.64, 16 * _M, 0.8),
    SymbolSpec(
        "ETC/USDT",
        25.0,
        0.01,
        0.01,
        0.020,
        0.0,
        18 * _M,
        0.9,
        cointegration=Cointegration("ETH/USDT", 1.2, 16.0),
    ),
    SymbolSpec("XLM/USDT", 0.11, 0.00001, 1.0, 0.038, 0.62, 9 * _M, 0.6),
    SymbolSpec("TRX/USDT", 0.12, 0.00001, 1.0, 0.025, 0.50, 18 * _M, 0.8),
    SymbolSpec("MATIC/USDT", 0.70, 0.0001, 0.1, 0.048, 0.70, 22 * _M, 1.0),
)


def select_universe(count: int) -> tuple[SymbolSpec, ...]:
    """The first `count` symbols; raises ValueError naming `demo.symbols` when out of range."""
    if not 1 <= count <= len(UNIVERSE):
        raise ValueError(f"demo.symbols must be between 1 and {len(UNIVERSE)}, got {count}")
    chosen = UNIVERSE[:count]
    names = {spec.symbol for spec in chosen}
    for spec in chosen:
        if spec.cointegration is not None and spec.cointegration.anchor not in names:
            raise ValueError(f"{spec.symbol} follows {spec.cointegration.anchor}, which is not simulated")
    return chosen

"""How a backtest fills, costs and sizes trades: the `[backtest]` config as a plain domain value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Fill = Literal["levels", "next_open"]
Sizing = Literal["risk", "equity_pct", "fixed"]

#: Milliseconds in a (crypto, 24/7) year, for CAGR and annualised ratios.
YEAR_MS = 365 * 24 * 3_600_000


@dataclass(frozen=True, slots=True)
class BacktestRules:
    """Costs, fills and sizing.

    * `fill = "levels"`: exactly the scanner's setups — the walk opens a setup on a signal, it triggers when a
      bar's range crosses its entry (filled at the entry price), then stop and targets are checked intrabar
      on later bars (a bar reaching both is a stop; a bar gapping through the stop fills at its open), exit
      terms close it at the next open, and setups that expire or are invalidated before entry never trade.
    * `fill = "next_open"`: a signal on a bar's close enters at the next bar's open (a market order). Stop
      and targets, when the strategy has levels, are the levels at the signal bar and are checked intrabar
      from the entry bar on (after its open; stop first when a bar reaches both); exit terms close at the
      next open after they hold.
    * Costs: `fee_bps` of the notional on each side; `slippage_bps` moves every fill against the trade.
      A position still open at the end is marked at the last close, without exit fee, and reported open.
    * Sizing: `risk` risks `risk_pct` of equity between entry and stop; `equity_pct` spends `size_pct` of
      equity (100 = all of it: quantity = equity / (price × (1 + fee)), as vectorbt computes it); `fixed`
      spends `size_quote`. Never more than the free cash; `max_positions` open at once across symbols.
    """

    initial_equity: float = 10_000.0
    fee_bps: float = 10.0
    slippage_bps: float = 0.0
    fill: Fill = "levels"
    sizing: Sizing = "risk"
    risk_pct: float = 1.0
    size_pct: float = 100.0
    size_quote: float = 1_000.0
    max_positions: int = 1

    @property
    def fee(self) -> float:
        return self.fee_bps / 10_000.0

    @property
    def slippage(self) -> float:
        return self.slippage_bps / 10_000.0

"""What a backtest's account produced: trades (as columns and, when asked, as objects), skipped plans, the
equity curve. Kept apart from the fill logic so readers of results (metrics, the store, the CLI) need none of it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cryptoterm.domain.backtest.plans import REASONS, ExitReason
from cryptoterm.domain.indicators import BoolArray, FloatArray
from cryptoterm.domain.strategy.frames import IntArray


@dataclass(frozen=True, slots=True)
class SymbolSeries:
    """A symbol's bars as the portfolio needs them: open times and closes (for marking)."""

    open_time: IntArray
    close: FloatArray


@dataclass(frozen=True, slots=True)
class Trade:
    """A trade as it happened: fills after slippage, fees of both sides, net profit."""

    symbol: str
    side: str  # "long" | "short"
    signal_time: int
    entry_time: int
    entry_price: float
    exit_time: int
    exit_price: float
    qty: float
    fees: float
    pnl: float
    #: Net profit over the cash the entry reserved.
    return_pct: float
    #: Net profit in units of the planned risk (entry to stop); None without a stop.
    r_multiple: float | None
    reason: ExitReason
    open: bool


@dataclass(frozen=True, slots=True)
class TradeTable:
    """Every taken trade as columns, in entry order. `symbol` and `reason` index `symbols` and `REASONS`."""

    symbols: tuple[str, ...]
    symbol: npt.NDArray[np.int64]
    side: npt.NDArray[np.int64]
    signal_time: IntArray
    entry_time: IntArray
    exit_time: IntArray
    entry_fill: FloatArray
    exit_fill: FloatArray
    qty: FloatArray
    fees: FloatArray
    pnl: FloatArray
    reserved: FloatArray
    stop: FloatArray
    reason: npt.NDArray[np.int64]
    open: BoolArray

    def __len__(self) -> int:
        return int(self.qty.size)

    @property
    def return_pct(self) -> FloatArray:
        out: FloatArray = self.pnl / self.reserved * 100.0
        return out

    @property
    def r_multiple(self) -> FloatArray:
        """Profit in planned risks (NaN where a trade has no stop)."""
        risk = np.abs(self.entry_fill - self.stop) * self.qty
        with np.errstate(invalid="ignore", divide="ignore"):
            out: FloatArray = np.where(np.isfinite(risk) & (risk > 0), self.pnl / risk, np.nan)
        return out

    def rows(self) -> tuple[Trade, ...]:
        """The trades as objects (for listing, storing and JSON)."""
        columns = (
            self.symbol.tolist(),
            self.side.tolist(),
            self.signal_time.tolist(),
            self.entry_time.tolist(),
            self.entry_fill.tolist(),
            self.exit_time.tolist(),
            self.exit_fill.tolist(),
            self.qty.tolist(),
            self.fees.tolist(),
            self.pnl.tolist(),
            self.return_pct.tolist(),
            self.r_multiple.tolist(),
            self.reason.tolist(),
            self.open.tolist(),
        )
        return tuple(
            Trade(
                symbol=self.symbols[s],
                side="long" if side > 0 else "short",
                signal_time=sig,
                entry_time=et,
                entry_price=ef,
                exit_time=xt,
                exit_price=xf,
                qty=q,
                fees=fe,
                pnl=p,
                return_pct=rp,
                r_multiple=rm if math.isfinite(rm) else None,
                reason=REASONS[code],
                open=op,
            )
            for s, side, sig, et, ef, xt, xf, q, fe, p, rp, rm, code, op in zip(*columns, strict=True)
        )

    @staticmethod
    def concat(tables: Sequence[TradeTable]) -> TradeTable:
        """The rows of `tables` one after the other (tables of the same symbols, e.g. consecutive windows)."""
        names = tables[0].symbols if tables else ()
        fields = [f for f in TradeTable.__dataclass_fields__ if f != "symbols"]
        if not tables:
            empty: dict[str, np.ndarray] = {
                f: np.zeros(0, dtype=np.bool_ if f == "open" else np.float64) for f in fields
            }
            return TradeTable(symbols=(), **empty)  # type: ignore[arg-type]
        return TradeTable(symbols=names, **{f: np.concatenate([getattr(t, f) for t in tables]) for f in fields})


@dataclass(frozen=True, slots=True)
class Skipped:
    """A planned trade the account did not take, and why ("max positions", "no cash", "no stop")."""

    symbol: str
    signal_time: int
    why: str


@dataclass(frozen=True, slots=True)
class PortfolioResult:
    """The trades in entry order, the skipped plans, and equity at every bar close of `times`."""

    table: TradeTable
    skipped: tuple[Skipped, ...]
    times: IntArray
    equity: FloatArray
    #: Whether any position was open at each bar close.
    exposed: BoolArray
    initial_equity: float

    @property
    def trades(self) -> tuple[Trade, ...]:
        """Every trade as an object (built on each call: keep the tuple when reading it more than once)."""
        return self.table.rows()

"""The backtest screen's tables, each a `RowTable`: a run's trades, a sweep's points (sortable by any metric,
the rank metric first), and the stored runs (marked with space for a comparison).

Sorting reads the raw values (`sort_value`), missing values last; compact column sets fit 80 columns, the full
ones take a wide terminal's room.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from rich.text import Text

from cryptoterm.domain.backtest.trades import Trade
from cryptoterm.ports.backtests import BacktestRecord
from cryptoterm.services.sweeps import SweepPoint, label
from cryptoterm.tui.backtest_view import LOWER_IS_BETTER, day, flat_metrics, format_metric, metric_kind, minute
from cryptoterm.tui.formatting import fmt_price
from cryptoterm.tui.widgets.row_table import Column, R, RowTable

#: A trade and its place in the run (its row key, and the index of its planned stop).
TradeRow = tuple[int, Trade]
PROFIT, LOSS = "green", "red"


def _sortable(value: object) -> tuple[int, object]:
    """Missing numbers last, whichever the direction."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return (1, 0.0)
    return (0, value)


def _money(value: float, *, signed: bool = False, price: bool = False) -> Text:
    """A price (magnitude-aware decimals) or an amount of quote (two decimals), optionally coloured by sign."""
    text = fmt_price(value) if price else format_metric(value, "money")
    if signed and math.isfinite(value) and value > 0:
        text = "+" + text
    style = "" if not signed or not math.isfinite(value) else (PROFIT if value > 0 else LOSS if value < 0 else "")
    return Text(text, style=style, justify="right")


class LoadedTable(RowTable[R]):
    """A `RowTable` that may be handed its rows before it has mounted (a worker can finish before the tab
    holding the table is mounted): they are kept and shown once its columns exist."""

    def show(self, rows: Sequence[R]) -> None:
        if not self.columns:
            self.rows_loaded = tuple(rows)
            return
        super().show(rows)

    def on_mount(self) -> None:
        # Textual runs `RowTable.on_mount` (which adds the columns) after this handler; catch up after it.
        self.call_after_refresh(self._catch_up)

    def _catch_up(self) -> None:
        if self.rows_loaded and self.row_count == 0:
            self.rebuild()


class TradeTable(LoadedTable[TradeRow]):
    """Every trade of the run on screen, in entry order by default; enter opens it on a chart."""

    COLUMNS: tuple[Column, ...] = (
        ("n", "#", 4),
        ("symbol", "Symbol", 10),
        ("side", "Side", 5),
        ("entry_time", "Entry (UTC)", 16),
        ("entry", "Entry", 10),
        ("exit_time", "Exit (UTC)", 16),
        ("exit", "Exit", 10),
        ("qty", "Qty", 10),
        ("fees", "Fees", 8),
        ("pnl", "PnL", 10),
        ("ret", "Ret %", 7),
        ("r", "R", 5),
        ("reason", "Exit by", 7),
    )
    COMPACT_COLUMNS: tuple[Column, ...] = (
        ("n", "#", 4),
        ("symbol", "Symbol", 9),
        ("entry_time", "Entry", 10),
        ("entry", "Entry", 10),
        ("exit", "Exit", 10),
        ("pnl", "PnL", 9),
        ("r", "R", 5),
        ("reason", "Exit", 6),
    )
    COMPACT_BELOW = 130
    SORTABLE = True

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, sort_key="n")

    def key_of(self, row: TradeRow) -> str:
        return str(row[0])

    def _values(self, row: TradeRow) -> dict[str, object]:
        n, t = row
        return {
            "n": n + 1, "symbol": t.symbol, "side": t.side, "entry_time": t.entry_time, "entry": t.entry_price,
            "exit_time": t.exit_time, "exit": t.exit_price, "qty": t.qty, "fees": t.fees, "pnl": t.pnl,
            "ret": t.return_pct, "r": t.r_multiple, "reason": "open" if t.open else t.reason,
        }  # fmt: skip

    def sort_value(self, row: TradeRow, key: str) -> tuple[object, ...]:
        return _sortable(self._values(row)[key])

    def cells_of(self, row: TradeRow) -> list[Text]:
        n, t = row
        r = t.r_multiple
        cells = {
            "n": Text(str(n + 1), justify="right"),
            "symbol": Text(t.symbol, style="bold"),
            "side": Text("▲ long" if t.side == "long" else "▼ short", style=PROFIT if t.side == "long" else LOSS),
            "entry_time": Text(day(t.entry_time) if self.compact else minute(t.entry_time)),
            "entry": _money(t.entry_price, price=True),
            "exit_time": Text(minute(t.exit_time)),
            "exit": _money(t.exit_price, price=True),
            "qty": Text(f"{t.qty:.6g}", justify="right"),
            "fees": _money(t.fees),
            "pnl": _money(t.pnl, signed=True),
            "ret": Text(f"{t.return_pct:+.2f}", justify="right", style=PROFIT if t.pnl > 0 else LOSS),
            "r": Text("—" if r is None else f"{r:+.2f}", justify="right"),
            "reason": Text("open" if t.open else t.reason, style="bold yellow" if t.open else ""),
        }
        return [cells[key] for key, _, _ in self.columns_shown]


#: The sweep table's metric columns: (metric, header, width); `compact` ones fit 80 columns.
SWEEP_METRICS: tuple[tuple[str, str, int, bool], ...] = (
    ("trade_count", "Trades", 6, True),
    ("total_return", "Return", 9, True),
    ("sharpe", "Sharpe", 6, True),
    ("sortino", "Sortino", 7, False),
    ("calmar", "Calmar", 6, False),
    ("max_drawdown", "Max DD", 8, True),
    ("win_rate", "Win", 7, True),
    ("profit_factor", "PF", 5, True),
    ("expectancy", "Expect.", 9, False),
)


class SweepTable(LoadedTable[SweepPoint]):
    """A sweep's points, best first by its rank metric; enter backtests the highlighted point on its own."""

    COMPACT_BELOW = 110
    SORTABLE = True

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, sort_key="sharpe", descending=True)
        self.rank = "sharpe"
        self._set_columns("sharpe")

    def _set_columns(self, rank: str) -> None:
        full = [(key, header, width) for key, header, width, _ in SWEEP_METRICS]
        compact = [(key, header, width) for key, header, width, small in SWEEP_METRICS if small or key == rank]
        self.COLUMNS = (("params", "Params", 18), *full)
        self.COMPACT_COLUMNS = (("params", "Params", 16), *compact)

    def set_rank(self, rank: str) -> None:
        """Sort by `rank` (best first) and make sure its column is shown."""
        self.rank = rank
        self._set_columns(rank)
        self.sort_key, self.descending = rank, rank not in LOWER_IS_BETTER
        if self.is_mounted:
            self.clear(columns=True)
            self._add_columns()

    def key_of(self, row: SweepPoint) -> str:
        return label(row.params)

    def sort_value(self, row: SweepPoint, key: str) -> tuple[object, ...]:
        if key == "params":
            return (0, tuple(row.params.values()))
        return _sortable(None if row.metrics is None else getattr(row.metrics, key))

    def cells_of(self, row: SweepPoint) -> list[Text]:
        cells = {"params": Text(label(row.params), overflow="ellipsis")}
        for key, _, _, _ in SWEEP_METRICS:
            if row.metrics is None:
                cells[key] = Text("—" if key != "trade_count" else row.error[:8], style="red", justify="right")
                continue
            style = "bold" if key == self.rank else ""
            text = format_metric(getattr(row.metrics, key), metric_kind(key))
            cells[key] = Text(text, style=style, justify="right")
        return [cells[key] for key, _, _ in self.columns_shown]

    def grow(self) -> dict[str, int]:
        return {"params": max((len(label(p.params)) for p in self.rows_loaded), default=0)}


class RunsTable(LoadedTable[BacktestRecord]):
    """The stored runs, newest first; space marks runs for the comparison."""

    COLUMNS: tuple[Column, ...] = (
        ("mark", "", 1),
        ("id", "#", 4),
        ("created", "Stored (UTC)", 16),
        ("kind", "Kind", 12),
        ("strategy", "Strategy", 14),
        ("timeframe", "TF", 3),
        ("symbols", "Symbols", 14),
        ("trades", "Trades", 6),
        ("return", "Return", 9),
        ("sharpe", "Sharpe", 6),
        ("max_dd", "Max DD", 8),
    )
    COMPACT_COLUMNS: tuple[Column, ...] = (
        ("mark", "", 1),
        ("id", "#", 4),
        ("created", "Stored", 10),
        ("strategy", "Strategy", 13),
        ("trades", "Trades", 6),
        ("return", "Return", 9),
        ("sharpe", "Sharpe", 6),
        ("max_dd", "Max DD", 8),
    )
    COMPACT_BELOW = 120
    SORTABLE = True

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, sort_key="id", descending=True)
        self.marked: list[int] = []

    def key_of(self, row: BacktestRecord) -> str:
        return str(row.id)

    def _metrics(self, row: BacktestRecord) -> Mapping[str, object]:
        return flat_metrics(row)

    def sort_value(self, row: BacktestRecord, key: str) -> tuple[object, ...]:
        metrics = self._metrics(row)
        values: dict[str, object] = {
            "mark": row.id in self.marked, "id": row.id, "created": row.created_ms, "kind": row.kind,
            "strategy": row.strategy, "timeframe": row.timeframe, "symbols": ",".join(row.symbols),
            "trades": metrics.get("trade_count"), "return": metrics.get("total_return"),
            "sharpe": metrics.get("sharpe"), "max_dd": metrics.get("max_drawdown"),
        }  # fmt: skip
        return _sortable(values[key])

    def cells_of(self, row: BacktestRecord) -> list[Text]:
        metrics = self._metrics(row)
        total = metrics.get("total_return")
        style = PROFIT if isinstance(total, float) and total > 0 else LOSS if isinstance(total, float) else ""
        symbols = ", ".join(row.symbols[:2]) + (f" +{len(row.symbols) - 2}" if len(row.symbols) > 2 else "")
        cells = {
            "mark": Text("●" if row.id in self.marked else " ", style="bold cyan"),
            "id": Text(str(row.id), justify="right"),
            "created": Text(day(row.created_ms) if self.compact else minute(row.created_ms)),
            "kind": Text(row.kind.replace("_", "-") + (f" {row.label}" if row.label else ""), overflow="ellipsis"),
            "strategy": Text(row.strategy + ("" if row.kind == "single" or not self.compact else f" ({row.kind[0]})"),
                             overflow="ellipsis"),
            "timeframe": Text(row.timeframe),
            "symbols": Text(symbols, overflow="ellipsis"),
            "trades": Text(format_metric(metrics.get("trade_count"), "count"), justify="right"),
            "return": Text(format_metric(total, "pct"), justify="right", style=style),
            "sharpe": Text(format_metric(metrics.get("sharpe"), "num"), justify="right"),
            "max_dd": Text(format_metric(metrics.get("max_drawdown"), "pct"), justify="right"),
        }  # fmt: skip
        return [cells[key] for key, _, _ in self.columns_shown]

    def toggle_mark(self) -> BacktestRecord | None:
        """Mark or unmark the highlighted run (marks keep their order: the comparison's columns)."""
        record = self.selected
        if record is None:
            return None
        if record.id in self.marked:
            self.marked.remove(record.id)
        else:
            self.marked.append(record.id)
        self.rebuild()
        return record

    def marked_records(self) -> list[BacktestRecord]:
        by_id = {r.id: r for r in self.rows_loaded}
        return [by_id[i] for i in self.marked if i in by_id]

    def show_runs(self, records: Sequence[BacktestRecord]) -> None:
        known = {r.id for r in records}
        self.marked = [i for i in self.marked if i in known]
        self.show(records)

    def grow(self) -> dict[str, int]:
        return {"strategy": max((len(r.strategy) + 4 for r in self.rows_loaded), default=0)}

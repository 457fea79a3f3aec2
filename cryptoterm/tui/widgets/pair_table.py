"""The screener's results: one row per pair, sortable by any statistic, filtered by the filter line.

A universe of 300 symbols has 44,850 pairs; the table shows the first `MAX_ROWS` that pass the filter in the
current order (the panel says how many passed), so a rebuild stays a few hundred rows whatever the universe.
Sorting uses the raw values with NaN last in either direction.
"""

from __future__ import annotations

import math

from rich.text import Text

from cryptoterm.domain.pairs import PairResult
from cryptoterm.tui.formatting import DASH
from cryptoterm.tui.screener_filter import PairFilter
from cryptoterm.tui.widgets.row_table import Column, RowTable

#: Rows a rebuild shows at most.
MAX_ROWS = 500

COLUMNS: tuple[Column, ...] = (
    ("y", "Y", 11),
    ("x", "X", 11),
    ("p", "p", 6),
    ("padj", "p adj", 6),
    ("prev", "p rev", 6),
    ("hl", "Half-life", 9),
    ("hurst", "Hurst", 5),
    ("corr", "Corr", 5),
    ("beta", "β", 7),
    ("z", "z", 6),
)
COMPACT_COLUMNS: tuple[Column, ...] = (
    ("y", "Y", 10),
    ("x", "X", 10),
    ("p", "p", 6),
    ("padj", "p adj", 6),
    ("hl", "HL", 6),
    ("hurst", "H", 5),
    ("corr", "Corr", 5),
    ("z", "z", 5),
)
COMPACT_BELOW = 100


def _value(result: PairResult, key: str) -> float | str:
    values: dict[str, float | str] = {
        "y": result.y,
        "x": result.x,
        "p": result.eg_p,
        "padj": result.p_adj,
        "prev": result.eg_p_rev,
        "hl": result.half_life,
        "hurst": result.hurst,
        "corr": result.corr,
        "beta": result.beta_ols,
        "z": result.zscore,
    }
    return values[key]


def _number(value: float, digits: int) -> str:
    if math.isnan(value):
        return DASH
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:.{digits}f}"


def _p_style(p: float) -> str:
    if math.isnan(p):
        return "dim"
    return "bold green" if p < 0.01 else "green" if p < 0.05 else ""


class PairTable(RowTable[PairResult]):
    """Pairs keyed by "y|x"."""

    COLUMNS = COLUMNS
    COMPACT_COLUMNS = COMPACT_COLUMNS
    COMPACT_BELOW = COMPACT_BELOW
    SORTABLE = True

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, sort_key="padj")
        self.filter = PairFilter()
        self.passing = 0

    def key_of(self, row: PairResult) -> str:
        return f"{row.y}|{row.x}"

    def cells_of(self, row: PairResult) -> list[Text]:
        cells = {
            "y": Text(row.y),
            "x": Text(row.x),
            "p": Text(_number(row.eg_p, 4), style=_p_style(row.eg_p), justify="right"),
            "padj": Text(_number(row.p_adj, 4), style=_p_style(row.p_adj), justify="right"),
            "prev": Text(_number(row.eg_p_rev, 4), style=_p_style(row.eg_p_rev), justify="right"),
            "hl": Text(_number(row.half_life, 1), justify="right"),
            "hurst": Text(_number(row.hurst, 2), justify="right"),
            "corr": Text(_number(row.corr, 2), justify="right"),
            "beta": Text(_number(row.beta_ols, 3), justify="right"),
            "z": Text(_number(row.zscore, 2), style="bold" if abs(row.zscore) >= 2 else "", justify="right"),
        }
        return [cells[key] for key, _, _ in self.columns_shown]

    def sort_value(self, row: PairResult, key: str) -> tuple[object, ...]:
        value = _value(row, key)
        if isinstance(value, str):
            return (0, value)
        missing = math.isnan(value)
        # NaN sorts last whichever the direction: flip its marker with the direction.
        return (int(missing) ^ int(self.descending), 0.0 if missing else value)

    def passes(self, row: PairResult) -> bool:
        return self.filter.passes(row)

    @property
    def shown(self) -> list[PairResult]:
        rows = super().shown
        self.passing = len(rows)
        return rows[:MAX_ROWS]

    def apply_filter(self, chosen: PairFilter) -> None:
        self.filter = chosen
        self.rebuild()

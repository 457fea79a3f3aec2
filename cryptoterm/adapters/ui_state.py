"""The TUI's remembered state as a small JSON file beside the database (`cryptoterm.ui.json`).

Written atomically — a temporary file in the same directory, flushed, then `os.replace` — so a crash or a
full disk leaves either the previous state or the new one. Reading is forgiving by design: a missing file is
the defaults, and a corrupt or unreadable one is one warning line naming the file and the defaults, never a
crash: losing remembered sort orders must not stop a trader from opening the workstation.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptoterm.ports.ui_state import SortOrder, UiState

log = logging.getLogger(__name__)

#: Bumped when the file's shape changes incompatibly; other versions are read as the defaults.
VERSION = 1


def state_to_json(state: UiState) -> dict[str, Any]:
    return {
        "version": VERSION,
        "watchlist": state.watchlist,
        "strategies": dict(state.strategies),
        "sort": {name: {"column": o.column, "descending": o.descending} for name, o in state.sort.items()},
        "timeframes": dict(state.timeframes),
        "chart_studies": {symbol: list(shown) for symbol, shown in state.chart_studies.items()},
    }


def _str_list(value: object, key: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{key}: expected a list of symbols")
    return list(value)


def _str_map(value: object, key: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"{key}: expected a table")
    return value


def state_from_json(data: object) -> UiState:
    """Parse the file's JSON; raises ValueError naming the bad key."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    if data.get("version") != VERSION:
        raise ValueError(f"version: expected {VERSION}, got {data.get('version')!r}")
    strategies = _str_map(data.get("strategies", {}), "strategies")
    if not all(isinstance(v, bool) for v in strategies.values()):
        raise ValueError("strategies: expected true / false per strategy")
    sort: dict[str, SortOrder] = {}
    for name, order in _str_map(data.get("sort", {}), "sort").items():
        if not isinstance(order, dict) or not isinstance(order.get("column"), str):
            raise ValueError(f"sort.{name}: expected a column and a direction")
        sort[name] = SortOrder(order["column"], bool(order.get("descending", False)))
    timeframes = _str_map(data.get("timeframes", {}), "timeframes")
    if not all(isinstance(v, str) for v in timeframes.values()):
        raise ValueError("timeframes: expected a timeframe per screen")
    # Added after version 1 shipped: a file without it is every study shown, so the version stays.
    chart_studies: dict[str, list[str]] = {}
    for symbol, shown in _str_map(data.get("chart_studies", {}), "chart_studies").items():
        if not isinstance(shown, list) or not all(isinstance(item, str) for item in shown):
            raise ValueError(f"chart_studies.{symbol}: expected a list of studies")
        chart_studies[symbol] = list(shown)
    return UiState(
        watchlist=_str_list(data.get("watchlist"), "watchlist"),
        chart_studies=chart_studies,
        strategies=dict(strategies),
        sort=sort,
        timeframes=dict(timeframes),
    )


class JsonUiStateFile:
    """`UiStateStore` over one JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def location(self) -> Path | None:
        return self.path

    def load(self) -> UiState:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return UiState()
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("%s: cannot read the saved screen state (%s); using the defaults", self.path, exc)
            return UiState()
        try:
            return state_from_json(json.loads(text))
        except json.JSONDecodeError as exc:
            log.warning("%s: line %d: not valid JSON (%s); using the defaults", self.path, exc.lineno, exc.msg)
        except ValueError as exc:
            log.warning("%s: %s; using the defaults", self.path, exc)
        return UiState()

    def save(self, state: UiState) -> None:
        text = json.dumps(state_to_json(state), indent=2, sort_keys=True) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temp, self.path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("%s: cannot save the screen state (%s)", self.path, exc)

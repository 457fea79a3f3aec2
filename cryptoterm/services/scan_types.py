"""What the scanner needs from a compiled strategy (as protocols, so tests can pass small fakes) and what one
scan reports back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from cryptoterm.domain.setups import Setup


class TermLike(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def passed(self) -> Any: ...
    @property
    def values(self) -> Any: ...


class EvaluationLike(Protocol):
    @property
    def signal(self) -> npt.NDArray[np.bool_]: ...
    @property
    def terms(self) -> Sequence[Any]: ...


class LevelsLike(Protocol):
    @property
    def entry(self) -> float: ...
    @property
    def stop(self) -> float: ...
    @property
    def targets(self) -> Sequence[float]: ...


class StrategyLike(Protocol):
    """What the scanner needs of a compiled strategy (`domain.strategy.CompiledStrategy`)."""

    @property
    def name(self) -> str: ...
    @property
    def timeframe(self) -> str: ...
    @property
    def direction(self) -> str: ...
    @property
    def timeframes_needed(self) -> Any: ...
    @property
    def warmup_bars(self) -> int: ...
    @property
    def expires_bars(self) -> int: ...

    def evaluate(self, frames: Mapping[str, pd.DataFrame], regime: Any = None) -> Any: ...

    def levels_at(self, frames: Mapping[str, pd.DataFrame], index: int) -> Any: ...


@dataclass(frozen=True, slots=True)
class ScanError:
    """One strategy + symbol that could not be scanned, and why (already redacted)."""

    strategy: str
    symbol: str
    error: str

    def as_dict(self) -> dict[str, str]:
        return {"strategy": self.strategy, "symbol": self.symbol, "error": self.error}


@dataclass(frozen=True, slots=True)
class ScanReport:
    """What one scan did: the setups it opened, the hits that duplicated open ones, and the errors."""

    run_id: int
    origin: str
    started_ms: int
    finished_ms: int
    strategies: int
    symbols: int
    hits: int
    new_setups: tuple[Setup, ...]
    errors: tuple[ScanError, ...]
    duplicates: tuple[str, ...] = field(default_factory=tuple)
    #: Market regime at the reference symbol's last closed bar ("" when its candles are missing).
    regime: str = ""

    @property
    def duration_ms(self) -> int:
        return self.finished_ms - self.started_ms

    @property
    def ok(self) -> bool:
        return not self.errors

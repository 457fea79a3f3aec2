"""Chart studies' values: the indicators a candle chart draws, computed with the domain kernels (equal to `ta`).

Values come over whole numpy arrays: a chart computes its visible bars plus each study's `warmup` more, so a line
starts settled at the left edge and one computation stays well under a frame. What a study is and how its term
is parsed: `chart_study_terms`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from cryptoterm.domain.chart_study_terms import (
    KNOWN,
    MAX_DEVIATIONS,
    MAX_PERIOD,
    Panel,
    Study,
    StudyError,
    parse_studies,
    parse_study,
    study_label,
)

__all__ = [
    "KNOWN",
    "MAX_DEVIATIONS",
    "MAX_PERIOD",
    "Panel",
    "Study",
    "StudyError",
    "StudyLine",
    "compute_study",
    "parse_studies",
    "parse_study",
    "study_label",
]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class StudyLine:
    """One output of a study over the bars it was given (NaN where undefined)."""

    label: str
    values: FloatArray
    #: "line" draws a line, "bars" a histogram (MACD's).
    style: Literal["line", "bars"] = "line"


def compute_study(study: Study, close: FloatArray, volume: FloatArray | None = None) -> tuple[StudyLine, ...]:
    """The study's outputs over `close` (oldest first): one line, BB upper / mid / lower, MACD line / signal /
    histogram, or the volume itself."""
    from cryptoterm.domain import indicators as ind

    close = np.asarray(close, dtype=np.float64)
    p = study.params
    label = study_label(study)
    if study.name == "volume":
        return (StudyLine(label, np.asarray(volume if volume is not None else [], dtype=np.float64), "bars"),)
    if close.size < (int(p[1]) if study.name == "macd" else int(p[0])):
        return ()  # not one value yet: no line rather than an all-NaN one
    if study.name == "ema":
        return (StudyLine(label, ind.ema(close, int(p[0]))),)
    if study.name == "sma":
        return (StudyLine(label, ind.sma(close, int(p[0]))),)
    if study.name == "bb":
        bands = ind.bollinger(close, int(p[0]), p[1])
        return (
            StudyLine(f"{label} upper", bands.upper),
            StudyLine(f"{label} mid", bands.mid),
            StudyLine(f"{label} lower", bands.lower),
        )
    if study.name == "rsi":
        return (StudyLine(label, ind.rsi(close, int(p[0]))),)
    line, signal, hist = ind.macd(close, int(p[0]), int(p[1]), int(p[2]))
    return (StudyLine(label, line), StudyLine("signal", signal), StudyLine("hist", hist, "bars"))

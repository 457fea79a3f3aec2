"""The levels a strategy without a `levels` table gets (unless it has `exit` terms: then it has none).

A module of its own, with no imports, because the config schema (loaded before the TUI's first frame) shows
these as its defaults and must not pull in the strategy compiler and pandas to do so.
"""

from __future__ import annotations

DEFAULT_ENTRY = "close"
DEFAULT_STOP = "close - 1.5 * atr(14)"
DEFAULT_TARGETS = ("2R",)

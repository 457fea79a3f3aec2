"""What `cryptoterm export` can write: a name list with no imports, so the CLI's parser stays cheap to build
(the TUI's first frame waits for it)."""

from __future__ import annotations

from typing import Literal

ExportKind = Literal["candles", "trades", "setups", "backtests", "alerts", "journal"]
EXPORT_KINDS: tuple[ExportKind, ...] = ("candles", "trades", "setups", "backtests", "alerts", "journal")

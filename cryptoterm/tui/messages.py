"""Messages that carry data into the UI.

Producers (the feed on the event loop, logging from any thread) never touch widgets: they post one of these
to the app, which records it in the session and forwards it to the screens. `MarketUpdated` may be replaced
by a newer one still waiting in a queue, so a burst of snapshots costs one repaint, not a backlog.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.message import Message

from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.tui.context import LogLine

if TYPE_CHECKING:
    from cryptoterm.services.scanner import ScanReport


class MarketUpdated(Message, bubble=False):
    """A new market snapshot. Only the newest queued one matters.

    `published` is when the feed handed the snapshot over (`time.monotonic()`); a forwarded copy keeps the
    original's, so a screen can measure how long data took to reach it.
    """

    def __init__(self, snapshot: MarketSnapshot, published: float | None = None) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.published = time.monotonic() if published is None else published

    def can_replace(self, message: Message) -> bool:
        # Textual asks the queued message whether the next one in the queue supersedes it.
        return isinstance(message, MarketUpdated)


class LogRecorded(Message, bubble=False):
    """A formatted log record for the log pane. Never replaced: every line is kept."""

    def __init__(self, line: LogLine) -> None:
        super().__init__()
        self.line = line


class SymbolSelected(Message):
    """The user chose a symbol (watchlist cursor, command palette)."""

    def __init__(self, symbol: str) -> None:
        super().__init__()
        self.symbol = symbol


class SymbolOpened(Message):
    """The user asked for a symbol's detail view (enter on a watchlist row)."""

    def __init__(self, symbol: str) -> None:
        super().__init__()
        self.symbol = symbol


class UiStateChanged(Message):
    """The user changed something the workstation remembers (watchlist, strategy, sort, timeframe)."""


class ScanFinished(Message, bubble=False):
    """A scan finished (its report), or failed (`report` None, `error` says why)."""

    def __init__(self, report: ScanReport | None, error: str = "") -> None:
        super().__init__()
        self.report = report
        self.error = error


class ScanStarted(Message, bubble=False):
    """A scan started (`origin`: "manual", "interval", "1h close", …)."""

    def __init__(self, origin: str) -> None:
        super().__init__()
        self.origin = origin


class SetupsChanged(Message, bubble=False):
    """Closed bars moved open setups to new states; screens listing setups reload them."""

    def __init__(self, changed: int) -> None:
        super().__init__()
        self.changed = changed

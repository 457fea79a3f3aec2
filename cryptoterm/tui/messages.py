"""Messages that carry data into the UI.

Producers (the feed on the event loop, logging from any thread) never touch widgets: they post one of these
to the app, which records it in the session and forwards it to the screens. `MarketUpdated` may be replaced
by a newer one still waiting in a queue, so a burst of snapshots costs one repaint, not a backlog.
"""

from __future__ import annotations

from textual.message import Message

from cryptoterm.services.snapshots import MarketSnapshot
from cryptoterm.tui.context import LogLine


class MarketUpdated(Message, bubble=False):
    """A new market snapshot. Only the newest queued one matters."""

    def __init__(self, snapshot: MarketSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

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

"""The alert feed: every alert firing and market event, newest first, with the delivery of each firing.

Rows are firings (`⚑`, with their delivery: sent, failed after N tries, sending, kept without a channel) and
market events (`◆`, coloured by severity). The title counts the firings not yet seen; opening one (enter) or
`r` marks them read. A new firing rings the terminal bell when `[alerts].bell` is on. The feed repaints only when
the alert engine or the anomaly monitor says something changed (their listeners post `AlertsChanged`, which a
newer one replaces), never on a timer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from cryptoterm.tui.alerts_view import AlertsChanged, AlertsView, AnomaliesView, FeedItem, feed_items
from cryptoterm.tui.widgets.column_fit import CELL_PADDING, apply_widths, available_width

if TYPE_CHECKING:
    from cryptoterm.domain.anomaly import AnomalyEvent
    from cryptoterm.ports.alerts import AlertEvent

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("time", "Time", 11),
    ("mark", "", 1),
    ("symbol", "Symbol", 9),
    ("status", "Delivery", 11),
    ("text", "What", 20),
)
#: Rows the feed shows (the alerts screen and `cryptoterm alerts list` have the rest).
SHOWN = 100
_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "alert": "bold cyan"}


class FeedItemChosen(Message):
    """The user opened a feed row (enter)."""

    def __init__(self, item: FeedItem) -> None:
        super().__init__()
        self.item = item


def _time(ms: int, today: str) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    day = moment.strftime("%Y-%m-%d")
    return moment.strftime("%H:%M:%S") if day == today else moment.strftime("%m-%d %H:%M")


class AlertFeed(DataTable[Text]):
    """See the module docstring. `bind` attaches it to the engine's alerts (once the engine exists)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_item", "Open", show=False, tooltip="Open the alert: its symbol at the alert's time"),
        Binding("r", "mark_read", "Read", show=False, tooltip="Mark every alert in the feed read"),
    ]

    DEFAULT_CSS = """
    AlertFeed { height: 100%; border: round $primary; border-title-align: left; scrollbar-size-vertical: 1; }
    AlertFeed:focus { border: round $accent; }
    """

    def __init__(self, *, bell: bool = True, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.bell_enabled = bell
        self.items: list[FeedItem] = []
        self.bells = 0
        self._alerts: AlertsView | None = None
        self._anomalies: AnomaliesView | None = None
        self._today = ""

    def on_mount(self) -> None:
        for key, header, width in COLUMNS:
            self.add_column(header, key=key, width=width)
        self.border_title = "Alerts"

    def on_resize(self) -> None:
        """The text takes whatever the other columns leave (it is cut at its end, never the delivery)."""
        fixed = sum(width + CELL_PADDING for key, _, width in COLUMNS if key != "text")
        apply_widths(self, {"text": max(20, available_width(self) - fixed - CELL_PADDING)})

    @property
    def bound(self) -> bool:
        return self._alerts is not None or self._anomalies is not None

    def bind(self, alerts: AlertsView | None, anomalies: AnomaliesView | None) -> None:
        """Listen to the engine's alerts and market events (their callbacks run on other threads: they only post)."""
        if self.bound:
            return
        self._alerts, self._anomalies = alerts, anomalies

        def fired(event: AlertEvent) -> None:
            self.post_message(AlertsChanged(fired=event.attempts == 0 and event.status != "delivered"))

        def events_came(events: list[AnomalyEvent]) -> None:
            self.post_message(AlertsChanged())

        if alerts is not None:
            alerts.on_event(fired)
        if anomalies is not None:
            anomalies.on_events(events_came)
        self.refresh_items()

    def on_alerts_changed(self, message: AlertsChanged) -> None:
        message.stop()
        self.refresh_items(ring=message.fired)

    def refresh_items(self, *, ring: bool = False, today: str | None = None) -> None:
        """Re-read the recent firings and events and repaint the rows that changed."""
        alerts = self._alerts.recent() if self._alerts is not None else []
        events = self._anomalies.recent() if self._anomalies is not None else []
        self.show_items(feed_items(alerts, events, SHOWN), ring=ring, today=today)

    def show_items(self, items: list[FeedItem], *, ring: bool = False, today: str | None = None) -> None:
        """Show `items` (newest first); `today` fixes what "today" is (tests), else the wall clock's date."""
        self._today = today or datetime.now(tz=UTC).strftime("%Y-%m-%d")
        keys = [item.key for item in items]
        if keys != [item.key for item in self.items] or items != self.items:
            cursor = self.cursor_row
            self.clear()
            for item in items:
                self.add_row(*self._cells(item), key=item.key)
            if items:
                self.move_cursor(row=min(cursor, len(items) - 1))
        self.items = items
        unread = sum(1 for item in items if item.unread)
        self.border_title = f"Alerts · {unread} unread" if unread else "Alerts"
        if ring and self.bell_enabled:
            self.bells += 1
            self.app.bell()

    def _cells(self, item: FeedItem) -> list[Text]:
        style = _SEVERITY_STYLE.get(item.severity, "")
        mark = "⚑" if item.kind == "alert" else "◆"
        status_style = "red" if item.status.startswith("✗") else "green" if item.status.startswith("✓") else "dim"
        return [
            Text(_time(item.ts, self._today), style="bold" if item.unread else "dim"),
            Text(mark, style=style),
            Text(item.symbol or "market", style="bold" if item.unread else ""),
            Text(item.status, style=status_style),
            Text(item.text, style=style if item.kind == "event" else ("bold" if item.unread else "")),
        ]

    @property
    def unread(self) -> int:
        return sum(1 for item in self.items if item.unread)

    def selected_item(self) -> FeedItem | None:
        if not self.items or self.cursor_row < 0:
            return None
        return self.items[min(self.cursor_row, len(self.items) - 1)]

    def action_open_item(self) -> None:
        item = self.selected_item()
        if item is None:
            return
        if item.alert is not None and item.unread:
            self._mark([item.alert.id])
        self.post_message(FeedItemChosen(item))

    def action_mark_read(self) -> None:
        self._mark([item.alert.id for item in self.items if item.alert is not None and item.unread])

    def _mark(self, ids: list[int]) -> None:
        if not ids or self._alerts is None:
            return
        self._alerts.mark_read(ids)  # in memory at once; the store's write is queued, not awaited
        self.refresh_items()

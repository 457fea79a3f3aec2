"""A `Static` that tells its screen when its own size changed, so a picture drawn for one size is redrawn.

The market views draw text sized to each widget (a ladder of as many levels as fit, a depth chart a column per
cell, a tape of as many prints as rows). A screen's own resize is not enough to know when to redraw: a breakpoint
class (the full book hides its tape below 120 columns) changes the layout after the screen's resize handler ran, so
a redraw scheduled there can still see the old sizes — and with no new data nothing would redraw again. The widget
itself gets a `Resize` once its final size is known; it posts `Resized`, which bubbles to the screen — only when
the new size is not the one it last drew at, so a picture already right is not drawn twice.
"""

from __future__ import annotations

from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.widgets import Static


class SizedStatic(Static):
    """See the module docstring."""

    class Resized(Message):
        """This widget's size changed (its screen should redraw what it shows)."""

    #: The size the shown picture was drawn for (set by a subclass's `show` through `drawn_at_this_size`).
    drawn_size: Size | None = None

    def drawn_at_this_size(self) -> None:
        self.drawn_size = self.size

    def on_resize(self, event: events.Resize) -> None:
        if self.size != self.drawn_size:
            self.post_message(self.Resized())

"""The full order book (`O`) of the selected symbol: grouped levels with cumulative depth, a depth chart, the
spread and imbalance over time, and (from 120 columns) the trade tape beside them.

Everything comes from the engine: the feed's own book of the symbol (read to `[book] levels` a side, shown only
while in sync), the sampled spread / imbalance rings (`services.book_history`) and the tape. The price grouping is
a multiple of the book's tick (`+` / `-`: 1, 2, 5, 10 … ticks), and the depth chart spans the prices the ladder
shows. It repaints at most `BOOK_HZ` times a second from snapshots (a full screen of ladder, depth, history and
tape is a whole-screen redraw each time, and four a second read as live while costing less than half of ten),
each widget only when its picture changed, and at once after a key.
`[` / `]` step through the watchlist. `up` / `down` pick a level of the ladder; `N` then opens the order ticket as
a limit at that level's price — a buy at a bid, a sell at an ask, the way a ladder is traded — and `escape` drops
the pick (then goes back).
"""

from __future__ import annotations

import math
import time
from functools import partial
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Footer

from cryptoterm.domain.book_depth import DepthRow, decimals_of, infer_tick, next_multiple
from cryptoterm.domain.market import Side
from cryptoterm.domain.trading.order_text import number
from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.formatting import fmt_age
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.symbol_actions import next_symbol
from cryptoterm.tui.widgets.depth_chart import DepthChart
from cryptoterm.tui.widgets.full_book import (
    BookHistoryLines,
    FullBookLadder,
    GroupedBook,
    Pick,
    move_pick,
    picked_level,
)
from cryptoterm.tui.widgets.replay_bar import ReplayBar
from cryptoterm.tui.widgets.sized_static import SizedStatic
from cryptoterm.tui.widgets.status_bar import StatusBar
from cryptoterm.tui.widgets.trade_tape import TradeTapeView

#: Trades of the tape read per repaint (the prints that fit come from the newest of them).
TAPE_TRADES = 2000
#: Levels a side the tick is inferred from.
TICK_LEVELS = 50
#: Snapshot-driven repaints a second, at most (see the module docstring).
BOOK_HZ = 4.0


class OrderBookScreen(LiveScreen):
    """See the module docstring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("plus", "group(1)", "Group+", key_display="+", tooltip="Group the book by more ticks"),
        Binding("minus", "group(-1)", "Group-", key_display="-", tooltip="Group the book by fewer ticks"),
        Binding("left_square_bracket", "step(-1)", "Prev", key_display="[", tooltip="Previous watchlist symbol"),
        Binding("right_square_bracket", "step(1)", "Next", key_display="]", tooltip="Next watchlist symbol"),
        Binding("up", "pick(-1)", "Level up", show=False, tooltip="Pick the level above (higher price)"),
        Binding("down", "pick(1)", "Level down", show=False, tooltip="Pick the level below (lower price)"),
        Binding("escape", "back", "Back", show=False, tooltip="Drop the picked level, else back to the dashboard"),
    ]

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012 (typed by Screen)

    DEFAULT_CSS = """
    OrderBookScreen #book-main { height: 1fr; }
    OrderBookScreen #book-ladder { width: 46; height: 100%; }
    OrderBookScreen #book-side { width: 1fr; height: 100%; }
    OrderBookScreen #book-depth { height: 1fr; }
    OrderBookScreen #book-tape { width: 46; height: 100%; }
    OrderBookScreen.-narrow #book-tape { display: none; }
    """

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="order-book", id="order-book")
        self.symbol = ""
        self.multiple = 1
        self.tick = 0.0
        self.repaints = 0
        #: The level `up` / `down` picked (for `N`), and the grouped book last drawn (what the pick points into).
        self.pick: Pick | None = None
        self.grouped: GroupedBook | None = None
        #: When the last repaint ran (monotonic seconds; injectable for tests), and the one scheduled after it.
        self.clock = time.monotonic
        self._painted_at = -math.inf
        self._repaint_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        tape = self.session.config.tape
        with Horizontal(id="book-main"):
            yield FullBookLadder(id="book-ladder")
            with Vertical(id="book-side"):
                yield DepthChart(id="book-depth")
                yield BookHistoryLines(id="book-history")
            yield TradeTapeView(min_notional=tape.min_notional, large_notional=tape.large_notional, id="book-tape")
        yield ReplayBar(id="book-replay")
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="book-status")
        yield Footer()

    def on_mount(self) -> None:
        self._follow_session()
        super().on_mount()
        self.call_after_refresh(self.repaint)

    def on_screen_resume(self) -> None:
        self._follow_session()
        super().on_screen_resume()

    def on_sized_static_resized(self, message: SizedStatic.Resized) -> None:
        """A panel got its final size (a resize, or the breakpoint hiding the tape): draw it for that size."""
        message.stop()
        self.repaint()

    def _follow_session(self) -> None:
        wanted = self.session.selected_symbol or (self.session.symbols[0] if self.session.symbols else "")
        if wanted != self.symbol:
            self.symbol, self.tick, self.pick = wanted, 0.0, None

    @property
    def step(self) -> float:
        """The grouping's price step (the tick times the multiple; 0 until the tick is known)."""
        return round(self.tick * self.multiple, decimals_of(self.tick) + 1) if self.tick else 0.0

    def apply_snapshot(self, snapshot: MarketSnapshot) -> None:
        super().apply_snapshot(snapshot)
        wait = 1.0 / BOOK_HZ - (self.clock() - self._painted_at)
        if wait <= 0:
            self.repaint()
        elif self._repaint_timer is None:
            self._repaint_timer = self.set_timer(wait, self._timed_repaint, name="book-throttle")

    @property
    def repaint_pending(self) -> bool:
        """A throttled repaint is scheduled (snapshots came faster than BOOK_HZ)."""
        return self._repaint_timer is not None

    def _timed_repaint(self) -> None:
        self._repaint_timer = None
        self.repaint()

    def repaint(self) -> None:
        """Book, depth chart, history and tape of the symbol, from the engine's current state."""
        self._painted_at = self.clock()
        symbol = self.symbol
        ladder = self.query_one(FullBookLadder)
        books = self.session.books
        book = books.get(symbol) if books is not None and symbol else None
        views = self.session.views
        grouped: GroupedBook | None = None
        if book is not None:
            bids, asks = book.top(self.session.config.book.levels)
            if not self.tick:
                self.tick = infer_tick([p for p, _ in bids[:TICK_LEVELS] + asks[:TICK_LEVELS]])
            grouped = GroupedBook.build(symbol, bids, asks, self.step, ladder.rows_per_side)
            self.query_one(DepthChart).show(
                grouped_levels(grouped.bids), grouped_levels(grouped.asks), depth_span(grouped)
            )
        self.grouped = grouped
        ladder.show(symbol, grouped, self._title(), self.pick)
        if views is not None:
            samples = views.book_history.series(symbol)
            seconds = (samples[-1].ts - samples[0].ts) if len(samples) > 1 else 0
            label = f"last {fmt_age(seconds)} · a sample every {self.session.config.book.sample_s:g} s"
            self.query_one(BookHistoryLines).show(samples, label)
            tape = self.query_one(TradeTapeView)
            if tape.display:
                tape.show(symbol, views.tape.recent(symbol, TAPE_TRADES))
            replay = views.replay
            self.query_one(ReplayBar).show(replay.progress() if replay is not None else None)
        self.repaints += 1

    def _title(self) -> str:
        if not self.tick:
            return f"{self.symbol or 'no symbol'} · book"
        title = f"{self.symbol} · group {self.multiple}× {self.tick:g} = {self.step:g} (+/-)"
        level = picked_level(self.grouped, self.pick) if self.grouped is not None else None
        if level is not None and self.pick is not None:
            title += f" · N: {'buy' if self.pick[0] == 'bid' else 'sell'} @ {number(level.price)}"
        return title

    # ------------------------------------------------------------------ keys
    def action_pick(self, delta: int) -> None:
        if self.grouped is not None:
            self.pick = move_pick(self.grouped, self.pick, delta)
            self.repaint()

    def action_back(self) -> None:
        if self.pick is not None:
            self.pick = None
            self.repaint()
            return
        self.app.switch_mode("dashboard")

    def action_order_ticket(self) -> None:
        """`N`: a limit at the picked level (buy at a bid, sell at an ask), else at the last price."""
        level = picked_level(self.grouped, self.pick) if self.grouped is not None else None
        if level is None or self.pick is None:
            super().action_order_ticket()
            return
        from cryptoterm.tui.order_ticket_model import TicketDraft
        from cryptoterm.tui.trading_actions import open_ticket

        side: Side = "buy" if self.pick[0] == "bid" else "sell"
        draft = TicketDraft(symbol=self.symbol, side=side, kind="limit", price=number(level.price))
        open_ticket(self, self.session, draft)

    def action_group(self, step: int) -> None:
        self.multiple = next_multiple(self.multiple, step)
        self.repaint()

    def action_step(self, delta: int) -> None:
        symbol = next_symbol(self.session.symbols, self.symbol, delta)
        if symbol is not None:
            self.show_symbol(symbol)

    def show_symbol(self, symbol: str) -> None:
        self.session.selected_symbol = symbol
        self._follow_session()
        self.repaint()

    def palette_commands(self) -> list[PaletteCommand]:
        commands = [
            PaletteCommand(f"Order book of {s}", f"Show {s}'s full order book", partial(self.show_symbol, s))
            for s in self.session.symbols
        ]
        commands += [
            PaletteCommand("Group book coarser", "Group by more ticks", partial(self.action_group, 1), "+"),
            PaletteCommand("Group book finer", "Group by fewer ticks", partial(self.action_group, -1), "-"),
            PaletteCommand(
                "Previous symbol", "Book of the previous watchlist symbol", partial(self.action_step, -1), "["
            ),
            PaletteCommand("Next symbol", "Book of the next watchlist symbol", partial(self.action_step, 1), "]"),
            PaletteCommand("Pick the level above", "For N: a limit at that level", partial(self.action_pick, -1), "up"),
            PaletteCommand(
                "Pick the level below", "For N: a limit at that level", partial(self.action_pick, 1), "down"
            ),
        ]
        return commands


def depth_span(book: GroupedBook) -> float:
    """How far either side of the mid the depth chart reaches: to the farthest level the ladder shows."""
    if not book.bids or not book.asks:
        return book.step
    mid = (book.bids[0].price + book.asks[0].price) / 2
    return max(book.step, mid - book.bids[-1].price, book.asks[-1].price - mid)


def grouped_levels(rows: tuple[DepthRow, ...]) -> list[tuple[float, float]]:
    """(price, qty) of grouped rows, for the depth chart."""
    return [(row.price, row.qty) for row in rows]

"""The trade tape (`T`): time and sales of the selected symbol, full height.

Prints come from the engine's per-symbol ring of recent trades (`services.trade_tape`), grouped as
`domain.tape` says: one taker order is one print, consecutive small trades on one side accumulate until they reach
the minimum notional (`[tape] min_notional`; `+` / `-` double or halve it here, `0` puts it back), large prints
(`[tape] large_notional`) are highlighted. Buys green, sells red, newest on top. `[` / `]` step through the
watchlist.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer

from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.formatting import fmt_abbrev
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.symbol_actions import next_symbol
from cryptoterm.tui.widgets.replay_bar import ReplayBar
from cryptoterm.tui.widgets.sized_static import SizedStatic
from cryptoterm.tui.widgets.status_bar import StatusBar
from cryptoterm.tui.widgets.trade_tape import TradeTapeView

#: The minimum `+` starts from when the configured one is 0 (quote asset).
FIRST_MINIMUM = 1_000.0


class TapeScreen(LiveScreen):
    """See the module docstring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("plus", "minimum(2.0)", "Min ×2", key_display="+", tooltip="Aggregate into larger prints"),
        Binding("minus", "minimum(0.5)", "Min ÷2", key_display="-", tooltip="Aggregate into smaller prints"),
        Binding("0", "minimum(0)", "Min as set", show=False, tooltip="The configured minimum ([tape] min_notional)"),
        Binding("left_square_bracket", "step(-1)", "Prev", key_display="[", tooltip="Previous watchlist symbol"),
        Binding("right_square_bracket", "step(1)", "Next", key_display="]", tooltip="Next watchlist symbol"),
        Binding("escape", "app.switch_mode('dashboard')", "Back", show=False, tooltip="Back to the dashboard"),
    ]

    DEFAULT_CSS = """
    TapeScreen #tape-view { height: 1fr; }
    """

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="tape", id="tape")
        self.symbol = ""

    def compose(self) -> ComposeResult:
        tape = self.session.config.tape
        yield TradeTapeView(min_notional=tape.min_notional, large_notional=tape.large_notional, id="tape-view")
        yield ReplayBar(id="tape-replay")
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="tape-status")
        yield Footer()

    @property
    def tape(self) -> TradeTapeView:
        return self.query_one(TradeTapeView)

    def on_mount(self) -> None:
        self._follow_session()
        super().on_mount()
        self.call_after_refresh(self.repaint)

    def on_screen_resume(self) -> None:
        self._follow_session()
        super().on_screen_resume()

    def on_sized_static_resized(self, message: SizedStatic.Resized) -> None:
        """The tape got its final size: show as many prints as now fit."""
        message.stop()
        self.repaint()

    def _follow_session(self) -> None:
        self.symbol = self.session.selected_symbol or (self.session.symbols[0] if self.session.symbols else "")

    def apply_snapshot(self, snapshot: MarketSnapshot) -> None:
        super().apply_snapshot(snapshot)
        self.repaint()

    def repaint(self) -> None:
        views = self.session.views
        if views is None:
            return
        # Enough trades for every visible print even when many small ones aggregate into each.
        self.tape.show(self.symbol, views.tape.recent(self.symbol, max(2000, self.tape.rows * 50)))
        replay = views.replay
        self.query_one(ReplayBar).show(replay.progress() if replay is not None else None)

    def action_minimum(self, factor: float) -> None:
        tape = self.tape
        if factor == 0:
            tape.min_notional = self.session.config.tape.min_notional
        else:
            tape.min_notional = max(tape.min_notional, FIRST_MINIMUM / 2) * factor
        self.notify(f"tape prints of at least {fmt_abbrev(tape.min_notional)}", title="Tape", timeout=2)
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
            PaletteCommand(f"Tape of {s}", f"Time and sales of {s}", partial(self.show_symbol, s))
            for s in self.session.symbols
        ]
        commands += [
            PaletteCommand(
                "Tape: larger prints", "Double the aggregation minimum", partial(self.action_minimum, 2.0), "+"
            ),
            PaletteCommand(
                "Tape: smaller prints", "Halve the aggregation minimum", partial(self.action_minimum, 0.5), "-"
            ),
            PaletteCommand("Tape: configured minimum", "[tape] min_notional", partial(self.action_minimum, 0), "0"),
        ]
        return commands

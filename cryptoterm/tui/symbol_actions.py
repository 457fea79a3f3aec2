"""Watching and opening a symbol from any market view (browser, movers, tape, order book).

The one way such screens change the watchlist: through the runtime's `add_symbol` (which checks the market,
loads its history and subscribes its streams), a refusal a notification rather than an error, the new watchlist
remembered (`UiState.watchlist`), and opening a symbol's detail with the same `SymbolOpened` the watchlist sends.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.screen import Screen

from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.messages import SymbolOpened, UiStateChanged


async def add_to_watchlist(screen: Screen[None], session: TuiSession, symbol: str) -> bool:
    """Watch `symbol`; True when it is watched afterwards (already, or now)."""
    if symbol in session.symbols:
        screen.notify(f"{symbol} is already in the watchlist", title="Watchlist", timeout=3)
        return True
    try:
        await session.runtime.add_symbol(symbol)
    except ValueError as exc:
        screen.notify(str(exc), title="Watchlist", severity="warning")
        return False
    session.ui.watchlist = list(session.symbols)
    screen.post_message(UiStateChanged())
    screen.notify(f"Added {symbol}", title="Watchlist", timeout=3)
    return True


async def open_symbol(screen: Screen[None], session: TuiSession, symbol: str) -> None:
    """The symbol's detail view, watching it first when it is not (the detail follows live data)."""
    if symbol in session.symbols or await add_to_watchlist(screen, session, symbol):
        screen.post_message(SymbolOpened(symbol))


def next_symbol(symbols: Sequence[str], current: str, delta: int) -> str | None:
    """The watchlist symbol `delta` rows from `current` (wrapping; the first when `current` is gone)."""
    if not symbols:
        return None
    index = symbols.index(current) if current in symbols else -delta
    return symbols[(index + delta) % len(symbols)]

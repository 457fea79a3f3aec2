"""Pairs positions from the TUI: the watched pair (`z` on the screener or the pair detail) traded by a bot.

The bot trades the spread exactly as the dashboard's watched-pair line measures it — the screen's hedge,
intercept, spread mean and deviation — with the screener's bands (`[screener] entry_z` / `exit_z`) and a stop at
twice the entry band, as the pairs backtest's defaults have it (2 / 0.5 / 4). Each leg is sized to stay within
the per-order limit (`pair_trade.default_notional`).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from cryptoterm.domain.trading.orders import OrderRejected
from cryptoterm.domain.trading.pair_trade import PairSpec, default_notional

if TYPE_CHECKING:
    from cryptoterm.tui.context import TuiSession


def watched_pair_spec(session: TuiSession) -> PairSpec | None:
    watched = session.watched_pair
    if watched is None:
        return None
    base_y, base_x = watched.y.split("/")[0], watched.x.split("/")[0]
    return PairSpec(
        pair_id=f"{base_y}-{base_x}-{uuid.uuid4().hex[:6]}",
        y=watched.y,
        x=watched.x,
        hedge=watched.hedge,
        beta=watched.beta,
        alpha=watched.alpha,
        mean=watched.mean,
        std=watched.std,
        entry_z=watched.entry_z,
        exit_z=watched.exit_z,
        stop_z=2 * watched.entry_z,
        notional=default_notional(session.config.trading.max_order_notional, watched.beta),
    )


def trade_watched_pair(screen: Screen[Any], session: TuiSession) -> None:
    broker = session.broker
    pairs = broker.pairs if broker is not None else None
    if pairs is None:
        screen.notify("pairs positions trade on the paper account once the market has started", severity="warning")
        return
    spec = watched_pair_spec(session)
    if spec is None:
        screen.notify("watch a pair first: z on the pairs screener or the pair detail", severity="warning")
        return
    app = screen.app

    async def add() -> None:
        try:
            view = await pairs.add(spec)
        except OrderRejected as exc:
            app.notify(str(exc), severity="error")
            return
        app.notify(f"trading {spec.label} as {spec.pair_id} (z now {view.z:+.2f})")

    app.run_worker(add(), name="pairs position", group="orders", exit_on_error=False)


def stop_pair(screen: Screen[Any], session: TuiSession, pair_id: str) -> None:
    broker = session.broker
    pairs = broker.pairs if broker is not None else None
    if pairs is None:
        return
    app = screen.app

    async def stop() -> None:
        try:
            view = await pairs.stop(pair_id)
        except OrderRejected as exc:
            app.notify(str(exc), severity="error")
            return
        app.notify(f"stopped {view.spec.label} after {view.status.trades} round trips")

    app.run_worker(stop(), name="stop pair", group="orders", exit_on_error=False)

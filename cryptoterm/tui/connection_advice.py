"""One clear line when live mode cannot reach the exchange, instead of only a stream of retry warnings.

A trader who starts cryptoterm without a network (or behind a proxy that blocks websockets) sees retries
and would not know the product runs without one. When no stream has delivered a message for `after_s` since
start and the connections report errors or reconnects, `ConnectionAdvice` says so once, with the hint to run
`--demo`, and repeats it at most every `every_s` while the market stays unreachable.
"""

from __future__ import annotations

from cryptoterm.services.market_snapshot import MarketSnapshot


class ConnectionAdvice:
    """Decides when to say "no connection" (pure: the caller passes the time and the latest snapshot)."""

    def __init__(self, started_s: float, *, after_s: float = 20.0, every_s: float = 300.0) -> None:
        self.started_s = started_s
        self.after_s = after_s
        self.every_s = every_s
        self._said_at: float | None = None

    def check(self, now_s: float, snapshot: MarketSnapshot | None) -> str:
        """The line to log now, or ""."""
        if snapshot is None or snapshot.stats.mode != "live" or now_s - self.started_s < self.after_s:
            return ""
        health = snapshot.stats.health
        if snapshot.stats.messages_total > 0 or any(h.state == "connected" and h.messages for h in health):
            self._said_at = None  # it connected: a later outage gets its own line
            return ""
        if self._said_at is not None and now_s - self._said_at < self.every_s:
            return ""
        failures = sum(h.errors + h.reconnects for h in health)
        if not failures:
            return ""
        self._said_at = now_s
        exchange = snapshot.stats.exchange
        waited = now_s - self.started_s
        return (
            f"no data from {exchange} after {waited:.0f} s ({failures} failed connection attempts): check the "
            "network or a proxy ([exchange] rest_url / ws_url), or run `cryptoterm --demo` for the simulated market"
        )

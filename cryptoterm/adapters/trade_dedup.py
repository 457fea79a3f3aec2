"""Dropping trades an exchange sends twice (after a reconnect it may resend the last ones), without a watermark
that one bad trade can poison.

Exchanges number a symbol's trades in increasing order, so the usual rule is "a trade whose id is not above the
highest id seen is a duplicate". Taken alone, that rule lets one trade carrying an id far too high (a corrupt
message, an exchange renumbering) drop every later trade of the symbol, silently and across reconnects. The rule
kept here, per symbol, remembers the watermark trade's time as well as its id:

* id above the watermark → new; it becomes the watermark;
* id at or below the watermark, time at or before the watermark trade's → a duplicate (a resent trade is never
  newer than the last one received), dropped and counted;
* id at or below the watermark, time after it → the watermark was wrong: a real trade that is newer than the
  watermark trade cannot have a lower id. The trade is kept, the watermark moves back to it, the event is counted
  in `rebased` and logged once per symbol, and the id that was too high is remembered so that the exchange
  resending that one trade does not poison the watermark again.

Times are trusted here because the decoders reject times far ahead of the receive clock
(`adapters/market_values.py`); ids are trusted only as far as this rule goes. Trades without an exchange id
(id 0 from exchanges whose ids are not numbers) carry no order and are never treated as duplicates.
"""

from __future__ import annotations

import logging

from cryptoterm.domain.market import Trade

log = logging.getLogger(__name__)


class TradeDeduper:
    """Per-symbol trade-id watermark (see the module docstring). `is_new(trade)` decides and updates."""

    __slots__ = ("_last", "_poisoned", "duplicates", "name", "rebased")

    def __init__(self, name: str) -> None:
        self.name = name
        #: symbol → (id, time) of the watermark trade.
        self._last: dict[str, tuple[int, int]] = {}
        #: symbol → the id that was found to be too high (a resend of it is a duplicate).
        self._poisoned: dict[str, int] = {}
        self.duplicates = 0
        self.rebased = 0

    def is_new(self, trade: Trade) -> bool:
        """True for a trade to deliver; False for a duplicate (counted in `duplicates`)."""
        trade_id = trade.trade_id
        if not trade_id:
            return True
        symbol = trade.symbol
        last = self._last.get(symbol)
        if last is None or trade_id > last[0]:
            if trade_id == self._poisoned.get(symbol):
                self.duplicates += 1
                return False
            self._last[symbol] = (trade_id, trade.ts)
            return True
        if trade.ts <= last[1]:
            self.duplicates += 1
            return False
        self._rebase(symbol, last[0], trade)
        return True

    def _rebase(self, symbol: str, too_high: int, trade: Trade) -> None:
        if symbol not in self._poisoned:
            log.warning(
                "%s: %s trade id %d is newer than trade id %d: that id was too high; de-duplicating from %d on",
                self.name,
                symbol,
                trade.trade_id,
                too_high,
                trade.trade_id,
            )
        self._poisoned[symbol] = too_high
        self.rebased += 1
        self._last[symbol] = (trade.trade_id, trade.ts)

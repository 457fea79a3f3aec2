"""The journal as the faces use it: an entry drafted from a setup, an order or a position (what each knows,
looked up in the stores), completed by the trader's notes, tags and outcome, stored, and summed up by strategy
or tag (`domain.journal.stats`). Synchronous: the CLI calls it directly, the TUI in a thread.

A position's entry finds its setup through the order of the position's first fill (a ticket that took a setup
carries the setup's id), and its risk from that setup's stop: |average entry − stop| × the quantity held, so its
R is the profit in units of what the stop put at risk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from cryptoterm.domain.journal.entries import (
    JournalEntry,
    JournalError,
    Outcome,
    check_entry,
    from_order,
    from_position,
    from_setup,
    outcome_of,
    r_of,
)
from cryptoterm.domain.journal.stats import GroupBy, GroupStats, journal_stats
from cryptoterm.domain.setups import Setup
from cryptoterm.ports.journal import JournalStore
from cryptoterm.ports.setups import SetupStore
from cryptoterm.ports.trading import PositionRecord, TradingStore


class Journal:
    """See the module docstring. `account` is the trading account orders and positions are looked up in."""

    def __init__(
        self, store: JournalStore, *, setups: SetupStore | None, trading: TradingStore | None, account: str = ""
    ) -> None:
        self._store = store
        self._setups = setups
        self._trading = trading
        self.account = account

    # ----------------------------------------------------------------- drafts
    def draft_for_setup(self, setup_id: int, now_ms: int) -> JournalEntry:
        setup = self._setup(setup_id)
        if setup is None:
            raise JournalError(f"no setup {setup_id}")
        return replace(from_setup(setup, now_ms), account=self.account)

    def draft_for_order(self, order_id: str, now_ms: int) -> JournalEntry:
        order = self._trading.order_by_id(self.account, order_id) if self._trading is not None else None
        if order is None and self._trading is not None:
            order = self._trading.order_by_client_id(self.account, order_id)
        if order is None:
            raise JournalError(f"no order {order_id} in {self.account or 'the account'}")
        setup = self._setup(order.request.setup_id)
        draft = from_order(order, now_ms, strategy=setup.strategy if setup is not None else "")
        return replace(draft, account=self.account)

    def draft_for_position(self, key: str, now_ms: int, mark: float | None = None) -> JournalEntry:
        record = self._position(key)
        if record is None:
            raise JournalError(f"no position {key} in {self.account or 'the account'}")
        position = record.position
        setup = self._setup(self._setup_id_of(record))
        risk = abs(position.avg_price - setup.stop) * abs(position.qty) if setup is not None else None
        draft = from_position(
            position,
            now_ms,
            closed_ms=record.closed_ms,
            mark=mark,
            risk=risk if risk else None,
            setup_id=setup.id if setup is not None else None,
            strategy=setup.strategy if setup is not None else "",
        )
        return replace(draft, account=self.account)

    # ----------------------------------------------------------------- writing
    def add(
        self,
        draft: JournalEntry,
        *,
        notes: str = "",
        tags: tuple[str, ...] = (),
        outcome: Outcome | None = None,
        pnl: float | None = None,
        risk: float | None = None,
    ) -> JournalEntry:
        """Store `draft` completed by the trader's fields (an outcome given wins over the profit's)."""
        pnl = draft.pnl if pnl is None else pnl
        risk = draft.risk if risk is None else risk
        if outcome is None:
            outcome = draft.outcome or outcome_of(pnl)
        r_multiple = r_of(pnl, risk) if (pnl, risk) != (draft.pnl, draft.risk) else draft.r_multiple
        entry = replace(
            draft,
            notes=notes or draft.notes,
            tags=tags or draft.tags,
            outcome=outcome,
            pnl=pnl,
            risk=risk,
            r_multiple=r_multiple,
            updated_ms=draft.created_ms,
        )
        return self._store.add_entry(check_entry(entry))

    def update(self, entry: JournalEntry, now_ms: int) -> JournalEntry:
        return self._store.update_entry(check_entry(replace(entry, updated_ms=now_ms)))

    # ----------------------------------------------------------------- reading
    def entries(
        self, *, strategies: Sequence[str] = (), tag: str | None = None, symbol: str | None = None, limit: int = 10_000
    ) -> list[JournalEntry]:
        return self._store.entries(strategies=strategies, tag=tag, symbol=symbol, limit=limit)

    def stats(self, by: GroupBy, *, strategies: Sequence[str] = (), tag: str | None = None) -> list[GroupStats]:
        return journal_stats(self._store.entries(strategies=strategies, tag=tag, limit=1_000_000), by)

    # ----------------------------------------------------------------- look-ups
    def _setup(self, setup_id: int | None) -> Setup | None:
        if setup_id is None or self._setups is None:
            return None
        return self._setups.get_setup(setup_id)

    def _position(self, key: str) -> PositionRecord | None:
        if self._trading is None:
            return None
        records = self._trading.positions(self.account, open_only=False, limit=100_000)
        return next((record for record in records if record.key == key), None)

    def _setup_id_of(self, record: PositionRecord) -> int | None:
        if self._trading is None:
            return None
        position = record.position
        fills = self._trading.fills(self.account, position.symbol, since_ms=position.opened_ms, limit=100_000)
        for fill in fills:
            order = self._trading.order_by_id(self.account, fill.order_id)
            if order is not None and order.request.pair_id == position.pair_id:
                return order.request.setup_id
        return None

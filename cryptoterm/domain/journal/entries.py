"""Journal entries: what was traded, why (the setup), how it went (the outcome and its R multiple), and notes.

An entry can be written from a setup, an order or a position, each filling what it knows: a setup its strategy,
levels and the risk its size put on; an order its symbol, side and setup; a position its profit and hold time.
The outcome follows the profit unless the trader sets it (`win` above zero, `loss` below, `breakeven` at it,
`open` while the position is held). R is the profit in units of the risk taken (profit / risk).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Literal

from cryptoterm.domain.setups import Setup
from cryptoterm.domain.trading.orders import Order, Position
from cryptoterm.domain.trading.positions import position_key

Outcome = Literal["", "open", "win", "loss", "breakeven"]
OUTCOMES: tuple[Outcome, ...] = ("", "open", "win", "loss", "breakeven")
Direction = Literal["", "long", "short"]
_TAG = re.compile(r"^[a-z0-9][a-z0-9_\-/.]{0,31}$")
#: Setup states and the outcome they mean.
_SETUP_OUTCOME: dict[str, Outcome] = {"closed_target": "win", "closed_stop": "loss", "triggered": "open"}


class JournalError(ValueError):
    """An entry that cannot be written; the message is one line naming the field and the value."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One journal entry. Times are epoch ms; `pnl` and `risk` are in the quote asset."""

    created_ms: int
    strategy: str = ""
    symbol: str = ""
    direction: Direction = ""
    setup_id: int | None = None
    order_id: str | None = None
    position_key: str | None = None
    notes: str = ""
    tags: tuple[str, ...] = ()
    outcome: Outcome = ""
    pnl: float | None = None
    risk: float | None = None
    r_multiple: float | None = None
    opened_ms: int | None = None
    closed_ms: int | None = None
    account: str = ""
    updated_ms: int = 0
    id: int | None = None

    @property
    def hold_ms(self) -> int | None:
        if self.opened_ms is None or self.closed_ms is None:
            return None
        return self.closed_ms - self.opened_ms


def parse_tags(text: str) -> tuple[str, ...]:
    """Tags from `"breakout, #news  late-entry"`: split on commas and spaces, `#` dropped, lower case, each once
    in the order given; `JournalError` naming a tag that is not 1–32 letters, digits or `_-/.`."""
    tags: list[str] = []
    for raw in re.split(r"[,\s]+", text.strip()):
        tag = raw.lstrip("#").lower()
        if not tag:
            continue
        if not _TAG.match(tag):
            raise JournalError(f"tag {raw!r}: use 1-32 letters, digits or _-/. (starting with a letter or digit)")
        if tag not in tags:
            tags.append(tag)
    return tuple(tags)


def outcome_of(pnl: float | None, *, held: bool = False) -> Outcome:
    """The outcome a profit means (`open` while held, '' when unknown)."""
    if held:
        return "open"
    if pnl is None or not math.isfinite(pnl):
        return ""
    if pnl > 0:
        return "win"
    return "loss" if pnl < 0 else "breakeven"


def r_of(pnl: float | None, risk: float | None) -> float | None:
    """The profit in units of the risk taken (None when either is unknown or the risk is not positive)."""
    if pnl is None or risk is None or not (math.isfinite(pnl) and math.isfinite(risk) and risk > 0):
        return None
    return pnl / risk


def check_entry(entry: JournalEntry) -> JournalEntry:
    """The entry with its R worked out when it can be; `JournalError` for a field that cannot be stored."""
    if entry.outcome not in OUTCOMES:
        raise JournalError(f"outcome {entry.outcome!r}: use one of {', '.join(o or '(none)' for o in OUTCOMES)}")
    if entry.direction not in ("", "long", "short"):
        raise JournalError(f"direction {entry.direction!r}: use long or short")
    for name in ("pnl", "risk", "r_multiple"):
        value = getattr(entry, name)
        if value is not None and not math.isfinite(value):
            raise JournalError(f"{name} must be a finite number, got {value}")
    if entry.risk is not None and entry.risk <= 0:
        raise JournalError(f"risk must be positive, got {entry.risk}")
    if entry.opened_ms is not None and entry.closed_ms is not None and entry.closed_ms < entry.opened_ms:
        raise JournalError("the close is before the open")
    if len(entry.notes) > 10_000:
        raise JournalError(f"notes are {len(entry.notes)} characters; keep them under 10,000")
    r_multiple = entry.r_multiple if entry.r_multiple is not None else r_of(entry.pnl, entry.risk)
    return replace(entry, r_multiple=r_multiple)


def from_setup(setup: Setup, now_ms: int) -> JournalEntry:
    """An entry for a setup: its strategy, symbol, direction and risk; the outcome and R of a closed one."""
    outcome = _SETUP_OUTCOME.get(setup.state, "")
    r_multiple = setup.r_multiple if setup.state in ("closed_target", "closed_stop", "closed_exit") else None
    if setup.state == "closed_exit" and r_multiple is not None:
        outcome = outcome_of(r_multiple)
    pnl = r_multiple * setup.risk if r_multiple is not None else None
    return JournalEntry(
        created_ms=now_ms,
        strategy=setup.strategy,
        symbol=setup.symbol,
        direction=setup.direction,
        setup_id=setup.id,
        outcome=outcome,
        pnl=pnl,
        risk=setup.risk if setup.risk > 0 else None,
        r_multiple=r_multiple,
        opened_ms=setup.triggered_ms,
        closed_ms=setup.closed_ms,
    )


def from_order(order: Order, now_ms: int, strategy: str = "") -> JournalEntry:
    """An entry for an order: its symbol, side and the setup it took."""
    request = order.request
    return JournalEntry(
        created_ms=now_ms,
        strategy=strategy,
        symbol=request.symbol,
        direction="long" if request.side == "buy" else "short",
        setup_id=request.setup_id,
        order_id=order.id,
        opened_ms=order.created_ms,
    )


def from_position(
    position: Position,
    now_ms: int,
    *,
    closed_ms: int | None = None,
    mark: float | None = None,
    risk: float | None = None,
    setup_id: int | None = None,
    strategy: str = "",
) -> JournalEntry:
    """An entry for a position: realized profit once closed; realized plus unrealized at `mark` while held
    (outcome `open`), its hold time, and R when the risk taken is known."""
    held = closed_ms is None
    pnl = position.realized_pnl + (position.unrealized(mark) if held and mark is not None else 0.0)
    return JournalEntry(
        created_ms=now_ms,
        strategy=strategy,
        symbol=position.symbol,
        direction="long" if position.qty >= 0 else "short",
        setup_id=setup_id,
        position_key=position_key(position),
        outcome=outcome_of(pnl, held=held),
        pnl=pnl,
        risk=risk,
        r_multiple=r_of(pnl, risk),
        opened_ms=position.opened_ms,
        closed_ms=closed_ms,
    )

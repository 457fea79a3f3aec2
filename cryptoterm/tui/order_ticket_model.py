"""What the order ticket's fields mean, apart from the widgets: typed text in, an order request out.

A ticket is a market, limit, stop, stop-limit or bracket order. A bracket is an entry (a limit at `price`, or
a market order when no price is given) with its `stop` and its `targets` — "62000, 64000" (equal shares) or
"62000:0.5, 64000:0.5". Every field error is one line naming the field and what was typed. "Take setup" fills
a bracket from the setup: a limit entry at its entry, its stop and targets, and the smaller of the setup's own
size (its risk share of the account) and the largest quantity the guards allow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

from cryptoterm.config.schema import TradingConfig
from cryptoterm.domain.setups import Setup
from cryptoterm.domain.trading.guards import GuardContext, GuardLimits, max_qty
from cryptoterm.domain.trading.order_text import number
from cryptoterm.domain.trading.orders import BracketRequest, OrderRequest, Side

TicketKind = Literal["market", "limit", "stop", "stop_limit", "bracket"]
KINDS: tuple[TicketKind, ...] = ("market", "limit", "stop", "stop_limit", "bracket")


@dataclass(frozen=True, slots=True)
class TicketDraft:
    """The ticket's fields as text, the way they are typed."""

    symbol: str
    side: Side = "buy"
    kind: TicketKind = "limit"
    qty: str = ""
    price: str = ""
    stop: str = ""
    targets: str = ""
    reduce_only: bool = False
    setup_id: int | None = None


def guard_limits(trading: TradingConfig) -> GuardLimits:
    return GuardLimits(
        trading.max_order_notional, trading.max_position_notional, trading.daily_loss_limit, trading.quote
    )


def _number(name: str, text: str, *, required: bool) -> float | None:
    text = text.strip().replace(",", "").replace("_", "")
    if not text:
        if required:
            raise ValueError(f"{name}: required")
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name}: must be a positive number, got {text}")
    return value


def parse_targets(text: str) -> tuple[tuple[float, float], ...]:
    """ "62000, 64000" → equal shares; "62000:0.5, 64000:0.25" → the shares given."""
    parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    if not parts:
        return ()
    targets: list[tuple[float, float | None]] = []
    for part in parts:
        price_text, _, share_text = part.partition(":")
        price = _number("targets", price_text, required=True)
        share = _number("targets", share_text, required=True) if share_text else None
        targets.append((price or 0.0, share))
    if all(share is None for _p, share in targets):
        return tuple((price, 1.0 / len(targets)) for price, _s in targets)
    if any(share is None for _p, share in targets):
        raise ValueError("targets: give every target a share (62000:0.5, 64000:0.5) or none")
    return tuple((price, share or 0.0) for price, share in targets)


def ticket_request(draft: TicketDraft, client_id: str) -> OrderRequest | BracketRequest:
    """The request the ticket describes; `ValueError` (one line naming the field) when it cannot be one."""
    qty = _number("quantity", draft.qty, required=True) or 0.0
    kind = draft.kind
    needs_price = kind in ("limit", "stop_limit")
    needs_stop = kind in ("stop", "stop_limit", "bracket")
    price = _number("price", draft.price, required=needs_price) if kind != "market" else None
    stop = _number("stop", draft.stop, required=needs_stop) if needs_stop else None
    if kind == "bracket":
        entry = OrderRequest(
            client_id, draft.symbol, draft.side, "limit" if price is not None else "market", qty,
            price=price, setup_id=draft.setup_id,
        )  # fmt: skip
        bracket = BracketRequest(entry=entry, stop=stop or 0.0, targets=parse_targets(draft.targets))
        problem = bracket.problem()
        if problem is not None:
            raise ValueError(problem)
        return bracket
    request = OrderRequest(
        client_id, draft.symbol, draft.side, kind, qty, price=price if needs_price else None, stop_price=stop,
        reduce_only=draft.reduce_only, setup_id=draft.setup_id,
    )  # fmt: skip
    if kind == "stop" and price is not None:
        raise ValueError("price: a stop order fills at the market; use stop_limit for a limit price")
    problem = request.problem()
    if problem is not None:
        raise ValueError(problem)
    return request


def reference_of(draft: TicketDraft, last: float | None) -> float | None:
    """The price the ticket's notional is counted at: its price, else its stop, else the last trade."""
    for text in (draft.price, draft.stop):
        try:
            value = _number("", text, required=False)
        except ValueError:
            value = None
        if value is not None:
            return value
    return last


def draft_from_setup(setup: Setup, limits: GuardLimits, context: GuardContext) -> TicketDraft:
    """A bracket from the setup's levels, sized by its risk and the guards (module docstring)."""
    side: Side = "buy" if setup.direction == "long" else "sell"
    allowed = max_qty(side, setup.entry, context, limits)
    qty = min(setup.size, allowed) if setup.size > 0 else allowed
    shares = 1.0 / len(setup.targets) if setup.targets else 1.0
    targets = ", ".join(f"{number(t)}:{shares:.4g}" for t in setup.targets) if len(setup.targets) > 1 else ""
    if len(setup.targets) == 1:
        targets = number(setup.targets[0])
    return TicketDraft(
        symbol=setup.symbol,
        side=side,
        kind="bracket",
        qty=number(_round_down(qty)),
        price=number(setup.entry),
        stop=number(setup.stop),
        targets=targets,
        setup_id=setup.id,
    )


def sized(draft: TicketDraft, qty: float) -> TicketDraft:
    return replace(draft, qty=number(_round_down(qty)))


def _round_down(qty: float) -> float:
    """Six significant figures, never above `qty` (a guard's largest quantity stays allowed)."""
    if qty <= 0 or not math.isfinite(qty):
        return 0.0
    digits = 6 - math.floor(math.log10(qty)) - 1
    factor = 10.0**digits
    return math.floor(qty * factor) / factor

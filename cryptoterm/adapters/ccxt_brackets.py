"""A bracket's exits on a Binance spot account, placed once its entry has filled.

On spot, a stop and a take-profit cannot both hold the same coins as two separate orders (the second is refused
for insufficient balance: each locks the quantity). Binance's answer is the OCO list — one quantity, locked once,
two legs, the first to fill cancels the other — so that is what is placed:

* when the entry is done (filled, or cancelled / expired after a partial fill), the quantity it brought in (what
  its trades added to the balance — Binance takes a buy's fee in the coin bought — at most the free balance) is
  split by the targets' shares, each part rounded down to the lot step;
* each target gets one OCO for its part: a LIMIT_MAKER at the target and a STOP_LOSS_LIMIT at the stop, its limit
  `STOP_LIMIT_SLACK` beyond the stop so a fast market still fills it;
* what no target covers (shares summing below 1, rounding) gets a lone STOP_LOSS_LIMIT.

Exits are followed when `follow()` runs (the live service runs it on an interval, and `place_bracket` at once
when a market entry filled in its answer). Their client ids derive from the entry's (`<entry>-t1`, `-t1s`,
`-t1l`, `-s`), within Binance's 36 characters. An exit whose placement lost its answer is looked up by those ids,
never placed twice; an exit refused is retried at the next `follow()` and the refusal is raised, so the trader
hears that a position is not protected. Brackets are followed while the process runs: after a restart, the
entries still open on the exchange carry no exits until placed again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptoterm.adapters.ccxt_orders import on_tick, spot_trade_from_ccxt
from cryptoterm.adapters.errors import RetryableError
from cryptoterm.domain.trading.guards import QTY_EPSILON
from cryptoterm.domain.trading.order_text import number
from cryptoterm.domain.trading.orders import BracketRequest, Order, OrderRejected, OrderRequest, Side

if TYPE_CHECKING:
    from cryptoterm.adapters.ccxt_broker import CcxtBroker

#: How far beyond the stop a stop-limit's limit price sits (a sell's below, a buy's above).
STOP_LIMIT_SLACK = 0.005
MAX_CLIENT_ID = 36
log = logging.getLogger(__name__)


def child_id(entry_id: str, suffix: str) -> str:
    """`<entry>-<suffix>`, shortened through a hash of the entry id when it would pass 36 characters."""
    candidate = f"{entry_id}-{suffix}"
    if len(candidate) <= MAX_CLIENT_ID:
        return candidate
    return f"{hashlib.sha256(entry_id.encode()).hexdigest()[:24]}-{suffix}"


@dataclass
class _Pending:
    bracket: BracketRequest
    placed: dict[str, Order] = field(default_factory=dict)


class BracketFollower:
    """The brackets of one broker whose exits are not placed yet."""

    def __init__(self, broker: CcxtBroker) -> None:
        self.broker = broker
        self.pending: dict[str, _Pending] = {}

    async def check(self, bracket: BracketRequest) -> None:
        """Refuse, before the entry is placed, a bracket whose exits the exchange could not take."""
        entry = bracket.entry
        problem = bracket.problem()
        if problem:
            raise OrderRejected(f"{entry.symbol} bracket: {problem}")
        market = await self.broker.session.market(entry.symbol)
        exchange = self.broker.session.client()
        for price in (bracket.stop, *(p for p, _ in bracket.targets)):
            on_tick(entry, price, market, exchange)
        stops = len(bracket.targets) + (1 if sum(s for _, s in bracket.targets) < 1 - 1e-9 else 0)
        limit = _filter_value(market, "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders")
        if limit is not None and stops > limit:
            raise OrderRejected(
                f"{entry.symbol} bracket: {stops} exits each need a stop order, and {entry.symbol} allows at most "
                f"{limit} open stop orders"
            )

    def add(self, bracket: BracketRequest) -> None:
        self.pending[bracket.entry.client_id] = _Pending(bracket)

    async def follow(self) -> list[Order]:
        """Place the exits of every bracket whose entry is done; the orders placed."""
        placed: list[Order] = []
        failures: list[str] = []
        for entry_id, pending in list(self.pending.items()):
            entry = await self.broker.order_by_client_id(entry_id)
            if entry is None or not entry.is_final:
                continue
            if entry.filled_qty <= QTY_EPSILON:
                del self.pending[entry_id]
                continue
            try:
                placed.extend(await self._protect(pending, entry))
            except OrderRejected as exc:
                failures.append(f"{pending.bracket.entry.symbol} bracket of order {entry.id}: exits not placed: {exc}")
                continue
            del self.pending[entry_id]
        if failures:
            raise OrderRejected("; ".join(failures))
        return placed

    async def _protect(self, pending: _Pending, entry: Order) -> list[Order]:
        bracket = pending.bracket
        request = bracket.entry
        session = self.broker.session
        market = await session.market(request.symbol)
        exchange = session.client()
        exit_side: Side = "sell" if request.side == "buy" else "buy"
        quantity = entry.filled_qty
        if exit_side == "sell":
            # What the entry added to the balance: Binance takes a buy's fee in the coin bought.
            trades = await self.broker.account.trades_of_order(request.symbol, entry.id)
            brought = sum(spot_trade_from_ccxt(raw, market).base_change for raw in trades)
            held = (await self.broker.account.balances()).get(str(market["base"]))
            quantity = min(brought if trades else quantity, held.free if held is not None else 0.0)
        total = _floor(exchange, market, quantity)
        slack = -STOP_LIMIT_SLACK if exit_side == "sell" else STOP_LIMIT_SLACK
        stop_limit = float(exchange.price_to_precision(market["symbol"], bracket.stop * (1 + slack)))
        new: list[Order] = []
        covered = 0.0
        for index, (target, share) in enumerate(bracket.targets, start=1):
            part = _floor(exchange, market, total * share)
            covered += part
            suffix = f"t{index}"
            if part <= 0 or suffix in pending.placed:
                continue
            legs = await self._oco(
                request, market, exit_side, part, target, stop_limit, child_id(request.client_id, suffix)
            )
            pending.placed[suffix] = legs[0]
            new.extend(legs)
        rest = _floor(exchange, market, total - covered)
        if rest > 0 and "s" not in pending.placed:
            stop = OrderRequest(
                client_id=child_id(request.client_id, "s"),
                symbol=request.symbol,
                side=exit_side,
                type="stop_limit",
                qty=rest,
                price=stop_limit,
                stop_price=bracket.stop,
                reduce_only=exit_side == "sell",
                bracket_id=request.bracket_id or request.client_id,
                setup_id=request.setup_id,
            )
            pending.placed["s"] = order = await self.broker.place(stop)
            new.append(order)
        return new

    async def _oco(
        self,
        entry: OrderRequest,
        market: Mapping[str, Any],
        side: Side,
        qty: float,
        target: float,
        stop_limit: float,
        list_id: str,
    ) -> list[Order]:
        """One OCO list: a LIMIT_MAKER at `target` and a STOP_LOSS_LIMIT at the bracket's stop, for `qty`."""
        session = self.broker.session
        exchange = session.client()
        bracket_id = entry.bracket_id or entry.client_id
        stop_price = self.pending[entry.client_id].bracket.stop
        take = OrderRequest(
            f"{list_id}l",
            entry.symbol,
            side,
            "limit",
            qty,
            price=target,
            reduce_only=side == "sell",
            bracket_id=bracket_id,
            setup_id=entry.setup_id,
        )
        stop = OrderRequest(
            f"{list_id}s",
            entry.symbol,
            side,
            "stop_limit",
            qty,
            price=stop_limit,
            stop_price=stop_price,
            reduce_only=side == "sell",
            bracket_id=bracket_id,
            setup_id=entry.setup_id,
        )
        for leg in (take, stop):
            self.broker.remember(leg)
        take_leg = {"Type": "LIMIT_MAKER", "Price": exchange.price_to_precision(market["symbol"], target)}
        stop_leg = {
            "Type": "STOP_LOSS_LIMIT",
            "Price": exchange.price_to_precision(market["symbol"], stop_limit),
            "StopPrice": exchange.price_to_precision(market["symbol"], stop_price),
            "TimeInForce": "GTC",
        }
        above, below = (take_leg, stop_leg) if side == "sell" else (stop_leg, take_leg)
        above_id, below_id = (take.client_id, stop.client_id) if side == "sell" else (stop.client_id, take.client_id)
        params: dict[str, Any] = {
            "symbol": market["id"],
            "side": side.upper(),
            "quantity": exchange.amount_to_precision(market["symbol"], qty),
            "listClientOrderId": list_id,
            "aboveClientOrderId": above_id,
            "belowClientOrderId": below_id,
            "newOrderRespType": "RESULT",
        }
        params |= {f"above{k}": v for k, v in above.items()} | {f"below{k}": v for k, v in below.items()}
        what = f"{entry.symbol} {side} {number(qty)} OCO at {number(target)} / stop {number(stop_price)}"
        try:
            answer = await exchange.privatePostOrderListOco(params)
        except Exception as exc:
            error = session.translate(exc)
            if not isinstance(error, RetryableError):
                raise OrderRejected(
                    f"{what}: refused by {session.config.id}: {session.reason(exc, market, side)}"
                ) from None
            found = [await self.broker.order_by_client_id(leg.client_id) for leg in (take, stop)]
            if any(order is None for order in found):
                raise OrderRejected(f"{what}: not placed, the exchange never received it ({error})") from None
            log.warning("%s: the answer was lost (%s); the exchange has the list", what, error)
            return [order for order in found if order is not None]
        return [self.broker.order_of(exchange.parse_order(r, market), market) for r in answer.get("orderReports", ())]


def _floor(exchange: Any, market: Mapping[str, Any], qty: float) -> float:
    """`qty` rounded down to the lot step (0 below one step)."""
    if qty <= 0:
        return 0.0
    try:
        return float(exchange.amount_to_precision(market["symbol"], qty))
    except Exception:  # ccxt's InvalidOrder: less than one step
        return 0.0


def _filter_value(market: Mapping[str, Any], kind: str, key: str) -> int | None:
    for spec in (market.get("info") or {}).get("filters", ()):
        if spec.get("filterType") == kind and key in spec:
            return int(spec[key])
    return None

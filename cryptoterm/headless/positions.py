"""`cryptoterm positions [--closed] [--json]` and `cryptoterm orders [--all] [--json]`: the paper account as the
app last left it, read from the store (no market is opened).

`positions` prints each open position with its average entry, its mark (the newest stored 1m close), its
unrealized and realized profit, and the account's cash and equity; `--closed` adds every closed position's life.
`orders` prints the open orders, or with `--all` every order newest first. `--json`: one JSON object for
`positions`, one JSON object per order for `orders`.

Exit codes: 0 done; 2 bad usage or a database that cannot be opened (one line).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

import orjson

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.trading.order_text import number
from cryptoterm.domain.trading.orders import Order
from cryptoterm.ports.trading import PositionRecord
from cryptoterm.wiring.errors import StartupError
from cryptoterm.wiring.options import RunOptions

if TYPE_CHECKING:
    from cryptoterm.wiring.trading_io import TradingTools

EXIT_OK = 0
EXIT_USAGE = 2


def run_positions(
    config: AppConfig, args: argparse.Namespace, options: RunOptions, *, out: TextIO | None = None
) -> int:
    return _with_tools(
        "cryptoterm positions", config, options, lambda tools: _positions(tools, args, out or sys.stdout)
    )


def run_orders(config: AppConfig, args: argparse.Namespace, options: RunOptions, *, out: TextIO | None = None) -> int:
    if args.orders_limit < 1:
        print(f"cryptoterm orders: --limit must be at least 1, got {args.orders_limit}", file=sys.stderr)
        return EXIT_USAGE
    return _with_tools("cryptoterm orders", config, options, lambda tools: _orders(tools, args, out or sys.stdout))


def _with_tools(prog: str, config: AppConfig, options: RunOptions, body: Any) -> int:
    from cryptoterm.wiring.trading_io import open_trading_tools

    try:
        tools = open_trading_tools(config, options)
    except StartupError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return int(body(tools))
    finally:
        tools.close()


def iso(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _position_json(record: PositionRecord, mark: float | None) -> dict[str, Any]:
    p = record.position
    held = record.closed_ms is None
    unrealized = p.unrealized(mark) if held and mark is not None else None
    return {
        "key": record.key,
        "symbol": p.symbol,
        "pair_id": p.pair_id,
        "side": "long" if p.qty > 0 else "short",
        "qty": p.qty,
        "avg_price": p.avg_price,
        "mark": mark if held else None,
        "unrealized_pnl": unrealized,
        "realized_pnl": p.realized_pnl,
        "opened": iso(p.opened_ms),
        "opened_ms": p.opened_ms,
        "closed": iso(record.closed_ms),
        "closed_ms": record.closed_ms,
    }


def _positions(tools: TradingTools, args: argparse.Namespace, out: TextIO) -> int:
    records = tools.trading.positions(tools.account, open_only=not args.trading_closed)
    marks = {r.position.symbol: tools.mark(r.position.symbol) for r in records if r.closed_ms is None}
    rows = [_position_json(r, marks.get(r.position.symbol)) for r in records]
    samples = tools.trading.equity_history(tools.account, limit=1)
    cash = samples[-1].cash if samples else None
    held = [r for r in rows if r["closed_ms"] is None]
    equity = None
    if cash is not None:
        equity = cash + sum(r["qty"] * (r["mark"] if r["mark"] is not None else r["avg_price"]) for r in held)
    if args.trading_json:
        summary = {"account": tools.account, "cash": cash, "equity": equity, "positions": rows}
        out.write(orjson.dumps(summary).decode() + "\n")
        return EXIT_OK
    quote = "USDT"
    if not rows:
        print(f"no {'' if args.trading_closed else 'open '}positions in {tools.account}", file=out)
    else:
        header = (
            f"{'symbol':<12} {'side':<5} {'qty':>14} {'avg':>12} {'mark':>12} {'unrealized':>11} {'realized':>10}"
            "  opened"
        )
        print(header, file=out)
        for r in rows:
            mark = "closed" if r["closed_ms"] is not None else (number(r["mark"]) if r["mark"] is not None else "-")
            unreal = f"{r['unrealized_pnl']:,.2f}" if r["unrealized_pnl"] is not None else ""
            name = r["symbol"] + (f" [{r['pair_id']}]" if r["pair_id"] else "")
            print(
                f"{name:<12} {r['side']:<5} {number(r['qty']):>14} {number(r['avg_price']):>12} {mark:>12} "
                f"{unreal:>11} {r['realized_pnl']:>10,.2f}  {r['opened']}",
                file=out,
            )
    if cash is not None and equity is not None:
        print(f"{tools.account}: cash {cash:,.2f} {quote}, equity {equity:,.2f} {quote}", file=out)
    return EXIT_OK


def order_json(order: Order) -> dict[str, Any]:
    r = order.request
    return {
        "id": order.id,
        "client_id": r.client_id,
        "symbol": r.symbol,
        "side": r.side,
        "type": r.type,
        "qty": r.qty,
        "price": r.price,
        "stop_price": r.stop_price,
        "reduce_only": r.reduce_only,
        "bracket_id": r.bracket_id,
        "setup_id": r.setup_id,
        "pair_id": r.pair_id,
        "status": order.status,
        "filled_qty": order.filled_qty,
        "avg_fill_price": order.avg_fill_price,
        "fees": order.fees,
        "reason": order.reason,
        "created": iso(order.created_ms),
        "updated": iso(order.updated_ms),
    }


def _orders(tools: TradingTools, args: argparse.Namespace, out: TextIO) -> int:
    orders = tools.trading.orders(tools.account, open_only=not args.orders_all, limit=args.orders_limit)
    if args.trading_json:
        for order in orders:
            out.write(orjson.dumps(order_json(order)).decode() + "\n")
        return EXIT_OK
    if not orders:
        print(f"no {'' if args.orders_all else 'open '}orders in {tools.account}", file=out)
        return EXIT_OK
    print(
        f"{'id':<6} {'symbol':<10} {'side':<4} {'type':<10} {'qty':>12} {'filled':>12} {'price':>11} {'stop':>11}"
        "  status",
        file=out,
    )
    for order in orders:
        r = order.request
        price = number(r.price) if r.price is not None else ""
        stop = number(r.stop_price) if r.stop_price is not None else ""
        status = order.status + (f" ({order.reason})" if order.reason else "")
        print(
            f"{order.id:<6} {r.symbol:<10} {r.side:<4} {r.type:<10} {number(r.qty):>12} {number(order.filled_qty):>12} "
            f"{price:>11} {stop:>11}  {status}",
            file=out,
        )
    return EXIT_OK

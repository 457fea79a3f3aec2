"""`cryptoterm kill-switch [--yes] [--json]`: cancel every open order, then flatten every position.

It reads the account first and asks once, on the terminal, with what it is about to do ("cancel 2 open orders
and flatten 1 position (BTC/USDT 0.02)"); `--yes` skips the question for scripts, and without a terminal to ask
on it refuses rather than guess. Then `services.kill_switch` runs and its report is printed: each cancelled order,
each flattening order with what it filled, each failure on one line, and what is still open or held afterwards
— or, with `--json`, one JSON object.

Exit codes: 0 done (or nothing to do); 1 something failed or stayed open, or the question was declined;
2 bad configuration (live keys missing or written in the config file …) or no terminal to confirm on.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

import orjson

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.trading.order_text import describe_request, number
from cryptoterm.domain.trading.orders import Order, OrderRejected, Position
from cryptoterm.services.kill_switch import ClosableBroker, KillSwitchReport, kill_switch_plan, run_kill_switch
from cryptoterm.wiring.errors import StartupError
from cryptoterm.wiring.options import RunOptions

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
PROG = "cryptoterm kill-switch"


def run(
    config: AppConfig,
    args: argparse.Namespace,
    options: RunOptions,
    *,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Entry point called by the CLI; returns the exit code."""
    from cryptoterm.wiring.live_broker import kill_switch_broker

    stdout, stderr = out or sys.stdout, err or sys.stderr
    try:
        broker = kill_switch_broker(config, options, environ)
    except StartupError as exc:
        print(f"{PROG}: {exc}", file=stderr)
        return EXIT_USAGE
    return asyncio.run(_run(broker, config, args, stdin or sys.stdin, stdout, stderr))


async def _run(
    broker: ClosableBroker, config: AppConfig, args: argparse.Namespace, stdin: TextIO, out: TextIO, err: TextIO
) -> int:
    where = f"{broker.mode} account on {config.exchange.id}"
    try:
        try:
            plan = await kill_switch_plan(broker)
        except OrderRejected as exc:
            print(f"{PROG}: {exc}", file=err)
            return EXIT_ERRORS
        if plan.empty:
            print(f"{PROG}: nothing to do: the {where} has no open order and no position", file=err)
            if args.kill_json:
                _print_json(out, broker.mode, config.exchange.id, None)
            return EXIT_OK
        if not args.kill_yes:
            if not stdin.isatty():
                print(
                    f"{PROG}: would {plan.describe()} on the {where}; no terminal to confirm on: pass --yes", file=err
                )
                return EXIT_USAGE
            print(f"{PROG}: {plan.describe()} on the {where}? Type yes to proceed: ", end="", file=err, flush=True)
            if stdin.readline().strip().lower() not in ("y", "yes"):
                print(f"{PROG}: not confirmed; nothing was done", file=err)
                return EXIT_ERRORS
        report = await run_kill_switch(broker, now_ms=lambda: time.time_ns() // 1_000_000)
    finally:
        await broker.close()
    if args.kill_json:
        _print_json(out, broker.mode, config.exchange.id, report)
    else:
        _print_report(out, report)
    for failure in report.failures:
        print(f"{PROG}: {failure}", file=err)
    return EXIT_OK if report.ok else EXIT_ERRORS


def _print_report(out: TextIO, report: KillSwitchReport) -> None:
    for order in report.cancelled:
        print(f"cancelled   {describe_request(order.request)}  (order {order.id})", file=out)
    for order in report.flattened:
        filled = f"filled {number(order.filled_qty)}"
        if order.avg_fill_price is not None:
            filled += f" at {number(order.avg_fill_price)}"
        print(f"flattened   {describe_request(order.request)}: {order.status}, {filled}  (order {order.id})", file=out)
    for failure in report.failures:
        print(f"failed      {failure}", file=out)
    for order in report.still_open:
        print(f"still open  {describe_request(order.request)}  (order {order.id})", file=out)
    for position in report.still_held:
        print(f"still held  {position.symbol} {number(position.qty)}", file=out)
    if report.ok and not report.still_held:
        print("done: no open order, no position", file=out)


def _order_json(order: Order) -> dict[str, Any]:
    request = order.request
    return {
        "id": order.id,
        "client_id": request.client_id,
        "symbol": request.symbol,
        "side": request.side,
        "type": request.type,
        "qty": request.qty,
        "price": request.price,
        "stop_price": request.stop_price,
        "reduce_only": request.reduce_only,
        "status": order.status,
        "filled_qty": order.filled_qty,
        "avg_fill_price": order.avg_fill_price,
        "fees": order.fees,
    }


def _position_json(position: Position) -> dict[str, Any]:
    avg = position.avg_price if math.isfinite(position.avg_price) else None
    return {"symbol": position.symbol, "qty": position.qty, "avg_price": avg}


def _print_json(out: TextIO, mode: str, exchange: str, report: KillSwitchReport | None) -> None:
    body: dict[str, Any] = {"mode": mode, "exchange": exchange, "ok": report is None or report.ok}
    body["cancelled"] = [_order_json(o) for o in report.cancelled] if report else []
    body["flattened"] = [_order_json(o) for o in report.flattened] if report else []
    body["failures"] = list(report.failures) if report else []
    body["still_open"] = [_order_json(o) for o in report.still_open] if report else []
    body["still_held"] = [_position_json(p) for p in report.still_held] if report else []
    out.write(orjson.dumps(body).decode() + "\n")

"""The `alerts` command's arguments (`list | add | remove | test`), apart from its implementation."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def add_arguments(parser: argparse.ArgumentParser, add_global: Callable[[argparse.ArgumentParser], None]) -> None:
    """`alerts` and its four actions; `add_global` adds the shared options to each action (they may follow it)."""
    actions = parser.add_subparsers(dest="alerts_action", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    listing = actions.add_parser("list", help="every rule (config and app) with its state, and recent firings")
    listing.add_argument("--events", type=int, default=10, metavar="N", help="recent firings shown (default 10)")
    add = actions.add_parser("add", help="create (or replace) a rule stored in the database")
    add.add_argument("alert_name", metavar="NAME", help="the rule's name (unique)")
    add.add_argument("--when", required=True, metavar="TEXT", help='e.g. "price crosses_below 2675"')
    add.add_argument("--symbol", default="", metavar="SYMBOL", help='BASE/QUOTE, e.g. "ETH/USDT"')
    add.add_argument("--timeframe", default="", metavar="TF", help="bar close checked (volume, z-score, conditions)")
    add.add_argument("--cooldown", default="0", metavar="DURATION", help='quiet time after a firing, e.g. "10m"')
    add.add_argument("--once", action="store_true", help="fire once ever")
    add.add_argument("--expires", default="", metavar="DATE", help="no firing after this (UTC, YYYY-MM-DD[THH:MM])")
    add.add_argument("--tags", default="", metavar="LIST", help="apprise tags (comma-separated) the message goes to")
    add.add_argument("--message", default="", metavar="TEMPLATE", help="e.g. '{name}: {symbol} at {price}'")
    add.add_argument("--paused", action="store_true", help="store the rule paused")
    remove = actions.add_parser("remove", help="delete a rule created in the app (its firings stay)")
    remove.add_argument("alert_name", metavar="NAME")
    test = actions.add_parser("test", help="send a rule's message now, marked as a test, and report the delivery")
    test.add_argument("alert_name", metavar="NAME")
    for action in (listing, add, remove, test):
        action.add_argument("--json", action="store_true", dest="alerts_json", help="machine-readable output")
        add_global(action)

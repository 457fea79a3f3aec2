"""The `positions`, `orders` and `journal` commands' arguments, apart from their implementations."""

from __future__ import annotations

import argparse
from collections.abc import Callable

OUTCOME_CHOICES = ("open", "win", "loss", "breakeven")


def add_positions_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--closed", action="store_true", dest="trading_closed", help="closed positions too")
    parser.add_argument("--json", action="store_true", dest="trading_json", help="one JSON object")


def add_orders_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true", dest="orders_all", help="every order, not only the open ones")
    parser.add_argument(
        "--limit", type=int, default=200, dest="orders_limit", metavar="N", help="newest N orders (default 200)"
    )
    parser.add_argument("--json", action="store_true", dest="trading_json", help="one JSON object per order")


def add_journal_arguments(
    parser: argparse.ArgumentParser, add_global: Callable[[argparse.ArgumentParser], None]
) -> None:
    """`journal list | add | stats`; `add_global` adds the shared options to each action — among them
    `--strategy NAME` (repeatable), which filters `list` and `stats` and names the strategy of an entry `add`
    writes by hand."""
    actions = parser.add_subparsers(dest="journal_action", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    listing = actions.add_parser("list", help="journal entries, oldest first")
    listing.add_argument("--tag", dest="journal_tag", metavar="TAG", help="only entries with this tag")
    listing.add_argument("--symbol", dest="journal_symbol", metavar="SYMBOL", help='e.g. "BTC/USDT"')
    listing.add_argument("--limit", type=int, default=1000, dest="journal_limit", metavar="N", help="newest N")
    add = actions.add_parser("add", help="write an entry, from a setup, an order or a position (or by hand)")
    link = add.add_mutually_exclusive_group()
    link.add_argument("--setup", type=int, dest="journal_setup", metavar="ID", help="the setup's id")
    link.add_argument("--order", dest="journal_order", metavar="ID", help="the order's id or client id")
    link.add_argument(
        "--position", dest="journal_position", metavar="KEY", help="SYMBOL|PAIR|OPENED_MS (see `positions --closed`)"
    )
    add.add_argument("--symbol", dest="journal_symbol", metavar="SYMBOL", help="the symbol (an entry by hand)")
    add.add_argument("--direction", choices=("long", "short"), dest="journal_direction")
    add.add_argument("--notes", default="", dest="journal_notes", metavar="TEXT")
    add.add_argument("--tags", default="", dest="journal_tags", metavar="LIST", help='e.g. "breakout, news"')
    add.add_argument("--outcome", choices=OUTCOME_CHOICES, dest="journal_outcome", help="default: from the profit")
    add.add_argument("--pnl", type=float, dest="journal_pnl", metavar="X", help="profit in the quote asset")
    add.add_argument("--risk", type=float, dest="journal_risk", metavar="X", help="what was at risk (for R)")
    stats = actions.add_parser("stats", help="win rate, expectancy, R distribution and hold time")
    stats.add_argument("--by", choices=("strategy", "tag"), default="strategy", dest="journal_by")
    stats.add_argument("--tag", dest="journal_tag", metavar="TAG", help="only entries with this tag")
    for action in (listing, add, stats):
        action.add_argument("--json", action="store_true", dest="journal_json", help="machine-readable output")
        add_global(action)

"""The `download` command's arguments, apart from its implementation.

The CLI builds every subcommand's parser on each start; keeping this module free of pandas and the store keeps
`cryptoterm --help` and the TUI's start-up from paying for the download machinery.
"""

from __future__ import annotations

import argparse

from cryptoterm.domain.timeframes import TIMEFRAMES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `download` subcommand's options."""
    parser.add_argument(
        "--symbols",
        metavar="LIST",
        help="comma-separated unified symbols, e.g. BTC/USDT,ETH/USDT (default: the [watchlist] symbols)",
    )
    parser.add_argument(
        "--timeframes",
        metavar="LIST",
        default="1h",
        help=f"comma-separated timeframes out of {','.join(TIMEFRAMES)} (default 1h)",
    )
    parser.add_argument(
        "--since",
        metavar="DATE",
        help="first bar, UTC: YYYY-MM-DD or YYYY-MM-DDTHH:MM (default: [watchlist].backfill_days ago)",
    )
    parser.add_argument("--until", metavar="DATE", help="end (exclusive), UTC (default: the last closed bar)")
    parser.add_argument(
        "--exchange", metavar="ID", help="ccxt exchange id, e.g. binance, kraken (default: [exchange].id)"
    )
    parser.add_argument("--json", action="store_true", dest="download_json", help="print a JSON summary")

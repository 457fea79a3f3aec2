"""The `screen` command's arguments, apart from its implementation (the parser is built on every start; the
screener and its statistics are imported only when the command runs)."""

from __future__ import annotations

import argparse


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `screen` subcommand's options; each one overrides its `[screener]` / `[compute]` key."""
    parser.add_argument(
        "--timeframe",
        dest="screen_timeframe",
        choices=["1m", "5m", "15m", "1h", "4h", "1d"],
        help="bars to screen (default: [screener].timeframe)",
    )
    parser.add_argument("--since", dest="screen_since", metavar="DATE", help="window start, UTC (default: open)")
    parser.add_argument("--until", dest="screen_until", metavar="DATE", help="window end (exclusive), UTC")
    parser.add_argument(
        "--symbols",
        dest="screen_symbols",
        metavar="LIST",
        help="comma-separated symbols, e.g. BTC/USDT,ETH/USDT (default: the stored symbols, or --top N of them)",
    )
    parser.add_argument(
        "--top",
        dest="screen_top",
        type=_count,
        metavar="N",
        help="without --symbols: the N stored symbols with the largest 24 h quote volume (0 = all)",
    )
    parser.add_argument(
        "--bars", dest="screen_bars", type=_count, metavar="N", help="the newest N common bars of the window"
    )
    parser.add_argument(
        "--workers",
        dest="screen_workers",
        type=_count,
        metavar="N",
        help="local worker processes (0 = one per core, 1 = this process; default: [compute].workers)",
    )
    parser.add_argument(
        "--cluster",
        dest="screen_cluster",
        metavar="ADDR",
        help="a Dask scheduler, e.g. tcp://host:8786 (needs the cluster extra; default: [compute].scheduler)",
    )
    parser.add_argument("--no-save", dest="screen_no_save", action="store_true", help="do not store the session")
    parser.add_argument(
        "--json",
        dest="screen_json",
        action="store_true",
        help="one JSON object per pair (y, x, eg_t, eg_p, eg_t_rev, eg_p_rev, p_adj, corr, hurst, half_life, "
        "beta_ols, beta_kalman, beta_huber, zscore, n_bars, …), smallest adjusted p first",
    )

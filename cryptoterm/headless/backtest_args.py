"""The `backtest` command's arguments, apart from its implementation (the parser is built on every start; the
backtest machinery is imported only when the command runs)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `backtest` subcommand's options; each one overrides its `[backtest]` key."""
    parser.add_argument("backtest_strategy", metavar="STRATEGY", nargs="?", help="a [[strategy]] name from the config")
    pairs = parser.add_argument_group("pairs (instead of a STRATEGY)")
    pairs.add_argument("--pair", metavar="Y,X", help="backtest the spread of Y against X, e.g. ETH/USDT,BTC/USDT")
    pairs.add_argument("--timeframe", default="1h", metavar="TF", help="with --pair: the bars (default 1h)")
    pairs.add_argument("--hedge", choices=["ols", "rolling", "kalman"], default="rolling", help="hedge ratio")
    pairs.add_argument("--window", type=int, default=500, metavar="N", help="bars of the hedge / z-score window")
    pairs.add_argument("--entry-z", type=float, default=2.0, metavar="Z", help="open beyond ±Z (default 2)")
    pairs.add_argument("--exit-z", type=float, default=0.5, metavar="Z", help="close inside ±Z (default 0.5)")
    pairs.add_argument("--stop-z", type=float, default=4.0, metavar="Z", help="stop beyond ±Z (default 4)")
    pairs.add_argument("--leg-pct", type=float, default=50.0, metavar="PCT", help="notional of each leg, %% of equity")
    parser.add_argument(
        "--symbols",
        metavar="LIST",
        help="comma-separated symbols (default: the strategy's universe, resolved from the stored candles)",
    )
    parser.add_argument("--since", metavar="DATE", help="first traded bar, UTC (default: the first stored bar)")
    parser.add_argument("--until", metavar="DATE", help="end (exclusive), UTC (default: the last stored bar)")
    parser.add_argument("--fill", choices=["levels", "next_open"], help="fill model (default: [backtest].fill)")
    parser.add_argument("--fee-bps", type=float, metavar="N", help="fee on each side, basis points")
    parser.add_argument("--slippage-bps", type=float, metavar="N", help="slippage on every fill, basis points")
    parser.add_argument("--sizing", choices=["risk", "equity_pct", "fixed"], help="position sizing")
    parser.add_argument("--risk-pct", type=float, metavar="PCT", help="with --sizing risk: equity risked a trade")
    parser.add_argument("--size-pct", type=float, metavar="PCT", help="with --sizing equity_pct: equity a trade")
    parser.add_argument("--size-quote", type=float, metavar="N", help="with --sizing fixed: quote spent a trade")
    parser.add_argument("--initial-equity", type=float, metavar="N", help="starting equity")
    parser.add_argument("--max-positions", type=int, metavar="N", help="positions open at once, all symbols")
    parser.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="NAME=VALUES",
        help="sweep a strategy param: NAME=V1,V2,… or NAME=START:STOP:STEP (repeatable: the grid of all)",
    )
    parser.add_argument(
        "--rank",
        default="sharpe",
        choices=["total_return", "sharpe", "sortino", "calmar", "profit_factor", "expectancy", "win_rate",
                 "max_drawdown"],
        help="with --sweep / --walk-forward: the metric that picks the best point (default sharpe)",
    )  # fmt: skip
    parser.add_argument(
        "--walk-forward",
        metavar="TRAIN:TEST",
        help="rolling windows, e.g. 180d:30d: the best point on each train window, tested on the window after it",
    )
    parser.add_argument(
        "--lookahead-check",
        action="store_true",
        help="check that the strategy's signals on history cut at a bar equal those on the whole history",
    )
    parser.add_argument(
        "--workers", type=int, metavar="N", help="with --sweep / --walk-forward: local processes (0 = one per core)"
    )
    parser.add_argument(
        "--cluster", metavar="ADDR", help="with --sweep / --walk-forward: a Dask scheduler, e.g. tcp://host:8786"
    )
    parser.add_argument("--no-save", action="store_true", help="do not store the run in the database")
    parser.add_argument(
        "--json",
        action="store_true",
        dest="backtest_json",
        help="print one JSON object: strategy, trade_count, final_equity, metrics, trades, open",
    )

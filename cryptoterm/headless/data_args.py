"""The `export` and `import` commands' arguments, apart from their implementations."""

from __future__ import annotations

import argparse

from cryptoterm.ports.export_kinds import EXPORT_KINDS


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("export_kind", metavar="WHAT", choices=EXPORT_KINDS, help=" | ".join(EXPORT_KINDS))
    parser.add_argument("--symbol", dest="export_symbol", default="", metavar="SYMBOL", help='e.g. "BTC/USDT"')
    parser.add_argument("--timeframe", dest="export_timeframe", default="", metavar="TF", help="e.g. 1h")
    parser.add_argument("--since", dest="export_since", metavar="DATE", help="from (UTC, YYYY-MM-DD[THH:MM])")
    parser.add_argument("--until", dest="export_until", metavar="DATE", help="until, exclusive (UTC)")
    parser.add_argument("--format", dest="export_format", choices=("csv", "json"), default="csv", help="default csv")
    parser.add_argument(
        "-o", "--output", dest="export_output", metavar="FILE", help="write here (.gz: compressed) instead of stdout"
    )


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("import_files", metavar="FILE", nargs="+", help="CSV / JSON candle files (.gz read directly)")
    parser.add_argument(
        "--symbol", dest="import_symbol", default="", metavar="SYMBOL", help="for files without a symbol"
    )
    parser.add_argument("--timeframe", dest="import_timeframe", default="", metavar="TF", help="for files without one")
    parser.add_argument(
        "--exchange", dest="import_exchange", default="", metavar="ID", help="stored under (default: the config's)"
    )
    parser.add_argument("--json", action="store_true", dest="import_json", help="one JSON object per series")

"""The `kill-switch` command's arguments, apart from the command (which imports the trading stack)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", dest="kill_yes", help="do not ask for confirmation (scripts)")
    parser.add_argument("--json", action="store_true", dest="kill_json", help="print the report as one JSON object")

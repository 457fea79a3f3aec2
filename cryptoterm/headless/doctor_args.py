"""The `doctor` command's arguments, apart from the command (which imports the store and paths)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", dest="doctor_json", help="machine-readable output")

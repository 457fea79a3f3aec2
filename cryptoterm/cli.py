"""Command line: argv → config → the TUI (imported lazily) or a headless command; exit codes.

Exit codes: 0 ok, 1 the command ran but hit errors, 2 bad usage or bad configuration. Every user error is
one clear line on stderr, never a traceback. Heavy modules (textual, ccxt, pandas) are imported only by the
command that needs them, so `cryptoterm --scan-once` never imports textual and `--help` is instant.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from cryptoterm import __version__
from cryptoterm.config import AppConfig, ConfigError, load_config
from cryptoterm.wiring.options import Mode, RunOptions

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that exits with code 2 and one line, like every other usage error here."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cryptoterm",
        description="A terminal trading workstation for crypto. With no command, opens the TUI.",
    )
    parser.add_argument("--version", action="version", version=f"cryptoterm {__version__}")
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: $CRYPTOTERM_CONFIG, then the platform config dir, then built-in defaults)",
    )
    parser.add_argument("--db", metavar="PATH", help="SQLite file (default: the platform data dir)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--demo", action="store_true", help="simulated market, no network")
    source.add_argument("--replay", metavar="PATH", help="replay a recorded websocket / trades file")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="N",
        help="replay or demo speed multiplier (default 1; 0 = as fast as possible)",
    )
    parser.add_argument("--record", metavar="PATH", help="record live messages to PATH (.jsonl[.gz])")
    parser.add_argument(
        "--scan-once",
        action="store_true",
        help="headless: update candles, run the strategies once, print setups, exit",
    )
    parser.add_argument("--json", action="store_true", help="with --scan-once: one JSON object per setup")
    parser.add_argument(
        "--strategy",
        action="append",
        default=[],
        metavar="NAME",
        help="with --scan-once: only these strategies (repeatable)",
    )
    parser.add_argument("--offline", action="store_true", help="with --scan-once: use only stored candles")

    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    download = commands.add_parser("download", help="download candle history into the store")
    _add_download_arguments(download)
    doctor = commands.add_parser("doctor", help="show paths, versions and check config and database")
    from cryptoterm.headless.doctor import add_arguments as add_doctor_arguments

    add_doctor_arguments(doctor)
    return parser


def _add_download_arguments(parser: argparse.ArgumentParser) -> None:
    from cryptoterm.headless.download_args import add_arguments

    add_arguments(parser)


def options_from_args(args: argparse.Namespace) -> RunOptions:
    mode: Mode = "demo" if args.demo else "replay" if args.replay else "live"
    return RunOptions(
        mode=mode,
        db_path=args.db,
        replay_path=args.replay,
        replay_speed=args.speed,
        record_path=args.record,
        json=args.json,
        offline=args.offline,
        strategies=tuple(args.strategy),
        verbose=args.verbose,
    )


def _check_combinations(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.command and args.scan_once:
        parser.error("--scan-once cannot be combined with a command")
    if not args.scan_once and ((args.json and not args.command) or args.strategy or args.offline):
        parser.error("--json without a command, --strategy and --offline go with --scan-once")
    if args.scan_once and args.offline and args.demo:
        parser.error("--offline and --demo are exclusive (--offline uses only stored candles)")
    if args.speed < 0:
        parser.error("--speed must be 0 or more")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_combinations(parser, args)
    options = options_from_args(args)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"cryptoterm: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return _dispatch(args, config, options)
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, config: AppConfig, options: RunOptions) -> int:
    if args.command == "download":
        _setup_headless_logging(options.verbose)
        from cryptoterm.headless.download import run as run_download
        from cryptoterm.wiring.paths import resolve_db_path

        return run_download(config, args, resolve_db_path(config, options))
    if args.command == "doctor":
        from cryptoterm.headless.doctor import run as run_doctor

        return run_doctor(config, args, options)
    if args.scan_once:
        _setup_headless_logging(options.verbose)
        from cryptoterm.headless.scan_once import run as run_scan_once

        return run_scan_once(config, options)
    from cryptoterm.tui.app import run_tui
    from cryptoterm.wiring import SetupError

    try:
        return run_tui(config, options)
    except SetupError as exc:
        print(f"cryptoterm: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _setup_headless_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )

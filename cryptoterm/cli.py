"""Command line: argv → config → the TUI (imported lazily) or a headless command; exit codes.

Exit codes: 0 ok, 1 the command ran but hit errors, 2 bad usage or bad configuration. Every user error is
one clear line on stderr, never a traceback. Heavy modules (textual, ccxt, pandas) are imported only by the
command that needs them, so `cryptoterm --scan-once` never imports textual and `--help` is instant.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from cryptoterm import __version__
from cryptoterm.config import AppConfig, ConfigError, load_config
from cryptoterm.wiring.options import Mode, RunOptions

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
#: The fastest demo `--speed` (the simulated market's `[demo].speed` range: an hour a second).
MAX_DEMO_SPEED = 3600.0


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
    _add_global_options(parser, subcommand=False)

    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    download = commands.add_parser("download", help="download candle history into the store")
    _add_download_arguments(download)
    _add_global_options(download, subcommand=True)
    backtest = commands.add_parser("backtest", help="backtest a configured strategy on stored candles")
    from cryptoterm.headless.backtest_args import add_arguments as add_backtest_arguments

    add_backtest_arguments(backtest)
    _add_global_options(backtest, subcommand=True)
    screen = commands.add_parser("screen", help="screen every pair of stored symbols for cointegration")
    from cryptoterm.headless.screen_args import add_arguments as add_screen_arguments

    add_screen_arguments(screen)
    _add_global_options(screen, subcommand=True)
    export = commands.add_parser("export", help="stored candles, trades, setups, backtests or alerts as CSV / JSON")
    import_ = commands.add_parser("import", help="candle files (Binance klines, headed CSV, JSON) into the store")
    from cryptoterm.headless.data_args import add_export_arguments, add_import_arguments

    add_export_arguments(export)
    add_import_arguments(import_)
    _add_global_options(export, subcommand=True)
    _add_global_options(import_, subcommand=True)
    alerts = commands.add_parser("alerts", help="list, add, remove or test-fire alert rules")
    from cryptoterm.headless.alerts_args import add_arguments as add_alerts_arguments

    add_alerts_arguments(alerts, lambda action: _add_global_options(action, subcommand=True))
    _add_global_options(alerts, subcommand=True)
    init = commands.add_parser("init", help="write the commented example config as your starter config")
    from cryptoterm.headless.init_config import add_arguments as add_init_arguments

    add_init_arguments(init)
    doctor = commands.add_parser("doctor", help="show paths, versions and check config and database")
    from cryptoterm.headless.doctor_args import add_arguments as add_doctor_arguments

    add_doctor_arguments(doctor)
    _add_global_options(doctor, subcommand=True)
    kill_switch = commands.add_parser("kill-switch", help="cancel every open order, then flatten every position")
    from cryptoterm.headless.kill_switch_args import add_arguments as add_kill_switch_arguments

    add_kill_switch_arguments(kill_switch)
    _add_global_options(kill_switch, subcommand=True)
    from cryptoterm.headless import trading_args

    positions = commands.add_parser("positions", help="the paper account's positions, cash and equity")
    trading_args.add_positions_arguments(positions)
    _add_global_options(positions, subcommand=True)
    orders = commands.add_parser("orders", help="the paper account's open orders (--all: every order)")
    trading_args.add_orders_arguments(orders)
    _add_global_options(orders, subcommand=True)
    journal = commands.add_parser("journal", help="list, add or sum up trading journal entries")
    trading_args.add_journal_arguments(journal, lambda action: _add_global_options(action, subcommand=True))
    _add_global_options(journal, subcommand=True)
    return parser


class _SpeedOption(argparse.Action):
    """Stores `--speed` and notes that it was given: only a given `--speed` overrides `[demo].speed`."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        namespace.speed_given = True


def _add_global_options(parser: argparse.ArgumentParser, *, subcommand: bool) -> None:
    """The options every command shares, accepted before or after the command (`cryptoterm doctor --config X`).

    A subcommand's copy defaults to SUPPRESS: an option not repeated after the command leaves the value given
    before it (or the main parser's default) in place instead of resetting it. `--json` is left out there:
    each command has its own.
    """
    group = parser.add_argument_group("global options") if subcommand else parser

    def default(value: object) -> object:
        return argparse.SUPPRESS if subcommand else value

    group.add_argument(
        "--config",
        metavar="PATH",
        default=default(None),
        help="config file (default: $CRYPTOTERM_CONFIG, then the platform config dir, then built-in defaults)",
    )
    group.add_argument(
        "--db", metavar="PATH", default=default(None), help="SQLite file (default: the platform data dir)"
    )
    group.add_argument("-v", "--verbose", action="store_true", default=default(False), help="debug logging")
    source = group.add_mutually_exclusive_group()
    source.add_argument("--demo", action="store_true", default=default(False), help="simulated market, no network")
    source.add_argument(
        "--replay", metavar="PATH", default=default(None), help="replay a recorded websocket / trades file"
    )
    group.add_argument(
        "--speed",
        type=float,
        default=default(1.0),
        action=_SpeedOption,
        metavar="N",
        help="replay or demo speed multiplier (default 1, the demo: [demo].speed; 0 = as fast as possible)",
    )
    group.add_argument(
        "--record", metavar="PATH", default=default(None), help="record live messages to PATH (.jsonl[.gz])"
    )
    group.add_argument(
        "--scan-once",
        action="store_true",
        default=default(False),
        help="headless: update candles, run the strategies once, print setups, exit",
    )
    group.add_argument(
        "--headless",
        action="store_true",
        default=default(False),
        help="the whole engine without a UI (a server): streams, bars, store, scans, notifications; "
        "logs on stderr, stops on SIGTERM / ctrl+c (with --replay: at the recording's end)",
    )
    if not subcommand:
        group.add_argument("--json", action="store_true", help="with --scan-once: one JSON object per setup")
    group.add_argument(
        "--strategy",
        action="append",
        default=default([]),
        metavar="NAME",
        help="with --scan-once: only these strategies (repeatable)",
    )
    group.add_argument(
        "--offline", action="store_true", default=default(False), help="with --scan-once: use only stored candles"
    )


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
        hold_replay_end=not args.headless,  # the TUI can seek back in a finished replay; --headless ends with it
        record_path=args.record,
        json=args.json,
        offline=args.offline,
        strategies=tuple(args.strategy),
        verbose=args.verbose,
    )


def _check_combinations(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.demo and args.replay:  # given on both sides of a command, which one argparse group cannot see
        parser.error("argument --replay: not allowed with argument --demo")
    if args.command and args.scan_once:
        parser.error("--scan-once cannot be combined with a command")
    if args.headless and (args.command or args.scan_once):
        parser.error("--headless runs the engine; it cannot be combined with --scan-once or a command")
    journal = args.command == "journal"  # its list and stats filter by --strategy, its add names one
    if not args.scan_once and ((args.json and not args.command) or (args.strategy and not journal) or args.offline):
        parser.error("--json without a command, --strategy and --offline go with --scan-once")
    if args.scan_once and args.offline and args.demo:
        parser.error("--offline and --demo are exclusive (--offline uses only stored candles)")
    if args.speed < 0:
        parser.error("--speed must be 0 or more")
    if args.demo and args.speed > MAX_DEMO_SPEED:
        parser.error(f"--speed with --demo must be at most {MAX_DEMO_SPEED:g} (as [demo].speed), got {args.speed:g}")


def _with_demo_speed(config: AppConfig, args: argparse.Namespace) -> AppConfig:
    """`--speed` given with `--demo` overrides `[demo].speed` (the simulated market reads only the config)."""
    if not args.demo or not getattr(args, "speed_given", False):
        return config
    import msgspec

    return msgspec.structs.replace(config, demo=msgspec.structs.replace(config.demo, speed=args.speed))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_combinations(parser, args)
    options = options_from_args(args)
    if args.command == "init":  # before any config is read: there may be none yet
        from cryptoterm.headless.init_config import run as run_init

        return run_init(args)
    try:
        config = load_config(args.config, demo=args.demo)
    except ConfigError as exc:
        print(f"cryptoterm: {exc}", file=sys.stderr)
        return EXIT_USAGE
    config = _with_demo_speed(config, args)
    if args.command is None and not args.scan_once:  # the TUI and --headless run for days: keep memory flat
        from cryptoterm.wiring.memory_policy import keep_memory_flat

        keep_memory_flat()
    try:
        return _dispatch(args, config, options)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`cryptoterm doctor | head`): not an error worth a traceback. Point stdout at
        # devnull so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERRORS


def _dispatch(args: argparse.Namespace, config: AppConfig, options: RunOptions) -> int:
    if args.command == "download":
        _setup_headless_logging(options.verbose)
        from cryptoterm.headless.download import run as run_download
        from cryptoterm.wiring.paths import resolve_db_path

        return run_download(config, args, resolve_db_path(config, options))
    if args.command == "backtest":
        _setup_headless_logging(options.verbose)
        from cryptoterm.headless.backtest import run as run_backtest

        return run_backtest(config, args, options)
    if args.command == "screen":
        _setup_headless_logging(options.verbose)
        from cryptoterm.headless.screen import run as run_screen

        return run_screen(config, args, options)
    if args.command in ("export", "import"):
        _setup_headless_logging(options.verbose)
        if args.command == "export":
            from cryptoterm.headless.export_data import run as run_export

            return run_export(config, args, options)
        from cryptoterm.headless.import_candles import run as run_import

        return run_import(config, args, options)
    if args.command == "alerts":
        _setup_headless_logging(options.verbose)
        from cryptoterm.headless.alerts import run as run_alerts

        return run_alerts(config, args, options)
    if args.command == "kill-switch":
        _setup_headless_logging(options.verbose)
        from cryptoterm.headless.kill_switch import run as run_kill_switch

        return run_kill_switch(config, args, options)
    if args.command in ("positions", "orders"):
        _setup_headless_logging(options.verbose)
        from cryptoterm.headless.positions import run_orders, run_positions

        return (run_positions if args.command == "positions" else run_orders)(config, args, options)
    if args.command == "journal":
        _setup_headless_logging(options.verbose)
        from cryptoterm.headless.journal_cli import run as run_journal

        return run_journal(config, args, options)
    if args.command == "doctor":
        from cryptoterm.headless.doctor import run as run_doctor

        return run_doctor(config, args, options)
    if args.scan_once:
        _setup_headless_logging(options.verbose)
        from cryptoterm.headless.scan_once import run as run_scan_once

        return run_scan_once(config, options)
    if args.headless:
        _setup_headless_logging(options.verbose, level=logging.INFO)
        from cryptoterm.headless.serve import run as run_headless

        return run_headless(config, options)
    from cryptoterm.tui.app import run_tui
    from cryptoterm.wiring import StartupError

    try:
        return run_tui(config, options)
    except StartupError as exc:
        print(f"cryptoterm: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _setup_headless_logging(verbose: bool, level: int = logging.WARNING) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )

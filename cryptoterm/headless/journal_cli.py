"""`cryptoterm journal list | add | stats [--json]`: the trading journal for scripts.

`add` drafts the entry from `--setup ID`, `--order ID` or `--position KEY` (strategy, symbol, direction,
profit, risk, hold time: whatever the linked record knows) and completes it with `--notes`, `--tags`,
`--outcome`, `--pnl`, `--risk`; without a link it is an entry by hand (`--symbol` needed). `stats` prints per
strategy (or `--by tag`) the win rate, expectancy in R and in the quote asset, the R distribution and the
average hold time.

Exit codes: 0 done; 2 bad usage or input (one line naming the field and the value).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any, TextIO

import orjson

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.journal.entries import JournalEntry, JournalError, parse_tags
from cryptoterm.domain.journal.stats import R_BUCKETS, GroupStats
from cryptoterm.headless.positions import iso
from cryptoterm.wiring.errors import StartupError
from cryptoterm.wiring.options import RunOptions

if TYPE_CHECKING:
    from cryptoterm.wiring.trading_io import TradingTools

EXIT_OK = 0
EXIT_USAGE = 2
PROG = "cryptoterm journal"


def run(config: AppConfig, args: argparse.Namespace, options: RunOptions, *, out: TextIO | None = None) -> int:
    from cryptoterm.wiring.trading_io import open_trading_tools

    stdout = out or sys.stdout
    try:
        tools = open_trading_tools(config, options)
    except StartupError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        action = args.journal_action
        if action == "list":
            return _list(tools, args, stdout)
        if action == "add":
            return _add(tools, args, stdout)
        return _stats(tools, args, stdout)
    except JournalError as exc:
        print(f"{PROG} {args.journal_action}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        tools.close()


def entry_json(entry: JournalEntry) -> dict[str, Any]:
    row = asdict(entry)
    row["tags"] = list(entry.tags)
    row["created"] = iso(entry.created_ms)
    row["hold_ms"] = entry.hold_ms
    return row


def _list(tools: TradingTools, args: argparse.Namespace, out: TextIO) -> int:
    if args.journal_limit < 1:
        raise JournalError(f"--limit must be at least 1, got {args.journal_limit}")
    entries = tools.journal.entries(
        strategies=args.strategy, tag=args.journal_tag, symbol=args.journal_symbol, limit=args.journal_limit
    )
    if args.journal_json:
        for entry in entries:
            out.write(orjson.dumps(entry_json(entry)).decode() + "\n")
        return EXIT_OK
    if not entries:
        print("the journal has no entries" + (" matching" if args.strategy or args.journal_tag else ""), file=out)
        return EXIT_OK
    print(
        f"{'id':>4}  {'created':<20} {'strategy':<16} {'symbol':<10} {'dir':<5} {'outcome':<9} {'R':>6} "
        f"{'pnl':>10}  tags / notes",
        file=out,
    )
    for e in entries:
        r = f"{e.r_multiple:.2f}" if e.r_multiple is not None else ""
        pnl = f"{e.pnl:,.2f}" if e.pnl is not None else ""
        tags = " ".join(f"#{t}" for t in e.tags)
        note = (tags + " " + e.notes.replace("\n", " ")).strip()
        print(
            f"{e.id:>4}  {iso(e.created_ms):<20} {e.strategy or '-':<16} {e.symbol or '-':<10} {e.direction or '-':<5} "
            f"{e.outcome or '-':<9} {r:>6} {pnl:>10}  {note[:60]}",
            file=out,
        )
    return EXIT_OK


def _add(tools: TradingTools, args: argparse.Namespace, out: TextIO) -> int:
    now = time.time_ns() // 1_000_000
    journal = tools.journal
    if args.journal_setup is not None:
        draft = journal.draft_for_setup(args.journal_setup, now)
    elif args.journal_order is not None:
        draft = journal.draft_for_order(args.journal_order, now)
    elif args.journal_position is not None:
        symbol = args.journal_position.split("|", 1)[0]
        draft = journal.draft_for_position(args.journal_position, now, tools.mark(symbol))
    else:
        if not args.journal_symbol:
            raise JournalError("an entry by hand needs --symbol (or link it: --setup, --order or --position)")
        draft = JournalEntry(created_ms=now, account=tools.account, symbol=args.journal_symbol.strip().upper())
    overrides: dict[str, Any] = {}
    if args.strategy:
        overrides["strategy"] = args.strategy[-1]
    if args.journal_direction:
        overrides["direction"] = args.journal_direction
    if overrides:
        draft = replace(draft, **overrides)
    entry = journal.add(
        draft,
        notes=args.journal_notes,
        tags=parse_tags(args.journal_tags),
        outcome=args.journal_outcome,
        pnl=args.journal_pnl,
        risk=args.journal_risk,
    )
    if args.journal_json:
        out.write(orjson.dumps(entry_json(entry)).decode() + "\n")
    else:
        r = f", {entry.r_multiple:.2f} R" if entry.r_multiple is not None else ""
        print(f"journal entry {entry.id}: {entry.symbol or '-'} {entry.outcome or 'no outcome'}{r}", file=out)
    return EXIT_OK


def stats_json(stats: GroupStats) -> dict[str, Any]:
    row = asdict(stats)
    row["r_distribution"] = dict(zip(R_BUCKETS, stats.r_counts, strict=True))
    del row["r_counts"]
    return row


def _stats(tools: TradingTools, args: argparse.Namespace, out: TextIO) -> int:
    groups = tools.journal.stats(args.journal_by, strategies=args.strategy, tag=args.journal_tag)
    if args.journal_json:
        for group in groups:
            out.write(orjson.dumps({"by": args.journal_by, **stats_json(group)}).decode() + "\n")
        return EXIT_OK
    if not groups:
        print("the journal has no entries", file=out)
        return EXIT_OK
    print(
        f"{args.journal_by:<18} {'entries':>7} {'decided':>7} {'win rate':>8} {'exp R':>7} "
        f"{'exp pnl':>9} {'avg hold':>9}  R distribution",
        file=out,
    )
    for g in groups:
        win = f"{g.win_rate:.0%}" if g.win_rate is not None else "-"
        exp_r = f"{g.expectancy_r:.2f}" if g.expectancy_r is not None else "-"
        exp_pnl = f"{g.expectancy_pnl:,.2f}" if g.expectancy_pnl is not None else "-"
        hold = _hours(g.avg_hold_ms)
        dist = " ".join(f"{label}:{n}" for label, n in zip(R_BUCKETS, g.r_counts, strict=True) if n)
        print(f"{g.key:<18} {g.entries:>7} {g.decided:>7} {win:>8} {exp_r:>7} {exp_pnl:>9} {hold:>9}  {dist}", file=out)
    return EXIT_OK


def _hours(ms: float | None) -> str:
    if ms is None:
        return "-"
    hours = ms / 3_600_000
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"

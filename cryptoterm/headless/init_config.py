"""`cryptoterm init [PATH] [--force]`: write the commented example configuration as the user's starter config.

A user who installed the package has no repository to copy `config.example.toml` from. The file goes to the
platform config dir (where cryptoterm looks when neither `--config` nor `$CRYPTOTERM_CONFIG` is given) unless a
path is given. An existing file is never overwritten without `--force`. Exit codes: 0 written, 1 not written (the
file exists, or the path cannot be written; one line saying why).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from cryptoterm.config.example import example_text
from cryptoterm.config.loader import default_config_path

EXIT_OK = 0
EXIT_NOT_WRITTEN = 1
PROG = "cryptoterm init"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", metavar="PATH", help=f"where to write it (default: {default_config_path()})")
    parser.add_argument("--force", action="store_true", help="replace a config file that already exists")


def run(args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    target = Path(args.path).expanduser() if args.path else default_config_path()
    if target.exists() and not args.force:
        print(f"{PROG}: {target} already exists; not replaced (--force replaces it)", file=stderr)
        return EXIT_NOT_WRITTEN
    try:
        _write_atomically(target, example_text())
    except OSError as exc:
        print(f"{PROG}: cannot write {target}: {exc.strerror or exc}", file=stderr)
        return EXIT_NOT_WRITTEN
    print(f"wrote {target}", file=stdout)
    hint = "" if not args.path else f" --config {target}"
    print(f"edit it, then run: cryptoterm{hint} --demo   (or without --demo for the live exchange)", file=stdout)
    return EXIT_OK


def _write_atomically(target: Path, text: str) -> None:
    """Write beside the target and rename over it: a crash never leaves half a config file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise

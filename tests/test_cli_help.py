"""`--help` works for the program and every command and subcommand (argparse formats help strings with `%`,
so a stray percent sign in one breaks that command's help with a traceback)."""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest

from cryptoterm.cli import build_parser, main


def _command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths.extend(_command_paths(sub, (*prefix, name)))
    return paths


COMMANDS = _command_paths(build_parser())


def test_every_command_is_found() -> None:
    assert {("backtest",), ("screen",), ("download",), ("doctor",)} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "cryptoterm")
def test_help_prints_usage_and_exits_0(path: tuple[str, ...]) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as stopped:
        main([*path, "--help"])
    assert stopped.value.code == 0
    assert out.getvalue().startswith("usage: cryptoterm")

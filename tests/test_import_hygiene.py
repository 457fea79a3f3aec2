"""Headless paths must never import the UI: cron jobs start fast and run without a terminal."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys
from cryptoterm import cli
parser = cli.build_parser()
args = parser.parse_args({argv!r})
import cryptoterm.headless.scan_once, cryptoterm.headless.download, cryptoterm.headless.serve
heavy = sorted(m for m in ("textual", "textual_plotext", "ccxt", "statsmodels") if m in sys.modules)
print(",".join(heavy))
"""


def _heavy_modules_after(argv: list[str]) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(argv=argv)], capture_output=True, text=True, check=True
    ).stdout.strip()
    return [m for m in out.split(",") if m]


def test_headless_commands_never_import_textual_or_ccxt_up_front() -> None:
    """--scan-once and download import their modules without the UI; ccxt is imported only when used."""
    assert _heavy_modules_after(["--scan-once", "--offline"]) == []
    assert _heavy_modules_after(["--headless", "--demo"]) == []


def test_tui_first_frame_does_not_wait_for_pandas_apprise_or_ccxt() -> None:
    """The app module is what runs before the first frame; data libraries load in threads afterwards."""
    probe = (
        "import sys, cryptoterm.cli, cryptoterm.tui.app\n"
        "print(','.join(m for m in ('pandas', 'apprise', 'ccxt', 'sqlite_utils') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_building_the_command_line_parser_imports_no_numpy_and_no_services() -> None:
    """Every start (the TUI's first frame included) builds the parser: its argument modules stay light."""
    probe = (
        "import sys, cryptoterm.cli\n"
        "cryptoterm.cli.build_parser()\n"
        "print(','.join(sorted(m for m in sys.modules if m == 'numpy' or m.startswith(('cryptoterm.services', "
        "'cryptoterm.wiring.paths', 'cryptoterm.domain.candle_files')))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""

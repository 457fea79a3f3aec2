"""First run without the repository: `cryptoterm init` writes the shipped example config, and `--demo` with no
config file anywhere runs the example strategies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cryptoterm.cli import main
from cryptoterm.config.example import example_text
from cryptoterm.config.loader import load_config, load_config_file
from tests.conftest import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "config.example.toml"


@pytest.fixture
def no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user with no config file anywhere: the platform dirs point into `tmp_path`."""
    monkeypatch.delenv("CRYPTOTERM_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path / "config" / "cryptoterm" / "config.toml"


def test_the_package_ships_the_example_config() -> None:
    assert example_text() == EXAMPLE.read_text(encoding="utf-8")


def test_init_writes_the_example_where_cryptoterm_looks_for_its_config(
    no_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    assert no_config.read_text(encoding="utf-8") == EXAMPLE.read_text(encoding="utf-8")
    assert f"wrote {no_config}" in capsys.readouterr().out
    loaded = load_config()  # no --config, no $CRYPTOTERM_CONFIG: the file just written
    assert loaded.source == str(no_config)
    assert [s.name for s in loaded.strategy] == [s.name for s in load_config_file(EXAMPLE).strategy]


def test_init_never_replaces_a_config_without_force(no_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    no_config.parent.mkdir(parents=True)
    no_config.write_text("# mine\n", encoding="utf-8")
    assert main(["init"]) == 1
    err = capsys.readouterr().err
    assert err == f"cryptoterm init: {no_config} already exists; not replaced (--force replaces it)\n"
    assert no_config.read_text(encoding="utf-8") == "# mine\n"
    assert main(["init", "--force"]) == 0
    assert no_config.read_text(encoding="utf-8") == EXAMPLE.read_text(encoding="utf-8")


def test_init_to_a_path_that_cannot_be_written_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["init", str(blocker / "config.toml")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"cryptoterm init: cannot write {blocker / 'config.toml'}: ") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == [blocker]


def test_demo_without_any_config_runs_the_example_strategies(no_config: Path) -> None:
    example = [s.name for s in load_config_file(EXAMPLE).strategy]
    assert example
    assert [s.name for s in load_config(demo=True).strategy] == example
    assert load_config().strategy == []  # live without a config: built-in defaults, nothing invented


def test_demo_scan_once_without_a_config_scans_with_the_example_strategies(no_config: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CRYPTOTERM_CONFIG"}
    env["PYTHONPATH"] = str(PROJECT_ROOT)  # this checkout's code, whichever one the interpreter has installed
    done = subprocess.run(
        [sys.executable, "-m", "cryptoterm", "--demo", "--scan-once", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    ran = {json.loads(line)["strategy"] for line in done.stdout.splitlines()}
    assert ran and ran <= {s.name for s in load_config_file(EXAMPLE).strategy}

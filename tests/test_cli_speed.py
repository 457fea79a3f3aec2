"""`--speed` sets the simulated market's speed with `--demo` (as `[demo].speed`), and the replay's with `--replay`."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptoterm import cli
from cryptoterm.config import AppConfig
from cryptoterm.wiring.options import RunOptions


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[AppConfig, RunOptions]]:
    """What the TUI would have been started with (the TUI itself is not run)."""
    calls: list[tuple[AppConfig, RunOptions]] = []

    def fake_run_tui(config: AppConfig, options: RunOptions) -> int:
        calls.append((config, options))
        return 0

    import cryptoterm.tui.app

    monkeypatch.setattr(cryptoterm.tui.app, "run_tui", fake_run_tui)
    return calls


def write_config(tmp_path: Path, demo_speed: float) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f"[demo]\nspeed = {demo_speed}\n")
    return str(path)


def test_speed_sets_the_demo_speed(tmp_path: Path, started: list[tuple[AppConfig, RunOptions]]) -> None:
    assert cli.main(["--demo", "--speed", "60", "--config", write_config(tmp_path, 1.0)]) == 0
    ((config, options),) = started
    assert config.demo.speed == 60.0
    assert options.mode == "demo"


def test_without_speed_the_configured_demo_speed_stays(
    tmp_path: Path, started: list[tuple[AppConfig, RunOptions]]
) -> None:
    assert cli.main(["--demo", "--config", write_config(tmp_path, 12.0)]) == 0
    ((config, _),) = started
    assert config.demo.speed == 12.0


def test_speed_still_paces_a_replay(tmp_path: Path, started: list[tuple[AppConfig, RunOptions]]) -> None:
    recording = tmp_path / "rec.jsonl"
    recording.write_text("")
    assert cli.main(["--replay", str(recording), "--speed", "10", "--config", write_config(tmp_path, 1.0)]) == 0
    ((config, options),) = started
    assert options.replay_speed == 10.0 and config.demo.speed == 1.0


def test_a_demo_speed_beyond_the_configs_range_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--demo", "--speed", "5000", "--config", write_config(tmp_path, 1.0)])
    assert exit_info.value.code == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "--speed" in err and "3600" in err and "Traceback" not in err

"""The config loader: lookup order and errors that name the file and the key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptoterm.config import ConfigError, load_config
from cryptoterm.config.loader import ENV_VAR


def _write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_wrong_type_names_file_key_and_value(tmp_path: Path) -> None:
    path = _write(tmp_path, '[scanner]\ninterval_s = "ten"\n')
    with pytest.raises(ConfigError) as err:
        load_config(str(path))
    assert str(err.value) == 'config.toml: [scanner].interval_s: expected a number from 0 to 86400, got "ten"'


def test_unknown_key_is_an_error_naming_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "[exchange]\nidd = 'binance'\n")
    with pytest.raises(ConfigError, match=r"\[exchange\]\.idd: unknown key"):
        load_config(str(path))


def test_broken_toml_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "[ui]\ntheme = \n")
    with pytest.raises(ConfigError, match=r"config.toml: invalid TOML: .*line 2"):
        load_config(str(path))


def test_strategy_errors_name_the_entry(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[strategy]]\nname = "a"\n[[strategy]]\nname = "b"\ntimeframe = "2h"\n')
    with pytest.raises(ConfigError, match=r'\[\[strategy\]\] #2.timeframe: "2h" is not one of'):
        load_config(str(path))


def test_env_var_is_used_and_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "[demo]\nseed = 99\n")
    monkeypatch.setenv(ENV_VAR, str(path))
    assert load_config(None).demo.seed == 99
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="not found"):
        load_config(None)


def test_strategy_files_are_included_and_duplicates_rejected(tmp_path: Path) -> None:
    _write(tmp_path, '[[strategy]]\nname = "extra"\nwhen = ["rsi(14) < 30"]\n', "more.toml")
    path = _write(tmp_path, '[scanner]\nstrategy_files = ["more.toml"]\n[[strategy]]\nname = "main"\n')
    config = load_config(str(path))
    assert [s.name for s in config.strategy] == ["main", "extra"]
    assert config.strategy[1].source.endswith("more.toml")
    _write(tmp_path, '[[strategy]]\nname = "main"\n', "more.toml")
    with pytest.raises(ConfigError, match="defined twice"):
        load_config(str(path))


def test_config_is_frozen(tmp_path: Path) -> None:
    config = load_config(str(_write(tmp_path, "")))
    with pytest.raises(AttributeError):
        config.demo.seed = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "secret", "message"),
    [
        (
            '[notify]\nurls = "tgram://123456789:AAfakeTOKENabc/-1001234567"\n',
            "AAfakeTOKENabc",
            "[notify].urls: expected a list, got a string (not shown: it may hold a secret)",
        ),
        ("[notify]\nurls = [987654321]\n", "987654321", "[notify].urls[0]: expected a string, got an integer"),
        ("[exchange]\napi_key = 12345678901\n", "12345678901", "[exchange].api_key: expected a string, got an integer"),
        (
            "[exchange]\napi_secret = 3.14159265\n",
            "3.14159265",
            "[exchange].api_secret: expected a string, got a number",
        ),
        (
            '[exchange]\nmarket = "https://user:hunter2pass@proxy.example"\n',
            "hunter2pass",
            "[exchange].market: a string (not shown: it may hold a secret) is not one of the allowed values",
        ),
        (
            '[ui]\nmax_fps = "wss://me:hunter3pass@host"\n',
            "hunter3pass",
            "[ui].max_fps: expected a number from 1 to 60, got a string (not shown",
        ),
    ],
)
def test_errors_never_echo_secrets(tmp_path: Path, text: str, secret: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(str(path))
    assert secret not in str(err.value)
    assert str(err.value).startswith(f"config.toml: {message}")


def test_ordinary_values_are_still_echoed(tmp_path: Path) -> None:
    path = _write(tmp_path, '[ui]\ntimeframe = "2m"\n')
    with pytest.raises(ConfigError, match=r'\[ui\]\.timeframe: "2m" is not one of the allowed values'):
        load_config(str(path))

"""Live trading starts only as configured: mode live, Binance spot, keys from the environment and never from the
config file — each refusal one line that names keys and variables, never a key's value."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptoterm.config import load_config
from cryptoterm.config.schema import AppConfig, ExchangeConfig, TradingConfig
from cryptoterm.services.live_broker import already_confirmed
from cryptoterm.wiring.errors import StartupError
from cryptoterm.wiring.live_broker import build_live_broker, check_live_config, live_credentials

SECRETISH = "sk-live-9f8e7d6c5b4a"
ENV = {"CRYPTOTERM_API_KEY": "env-key-value-1234", "CRYPTOTERM_API_SECRET": "env-secret-value-5678"}


def live_config(**exchange: str) -> AppConfig:
    return AppConfig(trading=TradingConfig(mode="live"), exchange=ExchangeConfig(**exchange))  # type: ignore[arg-type]


def test_keys_written_in_the_config_file_refuse_the_start_without_echoing_them(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[trading]\nmode = "live"\n[exchange]\napi_key = "{SECRETISH}"\n')
    config = load_config(str(path))
    with pytest.raises(StartupError) as caught:
        build_live_broker(config, confirm=already_confirmed, environ=ENV)
    message = str(caught.value)
    assert message == (
        "config.toml: [exchange].api_key is written in the config file; live trading reads the API key and secret "
        "only from the environment ($CRYPTOTERM_API_KEY, $CRYPTOTERM_API_SECRET): delete [exchange].api_key and "
        "[exchange].api_secret from the file"
    )
    assert SECRETISH not in message


def test_a_secret_in_the_file_is_named_too() -> None:
    with pytest.raises(StartupError, match=r"\[exchange\].api_secret is written in the config file") as caught:
        check_live_config(live_config(api_secret=SECRETISH))
    assert SECRETISH not in str(caught.value)


def test_missing_environment_variables_are_named() -> None:
    config = live_config()
    with pytest.raises(StartupError) as caught:
        live_credentials(config, {"CRYPTOTERM_API_KEY": "k"})
    assert str(caught.value) == (
        "live trading needs the exchange API key and secret in the environment: set $CRYPTOTERM_API_SECRET "
        "(the variables [trading] api_key_env and api_secret_env name)"
    )
    custom = AppConfig(trading=TradingConfig(mode="live", api_key_env="MY_KEY", api_secret_env="MY_SECRET"))
    with pytest.raises(StartupError, match=r"set \$MY_KEY and \$MY_SECRET"):
        live_credentials(custom, {"CRYPTOTERM_API_KEY": "k", "CRYPTOTERM_API_SECRET": "s", "MY_KEY": ""})


@pytest.mark.parametrize(
    ("config", "line"),
    [
        (AppConfig(), 'live orders need [trading] mode = "live" (it is "paper")'),
        (
            live_config(market="usdm"),
            'live orders support Binance spot only ([exchange] id = "binance", market = "spot"); got id = "binance", '
            'market = "usdm"',
        ),
        (
            AppConfig(trading=TradingConfig(mode="live", api_key_env="MY KEY")),
            "[trading].api_key_env: expected the name of an environment variable, got 'MY KEY'",
        ),
    ],
)
def test_configs_that_cannot_trade_live_are_refused(config: AppConfig, line: str) -> None:
    with pytest.raises(StartupError) as caught:
        check_live_config(config)
    assert str(caught.value) == line


def test_the_built_broker_carries_the_limits_and_no_key_in_its_repr() -> None:
    config = AppConfig(
        trading=TradingConfig(mode="live", max_order_notional=250.0), exchange=ExchangeConfig(rest_url="http://x")
    )
    broker = build_live_broker(config, confirm=already_confirmed, environ=ENV)
    assert broker.limits.max_order_notional == 250.0
    shown = repr(broker.exchange) + repr(broker.exchange.session.config)  # type: ignore[attr-defined]
    for value in ENV.values():
        assert value not in shown
    assert "$CRYPTOTERM_API_KEY" in shown


def test_the_live_engine_refuses_to_start_without_keys_before_opening_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptoterm.wiring.build import build_engine
    from cryptoterm.wiring.options import RunOptions

    monkeypatch.delenv("CRYPTOTERM_API_KEY", raising=False)
    monkeypatch.delenv("CRYPTOTERM_API_SECRET", raising=False)
    with pytest.raises(StartupError, match=r"set \$CRYPTOTERM_API_KEY and \$CRYPTOTERM_API_SECRET"):
        build_engine(live_config(), RunOptions(mode="live", db_path=str(tmp_path / "x.db")))
    assert not (tmp_path / "x.db").exists()


def test_the_engine_runs_the_live_account_on_the_live_market(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from cryptoterm.adapters.store import SqliteStore
    from cryptoterm.services.live_engine_broker import LiveEngineBroker
    from cryptoterm.wiring.brokers import build_broker

    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    engine = SimpleNamespace(mode="live", now_ms=lambda: 1, exchange="binance")
    with SqliteStore(tmp_path / "e.db", batch_ms=0) as store:
        built = build_broker(live_config(), store, engine)  # type: ignore[arg-type]
        assert isinstance(built, LiveEngineBroker)
        assert (built.account, built.mode, built.pairs) == ("live:binance", "live", None)

"""The live broker built from the config: checks first, then the ccxt account behind the guards.

Live trading starts only when everything is in order, each refusal one `StartupError` line:

* `[trading] mode = "live"` (paper is the default, and needs none of this);
* Binance spot (`[exchange] id = "binance"`, `market = "spot"`): the orders, brackets and errors are built and
  tested for it; `[exchange] rest_url` points it at the testnet (`https://testnet.binance.vision`) or a proxy;
* no key in the config file: `[exchange] api_key` / `api_secret` written there refuse the start, naming the key
  (never its value) — live keys are read only from the environment variables `[trading] api_key_env` and
  `api_secret_env` name, and a missing one is named with what to set.

The keys go to the ccxt client only (`adapters.credentials.ApiCredentials`, whose repr names the variables);
nothing built here logs, shows or stores them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.trading.guards import GuardLimits
from cryptoterm.wiring.errors import StartupError

if TYPE_CHECKING:
    from cryptoterm.adapters.credentials import ApiCredentials
    from cryptoterm.adapters.store import SqliteStore
    from cryptoterm.services.engine import Engine
    from cryptoterm.services.kill_switch import ClosableBroker
    from cryptoterm.services.live_broker import Confirm, GuardedLiveBroker
    from cryptoterm.services.live_engine_broker import LiveEngineBroker
    from cryptoterm.wiring.options import RunOptions

LIVE_EXCHANGES = ("binance",)


def guard_limits(config: AppConfig) -> GuardLimits:
    trading = config.trading
    return GuardLimits(
        max_order_notional=trading.max_order_notional,
        max_position_notional=trading.max_position_notional,
        daily_loss_limit=trading.daily_loss_limit,
        quote=trading.quote,
    )


def check_live_config(config: AppConfig) -> None:
    """`StartupError` (one line) when the config cannot trade live."""
    where = f"{Path(config.source).name}: " if config.source else ""
    trading, exchange = config.trading, config.exchange
    if trading.mode != "live":
        raise StartupError(f'{where}live orders need [trading] mode = "live" (it is "{trading.mode}")')
    if exchange.id not in LIVE_EXCHANGES or exchange.market != "spot":
        raise StartupError(
            f'{where}live orders support Binance spot only ([exchange] id = "binance", market = "spot"); '
            f'got id = "{exchange.id}", market = "{exchange.market}"'
        )
    for key in ("api_key", "api_secret"):
        if getattr(exchange, key):
            raise StartupError(
                f"{where}[exchange].{key} is written in the config file; live trading reads the API key and secret "
                f"only from the environment (${trading.api_key_env}, ${trading.api_secret_env}): delete "
                f"[exchange].api_key and [exchange].api_secret from the file"
            )
    for key in ("api_key_env", "api_secret_env"):
        name = getattr(trading, key)
        if not name or not name.replace("_", "").isalnum():
            raise StartupError(f"{where}[trading].{key}: expected the name of an environment variable, got {name!r}")


def live_credentials(config: AppConfig, environ: Mapping[str, str] | None = None) -> ApiCredentials:
    """The API key and secret from the environment; `StartupError` naming the variables that are not set."""
    from cryptoterm.adapters.credentials import ApiCredentials

    env = os.environ if environ is None else environ
    trading = config.trading
    key, secret = env.get(trading.api_key_env, ""), env.get(trading.api_secret_env, "")
    missing = [
        f"${name}" for name, value in ((trading.api_key_env, key), (trading.api_secret_env, secret)) if not value
    ]
    if missing:
        raise StartupError(
            f"live trading needs the exchange API key and secret in the environment: set {' and '.join(missing)} "
            f"(the variables [trading] api_key_env and api_secret_env name)"
        )
    return ApiCredentials(key=key, secret=secret, key_env=trading.api_key_env, secret_env=trading.api_secret_env)


def build_live_broker(
    config: AppConfig,
    *,
    confirm: Confirm,
    environ: Mapping[str, str] | None = None,
    now_ms: Callable[[], int] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> GuardedLiveBroker:
    """The guarded live broker of `config` (`StartupError` when it cannot trade live). Nothing connects until
    the first call; `close()` it when done."""
    check_live_config(config)
    credentials = live_credentials(config, environ)
    from cryptoterm.adapters.ccxt_broker import CcxtBroker
    from cryptoterm.adapters.ccxt_session import CcxtSession
    from cryptoterm.services.live_broker import GuardedLiveBroker

    clock = now_ms if now_ms is not None else (lambda: time.time_ns() // 1_000_000)
    session = CcxtSession(config.exchange, credentials, now_ms=clock, sleep=sleep)
    exchange = CcxtBroker(session, quote=config.trading.quote, watch_symbols=config.watchlist.symbols)
    return GuardedLiveBroker(exchange, guard_limits(config), confirm, now_ms=clock)


def kill_switch_broker(
    config: AppConfig, options: RunOptions, environ: Mapping[str, str] | None = None
) -> ClosableBroker:
    """The account `cryptoterm kill-switch` empties. Live, its orders need no confirmation each: the command
    asked once for the whole."""
    if config.trading.mode == "live":
        from cryptoterm.services.live_broker import already_confirmed

        return build_live_broker(config, confirm=already_confirmed, environ=environ)
    raise StartupError(
        '[trading] mode = "paper": the paper account lives in the running app; use its kill switch there'
    )


def live_account_name(exchange: str) -> str:
    return f"live:{exchange}"


def check_live_start(config: AppConfig, environ: Mapping[str, str] | None = None) -> None:
    """At start, before anything opens: with `[trading] mode = "live"`, everything live trading needs is in place
    (`StartupError` otherwise)."""
    if config.trading.mode == "live":
        check_live_config(config)
        live_credentials(config, environ)


def build_live_engine_broker(
    config: AppConfig, store: SqliteStore, engine: Engine, environ: Mapping[str, str] | None = None
) -> LiveEngineBroker:
    """The live account the engine runs on the live market; orders wait for the TUI's dialog (`set_confirm`)."""
    from cryptoterm.adapters.store.trading_repo import TradingRepo
    from cryptoterm.services.live_engine_broker import LiveEngineBroker, no_dialog

    live = build_live_broker(config, confirm=no_dialog, environ=environ, now_ms=engine.now_ms)
    return LiveEngineBroker(
        live,
        TradingRepo(store),
        live_account_name(config.exchange.id),
        quote=config.trading.quote,
        now_ms=engine.now_ms,
    )

"""`cryptoterm kill-switch` on a live account at the loopback exchange: asked once (or `--yes`), then every
order cancelled and every position flattened, reported as text or one JSON object — and the keys, read from
the environment, never printed or logged."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from cryptoterm.cli import main
from tests.adapters.conftest import API_KEY, API_SECRET
from tests.loopback.binance_spot_api import LoopbackSpotExchange
from tests.loopback.threaded import ServerThread


@pytest.fixture
def exchange(shared_data: Path) -> Iterator[LoopbackSpotExchange]:
    with ServerThread(LoopbackSpotExchange(shared_data, {API_KEY: API_SECRET})) as ex:
        ex.account.deposit("USDT", "1000")
        ex.account.deposit("BTC", "0.01")
        resting = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
        ex.account.place(resting | {"quantity": "0.01000", "price": "60000.00", "newClientOrderId": "rest-1"})
        yield ex


@pytest.fixture
def config_path(tmp_path: Path, exchange: LoopbackSpotExchange, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CRYPTOTERM_API_KEY", API_KEY)
    monkeypatch.setenv("CRYPTOTERM_API_SECRET", API_SECRET)
    path = tmp_path / "live.toml"
    path.write_text(f'[trading]\nmode = "live"\n[exchange]\nrest_url = "{exchange.url}"\n')
    return str(path)


class Terminal(io.StringIO):
    """Standard input that is a terminal with the trader's answer typed in."""

    def isatty(self) -> bool:
        return True


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert API_KEY not in text and API_SECRET not in text


def test_kill_switch_json_with_yes_empties_the_account(
    exchange: LoopbackSpotExchange,
    config_path: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    code = main(["kill-switch", "--yes", "--json", "--config", config_path])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    assert (report["mode"], report["exchange"], report["ok"], report["failures"]) == ("live", "binance", True, [])
    assert [o["client_id"] for o in report["cancelled"]] == ["rest-1"]
    [flat] = report["flattened"]
    assert (flat["symbol"], flat["side"], flat["qty"], flat["reduce_only"], flat["status"]) == (
        "BTC/USDT",
        "sell",
        0.01,
        True,
        "filled",
    )
    assert report["still_open"] == [] and report["still_held"] == []
    assert exchange.account.open_orders(None) == [] and exchange.account.free("BTC") == 0
    assert_no_secret(out, err, caplog.text)


def test_kill_switch_asks_on_the_terminal_and_a_no_does_nothing(
    exchange: LoopbackSpotExchange, config_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from cryptoterm.cli import build_parser
    from cryptoterm.config import load_config
    from cryptoterm.headless.kill_switch import run
    from cryptoterm.wiring.options import RunOptions

    args = build_parser().parse_args(["kill-switch", "--config", config_path])
    config = load_config(config_path)
    err = io.StringIO()
    assert run(config, args, RunOptions(), stdin=Terminal("no\n"), err=err) == 1
    assert err.getvalue() == (
        "cryptoterm kill-switch: cancel 1 open order and flatten 1 position (BTC/USDT 0.01) on the live account on "
        "binance? Type yes to proceed: cryptoterm kill-switch: not confirmed; nothing was done\n"
    )
    assert len(exchange.account.open_orders(None)) == 1 and exchange.account.free("BTC") == Decimal("0.01")

    out = io.StringIO()
    assert run(config, args, RunOptions(), stdin=Terminal("yes\n"), out=out, err=io.StringIO()) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "cancelled   BTC/USDT buy 0.01 limit @ 60000  (order 1000001)"
    assert lines[1].startswith("flattened   BTC/USDT sell 0.01 market (reduce-only): filled, filled 0.01 at 61837.63")
    assert lines[-1] == "done: no open order, no position"


def test_kill_switch_without_a_terminal_or_yes_refuses(
    exchange: LoopbackSpotExchange, config_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kill-switch", "--config", config_path]) == 2
    _out, err = capsys.readouterr()
    assert err.strip().endswith("no terminal to confirm on: pass --yes")
    assert len(exchange.account.open_orders(None)) == 1


def test_kill_switch_without_keys_names_the_variables(
    config_path: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRYPTOTERM_API_SECRET")
    assert main(["kill-switch", "--yes", "--config", config_path]) == 2
    _out, err = capsys.readouterr()
    assert err == (
        "cryptoterm kill-switch: live trading needs the exchange API key and secret in the environment: set "
        "$CRYPTOTERM_API_SECRET (the variables [trading] api_key_env and api_secret_env name)\n"
    )


def test_kill_switch_with_a_wrong_secret_is_one_line_without_the_key(
    exchange: LoopbackSpotExchange,
    config_path: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("CRYPTOTERM_API_SECRET", "not-" + API_SECRET)
    assert main(["kill-switch", "--yes", "--config", config_path]) == 1
    out, err = capsys.readouterr()
    assert err == (
        "cryptoterm kill-switch: binance open orders: the exchange refused the request signature: check the API "
        "secret in $CRYPTOTERM_API_SECRET\n"
    )
    assert_no_secret(out, err, caplog.text)
    assert len(exchange.account.open_orders(None)) == 1

"""Every numeric config key has a range, checked at load; errors name the file, the key and the whole range.

Values far outside a sensible range used to get through (a 7 GB demo history, a zero EMA period that crashed
the chart, a negative batch interval that hung the start, NaN equity that sized positions as null); now each
one is one line that names the key and says what is allowed.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from cryptoterm.config import AppConfig, ConfigError, load_config
from cryptoterm.config.ranges import NumericRange, format_bound, numeric_range, range_of_type
from cryptoterm.config.schema import StrategyConfig


def _numeric_keys(info: object, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], object]]:
    """(key path, msgspec type info) of every int / float field in the schema, strategy tables included."""
    found: list[tuple[tuple[str | int, ...], object]] = []
    if isinstance(info, msgspec.inspect.StructType):
        for field in info.fields:
            found.extend(_numeric_keys(field.type, (*path, field.encode_name)))
    elif isinstance(info, msgspec.inspect.ListType) and isinstance(info.item_type, msgspec.inspect.StructType):
        found.extend(_numeric_keys(info.item_type, (*path, 0)))
    elif isinstance(info, msgspec.inspect.IntType | msgspec.inspect.FloatType):
        found.append((path, info))
    return found


NUMERIC_KEYS = _numeric_keys(msgspec.inspect.type_info(AppConfig))


def _toml_for(path: tuple[str | int, ...], value: str) -> str:
    """A config file setting only the key at `path` (a strategy key gets a minimal strategy around it)."""
    if path[0] == "strategy":
        *tables, key = (str(p) for p in path[2:])
        header = f"[strategy.{'.'.join(tables)}]\n" if tables else ""
        return f'[[strategy]]\nname = "s"\n{header}{key} = {value}\n'
    *tables, key = (str(p) for p in path)
    return f"[{'.'.join(tables)}]\n{key} = {value}\n"


def _key_name(path: tuple[str | int, ...]) -> str:
    if path[0] == "strategy":
        return "[[strategy]] #1." + ".".join(str(p) for p in path[2:])
    return f"[{path[0]}]." + ".".join(str(p) for p in path[1:])


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as err:
        load_config(str(_write(tmp_path, text)))
    message = str(err.value)
    assert "\n" not in message
    return message


def test_every_numeric_key_has_a_closed_range() -> None:
    assert len(NUMERIC_KEYS) >= 30
    unbounded = [_key_name(path) for path, info in NUMERIC_KEYS if range_of_type(info) is None]
    assert unbounded == []


def test_every_default_is_inside_its_range() -> None:
    defaults = msgspec.to_builtins(AppConfig(strategy=[StrategyConfig(name="s")]))
    for path, info in NUMERIC_KEYS:
        allowed = range_of_type(info)
        assert allowed is not None
        node = defaults
        for part in path:
            node = node[part]
        assert allowed.low <= node <= allowed.high, _key_name(path)


@pytest.mark.parametrize(("path", "info"), NUMERIC_KEYS, ids=[_key_name(p) for p, _ in NUMERIC_KEYS])
def test_out_of_range_nan_and_inf_are_rejected_naming_the_range(
    tmp_path: Path, path: tuple[str | int, ...], info: object
) -> None:
    allowed = range_of_type(info)
    assert allowed is not None
    below = allowed.low - (1 if allowed.integer else max(abs(allowed.low) * 0.5, 0.01))
    above = allowed.high * 2 + 1
    candidates = [repr(int(below)) if allowed.integer else repr(below), repr(int(above)) if allowed.integer else "1e30"]
    if not allowed.integer:
        candidates += ["nan", "inf", "-inf"]
    for value in candidates:
        message = _error(tmp_path, _toml_for(path, value))
        kind = "an integer" if allowed.integer else "a number"
        assert message.startswith(f"config.toml: {_key_name(path)}: expected {kind} from {allowed.text}, got ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[demo]\nhistory_days = 100000000\n", "[demo].history_days: expected an integer from 1 to 180, got 100000000"),
        ("[ui]\nema_period = 0\n", "[ui].ema_period: expected an integer from 2 to 500, got 0"),
        ("[store]\nbatch_ms = -1\n", "[store].batch_ms: expected an integer from 0 to 10000, got -1"),
        ("[demo]\nsymbols = 999\n", "[demo].symbols: expected an integer from 1 to 20, got 999"),
        ("[scanner]\naccount_equity = nan\n", "[scanner].account_equity: expected a number from 1 to 1e12, got nan"),
        ("[scanner]\nhistory_bars = 1e26\n", "[scanner].history_bars: expected an integer from 10 to 50000, got 1e+26"),
        ("[scanner]\nhistory_bars = -500\n", "[scanner].history_bars: expected an integer from 10 to 50000, got -500"),
        ("[scanner]\nlookback_bars = -1\n", "[scanner].lookback_bars: expected an integer from 0 to 10000, got -1"),
        (
            "[exchange.reliability]\nstall_after_s = 0\n",
            "[exchange].reliability.stall_after_s: expected a number from 1 to 3600, got 0",
        ),
    ],
)
def test_values_from_the_field_are_one_line_naming_file_key_and_range(tmp_path: Path, text: str, message: str) -> None:
    assert _error(tmp_path, text) == f"config.toml: {message}"


def test_a_huge_integer_for_a_float_key_is_a_range_error_shown_shortened(tmp_path: Path) -> None:
    message = _error(tmp_path, "[scanner]\naccount_equity = 1" + "0" * 400 + "\n")
    assert message.startswith("config.toml: [scanner].account_equity: expected a number from 1 to 1e12, got 1000")
    assert "(401 characters)" in message
    assert len(message) < 160


def test_a_wrong_type_on_a_numeric_key_also_states_the_range(tmp_path: Path) -> None:
    message = _error(tmp_path, '[demo]\nsymbols = "many"\n')
    assert message == 'config.toml: [demo].symbols: expected an integer from 1 to 20, got "many"'


def test_ranges_apply_in_included_strategy_files(tmp_path: Path) -> None:
    (tmp_path / "more.toml").write_text('[[strategy]]\nname = "x"\nuniverse = { top = -3 }\n', encoding="utf-8")
    message = _error(tmp_path, '[scanner]\nstrategy_files = ["more.toml"]\n')
    assert message == "more.toml: [[strategy]] #1.universe.top: expected an integer from 0 to 1000, got -3"


def test_in_range_values_load(tmp_path: Path) -> None:
    text = "[demo]\nsymbols = 1\nhistory_days = 180\nspeed = 0\n[store]\nbatch_ms = 0\n[scanner]\nlookback_bars = 0\n"
    config = load_config(str(_write(tmp_path, text)))
    assert (config.demo.symbols, config.demo.history_days, config.store.batch_ms) == (1, 180, 0)


def test_demo_symbols_bound_is_the_simulated_universe() -> None:
    from cryptoterm.adapters.sim.universe import UNIVERSE

    assert numeric_range(["demo", "symbols"]) == NumericRange(1, len(UNIVERSE), integer=True)


def test_bounds_are_written_as_a_person_writes_them() -> None:
    assert [format_bound(v) for v in (0, 0.1, 3600.0, 1e12, 4_294_967_295, 0.01)] == [
        "0",
        "0.1",
        "3600",
        "1e12",
        "4294967295",
        "0.01",
    ]


def test_a_date_for_a_number_is_shown_as_written(tmp_path: Path) -> None:
    message = _error(tmp_path, "[demo]\nhistory_days = 2024-01-01\n")
    assert message == "config.toml: [demo].history_days: expected an integer from 1 to 180, got 2024-01-01"

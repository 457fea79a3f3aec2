"""Find, read and validate the configuration file.

Lookup order: an explicit path (`--config`), `$CRYPTOTERM_CONFIG`, the platform config dir, then built-in
defaults — or, for `--demo`, the shipped example configuration with its strategies. Errors are `ConfigError`s
whose message names the file, the line (for TOML syntax) or the key path (for schema errors) in the user's own
terms:
`config.toml: [scanner].interval_s: expected a number from 0 to 86400, got "ten"`. Numeric keys are checked
against their ranges (`config.ranges`), and values that may be secrets (API keys, notification URLs, any URL) are
never echoed: only their type is named.
"""

from __future__ import annotations

import datetime
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import msgspec
import platformdirs

from cryptoterm.config.ranges import numeric_range
from cryptoterm.config.schema import AppConfig, StrategyConfig

APP_NAME = "cryptoterm"
ENV_VAR = "CRYPTOTERM_CONFIG"

_TYPE_WORDS = {
    "float": "a number",
    "int": "an integer",
    "str": "a string",
    "bool": "true or false",
    "array": "a list",
    "object": "a table",
    "number": "a number",
}
_VALIDATION_RE = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$")
#: msgspec's words for a number outside its bounds: `Expected `int` <= 20`, or `Number out of range` for an
#: integer too large for a float field.
_OUT_OF_RANGE_RE = re.compile(r"^(?:Expected `(?:int|float)` [<>]=? |Number out of range)")
#: Longer values are shortened in messages (a 400-digit number is still recognisable from its ends).
_SHOWN_CHARS = 40
#: Keys whose values are secrets, as (table, key): never echoed in an error, whatever their type.
_SECRET_KEYS = {("exchange", "api_key"), ("exchange", "api_secret"), ("notify", "urls")}


class ConfigError(Exception):
    """A configuration problem, already phrased for the user (file, key path, what was expected)."""


def default_config_path() -> Path:
    """Where the config file lives when none is given: the platform's per-user config dir."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def resolve_config_path(explicit: str | None) -> Path | None:
    """The config file to read, or None for built-in defaults. An explicit or env path must exist."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found (given with --config)")
        return path
    env = os.environ.get(ENV_VAR, "")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found (given in ${ENV_VAR})")
        return path
    path = default_config_path()
    return path if path.is_file() else None


def default_config() -> AppConfig:
    """Built-in defaults: what `cryptoterm` runs with when there is no config file."""
    return AppConfig()


def load_config(explicit: str | None = None, *, demo: bool = False) -> AppConfig:
    """Resolve, read and validate the configuration (see module docstring for the lookup order). With no config
    file anywhere, `demo` runs the shipped example (its strategies and alerts) instead of bare defaults."""
    path = resolve_config_path(explicit)
    if path is None:
        if demo:
            from cryptoterm.config.example import example_path

            return load_config_file(example_path())
        return default_config()
    return load_config_file(path)


def load_config_file(path: Path) -> AppConfig:
    """Read one config file plus the strategy files it includes; every error names its file."""
    raw = _read_toml(path)
    try:
        config = msgspec.convert(raw, AppConfig)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{path.name}: {_describe(exc, raw)}") from None
    strategies = [msgspec.structs.replace(s, source=str(path)) for s in config.strategy]
    for include in config.scanner.strategy_files:
        include_path = (path.parent / include).expanduser()
        strategies.extend(_load_strategy_file(include_path, referenced_from=path))
    _check_unique_names(strategies)
    return msgspec.structs.replace(config, strategy=strategies, source=str(path))


def _load_strategy_file(path: Path, referenced_from: Path) -> list[StrategyConfig]:
    if not path.is_file():
        raise ConfigError(
            f"{referenced_from.name}: [scanner].strategy_files: {str(path)!r} not found",
        )
    raw = _read_toml(path)
    extra = set(raw) - {"strategy"}
    if extra:
        raise ConfigError(f"{path.name}: only [[strategy]] tables belong here, found {sorted(extra)[0]!r}")
    try:
        parsed = msgspec.convert(raw.get("strategy", []), list[StrategyConfig])
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{path.name}: {_describe(exc, {'strategy': raw.get('strategy')}, '$.strategy')}") from None
    return [msgspec.structs.replace(s, source=str(path)) for s in parsed]


def _check_unique_names(strategies: list[StrategyConfig]) -> None:
    seen: dict[str, str] = {}
    for s in strategies:
        if s.name in seen:
            raise ConfigError(
                f"{Path(s.source).name}: strategy {s.name!r} is defined twice (also in {Path(seen[s.name]).name})"
            )
        seen[s.name] = s.source


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: invalid TOML: {exc}") from None


def _describe(exc: msgspec.ValidationError, raw: Any, prefix: str = "") -> str:
    """Turn msgspec's `Expected `float`, got `str` - at `$.a.b`` into `[a].b: expected a number, got "x"`.

    A numeric key always states its whole range (`expected an integer from 1 to 20, got 999`), whichever
    bound was crossed. Values of secret keys and URLs are never echoed: the message says what type was found.
    """
    match = _VALIDATION_RE.match(str(exc))
    what = match.group("what") if match else str(exc)
    json_path = (prefix[1:] if prefix else "") + ((match.group("path") or "") if match else "")
    parts = _split_path(json_path)
    key = _format_key(parts)
    unknown = re.match(r"Object contains unknown field `(?P<f>[^`]+)`", what)
    if unknown:
        field = unknown.group("f")
        return f"{_format_key([*parts, field])}: unknown key (check the spelling; see config.example.toml)"
    missing = re.match(r"Object missing required field `(?P<f>[^`]+)`", what)
    if missing:
        return f"{_format_key([*parts, missing.group('f')])}: required key is missing"
    expected = re.match(r"Expected `(?P<exp>[^`]+)`, got `(?P<got>[^`]+)`", what)
    shown = _show(_lookup(raw, parts), hidden=_is_secret(parts))
    allowed = numeric_range(parts)
    if allowed is not None and (expected or _OUT_OF_RANGE_RE.match(what)):
        return f"{key}: expected {allowed.kind} from {allowed.text}, got {shown}"
    if expected:
        exp = " or ".join(_TYPE_WORDS.get(t.strip(), t.strip()) for t in expected.group("exp").split("|"))
        return f"{key}: expected {exp}, got {shown}"
    if what.startswith("Invalid enum value"):
        return f"{key}: {shown} is not one of the allowed values (see config.example.toml)"
    return f"{key}: {what[0].lower() + what[1:]}"


def _is_secret(parts: list[str | int]) -> bool:
    """Whether the key at `parts` holds a secret (API keys, notification URLs, which carry tokens)."""
    names = tuple(p for p in parts if isinstance(p, str))
    return names[:2] in _SECRET_KEYS


def _split_path(json_path: str) -> list[str | int]:
    parts: list[str | int] = []
    for name, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", json_path):
        parts.append(int(index) if index else name)
    return parts


def _format_key(parts: list[str | int]) -> str:
    """`[scanner].interval_s`, `[[strategy]] #2 .when[1]` — how a user finds the key in their file."""
    if not parts:
        return "(top level)"
    head, *rest = parts
    out = f"[{head}]"
    if rest and isinstance(rest[0], int):
        out = f"[[{head}]] #{rest[0] + 1}"
        rest = rest[1:]
    for part in rest:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _lookup(raw: Any, parts: list[str | int]) -> Any:
    node = raw
    for part in parts:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _show(value: Any, *, hidden: bool = False) -> str:
    """The value as the user wrote it, or only its kind when it may be a secret (a secret key, any URL)."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if hidden or (isinstance(value, str) and "://" in value):
        kind = _TYPE_WORDS.get(type(value).__name__, "a value")
        return f"{kind} (not shown: it may hold a secret)"
    if isinstance(value, str):
        text = f'"{value}"'
    elif isinstance(value, datetime.date | datetime.time):
        text = value.isoformat()  # TOML dates and times, as the user wrote them
    else:
        text = repr(value)
    if len(text) > _SHOWN_CHARS:
        cut = _SHOWN_CHARS // 2
        text = f"{text[:cut]}…{text[-cut // 2 :]} ({len(text)} characters)"
    return text

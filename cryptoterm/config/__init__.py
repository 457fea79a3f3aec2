"""TOML → frozen, strict, typed configuration. Unknown keys and wrong types are errors naming the key path."""

from cryptoterm.config.loader import ConfigError, default_config, load_config, resolve_config_path
from cryptoterm.config.schema import AppConfig

__all__ = ["AppConfig", "ConfigError", "default_config", "load_config", "resolve_config_path"]

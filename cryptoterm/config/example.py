"""The commented example configuration shipped inside the package.

A user who installed cryptoterm from a wheel has no repository and no `config.example.toml` beside it: `cryptoterm
init` writes this file as their starter config, and `--demo` without any config file runs it, so the first run
shows the example strategies scanning the simulated market instead of an empty strategy list.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The file name inside the `cryptoterm.config` package (the repository's `config.example.toml`).
EXAMPLE_NAME = "example.toml"


def example_text() -> str:
    """The example configuration, as shipped."""
    return resources.files("cryptoterm.config").joinpath(EXAMPLE_NAME).read_text(encoding="utf-8")


def example_path() -> Path:
    """The shipped example as a file on disk (packages are installed as directories, never zipped)."""
    return Path(str(resources.files("cryptoterm.config").joinpath(EXAMPLE_NAME)))

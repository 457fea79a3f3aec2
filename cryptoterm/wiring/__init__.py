"""The one place adapters are constructed: live exchange, `--demo` simulated market, `--replay` recordings.

`build_engine` (the TUI and `--headless`) and `build_scan_once` (cron) live in `wiring.build`; both hand their
adapters to the same services. Construction is cheap and validates what it can at once — the database opens,
the replay file exists — raising `StartupError` with a one-line message otherwise; everything slow (generating
the simulated market's history, importing ccxt, backfilling over REST) happens when the engine starts.

The build module (store, pandas) is imported on first use of `build_engine`, so importing
`cryptoterm.wiring.options` or `StartupError` for argument parsing costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cryptoterm.wiring.errors import StartupError

if TYPE_CHECKING:
    from cryptoterm.services.engine import Engine
    from cryptoterm.wiring.build import build_engine

__all__ = ["Engine", "StartupError", "build_engine"]


def __getattr__(name: str) -> Any:
    if name == "build_engine":
        from cryptoterm.wiring import build

        return build.build_engine
    if name == "Engine":
        from cryptoterm.services.engine import Engine

        return Engine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

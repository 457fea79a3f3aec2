"""The one place adapters are constructed: live exchange, `--demo` simulated market, `--replay` recordings.

`build_runtime` is synchronous and cheap (the TUI calls it right after its first frame): it validates what can be
validated at once — the database opens, the replay file exists — and raises `SetupError` with a one-line
message otherwise. Everything slow (generating the simulated market's history, importing ccxt, backfilling over
REST) happens in `Runtime.start()` and later, on the event loop or in threads.

The runtime module (store, pandas) is imported on first use of `Runtime` / `build_runtime`, so importing
`cryptoterm.wiring.options` or `SetupError` for argument parsing costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cryptoterm.wiring.errors import SetupError

if TYPE_CHECKING:
    from cryptoterm.wiring.runtime import Runtime, build_runtime

__all__ = ["Runtime", "SetupError", "build_runtime"]


def __getattr__(name: str) -> Any:
    if name in ("Runtime", "build_runtime"):
        from cryptoterm.wiring import runtime

        return getattr(runtime, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

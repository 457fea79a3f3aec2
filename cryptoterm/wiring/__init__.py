"""The one place adapters are constructed: live exchange, `--demo` simulated market, `--replay` recordings.

`build_runtime` is synchronous and cheap (the TUI calls it before its first frame): it validates what can be
validated at once — the database opens, the replay file exists — and raises `SetupError` with a one-line
message otherwise. Everything slow (generating the simulated market's history, importing ccxt, backfilling over
REST) happens in `Runtime.start()` and later, on the event loop or in threads.
"""

from __future__ import annotations

from cryptoterm.wiring.runtime import Runtime, SetupError, build_runtime

__all__ = ["Runtime", "SetupError", "build_runtime"]

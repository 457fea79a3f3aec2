"""API credentials for the live exchange account, shaped so they cannot leak by accident.

They are read from the environment by wiring (never from the config file) and handed to the live adapter only.
The repr names the environment variables, never the values, so a log line, a traceback's locals or a debugger
shows where the keys came from and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, repr=False)
class ApiCredentials:
    """An API key and secret, and the environment variables they were read from."""

    key: str = field(compare=False)
    secret: str = field(compare=False)
    key_env: str
    secret_env: str

    def __repr__(self) -> str:
        return f"ApiCredentials(key=${self.key_env}, secret=${self.secret_env})"

    __str__ = __repr__

    @property
    def secrets(self) -> tuple[str, str]:
        """What every error text and log line must be cleaned of."""
        return (self.key, self.secret)

"""The one error wiring raises, in a module light enough for the CLI to import before anything heavy."""

from __future__ import annotations


class SetupError(Exception):
    """The runtime cannot be built as configured; the message is one line for the user."""

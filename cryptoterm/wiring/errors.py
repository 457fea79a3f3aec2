"""The one error wiring raises, in a module light enough for the CLI to import before anything heavy."""

from __future__ import annotations


class StartupError(Exception):
    """The product cannot be built as configured (a database that will not open, a missing replay file, an
    unusable notification URL); the message is one line for the user."""

"""The store's one exception type, so callers catch storage problems without knowing about sqlite3."""

from __future__ import annotations


class StoreError(Exception):
    """A storage problem phrased for the user; the message names the database file."""

"""Shared fixtures. Real Binance data lives in ../shared/data beside the project; tests that need it skip
with a clear reason when it is absent (it is never copied into the project)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("CRYPTOTERM_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data (real Binance klines, trades, websocket and REST recordings)."""
    if not (SHARED_DATA / "SOURCES.md").is_file():
        pytest.skip(f"real market data not found at {SHARED_DATA} (../shared/data beside the project)")
    return SHARED_DATA

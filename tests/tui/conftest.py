"""Fixtures for the TUI tests: the real app over the deterministic fake feed."""

from __future__ import annotations

import pytest

from cryptoterm.config.schema import AppConfig
from cryptoterm.tui.app import CryptotermApp
from cryptoterm.wiring.options import RunOptions
from tests.tui.fakes import FakeFeed, FakeRuntime, fake_builder


def make_app(config: AppConfig | None = None, mode: str = "demo") -> CryptotermApp:
    return CryptotermApp(config or AppConfig(), RunOptions(mode=mode), build_runtime=fake_builder())  # type: ignore[arg-type]


def fake_feed(app: CryptotermApp) -> FakeFeed:
    runtime = app.session.runtime
    assert isinstance(runtime, FakeRuntime)
    return runtime.feed


@pytest.fixture
def app() -> CryptotermApp:
    return make_app()

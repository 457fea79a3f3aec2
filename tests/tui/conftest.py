"""Fixtures for the TUI tests: the real app over the deterministic fake feed."""

from __future__ import annotations

import pytest

from cryptoterm.config.schema import AppConfig
from cryptoterm.ports.ui_state import UiStateStore
from cryptoterm.tui.app import CryptotermApp
from cryptoterm.wiring.options import RunOptions
from tests.tui.fakes import FakeFeed, FakeRuntime, fake_builder


def make_app(
    config: AppConfig | None = None, mode: str = "demo", ui_state: UiStateStore | None = None
) -> CryptotermApp:
    return CryptotermApp(
        config or AppConfig(),
        RunOptions(mode=mode),  # type: ignore[arg-type]
        build_engine=fake_builder(),
        ui_state=ui_state,
    )


def fake_feed(app: CryptotermApp) -> FakeFeed:
    runtime = app.session.runtime
    assert isinstance(runtime, FakeRuntime)
    return runtime.feed


@pytest.fixture
def app() -> CryptotermApp:
    return make_app()

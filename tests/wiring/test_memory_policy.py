"""The long-running faces fix glibc's allocator thresholds (see `wiring.memory_policy`)."""

from __future__ import annotations

import platform

import pytest

from cryptoterm.wiring.memory_policy import keep_memory_flat


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_glibc_takes_the_fixed_thresholds() -> None:
    assert keep_memory_flat() is True
    assert keep_memory_flat() is True  # applying twice is harmless


def test_elsewhere_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform, "system", lambda: "Darwin")
    assert keep_memory_flat() is False

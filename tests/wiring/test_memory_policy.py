"""The long-running faces fix glibc's allocator thresholds (see `wiring.memory_policy`)."""

from __future__ import annotations

import platform
import threading

import pytest

from cryptoterm.wiring.memory_policy import keep_memory_flat, trimming


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_glibc_takes_the_fixed_thresholds() -> None:
    assert keep_memory_flat() is True
    assert keep_memory_flat() is True  # applying twice is harmless
    assert trimming()
    names = [t.name for t in threading.enumerate()]
    assert names.count("memory-trim") == 1  # one trimming thread, however often it is applied


def test_elsewhere_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform, "system", lambda: "Darwin")
    assert keep_memory_flat() is False

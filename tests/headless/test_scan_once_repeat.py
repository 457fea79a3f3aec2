"""A cron user's `--scan-once --offline` run twice on unchanged real data opens nothing the second time.

The lookback review walks the last `lookback_bars` closed bars; a setup stored by an earlier run occupies its
bars from its signal bar until it closed (or for good while it is open), whichever run opened it, so a signal
inside those bars never opens a second, overlapping setup (and a second notification).
"""

from __future__ import annotations

import io
import itertools
from collections import defaultdict
from pathlib import Path

import msgspec
import pytest

from cryptoterm.adapters.clock import FrozenClock
from cryptoterm.adapters.store.setups_repo import SetupsRepo
from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.config.loader import load_config_file
from cryptoterm.config.schema import NotifyConfig
from cryptoterm.domain.strategy import resample_ohlcv
from cryptoterm.headless.scan_once import run
from cryptoterm.wiring.options import RunOptions
from tests.conftest import PROJECT_ROOT
from tests.services.test_scanner_data import EXCHANGE, candles_of, read_klines

BARS_1H = 2400  # 100 days: the daily EMA(50) and the regime's 4h percentile are warmed up


def _all_bases(shared_data: Path) -> list[str]:
    return sorted(p.name.split("USDT-")[0] for p in (shared_data / "klines" / "1h").glob("*USDT-1h.csv.gz"))


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("repeat") / "scan.db"
    end = 0
    with SqliteStore(path, batch_ms=0) as store:
        for base in _all_bases(shared_data):
            hourly = read_klines(shared_data, base).tail(BARS_1H)
            symbol = f"{base}/USDT"
            store.write_candles(EXCHANGE, symbol, "1h", candles_of(hourly))
            for higher in ("4h", "1d"):
                store.write_candles(EXCHANGE, symbol, higher, candles_of(resample_ohlcv(hourly, higher)))
            end = max(end, int(hourly.index[-1]) + 3_600_000)
    return path, end


def _overlaps(path: Path) -> list[str]:
    """Pairs of setups of one strategy + symbol + direction whose bars overlap. A setup holds its bars from its
    signal bar up to (not including) the bar it closed on, or for good while open: live, the bar that closes one
    setup may signal the next."""
    with SqliteStore(path, batch_ms=0) as store:
        setups = SetupsRepo(store).recent_setups(limit=100_000)
    by_key = defaultdict(list)
    for setup in setups:
        by_key[setup.key].append(setup)
    found = []
    for key, group in by_key.items():
        group.sort(key=lambda s: s.bar_time)
        for earlier, later in itertools.pairwise(group):
            earlier_end = float("inf") if earlier.is_open else (earlier.last_bar or earlier.bar_time)
            if later.bar_time < earlier_end:
                found.append(f"{key}: {earlier.bar_time}..{earlier_end} and {later.bar_time}")
    return found


def test_a_second_offline_scan_on_unchanged_real_data_opens_nothing(real_db: tuple[Path, int]) -> None:
    path, end = real_db
    example = load_config_file(PROJECT_ROOT / "config.example.toml")
    (chosen,) = [s for s in example.strategy if s.name == "macd-cross-trend"]
    scanner = msgspec.structs.replace(example.scanner, lookback_bars=48)
    config = msgspec.structs.replace(example, strategy=[chosen], scanner=scanner, notify=NotifyConfig())
    options = RunOptions(db_path=str(path), offline=True, json=True)
    clock = FrozenClock(end + 60_000)

    first_out, err = io.StringIO(), io.StringIO()
    assert run(config, options, out=first_out, err=err, clock=clock) in (0, 1), err.getvalue()
    opened_first = first_out.getvalue().splitlines()
    assert len(opened_first) > 10, err.getvalue()  # the real data does fire this strategy in 48 bars

    second_out, err = io.StringIO(), io.StringIO()
    assert run(config, options, out=second_out, err=err, clock=clock) in (0, 1), err.getvalue()
    assert second_out.getvalue().splitlines() == []
    assert _overlaps(path) == []

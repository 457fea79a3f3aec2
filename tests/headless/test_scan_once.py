"""`--scan-once`: exit codes, JSON output, lock contention, offline mode on real candles, no duplicates."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from cryptoterm.adapters.clock import FrozenClock
from cryptoterm.adapters.store.setups_repo import SetupsRepo
from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.config.schema import (
    AppConfig,
    DemoConfig,
    ExchangeConfig,
    LevelsConfig,
    NotifyConfig,
    ReliabilityConfig,
    ScannerConfig,
    StrategyConfig,
    UniverseConfig,
)
from cryptoterm.headless.lock import LockBusy, ScanLock, lock_path_for
from cryptoterm.headless.scan_once import run
from cryptoterm.wiring.options import RunOptions
from tests.conftest import PROJECT_ROOT
from tests.loopback.notify_receiver import NotifyReceiver
from tests.services.test_scanner_data import seed
from tests.waiting import GUARD_S

BASES = ["BTC", "ETH", "SOL"]


@pytest.fixture
def db(tmp_path: Path, shared_data: Path) -> Path:
    path = tmp_path / "scan.db"
    with SqliteStore(path, batch_ms=0) as store:
        seed(store, shared_data, BASES, bars=400)
    return path


def strategy(name: str = "breakout", symbols: list[str] | None = None, **kw: object) -> StrategyConfig:
    args: dict[str, object] = {
        "name": name,
        "timeframe": "1h",
        "when": ["close > 0"],
        "levels": LevelsConfig(entry="close", stop="close - 2 * atr(14)", targets=["1.5R", "3R"]),
        "universe": UniverseConfig(symbols=symbols or [f"{b}/USDT" for b in BASES]),
        **kw,
    }
    return StrategyConfig(**args)  # type: ignore[arg-type]


def scan(config: AppConfig, db: Path, clock: FrozenClock | None = None, **kw: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    options = RunOptions(db_path=str(db), **{"offline": True, **kw})  # type: ignore[arg-type]
    code = run(config, options, out=out, err=err, clock=clock)
    return code, out.getvalue(), err.getvalue()


def test_offline_scan_prints_json_and_records_setups(db: Path) -> None:
    config = AppConfig(strategy=[strategy()])
    code, out, err = scan(config, db, json=True)
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["symbol"] for r in rows] == ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    first = rows[0]
    assert set(first) == {
        "id", "strategy", "symbol", "timeframe", "direction", "entry", "stop", "targets", "rr", "size", "risk",
        "state", "bar_time", "bar_time_ms", "stale",
    }  # fmt: skip
    assert first["strategy"] == "breakout" and first["direction"] == "long" and first["state"] == "new"
    assert first["bar_time"] == "2023-06-30T23:00:00Z" and first["bar_time_ms"] == 1_688_166_000_000
    assert len(first["targets"]) == 2 and first["rr"] == pytest.approx(1.5)
    assert first["stop"] < first["entry"] < first["targets"][0] < first["targets"][1]
    assert "3 new setups" in err and "0 errors" in err
    # 2023 candles scanned by today's clock: every setup comes from old data, and the run says so.
    assert all(r["stale"] for r in rows)
    assert "stale: BTC/USDT 1h: newest bar 2023-06-30 23:00 UTC" in err
    with SqliteStore(db, batch_ms=0) as store:
        repo = SetupsRepo(store)
        assert len(repo.open_setups()) == 3
        (run_row,) = repo.scan_runs()
        assert run_row.origin == "scan-once" and run_row.new_setups == 3
        assert any(n.startswith("BTC/USDT 1h stale:") for n in run_row.notes)


def test_second_scan_does_not_duplicate_open_setups(db: Path) -> None:
    config = AppConfig(strategy=[strategy()])
    assert scan(config, db, json=True)[0] == 0
    code, out, err = scan(config, db, json=True)
    assert code == 0
    assert out == ""
    assert "0 new setups, 3 already open" in err
    with SqliteStore(db, batch_ms=0) as store:
        assert len(SetupsRepo(store).open_setups()) == 3


def test_plain_table_output(db: Path) -> None:
    code, out, _err = scan(AppConfig(strategy=[strategy()]), db)
    assert code == 0
    lines = out.splitlines()
    header = ["STRATEGY", "SYMBOL", "DIR", "ENTRY", "STOP", "TARGETS", "R:R", "STATE", "BAR", "(UTC)", "DATA"]
    assert lines[0].split() == header
    assert lines[1].startswith("breakout  BTC/USDT  long")
    assert lines[1].endswith("new    2023-06-30 23:00  STALE")
    assert len(lines) == 4


def test_broken_symbol_exits_1_but_scans_the_rest(db: Path) -> None:
    config = AppConfig(strategy=[strategy(symbols=["BTC/USDT", "NOPE/USDT"])])
    code, out, err = scan(config, db, json=True)
    assert code == 1
    assert [json.loads(line)["symbol"] for line in out.splitlines()] == ["BTC/USDT"]
    assert "error: breakout NOPE/USDT: LookupError: no 1h candles stored for NOPE/USDT" in err


def test_unknown_strategy_name_exits_2_and_lists_valid_ones(db: Path) -> None:
    config = AppConfig(strategy=[strategy("a"), strategy("b")])
    code, out, err = scan(config, db, strategies=("a", "zzz"))
    assert code == 2 and out == ""
    assert "unknown strategy 'zzz'; valid names: a, b" in err


def test_selected_strategy_runs_alone(db: Path) -> None:
    config = AppConfig(strategy=[strategy("a"), strategy("b", enabled=False)])
    code, out, _ = scan(config, db, json=True, strategies=("b",))
    assert code == 0
    assert {json.loads(line)["strategy"] for line in out.splitlines()} == {"b"}


@pytest.mark.parametrize(
    ("strategies", "message"),
    [
        ([strategy(when=["rsi(14 < 30"])], "breakout"),
        ([], "no enabled strategies"),
        ([strategy(enabled=False)], "no enabled strategies"),
    ],
)
def test_bad_config_exits_2(db: Path, strategies: list[StrategyConfig], message: str) -> None:
    code, out, err = scan(AppConfig(strategy=strategies), db)
    assert code == 2 and out == ""
    assert message in err and err.startswith("cryptoterm --scan-once: ")


def test_a_strategy_that_does_not_compile_is_reported_once(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    code, _out, err = scan(AppConfig(strategy=[strategy(when=["rsi(14) <"])]), db)
    assert code == 2
    assert err.count("syntax error") == 1
    assert not [r for r in caplog.records if "does not compile" in r.getMessage()]


def test_bad_notification_url_exits_2_without_leaking_it(db: Path) -> None:
    config = AppConfig(strategy=[strategy()], notify=NotifyConfig(urls=["nosuch://TOKEN123abc@x.io/p"]))
    code, _out, err = scan(config, db)
    assert code == 2
    assert "TOKEN123abc" not in err and "[notify].urls[1]" in err


def test_lock_contention_exits_1(db: Path) -> None:
    with ScanLock(lock_path_for(db)):
        code, out, err = scan(AppConfig(strategy=[strategy()]), db)
    assert code == 1 and out == ""
    assert f"another scan is running (lock {db}.scan.lock is held by pid {os.getpid()}); exiting" in err
    assert scan(AppConfig(strategy=[strategy()]), db)[0] == 0  # released: the next run proceeds


def test_lock_held_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "x.db.scan.lock"
    code = (
        "import sys\nfrom cryptoterm.headless.lock import ScanLock\n"
        f"with ScanLock({str(path)!r}):\n    print('held', flush=True)\n    sys.stdin.readline()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockBusy, match=f"held by pid {holder.pid}"):
            ScanLock(path).acquire()
        with pytest.raises(LockBusy):
            ScanLock(path, wait_s=0.2).acquire()
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=GUARD_S)
    lock = ScanLock(path, wait_s=5)
    lock.acquire()
    assert lock.held
    lock.release()
    assert not lock.held


def test_notifications_are_delivered_and_recorded(db: Path) -> None:
    loop = asyncio.new_event_loop()
    receiver = NotifyReceiver()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(receiver.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(GUARD_S)  # a hang guard only
    try:
        url = receiver.json_url("/hook/SECRETtoken42") + "#new"
        config = AppConfig(strategy=[strategy(symbols=["BTC/USDT", "NOPE/USDT"])], notify=NotifyConfig(urls=[url]))
        code, _out, err = scan(config, db)
    finally:
        asyncio.run_coroutine_threadsafe(receiver.stop(), loop).result(GUARD_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(GUARD_S)
    assert code == 1
    # Subscribed to "new" only: the error message was not sent to this URL.
    assert [b["title"] for b in receiver.bodies("/hook/SECRETtoken42")] == ["▲ LONG BTC/USDT — breakout"]
    assert "SECRETtoken42" not in err
    with SqliteStore(db, batch_ms=0) as store:
        (attempt,) = SetupsRepo(store).notifications()
    assert (attempt.event, attempt.delivered, attempt.attempts) == ("new", True, 1)


def test_scan_once_never_imports_textual(db: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        textwrap.dedent(
            """
            [[strategy]]
            name = "breakout"
            timeframe = "1h"
            when = ["close > 0"]
            universe = { symbols = ["BTC/USDT"] }
            """
        )
    )
    script = (
        "import sys\nfrom cryptoterm.config import load_config\nfrom cryptoterm.headless.scan_once import run\n"
        "from cryptoterm.wiring.options import RunOptions\n"
        f"options = RunOptions(db_path={str(db)!r}, offline=True, json=True)\n"
        f"code = run(load_config({str(config)!r}), options)\n"
        "print('TEXTUAL', any(m == 'textual' or m.startswith('textual.') for m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "CRYPTOTERM_CONFIG"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert json.loads(lines[0])["symbol"] == "BTC/USDT"
    assert lines[-1] == "TEXTUAL False"


def test_demo_mode_scans_the_simulated_market(tmp_path: Path) -> None:
    config = AppConfig(
        demo=DemoConfig(history_days=12, symbols=3),
        scanner=ScannerConfig(history_bars=150),
        strategy=[StrategyConfig(name="d", when=["close > 0"])],
    )
    clock = FrozenClock(1_700_000_000_000)  # 2023-11-14 22:13 UTC
    code, out, err = scan(config, tmp_path / "demo.db", clock=clock, mode="demo", offline=False, json=True)
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 3
    assert {r["bar_time_ms"] for r in rows} == {1_699_995_600_000}  # 21:00, the last closed 1h bar
    with SqliteStore(tmp_path / "demo.db", batch_ms=0) as store:
        assert store.count_candles("sim", rows[0]["symbol"], "1h") >= 150
        assert store.count_candles("binance") == 0


class _ServerThread:
    """Runs an async loopback server on its own loop in a thread, for code that calls asyncio.run itself."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> Any:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(60)
        return self.server

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


def test_live_mode_backfills_from_the_exchange_then_scans(tmp_path: Path, shared_data: Path) -> None:
    from tests.loopback.http_server import LoopbackBinance

    with _ServerThread(LoopbackBinance(shared_data)) as server:
        config = AppConfig(
            exchange=ExchangeConfig(rest_url=server.url, reliability=ReliabilityConfig(backoff_initial_s=0.01)),
            scanner=ScannerConfig(history_bars=120),
            strategy=[strategy(symbols=["BTC/USDT", "ETH/USDT", "NOPE/USDT"])],
        )
        clock = FrozenClock(1_688_169_600_000 + 1_000)  # 2023-07-01 00:00:01 UTC
        code, out, err = scan(config, tmp_path / "live.db", clock=clock, offline=False, json=True)
    assert code == 1  # NOPE/USDT does not exist on the exchange
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["symbol"] for r in rows] == ["BTC/USDT", "ETH/USDT"]
    assert {r["bar_time"] for r in rows} == {"2023-06-30T23:00:00Z"}
    assert "error: update NOPE/USDT: 1h candles:" in err
    with SqliteStore(tmp_path / "live.db", batch_ms=0) as store:
        assert store.count_candles("binance", "BTC/USDT", "1h") >= 120


def test_next_run_advances_open_setups_through_new_bars(tmp_path: Path, shared_data: Path) -> None:
    from cryptoterm.domain.timeframes import HOUR_MS
    from tests.services.test_scanner_data import EXCHANGE, candles_of, read_klines

    cut = 1_672_531_200_000  # 2023-01-01 00:00 UTC
    db = tmp_path / "later.db"
    with SqliteStore(db, batch_ms=0) as store:
        seed(store, shared_data, ["BTC"], bars=400, until_ms=cut)
    config = AppConfig(strategy=[strategy(symbols=["BTC/USDT"], expires="200 bars")])
    code, out, err = scan(config, db, clock=FrozenClock(cut), json=True)
    assert code == 0 and len(out.splitlines()) == 1, err
    later = read_klines(shared_data, "BTC")
    later = later[(later.index >= cut) & (later.index < cut + 72 * HOUR_MS)]
    with SqliteStore(db, batch_ms=0) as store:
        store.write_candles(EXCHANGE, "BTC/USDT", "1h", candles_of(later))
    code, _out, err = scan(config, db, clock=FrozenClock(cut + 72 * HOUR_MS), json=True)
    assert code == 0
    assert "setup: breakout BTC/USDT long: new → triggered" in err  # the first later bar crosses the close
    with SqliteStore(db, batch_ms=0) as store:
        repo = SetupsRepo(store)
        first = repo.get_setup(1)
        assert first is not None and first.state != "new"
        assert first.last_bar == cut + 71 * HOUR_MS or first.state in ("closed_target", "closed_stop")
        assert [e.to_state for e in repo.setup_events(1)][:2] == ["new", "triggered"]
        # Still open: no second setup; closed: the run opened a fresh one.
        assert len(repo.open_setups()) == 1
    # A third run with no new bars changes nothing.
    code, out, err = scan(config, db, clock=FrozenClock(cut + 72 * HOUR_MS), json=True)
    assert code == 0 and "setup:" not in err and out == ""

"""`cryptoterm positions | orders | journal` over a database the paper broker wrote: tables and JSON, marks
from the stored 1m closes, and bad input as one line with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cryptoterm.adapters.store import SqliteStore
from cryptoterm.adapters.store.setups_repo import SetupsRepo
from cryptoterm.adapters.store.trading_repo import TradingRepo
from cryptoterm.cli import main
from cryptoterm.domain.market import Candle
from cryptoterm.domain.setups import Setup
from cryptoterm.domain.trading.guards import GuardLimits
from cryptoterm.domain.trading.matching import MarketView
from cryptoterm.domain.trading.orders import OrderRequest
from cryptoterm.domain.trading.paper_account import PaperTerms
from cryptoterm.services.paper_broker import PaperBroker, PaperSettings

T0 = 1_723_161_600_000
ACCOUNT = "paper:binance"  # the default config's exchange


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    path = tmp_path / "t.db"
    store = SqliteStore(path, batch_ms=0)
    setup = SetupsRepo(store).insert_setup(
        Setup(
            strategy="ema-cross",
            symbol="ETH/USDT",
            timeframe="1h",
            direction="long",
            entry=2_500.0,
            stop=2_400.0,
            targets=(2_700.0,),
            size=0.2,
            risk=20.0,
            bar_time=T0,
            created_ms=T0,
            expires_ms=T0 + 10**7,
            zone_low=2_450.0,
            zone_high=2_550.0,
        )
    )
    assert setup is not None
    broker = PaperBroker(
        PaperSettings(ACCOUNT, PaperTerms("USDT", 0.0, 0.0, 0.0), GuardLimits(1e9, 1e9, 1e9), 10_000.0),
        TradingRepo(store),
        lambda: T0,
        lambda _s: MarketView(last=2_500.0),
        watched=lambda: ["ETH/USDT"],
    )
    await broker.start()
    await broker.place(OrderRequest("take-7", "ETH/USDT", "buy", "market", 0.2, setup_id=setup.id))
    await broker.place(OrderRequest("tp", "ETH/USDT", "sell", "limit", 0.2, price=2_700.0))
    await broker.close()
    store.write_candles("binance", "ETH/USDT", "1m", [Candle(T0 + 60_000, 2_500, 2_560, 2_490, 2_550.0, 10.0)])
    store.close()
    return path


async def test_positions_are_marked_at_the_stored_close(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "positions", "--json", "--db", str(db))
    assert code == 0
    summary = json.loads(out)
    (position,) = summary["positions"]
    assert (position["symbol"], position["side"], position["qty"], position["avg_price"]) == (
        "ETH/USDT",
        "long",
        0.2,
        2_500.0,
    )
    assert position["mark"] == 2_550.0 and position["unrealized_pnl"] == pytest.approx(10.0)
    assert summary["cash"] == pytest.approx(9_500.0) and summary["equity"] == pytest.approx(10_010.0)
    code, out, _ = cli(capsys, "positions", "--db", str(db))
    assert code == 0 and "ETH/USDT" in out and "10.00" in out and "equity 10,010.00 USDT" in out


async def test_orders_open_and_all(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "orders", "--json", "--db", str(db))
    (only,) = [json.loads(line) for line in out.splitlines()]
    assert (only["client_id"], only["status"], only["price"]) == ("tp", "open", 2_700.0)
    code, out, _ = cli(capsys, "orders", "--all", "--json", "--db", str(db))
    assert [json.loads(line)["client_id"] for line in out.splitlines()] == ["tp", "take-7"]
    code, out, _ = cli(capsys, "orders", "--all", "--db", str(db))
    assert code == 0 and "filled" in out and "2700" in out
    code, _, err = cli(capsys, "orders", "--limit", "0", "--db", str(db))
    assert code == 2 and err.strip() == "cryptoterm orders: --limit must be at least 1, got 0"


async def test_journal_add_from_a_position_list_and_stats(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "positions", "--json", "--db", str(db))
    key = json.loads(out)["positions"][0]["key"]
    code, out, err = cli(capsys, "journal", "add", "--position", key, "--notes", "held into the close",
                         "--tags", "trend, #swing", "--json", "--db", str(db))  # fmt: skip
    assert code == 0, err
    entry = json.loads(out)
    assert (entry["strategy"], entry["outcome"], entry["tags"], entry["setup_id"]) == (
        "ema-cross",
        "open",
        ["trend", "swing"],
        1,
    )
    assert entry["risk"] == pytest.approx(20.0) and entry["r_multiple"] == pytest.approx(0.5)
    code, out, _ = cli(capsys, "journal", "add", "--symbol", "btc/usdt", "--strategy", "ema-cross", "--pnl", "-30",
                       "--risk", "20", "--db", str(db))  # fmt: skip
    assert code == 0 and out.strip() == "journal entry 2: BTC/USDT loss, -1.50 R"
    code, out, _ = cli(capsys, "journal", "list", "--tag", "swing", "--json", "--db", str(db))
    assert [json.loads(line)["id"] for line in out.splitlines()] == [1]
    code, out, _ = cli(capsys, "journal", "stats", "--json", "--db", str(db))
    (stats,) = [json.loads(line) for line in out.splitlines()]
    assert (stats["key"], stats["entries"], stats["decided"], stats["win_rate"], stats["expectancy_r"]) == (
        "ema-cross", 2, 1, 0.0, -1.5,
    )  # fmt: skip
    assert stats["r_distribution"]["-2R..-1R"] == 1
    code, out, _ = cli(capsys, "journal", "stats", "--by", "tag", "--db", str(db))
    assert code == 0 and "swing" in out and "(untagged)" in out


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (("journal", "add", "--setup", "999"), "cryptoterm journal add: no setup 999"),
        (("journal", "add", "--symbol", "X/USDT", "--tags", "ok !bad"), "cryptoterm journal add: tag '!bad': use 1-32"),
        (("journal", "add"), "cryptoterm journal add: an entry by hand needs --symbol"),
        (("journal", "add", "--symbol", "X/USDT", "--risk", "-5"), "cryptoterm journal add: risk must be positive"),
        (("journal", "add", "--position", "NOPE|x|1"), "cryptoterm journal add: no position NOPE|x|1 in paper:binance"),
    ],
)
async def test_bad_journal_input_is_one_line_and_exit_2(
    db: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], line: str
) -> None:
    code, out, err = cli(capsys, *argv, "--db", str(db))
    assert code == 2 and out == ""
    assert err.startswith(line) and err.count("\n") == 1


async def test_unknown_outcome_is_a_usage_error(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["journal", "add", "--symbol", "X/USDT", "--outcome", "great", "--db", str(db)])
    assert ended.value.code == 2
    assert "invalid choice: 'great'" in capsys.readouterr().err

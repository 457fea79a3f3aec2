"""Pairs positions on the paper broker: both legs linked by the pair's id, entry and exit by the live z-score,
never one leg alone, state kept across a restart; and a real pair screened on real 1h klines, traded bar by bar,
against the band rule and the profit worked out here with pandas."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cryptoterm.adapters.store import SqliteStore
from cryptoterm.adapters.store.pair_positions_repo import PairPositionsRepo
from cryptoterm.adapters.store.trading_repo import TradingRepo
from cryptoterm.domain.market import Trade
from cryptoterm.domain.pairs import ScreenParams, SymbolBars, align_closes, screen_universe
from cryptoterm.domain.trading import pair_trade as pt
from cryptoterm.domain.trading.guards import GuardLimits
from cryptoterm.domain.trading.matching import MarketView
from cryptoterm.domain.trading.paper_account import PaperTerms
from cryptoterm.services.pairs_trader import PairsTrader
from cryptoterm.services.paper_broker import PaperBroker, PaperSettings

T0 = 1_723_161_600_000
FEES = PaperTerms("USDT", 10.0, 10.0, 0.0)
SPEC = pt.PairSpec("pair-1", "A/USDT", "B/USDT", "ols", 1.5, 0.0, 0.0, 0.01, 2.0, 0.5, 4.0, 1_000.0)


class Desk:
    def __init__(self, path: Path, limits: GuardLimits | None = None, cash: float = 100_000.0) -> None:
        self.store = SqliteStore(path, batch_ms=0)
        self.now = T0
        self.prices: dict[str, float] = {}
        limits = limits or GuardLimits(1e9, 1e9, 1e9)
        self.broker = PaperBroker(
            PaperSettings("paper:sim", FEES, limits, cash),
            TradingRepo(self.store),
            lambda: self.now,
            lambda symbol: MarketView(last=self.prices.get(symbol)),
            watched=lambda: ["A/USDT", "B/USDT", "LTC/USDT", "BCH/USDT"],
        )
        self.trader = PairsTrader(
            self.broker, PairPositionsRepo(self.store), "paper:sim", lambda: self.now, self.prices.get
        )
        self.broker.pairs = self.trader
        self._tid = 0

    async def tick(self, ts: int, **prices: float) -> None:
        """One trade per leg at these prices, then wait for the orders the bot placed."""
        self.now = ts
        trades = []
        for name, price in prices.items():
            symbol = f"{name}/USDT"
            self.prices[symbol] = price
            self._tid += 1
            trades.append(Trade(symbol, ts, price, 1.0, "buy", self._tid))
        self.broker.on_trades(trades)
        await self.trader.settle()

    async def close(self) -> None:
        await self.broker.close()
        self.store.close()


def _prices_for(z: float, b: float = 40.0) -> float:
    """The y price at which the spread of SPEC has z-score `z` against x at `b`."""
    return math.exp(SPEC.mean + z * SPEC.std + SPEC.alpha + SPEC.beta * math.log(b))


async def test_entry_and_exit_by_z_score_with_linked_legs(tmp_path: Path) -> None:
    desk = Desk(tmp_path / "p.db")
    await desk.broker.start()
    await desk.trader.add(SPEC)
    await desk.tick(T0 + 1000, A=_prices_for(1.0), B=40.0)
    assert not await desk.broker.positions()
    high = _prices_for(2.6)
    await desk.tick(T0 + 2000, A=high, B=40.0)  # above entry: short the spread (short A, long B)
    legs = {p.symbol: p for p in await desk.broker.positions()}
    assert legs["A/USDT"].qty == pytest.approx(-1_000.0 / high) and legs["A/USDT"].pair_id == "pair-1"
    assert legs["B/USDT"].qty == pytest.approx(1.5 * 1_000.0 / 40.0) and legs["B/USDT"].pair_id == "pair-1"
    view = desk.trader.view("pair-1")
    assert view.status.state == "open" and view.status.direction == -1 and view.status.opened_z == pytest.approx(2.6)
    await desk.tick(T0 + 3000, A=_prices_for(1.2, 41.0), B=41.0)  # inside the bands: hold
    assert desk.trader.view("pair-1").status.state == "open"
    exit_a = _prices_for(0.2, 41.0)
    await desk.tick(T0 + 4000, A=exit_a, B=41.0)  # back inside exit_z
    assert not await desk.broker.positions()
    status = desk.trader.view("pair-1").status
    assert (status.state, status.trades, status.exit_reason) == ("watching", 1, "exit")
    fee = 0.001
    a_qty, b_qty = 1_000.0 / high, 1.5 * 1_000.0 / 40.0
    pnl = a_qty * (high - exit_a) + b_qty * (41.0 - 40.0)
    fees = fee * (a_qty * high + b_qty * 40.0 + a_qty * exit_a + b_qty * 41.0)
    assert desk.broker.account.cash == pytest.approx(100_000.0 + pnl - fees)
    await desk.close()


async def test_a_refused_second_leg_closes_the_first(tmp_path: Path) -> None:
    # the x leg (1.5 × 1,000) is over the per-order limit; the y leg (1,000) is not
    desk = Desk(
        tmp_path / "r.db", GuardLimits(max_order_notional=1_200.0, max_position_notional=1e9, daily_loss_limit=1e9)
    )
    await desk.broker.start()
    await desk.trader.add(SPEC)
    await desk.tick(T0 + 1000, A=_prices_for(3.0), B=40.0)
    assert not await desk.broker.positions()
    fills = await desk.broker.fills()
    assert [(f.symbol, f.side) for f in fills] == [("A/USDT", "sell"), ("A/USDT", "buy")]
    assert desk.trader.view("pair-1").status.state == "watching"
    await desk.tick(T0 + 2000, A=_prices_for(3.0), B=40.0)  # waits a minute before trying again
    assert len(await desk.broker.fills()) == 2
    await desk.close()


async def test_an_open_pair_survives_a_restart_and_exits_after_it(tmp_path: Path) -> None:
    first = Desk(tmp_path / "s.db")
    await first.broker.start()
    await first.trader.add(SPEC)
    await first.tick(T0 + 1000, A=_prices_for(-2.5), B=40.0)  # long the spread
    await first.close()

    second = Desk(tmp_path / "s.db")
    second.now = T0 + 5000
    await second.broker.start()
    (view,) = second.trader.views()
    assert view.status.state == "open" and view.status.direction == 1
    assert {p.symbol for p in await second.broker.positions()} == {"A/USDT", "B/USDT"}
    await second.tick(T0 + 6000, A=_prices_for(0.1), B=40.0)
    assert not await second.broker.positions()
    stopped = await second.trader.stop("pair-1")
    assert stopped.status.state == "closed" and second.trader.views() == []
    second.store.flush()
    assert PairPositionsRepo(second.store).pair_positions("paper:sim") == []
    (closed,) = PairPositionsRepo(second.store).pair_positions("paper:sim", active_only=False)
    assert (closed[1].state, closed[1].trades, closed[1].exit_reason) == ("closed", 1, "stopped")
    await second.close()


def _legs(shared: Path, name: str) -> SymbolBars:
    frame = pd.read_csv(shared / "klines" / "1h" / f"{name}USDT-1h.csv.gz")
    close = frame["close"].to_numpy(np.float64)
    return SymbolBars(f"{name}/USDT", frame["open_time"].to_numpy(np.int64), close, close * frame["volume"].to_numpy())


async def test_a_real_screened_pair_trades_by_the_band_rule(tmp_path: Path, shared_data: Path) -> None:
    aligned = align_closes([_legs(shared_data, "LTC"), _legs(shared_data, "BCH")], min_bars=4_000)
    formation, trading = slice(-4_000, -2_000), slice(-2_000, None)
    screened = type(aligned)(
        aligned.symbols, aligned.open_time[formation], aligned.log_close[formation], aligned.report
    )
    (result,) = screen_universe(screened, ScreenParams())
    spec = pt.spec_from_result(result, pair_id="real", entry_z=1.5, exit_z=0.25, stop_z=3.5, notional=1_000.0)
    assert spec.hedge == "ols" and spec.beta == pytest.approx(result.beta_ols)
    y_col, x_col = aligned.symbols.index(spec.y), aligned.symbols.index(spec.x)
    times = aligned.open_time[trading]
    closes_y = np.exp(aligned.log_close[trading, y_col])
    closes_x = np.exp(aligned.log_close[trading, x_col])

    desk = Desk(tmp_path / "real.db", cash=1_000_000.0)
    await desk.broker.start()
    await desk.trader.add(spec)
    names = {spec.y: spec.y.split("/")[0], spec.x: spec.x.split("/")[0]}
    for t, py, px in zip(times.tolist(), closes_y.tolist(), closes_x.tolist(), strict=True):
        await desk.tick(int(t) + 3_599_000, **{names[spec.y]: py, names[spec.x]: px})

    # the band rule, written out over the same z-scores
    z = (np.log(closes_y) - (spec.alpha + spec.beta * np.log(closes_x)) - spec.mean) / spec.std
    expected, position = [], 0
    for i, zi in enumerate(z):
        if position == 0 and abs(zi) > spec.entry_z:
            position = -1 if zi > 0 else 1
            expected.append((i, "open", position))
        elif position != 0 and (abs(zi) > spec.stop_z or abs(zi) < spec.exit_z):
            expected.append((i, "stop" if abs(zi) > spec.stop_z else "exit", position))
            position = 0
    assert len(expected) >= 4, "the real pair should trade a few times over 2,000 hours"
    fills = pd.DataFrame(
        [(f.time_ms, f.symbol, f.side, f.qty, f.price, f.fee) for f in await desk.broker.fills(None)],
        columns=["time", "symbol", "side", "qty", "price", "fee"],
    )
    bar = {int(t) + 3_599_000: i for i, t in enumerate(times.tolist())}
    traded = sorted({bar[t] for t in fills["time"]})
    assert traded == [i for i, _what, _dir in expected]
    # every action traded both legs, opened sides by the hedge's sign
    assert (fills.groupby("time")["symbol"].nunique() == 2).all()
    # profit: the fills' cash flow plus what is held at the last closes
    sign = np.where(fills["side"] == "buy", 1.0, -1.0)
    held = pd.Series(sign * fills["qty"]).groupby(fills["symbol"]).sum()
    cash_flow = float((-sign * fills["qty"] * fills["price"]).sum() - fills["fee"].sum())
    last = {spec.y: closes_y[-1], spec.x: closes_x[-1]}
    pnl = cash_flow + sum(qty * last[symbol] for symbol, qty in held.items())
    assert desk.broker.account.equity() - 1_000_000.0 == pytest.approx(pnl, abs=1e-6)
    print(f"real pair {spec.label}: beta {spec.beta:.3f}, {len(expected)} actions, profit {pnl:.2f} USDT")
    assert replace(spec, notional=1.0).problem() is None
    await desk.close()

"""The demo's compact 1m history decodes to exactly the bars the model generated, at half the memory."""

from __future__ import annotations

import numpy as np

from cryptoterm.adapters.sim import SimulatedMarket
from cryptoterm.adapters.sim.bars import Bars, FloatArray
from cryptoterm.adapters.sim.history import bars_from_block
from cryptoterm.adapters.sim.model import ModelParams, SymbolTable, initial_state, simulate
from cryptoterm.adapters.sim.packed_bars import PackedBars, tick_dtype
from cryptoterm.adapters.sim.universe import select_universe
from cryptoterm.config.schema import DemoConfig

START = 1_780_000_123_456
FIELDS = ("open_time", "open", "high", "low", "close", "volume", "quote_volume", "trades")


def _generated_bars() -> tuple[Bars, FloatArray, list[int]]:
    specs = select_universe(20)
    table = SymbolTable.build(specs)
    rng = np.random.default_rng(11)
    state = initial_state(table, ModelParams(), 29_000_000, rng)
    block, _ = simulate(table, ModelParams(), state, 3 * 1440, rng, 200.0)
    ticks = np.array([s.tick for s in specs])
    decimals = [s.price_decimals for s in specs]
    offsets = np.log([s.price for s in specs]) - block.level[:, -1]
    return bars_from_block(block, offsets, ticks, decimals, rng), ticks, decimals


def test_packing_then_decoding_gives_back_every_generated_value_bit_for_bit() -> None:
    bars, ticks, decimals = _generated_bars()
    packed = PackedBars.empty(bars.open_time, ticks, decimals, tick_dtype(bars.high, ticks))
    packed.put(0, bars)
    assert packed.price_ticks.dtype == np.int32
    decoded = packed.unpack()
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(decoded, field), getattr(bars, field), err_msg=field)
    one = packed.row(5)
    np.testing.assert_array_equal(one.close, bars.close[5])
    np.testing.assert_array_equal(one.quote_volume, bars.quote_volume[5])
    window = packed.window(100, 250)
    np.testing.assert_array_equal(window.low, bars.low[:, 100:250])
    assert window.open_time.tolist() == bars.open_time[100:250].tolist()


def test_prices_too_large_for_32_bit_ticks_are_stored_in_64() -> None:
    ticks = np.array([0.01])
    assert tick_dtype(np.array([[60_000.0]]), ticks) is np.int32
    assert tick_dtype(np.array([[30_000_000.0]]), ticks) is np.int64


def test_the_demo_history_costs_28_bytes_a_bar_not_56() -> None:
    market = SimulatedMarket(DemoConfig(seed=7, speed=0, history_days=4), START)
    history = market.history
    bars = history.price_ticks.shape[1] * len(history)
    assert history.nbytes <= 28 * bars + history.open_time.nbytes
    # and reads still give floats the rest of the demo uses as before
    last = history.window(len(history) - 1, len(history)).close[:, 0]
    assert last.dtype == np.float64 and np.all(last > 0)

"""The backtest screen's pure parts: the form's order, the figures, the heat map's grid and colours, the
comparison's columns (hand-made values, no app)."""

from __future__ import annotations

import math
from dataclasses import replace

import msgspec
import pytest

from cryptoterm.config.schema import AppConfig, BacktestConfig, StrategyConfig, UniverseConfig
from cryptoterm.domain.backtest.metrics import Metrics
from cryptoterm.domain.backtest.rules import BacktestRules
from cryptoterm.ports.backtests import BacktestRecord
from cryptoterm.services.sweeps import SweepPoint, grid
from cryptoterm.tui.backtest_form_model import Catalog, FormError, FormValues, parse_order, parse_when
from cryptoterm.tui.backtest_view import SweepView, compare_rows, flat_metrics, format_metric, heat_grid, shade
from cryptoterm.tui.widgets.equity_chart import date_ticks
from cryptoterm.tui.widgets.heat_map import SCALE, cell_colour

CROSS = StrategyConfig(
    name="cross",
    universe=UniverseConfig(symbols=["BTC/USDT"]),
    when=["sma({fast}) crosses_above sma({slow})"],
    exit=["sma({fast}) crosses_below sma({slow})"],
    params={"fast": 10, "slow": 50},
)
DAILY = msgspec.structs.replace(CROSS, name="daily", timeframe="1d", universe=UniverseConfig())
CONFIG = msgspec.structs.replace(
    AppConfig(), strategy=[CROSS, DAILY], backtest=BacktestConfig(fill="next_open", sizing="equity_pct")
)
CATALOG = Catalog("sim", {"1h": ("BTC/USDT", "ETH/USDT")}, {"cross": ("BTC/USDT",), "daily": ()})


def metrics(**values: float) -> Metrics:
    base = {name: 0.0 for name in Metrics.__dataclass_fields__}
    base.update(trade_count=0, open_trades=0, max_drawdown_duration_ms=0, by_reason=(), by_symbol=())
    base.update(values)
    return Metrics(**base)  # type: ignore[arg-type]


def test_the_form_makes_an_order_a_sweep_or_says_what_is_wrong() -> None:
    values = FormValues.initial(CONFIG)
    assert values.strategy == "cross" and values.params == {"fast": "10", "slow": "50"}
    assert values.numbers["fee_bps"] == "10" and values.fill == "next_open"
    order = parse_order(CONFIG, values, CATALOG)
    assert order.symbols == ("BTC/USDT",) and not order.sweep and order.points == 1  # the universe
    assert order.rules == BacktestRules(fill="next_open", sizing="equity_pct")
    order = parse_order(
        CONFIG,
        replace(values, symbols="eth/usdt btc/usdt", params={"fast": "5:15:5", "slow": "40"}, since="2023-01-01",
                numbers={**values.numbers, "max_positions": "2"}),
        CATALOG,
    )  # fmt: skip
    assert order.symbols == ("ETH/USDT", "BTC/USDT") and order.sweep == {"fast": [5.0, 10.0, 15.0]}
    assert order.strategy.params == {"fast": 10.0, "slow": 40.0} and order.points == 3
    assert order.since_ms == parse_when("2023-01-01", "since") == 1_672_531_200_000
    assert order.rules.max_positions == 2
    for changes, message in [
        ({"strategy": "nope"}, "strategy: unknown strategy 'nope'; valid names: cross, daily"),
        ({"params": {"fast": "", "slow": "50"}}, "param fast: give a value"),
        ({"params": {"fast": "x", "slow": "50"}}, "param fast: expected a number or a sweep"),
        ({"numbers": {**values.numbers, "max_positions": "1.5"}}, "max positions: expected a whole number"),
        ({"numbers": {**values.numbers, "max_positions": "0"}}, "max positions: Expected `int` >= 1"),
        ({"sizing": "risk"}, 'strategy "cross" has no stop to size by risk'),
        ({"params": {"fast": "1:10001:1", "slow": "50"}}, "sweep: 10,001 points; at most 10,000"),
        ({"rank": "luck"}, "rank: expected one of total_return"),
    ]:
        with pytest.raises(FormError) as caught:
            parse_order(CONFIG, replace(values, **changes), CATALOG)  # type: ignore[arg-type]
        assert str(caught.value).startswith(message), str(caught.value)
    daily = FormValues.initial(CONFIG, "daily")
    with pytest.raises(FormError, match="symbols: the universe of daily has no stored 1d candles on sim"):
        parse_order(CONFIG, daily, CATALOG)
    # a 1d backtest derives its bars from the stored 1h ones: the symbols are known
    assert parse_order(CONFIG, replace(daily, symbols="ETH/USDT"), CATALOG).symbols == ("ETH/USDT",)
    assert CATALOG.known("15m") == ()


def test_figures_are_written_one_way() -> None:
    assert format_metric(0.1234, "pct") == "12.34 %"
    assert format_metric(12.5, "points") == "12.50 %"
    assert format_metric(-1234.5, "money") == "-1,234.50"
    assert format_metric(86_400_000 * 1.5, "days") == "1.5 d"
    assert format_metric(math.inf, "num") == "∞" and format_metric(None, "num") == "–"
    assert format_metric(math.nan, "pct") == "–" and format_metric(12, "count") == "12"


def sweep_of(values: dict[tuple[float, float, float], float], rank: str = "sharpe", other: float = 0.0) -> SweepView:
    spec = {"a": [1.0, 2.0], "b": [10.0, 20.0, 30.0], "c": [0.5, 1.5]}
    points = [
        SweepPoint(p, metrics(**{rank: values.get((p["a"], p["b"], p["c"]), other)}))
        for p in grid(spec)
    ]  # fmt: skip
    points.sort(key=lambda p: getattr(p.metrics, rank), reverse=rank != "max_drawdown")
    return SweepView(CROSS, ("BTC/USDT",), BacktestRules(), None, None, spec, rank, tuple(points))


def test_the_heat_map_is_the_grid_through_the_best_point() -> None:
    sweep = sweep_of({(2.0, 20.0, 1.5): 3.0, (1.0, 10.0, 1.5): 1.0, (1.0, 10.0, 0.5): 2.5})
    assert sweep.axes() == [("b", "a"), ("c", "a"), ("c", "b")]
    heat = heat_grid(sweep, "b", "a")
    assert heat.fixed == {"c": 1.5} and heat.xs == (10.0, 20.0, 30.0) and heat.ys == (1.0, 2.0)
    assert heat.values == ((1.0, 0.0, 0.0), (0.0, 3.0, 0.0))  # c held at the best point's 1.5
    places = shade(heat)
    assert places[1][1] == 1.0 and places[0][0] == pytest.approx(1 / 3) and places[0][1] == 0.0
    one = heat_grid(
        SweepView(
            CROSS,
            (),
            BacktestRules(),
            None,
            None,
            {"a": [1.0, 2.0]},
            "sharpe",
            (SweepPoint({"a": 2.0}, metrics(sharpe=2.0)), SweepPoint({"a": 1.0}, None)),
        ),
        "a",
        None,
    )
    assert one.ys == () and len(one.values) == 1 and math.isnan(one.values[0][0]) and one.values[0][1] == 2.0
    drawdown = heat_grid(sweep_of({(1.0, 10.0, 0.5): 0.1, (1.0, 20.0, 0.5): 0.3}, "max_drawdown", 0.5), "b", "a")
    flipped = shade(drawdown)
    assert flipped[0][0] > flipped[0][1]  # the smaller drawdown is the better (greener) cell
    assert cell_colour(0.0) == SCALE[0][1] and cell_colour(1.0) == SCALE[-1][1] and cell_colour(math.nan) is None
    assert cell_colour(0.5) == SCALE[1][1]


def record(kind: str, metrics_json: dict[str, object], id: int = 1) -> BacktestRecord:
    return BacktestRecord(id, 0, kind, "", "cross", "h", "1h", ["BTC/USDT"], None, None, metrics_json)


def test_stored_runs_of_every_kind_compare_by_their_headline_metrics() -> None:
    single = record("single", {"total_return": 0.1, "sharpe": 1.2})
    walk = record("walk_forward", {"out_of_sample": {"total_return": -0.05}, "windows": []}, 2)
    swept = record("sweep", {"rank": "sharpe", "points": [{"params": {}, "metrics": {"total_return": 0.3}}]}, 3)
    assert flat_metrics(walk) == {"total_return": -0.05} and flat_metrics(swept) == {"total_return": 0.3}
    rows = dict(compare_rows([single, walk, swept], [(1_672_531_200_000, 1_675_209_600_000), None]))
    assert rows["kind"] == ["single", "walk-forward", "sweep"]
    assert rows["range"] == ["2023-01-01 → 2023-02-01", "… → …", "… → …"]
    assert rows["total return"] == ["10.00 %", "-5.00 %", "30.00 %"] and rows["Sharpe"] == ["1.20", "–", "–"]


def test_date_ticks_span_the_range() -> None:
    ticks, labels = date_ticks(1_672_531_200_000, 1_675_209_600_000, 80)
    assert len(ticks) == 5 and labels[0] == "2023-01-04" and ticks == sorted(ticks)
    _, short = date_ticks(1_672_531_200_000, 1_672_531_200_000 + 86_400_000, 60)
    assert short == ["01-01 04:00", "01-01 12:00", "01-01 20:00"]  # 16 columns a label, hours on a short span

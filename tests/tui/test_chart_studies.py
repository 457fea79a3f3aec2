"""Chart studies on the dashboard: the configured ones drawn (lines over the price, RSI / MACD panels), `I`
chooses which are shown for the charted symbol, and that choice survives a restart (the UI-state file)."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from cryptoterm.adapters.ui_state import JsonUiStateFile
from cryptoterm.config import AppConfig
from cryptoterm.config.loader import ConfigError, load_config_file
from cryptoterm.config.schema import ChartConfig
from cryptoterm.tui.screens.dashboard import DashboardScreen
from cryptoterm.tui.screens.study_chooser import StudyChooser
from tests.tui.conftest import make_app
from tests.waiting import eventually

STUDIES = ["ema(21)", "bb(20, 2)", "volume", "rsi(14)", "macd"]


def studies_config() -> AppConfig:
    return msgspec.structs.replace(AppConfig(), chart=ChartConfig(studies=STUDIES))


def dashboard(app) -> DashboardScreen:  # type: ignore[no-untyped-def]
    screen = app.screen
    assert isinstance(screen, DashboardScreen)
    return screen


def panel_labels(screen: DashboardScreen) -> list[str]:
    return [p.label for p in screen.chart.panels]


async def drawn(pilot) -> DashboardScreen:  # type: ignore[no-untyped-def]
    app = pilot.app
    await eventually(lambda: app.session.snapshot is not None and app.session.symbols, "runtime", pause=pilot.pause)
    screen = dashboard(app)
    await eventually(lambda: screen.chart.candles and screen.chart.overlays, "chart drawn", pause=pilot.pause)
    return screen


async def test_configured_studies_are_drawn_over_and_under_the_price() -> None:
    app = make_app(studies_config())
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await drawn(pilot)
        chart = screen.chart
        assert [o.label for o in chart.overlays] == ["EMA 21", "BB 20,2 upper", "BB 20,2 mid", "BB 20,2 lower"]
        assert panel_labels(screen) == ["RSI 14", "MACD 12/26/9"]
        assert chart.volume and chart.shown_panels == 2
        assert "EMA 21 · BB 20,2 · RSI 14 · MACD 12/26/9" in chart.title
        macd = chart.panels[1]
        assert len(macd.bars) == len(macd.lines[0].values) and [o.label for o in macd.lines] == [
            "MACD 12/26/9",
            "signal",
        ]


async def test_the_default_chart_is_the_configured_ema_and_the_volume() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await drawn(pilot)
        assert [o.label for o in screen.chart.overlays] == ["EMA 21"]
        assert screen.chart.panels == () and screen.chart.volume


async def test_studies_chosen_for_a_symbol_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "cryptoterm.ui.json"
    app = make_app(studies_config(), ui_state=JsonUiStateFile(path))
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await drawn(pilot)
        symbol = app.session.selected_symbol
        await pilot.press("I")
        await eventually(lambda: isinstance(app.screen, StudyChooser), "chooser", pause=pilot.pause)
        # Untick bb (second row) and rsi (fourth row), then keep.
        await pilot.press("down", "space", "down", "down", "space", "enter")
        await eventually(lambda: app.screen is screen, "chooser closed", pause=pilot.pause)
        await eventually(lambda: panel_labels(screen) == ["MACD 12/26/9"], "rsi hidden", pause=pilot.pause)
        assert [o.label for o in screen.chart.overlays] == ["EMA 21"]
        assert app.session.ui.chart_studies == {symbol: ["ema(21)", "volume", "macd(12, 26, 9)"]}
        await pilot.press("right_square_bracket")
        await eventually(lambda: app.session.selected_symbol != symbol, "next symbol", pause=pilot.pause)
        await eventually(lambda: len(panel_labels(screen)) == 2, "other symbol: all studies", pause=pilot.pause)
    assert JsonUiStateFile(path).load().chart_studies == {symbol: ["ema(21)", "volume", "macd(12, 26, 9)"]}

    again = make_app(studies_config(), ui_state=JsonUiStateFile(path))
    async with again.run_test(size=(160, 50)) as pilot:
        screen = await drawn(pilot)
        screen.select_symbol(symbol)
        await eventually(lambda: panel_labels(screen) == ["MACD 12/26/9"], "remembered", pause=pilot.pause)
        assert [o.label for o in screen.chart.overlays] == ["EMA 21"]


async def test_escape_leaves_the_studies_as_they_were() -> None:
    app = make_app(studies_config())
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await drawn(pilot)
        await pilot.press("I")
        await eventually(lambda: isinstance(app.screen, StudyChooser), "chooser", pause=pilot.pause)
        await pilot.press("space", "escape")
        await eventually(lambda: app.screen is screen, "chooser closed", pause=pilot.pause)
        assert app.session.ui.chart_studies == {} and len(screen.chart.overlays) == 4


def test_a_bad_study_in_the_config_is_one_line_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[chart]\nstudies = ["ema(21)", "rsi(x)"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config_file(path)
    message = str(caught.value)
    assert message.startswith("bad.toml: [chart]: studies[1]: 'rsi(x)'") and "\n" not in message


def test_the_state_file_round_trips_studies_and_refuses_a_malformed_entry(tmp_path: Path) -> None:
    from cryptoterm.adapters.ui_state import state_from_json, state_to_json
    from cryptoterm.ports.ui_state import UiState

    state = UiState(chart_studies={"BTC/USDT": ["ema(21)", "volume"], "ETH/USDT": []})
    assert state_from_json(state_to_json(state)).chart_studies == state.chart_studies
    with pytest.raises(ValueError, match=r"chart_studies\.BTC/USDT: expected a list of studies"):
        state_from_json({**state_to_json(state), "chart_studies": {"BTC/USDT": "ema(21)"}})


async def test_the_cursor_reads_out_a_bar_and_its_studies_and_escape_hides_it() -> None:
    from cryptoterm.tui.formatting import fmt_price

    app = make_app(studies_config())
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await drawn(pilot)
        chart = screen.chart
        assert chart.cursor is None and not chart.has_class("-cursor")
        await pilot.press("full_stop")
        await eventually(lambda: chart.cursor == 0, "cursor on the newest bar", pause=pilot.pause)
        await pilot.press("comma", "comma", "comma", "full_stop")
        await eventually(lambda: chart.cursor == 2, "two bars back", pause=pilot.pause)
        bar = chart.candles[-3]
        text = chart.readout
        assert f"C {fmt_price(bar.close)}" in text and f"H {fmt_price(bar.high)}" in text
        assert f"EMA 21 {fmt_price(chart.overlays[0].values[-3])}" in text
        assert f"RSI 14 {fmt_price(chart.panels[0].lines[0].values[-3])}" in text and "hist " in text
        assert chart.has_class("-cursor")
        await pilot.press("escape")
        await eventually(lambda: chart.cursor is None, "cursor hidden", pause=pilot.pause)
        assert not chart.has_class("-cursor") and chart.readout == ""


async def test_a_short_chart_gives_its_rows_to_the_price_rather_than_squash_study_panels() -> None:
    app = make_app(studies_config())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await drawn(pilot)
        assert len(screen.chart.panels) == 2
        assert screen.chart.shown_panels == 0 and not screen.chart.has_class("-no-volume")


async def test_a_click_on_the_price_plot_puts_the_cursor_on_the_bar_under_the_pointer() -> None:
    from cryptoterm.tui.widgets.cached_plot import CachedPlot, bar_at_column

    app = make_app(studies_config())
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await drawn(pilot)
        chart = screen.chart
        plot = chart.query_one("#price", CachedPlot)
        await eventually(lambda: plot.frame_columns() is not None, "the price plot drawn", pause=pilot.pause)
        frame = plot.frame_columns()
        assert frame is not None and 0 < frame[0] < frame[1] <= plot.size.width
        row = plot.size.height // 2
        await pilot.click(plot, offset=(frame[1] - 1, row))  # the last column: the newest bar
        await eventually(lambda: chart.cursor == 0, "the newest bar under the pointer", pause=pilot.pause)
        await pilot.pause()
        # the readout line took a row from the plot, which may have redrawn its y labels: read the frame again
        frame = plot.frame_columns()
        assert frame is not None
        # (a column either way: a redraw between reading the frame and the click may move the y labels by one)
        await pilot.click(plot, offset=(frame[0] + 1, row))  # at the left: the oldest bars
        await eventually(
            lambda: chart.cursor is not None and chart.cursor >= len(chart.candles) - 3,
            "an oldest bar",
            pause=pilot.pause,
        )
        middle = (frame[0] + frame[1]) // 2
        await pilot.click(plot, offset=(middle, row))
        bars = len(chart.candles)
        expected = bars - 1 - bar_at_column(middle, frame, bars)
        await eventually(
            lambda: chart.cursor is not None and abs(chart.cursor - expected) <= 2, "the middle bar", pause=pilot.pause
        )
        assert abs(expected - bars / 2) <= bars / 10 + 1 and chart.readout
        before = chart.cursor
        await pilot.click(plot, offset=(0, row))  # on the y axis labels: nothing moves
        await pilot.pause()
        assert chart.cursor == before


def test_columns_map_to_bars_across_the_frame() -> None:
    from cryptoterm.tui.widgets.cached_plot import bar_at_column

    frame = (8, 108)  # 100 columns
    assert [bar_at_column(c, frame, 10) for c in (8, 17, 18, 57, 58, 107)] == [0, 0, 1, 4, 5, 9]
    assert bar_at_column(8, frame, 200) == 1 and bar_at_column(107, frame, 200) == 199  # a column's middle bar


async def test_on_the_demo_the_studies_draw_and_the_cursor_reads_the_live_chart(tmp_path: Path) -> None:
    """The real engine over the simulated market: configured studies drawn with values, the cursor's readout."""
    from cryptoterm.config import default_config
    from cryptoterm.services.engine import Engine
    from cryptoterm.tui.app import CryptotermApp
    from cryptoterm.wiring.options import RunOptions

    config = default_config()
    demo = msgspec.structs.replace(config.demo, symbols=4, history_days=2, speed=0.0)
    config = msgspec.structs.replace(config, demo=demo, strategy=[], chart=ChartConfig(studies=STUDIES))
    app = CryptotermApp(config, RunOptions(mode="demo", db_path=str(tmp_path / "demo.db")))
    async with app.run_test(size=(160, 50)) as pilot:
        await eventually(lambda: isinstance(app.session.runtime, Engine), "the demo engine", pause=pilot.pause)
        screen = dashboard(app)
        chart = screen.chart
        await eventually(lambda: len(chart.candles) > 30 and chart.panels, "the demo chart", pause=pilot.pause)
        assert [o.label for o in chart.overlays][:1] == ["EMA 21"] and "RSI 14" in panel_labels(screen)
        await pilot.press("full_stop", "comma")
        await eventually(lambda: chart.cursor == 1 and chart.readout, "the cursor a bar back", pause=pilot.pause)
        assert " O " in chart.readout and "EMA 21 " in chart.readout and "RSI 14 " in chart.readout


async def test_on_a_real_replay_the_chart_draws_its_studies(tmp_path: Path, shared_data: Path) -> None:
    """A replay of recorded Binance BTCUSDT trades: the bars it builds carry the studies and the cursor."""
    from cryptoterm.config import default_config
    from cryptoterm.services.engine import Engine
    from cryptoterm.tui.app import CryptotermApp
    from cryptoterm.wiring.options import RunOptions

    options = RunOptions(
        mode="replay",
        db_path=str(tmp_path / "r.db"),
        replay_path=str(shared_data / "ws/hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz"),
        replay_speed=0.0,
        hold_replay_end=True,
    )
    config = msgspec.structs.replace(default_config(), strategy=[], chart=ChartConfig(studies=["ema(3)", "volume"]))
    app = CryptotermApp(config, options)
    async with app.run_test(size=(120, 40)) as pilot:
        await eventually(lambda: isinstance(app.session.runtime, Engine), "the replay engine", pause=pilot.pause)
        screen = dashboard(app)
        chart = screen.chart
        await eventually(
            lambda: chart.symbol == "BTC/USDT" and len(chart.candles) > 5 and chart.overlays, "replayed bars",
            pause=pilot.pause,
        )  # fmt: skip
        assert chart.overlays[0].label == "EMA 3" and chart.volume  # the recording spans a few minutes
        await pilot.press("full_stop")
        await eventually(
            lambda: chart.readout.startswith("2024-08-0"), "the readout of a replayed bar", pause=pilot.pause
        )

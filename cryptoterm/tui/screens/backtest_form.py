"""The backtest form: strategy, symbols, range, fill / sizing / cost overrides and the strategy's params (each a
value, or a sweep `7,14,21` / `5:20:5`), compact enough for 80×24.

Run (ctrl+s, or enter in a field) checks everything first (`backtest_form_model.parse_order`); a mistake is one
red line under the form naming the field and the value, and the form stays open with what was typed. Escape
leaves without running.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from cryptoterm.config.schema import AppConfig
from cryptoterm.tui.backtest_form_model import NUMBER_FIELDS, BacktestOrder, Catalog, FormError, FormValues, parse_order

FormResult = tuple[FormValues, BacktestOrder]
FILLS = ("levels", "next_open")
SIZINGS = ("risk", "equity_pct", "fixed")
PARAM_HINT = "Params: a value, or a sweep (7,14,21 or 5:20:5)"


def _row(*widgets: Widget) -> Horizontal:
    return Horizontal(*widgets, classes="bt-row")


class BacktestForm(ModalScreen[FormResult | None]):
    """Returns the values and the checked order (run), or None (escape)."""

    DEFAULT_CSS = """
    BacktestForm { align: center middle; }
    BacktestForm > VerticalScroll {
        width: 96%; max-width: 110; height: auto; max-height: 100%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    BacktestForm .bt-row { height: 1; margin: 0 0 1 0; }
    BacktestForm .bt-row Label { width: 14; }
    BacktestForm .bt-row Input, BacktestForm .bt-row Select { width: 1fr; margin: 0 1 0 0; }
    BacktestForm #bt-params { height: auto; }
    BacktestForm .bt-heading { color: $accent; text-style: bold; height: 1; margin: 0 0 1 0; }
    BacktestForm #bt-form-error { height: auto; min-height: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Close the form without running"),
        Binding("ctrl+s", "run", "Run", tooltip="Check the form and run the backtest"),
    ]

    def __init__(self, config: AppConfig, values: FormValues, catalog: Callable[[], Catalog | str | None]) -> None:
        super().__init__()
        self.config = config
        self.initial = values
        self.catalog = catalog
        self.error = ""
        self.checks = 0

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        values = self.initial
        strategies = [(f"{s.name} · {s.timeframe} {s.direction}", s.name) for s in self.config.strategy]
        with VerticalScroll() as box:
            box.border_title = "Backtest — ctrl+s or enter runs, escape closes"
            yield _row(
                Label("Strategy"),
                Select(strategies, value=values.strategy or Select.NULL, allow_blank=not strategies,
                       id="bt-strategy", compact=True),
            )  # fmt: skip
            yield _row(Label("Symbols"), Input(values.symbols, id="bt-symbols", compact=True))
            yield _row(
                Label("Since (UTC)"), Input(values.since, placeholder="first stored bar", id="bt-since", compact=True),
                Label("Until"), Input(values.until, placeholder="last stored bar", id="bt-until", compact=True),
            )  # fmt: skip
            yield _row(
                Label("Fill"), Select([(f, f) for f in FILLS], value=values.fill, allow_blank=False, id="bt-fill",
                                      compact=True),
                Label("Sizing"), Select([(s, s) for s in SIZINGS], value=values.sizing, allow_blank=False,
                                        id="bt-sizing", compact=True),
            )  # fmt: skip
            yield from self._number_rows(values)
            yield Static(PARAM_HINT, classes="bt-heading")
            yield Vertical(*self._param_rows(values), id="bt-params")
            yield Static(id="bt-form-error")

    def _number_rows(self, values: FormValues) -> ComposeResult:
        from cryptoterm.services.sweeps import RANKS

        cells: list[Widget] = []
        for key, label in NUMBER_FIELDS:
            cells += [Label(label), Input(values.numbers.get(key, ""), id=f"bt-{key}", compact=True)]
        cells += [Label("sweep rank"), Select([(r, r) for r in RANKS], value=values.rank, allow_blank=False,
                                              id="bt-rank", compact=True)]  # fmt: skip
        for i in range(0, len(cells), 4):
            yield _row(*cells[i : i + 4])

    @staticmethod
    def _param_rows(values: FormValues) -> list[Horizontal]:
        cells: list[Widget] = []
        for name, text in values.params.items():
            cells += [Label(name), Input(text, id=f"bt-param-{name}", compact=True)]
        if not cells:
            return [_row(Label(Text("this strategy has no params", style="dim")))]
        return [_row(*cells[i : i + 4]) for i in range(0, len(cells), 4)]

    def on_mount(self) -> None:
        self._show_universe(self.initial.strategy)
        self.query_one("#bt-symbols", Input).focus()
        self._paint_error()

    # ------------------------------------------------------------------ values
    def values(self) -> FormValues:
        def text(key: str) -> str:
            return self.query_one(f"#{key}", Input).value

        def choice(key: str) -> str:
            value = self.query_one(f"#{key}", Select).value
            return value if isinstance(value, str) else ""

        params = {
            str(widget.id).removeprefix("bt-param-"): widget.value
            for widget in self.query_one("#bt-params").query(Input)
        }
        return FormValues(
            strategy=choice("bt-strategy"),
            symbols=text("bt-symbols"),
            since=text("bt-since"),
            until=text("bt-until"),
            fill=choice("bt-fill"),
            sizing=choice("bt-sizing"),
            numbers={key: text(f"bt-{key}") for key, _ in NUMBER_FIELDS},
            rank=choice("bt-rank"),
            params=params,
        )

    def _show_universe(self, strategy: str) -> None:
        catalog = self.catalog()
        universe = catalog.universes.get(strategy, ()) if isinstance(catalog, Catalog) else ()
        shown = ", ".join(universe[:4]) + (f" +{len(universe) - 4}" if len(universe) > 4 else "")
        hint = f"universe: {shown}" if shown else "comma-separated, e.g. BTC/USDT,ETH/USDT"
        self.query_one("#bt-symbols", Input).placeholder = hint

    async def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "bt-strategy" or not isinstance(event.value, str):
            return
        if event.value == self.initial.strategy:
            return  # the value it opened with (or already shown): keep the params as typed
        values = self.values()
        chosen = FormValues(
            strategy=event.value, symbols=values.symbols, since=values.since, until=values.until, fill=values.fill,
            sizing=values.sizing, numbers=values.numbers, rank=values.rank,
        ).for_strategy(self.config, event.value)  # fmt: skip
        self.initial = chosen
        box = self.query_one("#bt-params", Vertical)
        await box.remove_children()
        await box.mount_all(self._param_rows(chosen))
        self._show_universe(event.value)

    # ------------------------------------------------------------------ running
    def check(self) -> FormResult | None:
        """Check the form now; the error ("" when it is fine) is shown under it."""
        self.checks += 1
        values = self.values()
        catalog = self.catalog()
        result: FormResult | None = None
        if catalog is None:
            self.error = "the store's symbols are still loading; try again in a moment"
        elif isinstance(catalog, str):
            self.error = catalog
        else:
            try:
                result = (values, parse_order(self.config, values, catalog))
                self.error = ""
            except FormError as exc:
                self.error = str(exc)
        self._paint_error()
        return result

    def _paint_error(self) -> None:
        shown = Text(f"✗ {self.error}", style="bold red") if self.error else Text("ctrl+s runs", style="dim")
        self.query_one("#bt-form-error", Static).update(shown)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_run()

    def action_run(self) -> None:
        result = self.check()
        if result is not None:
            self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)

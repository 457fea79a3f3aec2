"""`update_cells` shows exactly what `DataTable.update_cell` shows, but leaves the other rows' renders alone (the
watchlist's prices change every snapshot; re-rendering every cell for each of them was most of the UI's CPU)."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

from cryptoterm.tui.widgets.cell_updates import update_cells

ROWS = {"BTC/USDT": ("61,000.00", "+1.00%"), "ETH/USDT": ("2,650.00", "-0.50%"), "SOL/USDT": ("155.00", "+2.10%")}


class TwoTables(App[None]):
    def compose(self) -> ComposeResult:
        for name in ("ours", "stock"):
            table: DataTable[Text] = DataTable(id=name, cursor_type="row", zebra_stripes=True)
            table.styles.height = 5
            yield table

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            table.add_column("Last", key="last", width=10)
            table.add_column("Chg", key="change", width=8)
            for symbol, (last, change) in ROWS.items():
                table.add_row(Text(last, justify="right"), Text(change, justify="right"), key=symbol)


def _plain(renderable: object) -> str:
    """The text inside the (styled, padded) cell renderable the table hands rich."""
    while not isinstance(renderable, Text):
        renderable = getattr(renderable, "renderable")  # noqa: B009 (Styled and Padding wrap it)
    return renderable.plain


def lines(table: DataTable[Text]) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_only_the_changed_rows_render_again_and_they_show_what_update_cell_shows() -> None:
    app = TwoTables()
    async with app.run_test(size=(60, 12)) as pilot:
        ours, stock = app.query_one("#ours", DataTable), app.query_one("#stock", DataTable)
        await pilot.pause()
        before = lines(ours)
        rendered: list[object] = []
        console = app.console
        render_lines = console.render_lines

        def counting(*args: object, **kwargs: object) -> object:
            rendered.append(args[0])
            return render_lines(*args, **kwargs)  # type: ignore[arg-type]

        console.render_lines = counting  # type: ignore[method-assign,assignment]
        changes = [("ETH/USDT", "last", Text("2,700.00", justify="right", style="green"))]
        changes.append(("ETH/USDT", "change", Text("+1.40%", justify="right", style="green")))
        assert update_cells(ours, changes) == 2
        after = lines(ours)
        ours_rendered = {_plain(r) for r in rendered}
        assert ours_rendered == {"2,700.00", "+1.40%"}  # the two changed cells, nothing else
        rendered.clear()
        for row, column, value in changes:
            stock.update_cell(row, column, value)
        assert lines(stock) == after
        assert {"Last", "61,000.00", "+2.10%"} <= {_plain(r) for r in rendered}  # update_cell renders everything
        changed = [y for y, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
        assert len(changed) == 1 and "2,700.00" in after[changed[0]] and "+1.40%" in after[changed[0]]
        assert ours.get_cell("ETH/USDT", "last").plain == "2,700.00"


async def test_an_unknown_cell_changes_nothing() -> None:
    app = TwoTables()
    async with app.run_test(size=(60, 12)) as pilot:
        ours = app.query_one("#ours", DataTable)
        await pilot.pause()
        with pytest.raises(CellDoesNotExist):
            update_cells(ours, [("ETH/USDT", "last", Text("1")), ("DOGE/USDT", "last", Text("2"))])
        assert ours.get_cell("ETH/USDT", "last").plain == "2,650.00"

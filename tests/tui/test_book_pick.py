"""Picking a level of the full order book's ladder: `up` / `down` walk the rows as drawn, and `N` trades it."""

from __future__ import annotations

from cryptoterm.tui.widgets.full_book import GroupedBook, Pick, book_table, move_pick, picked_level

BOOK = GroupedBook.build(
    "BTC/USDT",
    [(100.0, 1.0), (99.0, 2.0), (98.0, 3.0)],
    [(101.0, 1.5), (102.0, 2.5)],
    1.0,
    rows=10,
)


def test_up_and_down_walk_the_ladder_top_to_bottom_and_stop_at_its_ends() -> None:
    assert move_pick(BOOK, None, 1) == ("bid", 0)  # the first move down: the best bid
    assert move_pick(BOOK, None, -1) == ("ask", 0)  # the first move up: the best ask
    pick: Pick | None = ("bid", 0)
    walked = []
    for _ in range(5):  # up from the best bid: the best ask, then outwards, then the top holds
        pick = move_pick(BOOK, pick, -1)
        walked.append(pick)
    assert walked == [("ask", 0), ("ask", 1), ("ask", 1), ("ask", 1), ("ask", 1)]
    for _ in range(6):
        pick = move_pick(BOOK, pick, 1)
    assert pick == ("bid", 2)  # the bottom row holds
    assert picked_level(BOOK, ("bid", 2)) is BOOK.bids[2] and picked_level(BOOK, ("ask", 1)) is BOOK.asks[1]
    assert picked_level(BOOK, ("bid", 7)) is None and picked_level(BOOK, None) is None


def _reversed_lines(text: object) -> list[int]:
    lines = text.split()  # type: ignore[attr-defined]
    return [i for i, line in enumerate(lines) if any(str(span.style) == "reverse" for span in line.spans)]


def test_the_picked_row_is_drawn_reversed_and_only_that_row() -> None:
    ladder = book_table(BOOK, 10, ("ask", 1))
    lines = ladder.plain.splitlines()
    # header, ask 102, ask 101, spread, bid 100, 99, 98 — in aligned columns
    assert [line.split()[0] for line in lines] == ["Price", "102", "101", "─", "100", "99", "98"]
    assert len({line.index(" ", line.index(line.split()[0][0])) for line in lines[1:3]}) == 1
    assert _reversed_lines(ladder) == [1]
    assert _reversed_lines(book_table(BOOK, 10, ("bid", 2))) == [6]
    assert _reversed_lines(book_table(BOOK, 10, None)) == []
    # the bars grow with the cumulative size: the farthest level's is the longest on its side
    assert lines[1].count("█") > lines[2].count("█") and lines[6].count("█") > lines[4].count("█")

"""VirtualTable column widths: what gives way when a table is wider than the terminal."""

from __future__ import annotations

from rich.cells import cell_len

from crm_tui.widgets.virtual_table import MIN_TEXT, ColumnDef, VirtualTable

COLUMNS = [
    ColumnDef("Code", 13, keep=True),
    ColumnDef("Name"),
    ColumnDef("Industry", 14),
    ColumnDef("Last contact", 12, keep=True),
    ColumnDef("Total", 15, align="right"),
]


def test_text_columns_give_way_and_amounts_never_do():
    table = VirtualTable(COLUMNS)
    widths = table._widths(60)
    assert sum(widths) + len(widths) <= 60  # fits: nothing is cut off at the right
    code, name, industry, last, total = widths
    assert (code, last, total) == (13, 12, 15)
    assert MIN_TEXT <= industry < 14 and name >= MIN_TEXT


def test_wide_terminals_give_the_room_to_the_flexible_column():
    code, name, industry, last, total = VirtualTable(COLUMNS)._widths(130)
    assert (code, industry, last, total) == (13, 14, 12, 15)
    assert name == 130 - 5 - (13 + 14 + 12 + 15)


def test_a_cut_cell_ends_with_an_ellipsis_and_keeps_its_width():
    table = VirtualTable(COLUMNS)
    line = table._cells(
        ["C1", "上海华为技术有限公司", "x", "", "1,280,000.50"], [13, 9, 14, 12, 15]
    )
    assert "上海华为…" in line
    assert line.endswith("   1,280,000.50")
    assert cell_len(line) == 1 + 13 + 9 + 14 + 12 + 15 + 4


def test_at_80_columns_the_names_come_before_optional_and_fixed_text_columns():
    """The customers list at 80x24 (78 cells inside): Industry, optional, is left out and
    Status narrows, so that names get 19 cells (they had 8: `Acme An…`); codes (14: a
    big import's day has codes of 13 and 14 characters), dates and amounts keep their
    widths. The header and the rows skip the left-out column."""
    from crm_tui.screens.customers import customer_columns

    columns = customer_columns()
    table = VirtualTable(columns)
    widths = table._widths(78)
    code, name, level, status, industry, last, total = widths
    assert industry == 0 and name >= 19
    assert (code, last, total) == (14, 12, 15) and status >= 6
    assert sum(widths) + sum(1 for w in widths if w) <= 78
    header = table._cells([c.title for c in columns], widths)
    assert "Industry" not in header and "Name" in header
    assert cell_len(header) == sum(widths) + sum(1 for w in widths if w)


def test_fixed_text_columns_narrow_before_two_flexible_ones_are_cramped():
    """The due list at 80 columns: Task and Customer get 20 cells each; Type gives way."""
    columns = [ColumnDef("Task"), ColumnDef("Customer"), ColumnDef("Type", 19),
               ColumnDef("Due", 24, keep=True)]  # fmt: skip
    task, customer, kind, due = VirtualTable(columns)._widths(78)
    assert (task, customer, due) == (20, 20, 24) and 6 <= kind < 19


class _Numbers:
    """Rows 0…n-1 as a RowSource."""

    def __init__(self, n: int) -> None:
        self.n = n

    def count(self) -> int:
        return self.n

    def fetch(self, offset: int, limit: int):
        return [(i, f"row {i}") for i in range(offset, min(offset + limit, self.n))]


async def test_the_selected_row_is_always_drawn_end_and_down_to_the_last_line():
    """End (or Down past the last line) must bring the cursor's row into view: a scroll
    bar along the bottom took the last line, and the row acted on was not shown."""
    from textual.app import App

    class One(App):
        def compose(self):
            yield VirtualTable([ColumnDef("Name")], id="t")

    app = One()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(VirtualTable)
        table.set_source(_Numbers(200))
        table.focus()
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        shown = [table.render_line(y).text for y in range(table.scrollable_content_region.height)]
        assert "row 199" in shown[-1]
        assert table.show_horizontal_scrollbar is False
        await pilot.press("home", *["down"] * 10)
        await pilot.pause()
        shown = [table.render_line(y).text for y in range(table.scrollable_content_region.height)]
        assert any("row 10" in line for line in shown)

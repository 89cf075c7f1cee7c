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

"""Column widths of plain-text tables: Chinese counts two columns, combining marks none."""

import pytest

from crm_tui.textwidth import cell_width


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("", 0),
        ("Acme Ltd", 8),
        ("华信机电", 8),
        ("华信 Acme", 9),
        ("（北京）", 8),  # full-width brackets
        ("Café", 4),
        ("Cafe\u0301", 4),  # e + combining acute accent
        ("Zoë 张", 6),
    ],
)
def test_cell_width(text: str, width: int) -> None:
    assert cell_width(text) == width
    assert cell_width(text) == width  # second call answers from the cache


def test_fast_path_agrees_with_the_unicode_tables() -> None:
    """Chinese text is measured without a per-character lookup; the answer must not change."""
    import unicodedata

    def by_table(ch: str) -> int:
        if unicodedata.combining(ch):
            return 0
        return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1

    for first, last in [(0x3000, 0x303F), (0x4E00, 0x9FFF), (0xFF01, 0xFF60)]:
        for code in range(first, last + 1):
            ch = chr(code)
            assert cell_width(f"a{ch}b") == 2 + by_table(ch), hex(code)


def test_aligned_lines_pad_to_the_widest_cell_in_terminal_columns():
    from crm_tui.textwidth import aligned_lines

    columns = [["name", "上海云杉", "Acme"], ["total", "1,234.50", "5.00"], ["note", "", "x"]]
    widths = [[cell_width(c) for c in col] for col in columns]
    assert aligned_lines(columns, widths, [False, True, False]) == [
        "name         total  note",
        "上海云杉  1,234.50",
        "Acme          5.00  x",
    ]


def test_wrap_counts_columns_and_breaks_between_chinese_characters() -> None:
    import textwrap

    from crm_tui.textwidth import wrap

    english = "a customer matching an existing one by name, phone or email: skip it (default)"
    assert wrap(english, 30) == textwrap.wrap(english, 30)  # as argparse wrapped English
    chinese = "名称、电话或邮箱与已有客户相同的客户：skip 跳过（默认），merge 合并"
    lines = wrap(chinese, 20)
    assert "".join(lines).replace(" ", "") == chinese.replace(" ", "")
    assert all(cell_width(line) <= 20 for line in lines)
    assert max(cell_width(line) for line in lines) >= 19  # filled, not cut at spaces only
    # a comma or closing bracket never starts a line, an opening bracket never ends one
    for width in range(8, 30):
        for line in wrap(chinese, width):
            assert line[0] not in "，、：）" and line[-1] != "（", (width, line)
    assert wrap("  ", 10) == []
    assert wrap("abcdefghijkl xy", 5) == ["abcde", "fghij", "kl xy"]  # a word wider: cut

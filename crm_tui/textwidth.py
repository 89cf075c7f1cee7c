"""Terminal column width of text, for aligned plain-text tables (Chinese counts 2).

The width of each character is looked up once and then cached, so measuring the
tens of thousands of cells of `crm due` or a report table runs at C speed
(``sum(map(...))`` over a dict) instead of a Python loop per character.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence


class _CharWidths(dict):
    """Character → columns: wide/full-width 2, combining marks 0, everything else 1."""

    def __missing__(self, ch: str) -> int:
        if unicodedata.combining(ch):
            width = 0
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            width = 2
        else:
            width = 1
        self[ch] = width
        return width


_WIDTHS = _CharWidths()

#: Anything but ASCII and the common wide ranges (CJK punctuation without its combining
#: tone marks, CJK ideographs, full-width forms). Text without such characters is
#: ASCII (1 byte, 1 column in UTF-8) plus wide characters (3 bytes, 2 columns).
_NOT_ASCII_OR_CJK = re.compile("[^\x00-\x7f\u3000-\u3029\u3030-\u303e\u4e00-\u9fff\uff01-\uff60]")


def cell_width(text: str) -> int:
    """Terminal columns of ``text``: wide/full-width characters count 2, combining marks 0."""
    if text.isascii():
        return len(text)
    if _NOT_ASCII_OR_CJK.search(text) is None:  # Chinese names: no per-character lookup
        return (len(text.encode()) + len(text)) // 2
    return sum(map(_WIDTHS.__getitem__, text))


def clip(text: str, width: int) -> tuple[str, int]:
    """``text`` cut to at most ``width`` columns, its last an ellipsis when cut, and the
    columns it takes (a wide character that would straddle the edge is left out too)."""
    size = cell_width(text)
    if size <= width:
        return text, size
    used = 0
    for i, ch in enumerate(text):
        if used + _WIDTHS[ch] > width - 1:
            kept = text[:i].rstrip()  # ("agreement…", not "agreement …")
            return kept + "…", used - (i - len(kept)) + 1
        used += _WIDTHS[ch]
    return text, size  # (not reached: the text is wider than width)


def clip_column(
    cells: Sequence[str], sizes: Sequence[int], width: int
) -> tuple[list[str], list[int]]:
    """A free-text column of a text table (its cells and their :func:`cell_width`) with
    each cell wider than ``width`` cut by :func:`clip`: one long title padded every row to
    its width. Only the cells too wide are looked at again."""
    cells, sizes = list(cells), list(sizes)
    if not sizes or max(sizes) <= width:  # (the usual case: nothing to look at)
        return cells, sizes
    for i, size in enumerate(sizes):
        if size > width:
            cells[i], sizes[i] = clip(cells[i], width)
    return cells, sizes


def aligned_lines(
    columns: Sequence[Sequence[str]],
    widths: Sequence[Sequence[int]],
    right: Sequence[bool] | None = None,
) -> list[str]:
    """Lines of a text table from its columns (each column's cells top to bottom, header
    included) and each cell's :func:`cell_width`: cells padded to their column's widest,
    right-aligned where ``right`` says so, two spaces between columns, no trailing blanks.

    Column by column with comprehensions: `crm due` and the report tables print tens of
    thousands of rows.
    """
    padded = []
    for i, (cells, sizes) in enumerate(zip(columns, widths, strict=True)):
        width = max(sizes)
        if right is not None and right[i]:
            padded.append([" " * (width - n) + c for c, n in zip(cells, sizes, strict=True)])
        else:
            padded.append([c + " " * (width - n) for c, n in zip(cells, sizes, strict=True)])
    return ["  ".join(parts).rstrip() for parts in zip(*padded, strict=True)]


#: Punctuation a line does not start with (closing brackets, commas, stops) and punctuation
#: it does not end with (opening brackets and quotes): they stay with their neighbour.
_NO_LINE_START = frozenset("，。、；：！？）》」』】〉…,.;:!?)]}%”’")
_NO_LINE_END = frozenset("（《「『【〈“‘([{")


def _pieces(text: str) -> list[list[str]]:
    """``text``'s unbreakable pieces, each ``[piece, separator before it]``: the words
    between spaces, and in them each wide (Chinese) character apart from what surrounds
    it, punctuation kept with the character it belongs to."""
    pieces: list[list[str]] = []
    for i, word in enumerate(text.split()):
        sep = " " if i else ""
        run = ""
        parts = []
        for ch in word:
            if _WIDTHS[ch] == 2:
                if run:
                    parts.append(run)
                    run = ""
                parts.append(ch)
            else:
                run += ch
        if run:
            parts.append(run)
        for part in parts:
            joined = (
                not sep
                and pieces
                and (part[0] in _NO_LINE_START or pieces[-1][0][-1] in _NO_LINE_END)
            )
            if joined:
                pieces[-1][0] += part
            else:
                pieces.append([part, sep])
            sep = ""
    return pieces


def wrap(text: str, width: int) -> list[str]:
    """``text`` (every run of whitespace one space) in lines of at most ``width``
    :func:`cell_width` columns, as :func:`textwrap.wrap` does by characters: broken at
    spaces and between Chinese characters, never before a comma or closing bracket nor
    after an opening one; a word wider than the line is cut."""
    lines: list[str] = []
    line, used = "", 0
    for piece, sep in _pieces(text):
        size = cell_width(piece)
        if line and used + len(sep) + size <= width:
            line, used = line + sep + piece, used + len(sep) + size
            continue
        if line:
            lines.append(line)
        while size > width:  # a path or URL longer than the line
            cut, taken = "", 0
            for ch in piece:
                if taken + _WIDTHS[ch] > width and cut:
                    break
                cut, taken = cut + ch, taken + _WIDTHS[ch]
            lines.append(cut)
            piece = piece[len(cut) :]
            size = cell_width(piece)
        line, used = piece, size
    if line:
        lines.append(line)
    return lines

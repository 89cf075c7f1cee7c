"""A small DataTable (a customer's contacts, deals, orders) whose columns fit its width.

Columns are as wide as their widest cell. When that is wider than the table (the
customer detail at 80 columns), the table makes room in this order: optional columns
are left out (the last first), shrinkable text columns give up cells, the widest first,
their text cut with "…", the cells lose their padding but one blank between columns,
and last the columns of last resort are left out. Dates and amounts are never cut: a cut amount reads as another number.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.events import Resize
from textual.widgets import DataTable

#: A shrinkable column keeps at least this many cells.
MIN_SHRUNK = 6

Row = tuple[str, Sequence[Text | str]]


class FittedTable(DataTable):
    """A DataTable filled whole by :meth:`fill` and laid out again when resized."""

    # it fits its width: never a horizontal scroll bar (one shown while a wider layout
    # was replaced stayed as a blank row under the table)
    DEFAULT_CSS = """
    FittedTable { overflow-x: hidden; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._headers: list[str] = []
        self._rows: list[Row] = []
        self._shrink: tuple[int, ...] = ()
        self._optional: tuple[int, ...] = ()
        self._last_resort: tuple[int, ...] = ()
        self._laid_out_at = -1

    def fill(
        self,
        headers: list[str],
        rows: list[Row],
        *,
        shrink: tuple[int, ...] = (),
        optional: tuple[int, ...] = (),
        last_resort: tuple[int, ...] = (),
    ) -> None:
        """Show ``rows`` (key, cells) under ``headers``; ``shrink``: indexes of the text
        columns that may be cut, ``optional``: of the columns that may be left out,
        ``last_resort``: of those left out only when nothing else makes room."""
        self._headers, self._rows = headers, rows
        self._shrink, self._optional = shrink, optional
        self._last_resort = last_resort
        self._lay_out()

    def whole_row(self, key: str) -> Sequence[Text | str]:
        """The row's cells as given to :meth:`fill`, none cut, none left out (what a
        question about the row quotes)."""
        return next(cells for row_key, cells in self._rows if row_key == key)

    def on_resize(self, event: Resize) -> None:
        if self._headers and self._room() != self._laid_out_at:
            self._lay_out()

    def _room(self) -> int:
        """Cells the columns may take (0 before the first layout: nothing is cut)."""
        return self.scrollable_content_region.width

    def _fit(self, room: int) -> tuple[list[int], int, list[int]]:
        """(columns shown, cell padding, width of each column shown)."""
        n = len(self._headers)
        widths = [
            max([cell_len(self._headers[i]), *(cell_len(str(c[i])) for _k, c in self._rows)])
            for i in range(n)
        ]
        shown = list(range(n))

        def over(padding: int) -> int:
            return sum(widths[i] for i in shown) + 2 * padding * len(shown) - room

        if room <= 0:
            return shown, 1, [widths[i] for i in shown]
        for i in reversed(self._optional):
            if over(1) <= 0:
                break
            shown.remove(i)
        excess = over(1)
        while excess > 0:
            cuttable = [i for i in self._shrink if i in shown and widths[i] > MIN_SHRUNK]
            if not cuttable:
                break
            widths[max(reversed(cuttable), key=lambda i: widths[i])] -= 1  # ties: the later
            excess -= 1
        if excess <= 0:
            return shown, 1, [widths[i] for i in shown]
        # no padding, a blank before each column but the first (see _lay_out)
        for i in reversed(self._last_resort):
            if over(0) + len(shown) - 1 <= 0:
                break
            shown.remove(i)
        return shown, 0, [widths[i] + (1 if k else 0) for k, i in enumerate(shown)]

    def _lay_out(self) -> None:
        """Columns and rows again; the cursor keeps its row (or the one now in its place)."""
        room = self._room()
        self._laid_out_at = room
        at = self.cursor_row if self.row_count else 0
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value if at else None
        shown, padding, widths = self._fit(room)
        self.clear(columns=True)
        self.cell_padding = padding
        blank = " " if not padding else ""  # before each column but the first
        for k, (i, width) in enumerate(zip(shown, widths, strict=True)):
            self.add_column((blank if k else "") + self._headers[i], width=width)
        for row_key, cells in self._rows:
            self.add_row(
                *(
                    _spaced(_cut(cells[i], w - (1 if k and blank else 0)), blank if k else "")
                    for k, (i, w) in enumerate(zip(shown, widths, strict=True))
                ),
                key=row_key,
            )
        keys = [k for k, _cells in self._rows]
        if key in keys:
            at = keys.index(key)
        if self._rows and at:
            self.move_cursor(row=min(at, len(self._rows) - 1))


def _spaced(cell: Text | str, blank: str) -> Text | str:
    """A left-aligned cell with ``blank`` before it (a right-aligned one has it already:
    its column is one cell wider than its widest text)."""
    if not blank or (isinstance(cell, Text) and cell.justify == "right"):
        return cell
    return Text(blank) + (cell if isinstance(cell, Text) else Text(cell))


def _cut(cell: Text | str, width: int) -> Text | str:
    """The cell cut to ``width`` cells with "…" when longer (only text columns are)."""
    if cell_len(str(cell)) <= width:
        return cell
    text = cell.copy() if isinstance(cell, Text) else Text(cell)
    text.truncate(width, overflow="ellipsis")
    return text

"""A table that renders only the rows on screen and fetches them a page at a time.

Built on Textual's Line API (``ScrollView`` + ``render_line``): the widget knows
the row count and asks a :class:`RowSource` for 100-row pages as they scroll
into view, so a list of 100,000 customers costs what one screenful costs.
Rows are keyed by record id (the first element of each row tuple).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from crm_tui.widgets.localized import Localized

PAGE = 100
#: Narrowest a flexible column gets before text columns start giving up cells.
MIN_FLEX = 8
#: Narrowest a text column gets when the table is too wide for the terminal.
MIN_TEXT = 4
#: What a flexible column (a name, a title) wants before fixed text columns give way.
WANT_FLEX = 20
#: Narrowest a fixed text column gets to make room for the flexible ones.
MIN_FIXED = 6


class RowSource(Protocol):
    """Where a VirtualTable's rows come from."""

    def count(self) -> int: ...

    def fetch(self, offset: int, limit: int) -> Sequence[tuple[Any, ...]]: ...


@dataclass
class ColumnDef:
    """A column: header text, width in cells (0 = share the remaining width), formatter."""

    title: str
    width: int = 0
    format: Callable[[Any], str] = lambda v: "" if v is None else str(v)
    align: str = "left"
    style: Callable[[tuple[Any, ...]], str | None] | None = None
    #: never narrowed when the table is too wide (codes, dates); right-aligned ones never are
    keep: bool = False
    #: left out on a narrow terminal when the flexible columns would be cramped
    optional: bool = False
    #: an optional column left out still says its text in this column (index): before
    #: it ("13,600.00 · SO-1") when ``fold_first(row)``, else after it ("Check-in · Visit")
    fold_into: int | None = None
    fold_first: Callable[[tuple[Any, ...]], bool] = lambda row: True
    #: this column's text takes the whole row when ``spans(row)`` (a group's heading,
    #: the other cells empty: in a narrow first column its count was cut)
    spans: Callable[[tuple[Any, ...]], bool] | None = None


class VirtualTable(Localized, ScrollView, can_focus=True):
    """Scrollable, paged, keyboard-driven table."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    COMPONENT_CLASSES = {"virtual-table--header", "virtual-table--cursor", "virtual-table--dim"}

    DEFAULT_CSS = """
    VirtualTable { height: 1fr; overflow-x: hidden; }
    VirtualTable > .virtual-table--header { text-style: bold; background: $panel; color: $text; }
    VirtualTable > .virtual-table--cursor { background: $block-cursor-blurred-background; }
    VirtualTable:focus > .virtual-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    VirtualTable > .virtual-table--dim { color: $text-muted; }
    """

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        """The cursor moved onto a row (``row_id`` None when the table is empty)."""

        def __init__(self, table: VirtualTable, row_id: Any) -> None:
            super().__init__()
            self.table = table
            self.row_id = row_id

        @property
        def control(self) -> VirtualTable:
            return self.table

    class Selected(Message):
        """Enter was pressed on a row."""

        def __init__(self, table: VirtualTable, row_id: Any) -> None:
            super().__init__()
            self.table = table
            self.row_id = row_id

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(
        self, columns: list[ColumnDef], source: RowSource | None = None, *,
        id: str | None = None, classes: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(id=id, classes=classes)
        self.columns = columns
        self.source = source
        self.row_count = 0
        self._pages: dict[int, Sequence[tuple[Any, ...]]] = {}

    # --- data --------------------------------------------------------------

    def set_source(self, source: RowSource, *, keep_cursor: bool = False) -> None:
        key = self.cursor_id if keep_cursor else None
        self.source = source
        self.reload(keep_cursor=keep_cursor, key=key)

    def reload(self, *, keep_cursor: bool = False, key: Any = None) -> None:
        """Drop cached pages and re-count (after a filter, sort or edit). ``keep_cursor``:
        the cursor stays on its row wherever that row went (a re-dated record moves in a
        timeline), when the source can say where (a ``position(key)`` method), else on
        its place; ``key``: the row's key, when the source was replaced already."""
        if keep_cursor and key is None:
            key = self.cursor_id
        self._pages.clear()
        self.row_count = self.source.count() if self.source else 0
        self.virtual_size = Size(self.size.width, self.row_count + 1)
        cursor = min(self.cursor, max(self.row_count - 1, 0)) if keep_cursor else 0
        position = getattr(self.source, "position", None)
        if keep_cursor and key is not None and position is not None:
            found = position(key)
            cursor = cursor if found is None else found
        if not keep_cursor:
            self.scroll_to(y=0, animate=False)
        self.cursor = cursor
        self.refresh()

    def show_rows_or(self, empty: Widget) -> None:
        """Show the table, or when it has no rows the screen's ``empty`` message instead.

        A focused table hidden this way keeps the focus (see ``_on_hide``), so the
        screen's keys keep acting and the key bar keeps showing them."""
        has_rows = self.row_count > 0
        empty.display = not has_rows
        self.display = has_rows

    def _on_hide(self, event: events.Hide) -> None:
        # Textual blurs a hidden widget and hands the focus to a focusable neighbour: the
        # due list's search box, which took the screen's keys (c, n, r) as typing and
        # left the key bar without them (`?` too). Hidden for having no rows, the
        # table keeps the focus: its keys do nothing on no rows, the screen's act.
        if self.has_focus and not self.display:
            event.prevent_default()  # (what Widget._on_hide does, but the blur)
            for bar, shown in (
                (self.horizontal_scrollbar, self.show_horizontal_scrollbar),
                (self.vertical_scrollbar, self.show_vertical_scrollbar),
            ):
                if shown:
                    bar.post_message(events.Hide())

    def row(self, index: int) -> tuple[Any, ...] | None:
        if not 0 <= index < self.row_count or self.source is None:
            return None
        page = index // PAGE
        rows = self._pages.get(page)
        if rows is None:
            rows = self.source.fetch(page * PAGE, PAGE)
            if len(self._pages) > 20:  # bounded cache
                self._pages.clear()
            self._pages[page] = rows
        offset = index - page * PAGE
        return rows[offset] if offset < len(rows) else None

    @property
    def cursor_row(self) -> tuple[Any, ...] | None:
        return self.row(self.cursor)

    @property
    def cursor_id(self) -> Any:
        row = self.cursor_row
        return row[0] if row else None

    def loaded_row_count(self) -> int:
        """Rows held in memory (tests check that no screen loads a whole table)."""
        return sum(len(p) for p in self._pages.values())

    # --- rendering ---------------------------------------------------------

    def _widths(self, total: int) -> list[int]:
        """Cells per column: flexible columns share what is left (at least MIN_FLEX each;
        below WANT_FLEX optional columns are left out, width 0, and fixed text columns
        narrowed down to MIN_FIXED first).

        When the columns do not fit (80 columns), text columns give up cells, the widest
        first, down to MIN_TEXT; kept and right-aligned columns (codes, dates, amounts)
        never do: a cut amount would read as another number.
        """
        columns = self.columns
        widths = [c.width for c in columns]
        flex = [i for i, c in enumerate(columns) if not c.width]
        room = total - len(columns) - sum(widths)  # one blank before each column
        if flex:
            # a narrow terminal: the names come first; optional columns make way (the
            # last first), then fixed text columns give up cells, the widest first
            for i in reversed(range(len(columns))):
                if room // len(flex) >= WANT_FLEX:
                    break
                if columns[i].optional and widths[i]:
                    room += widths[i] + 1
                    widths[i] = 0
            while room // len(flex) < WANT_FLEX:
                fixed = [
                    i
                    for i, c in enumerate(columns)
                    if widths[i] > MIN_FIXED and not c.keep and c.align != "right"
                ]
                if not fixed:
                    break
                widths[max(fixed, key=lambda i: widths[i])] -= 1
                room += 1
        for i in flex:
            widths[i] = max(room // len(flex), MIN_FLEX)
        over = sum(widths) + sum(1 for w in widths if w) - total
        while over > 0:
            text = [
                i
                for i, c in enumerate(columns)
                if not c.keep and c.align != "right" and widths[i] > MIN_TEXT
            ]
            if not text:
                break
            widest = max(text, key=lambda i: widths[i])
            widths[widest] -= 1
            over -= 1
        return widths

    def _cells(self, values: Sequence[str], widths: list[int]) -> str:
        parts = []
        for text, width, col in zip(values, widths, self.columns, strict=False):
            if not width:  # left out (optional, narrow terminal)
                continue
            text = text.replace("\n", " ")
            length = cell_len(text)
            if length > width > 1:
                text = set_cell_size(text, width - 1).rstrip() + "…"  # cut, and says so
            elif col.align == "right" and length < width:
                text = " " * (width - length) + text
            parts.append(set_cell_size(text, width))
        return " " + " ".join(parts)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        widths = self._widths(width - 1)
        if y == 0:
            style = self.get_component_rich_style("virtual-table--header")
            text = self._cells([c.title for c in self.columns], widths)
            return Strip([Segment(set_cell_size(text, width), style)])
        index = int(self.scroll_offset.y) + y - 1
        row = self.row(index)
        base = self.rich_style
        if row is None:
            return Strip([Segment(" " * width, base)])
        values = [c.format(v) for c, v in zip(self.columns, row[1:], strict=False)]
        for i, column in enumerate(self.columns):
            if column.fold_into is not None and not widths[i] and values[i]:
                into = column.fold_into
                pair = (
                    (values[i], values[into])
                    if column.fold_first(row)
                    else (values[into], values[i])
                )
                values[into] = " · ".join(filter(None, pair))
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("virtual-table--cursor")
        else:
            for c in self.columns:
                if c.style and (extra := c.style(row)):
                    style = base + Style.parse(extra)
                    break
        first = self.columns[0]
        if first.spans is not None and first.spans(row):
            text = self._cells(values[:1], [width - 1])
        else:
            text = self._cells(values, widths)
        return Strip([Segment(set_cell_size(text, width), style)])

    # --- cursor ------------------------------------------------------------

    def _rows_shown(self) -> int:
        """Rows that fit under the header (inside any scroll bar)."""
        return max(self.scrollable_content_region.height - 1, 1)

    def watch_cursor(self, old: int, new: int) -> None:
        height = self._rows_shown()
        top = int(self.scroll_offset.y)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False)
        self.refresh()
        self.post_message(self.Highlighted(self, self.cursor_id))

    def action_cursor(self, delta: int) -> None:
        if self.row_count:
            self.cursor = max(0, min(self.row_count - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(self._rows_shown() - 1, 1))

    def action_jump(self, where: int) -> None:
        if self.row_count:
            self.cursor = 0 if where == 0 else self.row_count - 1

    def action_select(self) -> None:
        if self.cursor_id is not None:
            self.post_message(self.Selected(self, self.cursor_id))

    def on_click(self, event) -> None:
        index = int(self.scroll_offset.y) + event.y - 1
        if 0 <= index < self.row_count:
            self.cursor = index

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.row_count + 1)

"""Kanban columns that draw only the cards on screen and fetch them a page at a time.

A column is a fixed header (stage, count, total, weighted) above a
:class:`CardList`, a Line-API ``ScrollView`` whose virtual height is
``count × CARD_HEIGHT``; it asks its fetch function for 50-card pages as they
scroll into view, so a stage with thousands of deals costs one screenful.

A card list draws its own scroll bar in its last cell of each line instead of
Textual's: seven scroll bar widgets were seven more regions for the compositor to
lay out and cut every line into (about a seventh of the first visit of the board).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from crm_tui.i18n import _, language
from crm_tui.store.board import CLOSED_STAGES, Card, ColumnSummary
from crm_tui.store.validation import display_amount

CARD_HEIGHT = 6  # five lines of card and one of gap
PAGE = 50

Fetch = Callable[[int, int], list[Card]]


#: Compact amounts, largest unit first: (unit in cents, suffix).
_UNITS = {
    "en": ((10**14, "T"), (10**11, "B"), (10**8, "M"), (10**5, "K")),
    "zh": ((10**14, "万亿"), (10**10, "亿"), (10**6, "万")),
}


def compact_amount(cents: int) -> str:
    """An amount in a few cells when the full one does not fit: ``12.3M``, ``1.2亿``.

    Integer arithmetic (never float), rounded half up to one decimal (none from 100 up);
    below the smallest unit the full amount is short anyway.
    """
    units = _UNITS.get(language(), _UNITS["en"])
    for unit, suffix in units:
        tenths = (cents * 20 + unit) // (2 * unit)  # amount / unit in tenths, half up
        if tenths >= 1000:  # from 100 up, whole units
            return f"{(cents * 2 + unit) // (2 * unit):,}{suffix}"
        if tenths >= 10:
            return f"{tenths // 10}.{tenths % 10}{suffix}"
    return display_amount(cents)


def _short_date(value: dt.date | None, today: dt.date) -> str:
    """A card's date: ``MM-DD`` within the current year (as typed in forms), else the full
    date, which then stands out (a deal closing next year, one won long ago)."""
    if value is None:
        return ""
    return value.strftime("%m-%d") if value.year == today.year else value.isoformat()


def _amount_and_date(cents: int, date: str, width: int) -> tuple[str, str]:
    """The card's amount line: the amount always whole (compacted if need be), then the
    date if there is room for it; never a number cut in the middle."""
    full = display_amount(cents)
    short = compact_amount(cents)
    amounts = (full,) if cell_len(short) >= cell_len(full) else (full, short)
    if date:
        for amount in amounts:
            if cell_len(amount) + 1 + cell_len(date) <= width:
                return set_cell_size(amount, width - 1 - cell_len(date)), date
    for amount in amounts:
        if cell_len(amount) <= width:
            return set_cell_size(amount, width), ""
    return set_cell_size(amounts[-1], width), ""  # a column too narrow for any amount


def _fit(left: str, right: str, width: int) -> tuple[str, str]:
    """``left`` cut to leave room for ``right`` on one line of ``width`` cells."""
    room = width - cell_len(right) - (1 if right else 0)
    if room < 4:
        return set_cell_size(left, width), ""
    # (a wide character that does not fit leaves a pad cell: the "…" goes before it)
    text = left if cell_len(left) <= room else set_cell_size(left, room - 1).rstrip() + "…"
    return set_cell_size(text, room), right


class CardList(ScrollView, can_focus=False):
    """The cards of one column."""

    COMPONENT_CLASSES = {
        "cardlist--track",
        "cardlist--thumb",
        "card",
        "card--cursor",
        "card--name",
        "card--muted",
        "card--stalled",
        "card--overdue",
        "card--risk",
        "card--done",
    }

    DEFAULT_CSS = """
    CardList { height: 1fr; scrollbar-size-vertical: 0; }
    CardList > .cardlist--track { background: $scrollbar-background; }
    CardList > .cardlist--thumb { background: $scrollbar; }
    CardList > .card { background: $boost; color: $text; }
    CardList > .card--cursor { background: $block-cursor-background 60%; }
    CardList > .card--name { text-style: bold; }
    CardList > .card--muted { color: $text-muted; }
    CardList > .card--stalled { color: $warning; text-style: bold; }
    CardList > .card--overdue { color: $error; text-style: bold; }
    CardList > .card--risk { color: $error; text-style: bold reverse; }
    CardList > .card--done { color: $success; }
    """

    class Clicked(Message):
        def __init__(self, cards: CardList, index: int) -> None:
            super().__init__()
            self.cards = cards
            self.index = index

    def __init__(self, stage: str, *, id: str | None = None, active: bool = False) -> None:
        super().__init__(id=id)
        self.stage = stage
        self.count = 0
        self.cursor = 0
        self.active = active
        self._fetch: Fetch | None = None
        self._pages: dict[int, list[Card]] = {}
        # per repaint (see render_lines)
        self._styles: dict[tuple[Style, str, bool], Style] = {}
        self._plain: Style | None = None
        self._bar: tuple[int, int] | None = None  # thumb lines [start, end), if scrollable
        self._bar_cells: dict[str, Segment] = {}
        self._blanks: dict[str, Strip] = {}
        self._pressed_bar = False  # the click that ends a press on the bar selects nothing

    # --- data --------------------------------------------------------------

    def load(self, count: int, fetch: Fetch, cursor: int | None = None) -> None:
        """Show ``count`` cards from ``fetch``; keep (or set) the cursor."""
        self._pages.clear()
        self._fetch = fetch
        self.count = count
        # No width: cards fit the column, so a resize never changes the virtual size
        # (a change would lay the whole board out again).
        self.virtual_size = Size(0, count * CARD_HEIGHT)
        if cursor is not None:
            self.cursor = cursor
        self.cursor = max(0, min(self.cursor, count - 1))
        self.show_cursor()
        self.refresh()

    def card(self, index: int) -> Card | None:
        if not 0 <= index < self.count or self._fetch is None:
            return None
        page = index // PAGE
        cards = self._pages.get(page)
        if cards is None:
            cards = self._fetch(page * PAGE, PAGE)
            if len(self._pages) > 10:  # bounded cache
                self._pages.clear()
            self._pages[page] = cards
        offset = index - page * PAGE
        return cards[offset] if offset < len(cards) else None

    @property
    def current(self) -> Card | None:
        return self.card(self.cursor)

    def loaded_card_count(self) -> int:
        """Cards held in memory (tests check a big column is not loaded whole)."""
        return sum(len(p) for p in self._pages.values())

    # --- cursor ------------------------------------------------------------

    def move_cursor(self, delta: int) -> None:
        if self.count:
            self.cursor = max(0, min(self.count - 1, self.cursor + delta))
            self.show_cursor()
            self.refresh()

    def show_cursor(self) -> None:
        top = self.cursor * CARD_HEIGHT
        height = max(self.size.height, CARD_HEIGHT)
        y = int(self.scroll_offset.y)
        if top < y:
            self.scroll_to(y=top, animate=False)
        elif top + CARD_HEIGHT - 1 > y + height:
            # keep whole cards at the top edge: round the offset up to a card boundary
            lowest = top + CARD_HEIGHT - 1 - height
            self.scroll_to(y=-(-lowest // CARD_HEIGHT) * CARD_HEIGHT, animate=False)

    def set_active(self, active: bool) -> None:
        if active != self.active:
            self.active = active
            self.refresh()

    def top_line(self) -> int:
        """The virtual line drawn first: the scroll offset, except at the very end of a
        long column. The end is rarely a card boundary (the view is not a whole number
        of cards high), so there the cards are drawn from the next boundary: the top
        card is whole, with its name, and the few lines under the last card are blank."""
        y = int(self.scroll_offset.y)
        if y and y % CARD_HEIGHT and y >= self.max_scroll_y:
            return y + CARD_HEIGHT - y % CARD_HEIGHT
        return y

    # --- mouse -------------------------------------------------------------

    def _on_bar(self, event) -> bool:
        return event.x == self.size.width - 1

    def _scroll_by_bar(self, y: int) -> None:
        """Show the part of the column that line ``y`` of the scroll bar stands for."""
        height = self.size.height
        scrollable = max(0, self.virtual_size.height - height)
        if scrollable and height > 1:
            target = round(scrollable * max(0, min(y, height - 1)) / (height - 1))
            if target < scrollable:  # a whole card at the top, as the cursor keys leave it
                target = target // CARD_HEIGHT * CARD_HEIGHT
            self.scroll_to(y=target, animate=False)

    def on_mouse_down(self, event) -> None:
        self._pressed_bar = self._on_bar(event)
        if self._pressed_bar:  # jump there, and follow the pointer until it is released
            self.capture_mouse()
            self._scroll_by_bar(event.y)

    def on_mouse_move(self, event) -> None:
        if self.app.mouse_captured is self:  # a press on the bar, being dragged
            self._scroll_by_bar(event.y)

    def on_mouse_up(self, event) -> None:
        if self.app.mouse_captured is self:
            self.release_mouse()

    def on_click(self, event) -> None:
        if self._pressed_bar:  # the end of a press on the bar, wherever the pointer is now
            self._pressed_bar = False
            return
        index = (self.top_line() + event.y) // CARD_HEIGHT
        if 0 <= index < self.count:
            self.post_message(self.Clicked(self, index))

    # --- rendering ---------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # Styles are looked up once per repaint, not per line: resolving a widget's
        # style walks its ancestors' CSS, and a board repaints hundreds of lines.
        self._styles.clear()
        self._plain = None
        self._bar_cells.clear()
        self._blanks.clear()
        self._bar = self._thumb()
        return super().render_lines(crop)

    def _thumb(self) -> tuple[int, int] | None:
        """The scroll bar's thumb as lines [start, end) of the view; None: nothing to scroll."""
        height = self.size.height
        total = self.virtual_size.height
        if height <= 0 or total <= height:
            return None
        size = max(1, round(height * height / total))
        start = round(int(self.scroll_offset.y) * (height - size) / (total - height))
        return start, start + size

    def _bar_cell(self, y: int, plain: Style) -> tuple[str, Segment]:
        """The last cell of line ``y``: thumb, track or blank (nothing to scroll)."""
        bar = self._bar
        kind = "" if bar is None else "thumb" if bar[0] <= y < bar[1] else "track"
        cell = self._bar_cells.get(kind)
        if cell is None:
            style = self._style(plain, f"cardlist--{kind}", partial=False) if kind else plain
            cell = self._bar_cells[kind] = Segment(" ", style)
        return kind, cell

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        absolute = self.top_line() + y
        index, line = divmod(absolute, CARD_HEIGHT)
        card = None if line == CARD_HEIGHT - 1 else self.card(index)
        plain = self._plain
        if plain is None:
            plain = self._plain = self.rich_style
        kind, bar = self._bar_cell(y, plain)
        if card is None:
            blank = self._blanks.get(kind)
            if blank is None:
                blank = Strip([Segment(" " * (width - 1), plain), bar], width)
                self._blanks[kind] = blank
            return blank
        base = self._style(plain, "card", partial=False)
        if self.active and index == self.cursor:
            base = self._style(base, "card--cursor", partial=False)
        # the card (a space, then its text), a gap, the scroll bar
        inner = width - 2
        segments = self._line(card, line, inner - 1, base)
        used = sum(cell_len(seg.text) for seg in segments)
        if used > inner:  # never expected: _line fits its text; cut to be safe
            segments = list(Strip(segments).crop(0, inner))
            used = inner
        if used < inner:
            segments.append(Segment(" " * (inner - used), base))
        segments += [Segment(" ", plain), bar]
        return Strip(segments, width)

    def _style(self, base: Style, name: str, partial: bool = True) -> Style:
        key = (base, name, partial)
        style = self._styles.get(key)
        if style is None:
            component = self.get_component_rich_style(name, partial=partial)
            style = self._styles[key] = base + component
        return style

    def _line(self, card: Card, line: int, width: int, base: Style) -> list[Segment]:
        pad = Segment(" ", base)
        muted = self._style(base, "card--muted")
        if line == 0:  # (a cut name or customer says so with "…", as the other lines do)
            return [pad, Segment(_fit(card.name, "", width)[0], self._style(base, "card--name"))]
        if line == 1:
            return [pad, Segment(_fit(card.customer, "", width)[0], muted)]
        if line == 2:
            today = _today(self)
            # a won / lost deal shows the day it closed; an open one when it should close
            day = card.actual_close if card.stage in CLOSED_STAGES else card.expected_close
            left, right = _amount_and_date(card.amount_cents, _short_date(day, today), width)
            close_style = (
                self._style(base, "card--overdue")
                if card.overdue and day and day < today and card.stage not in CLOSED_STAGES
                else muted
            )
            segs = [pad, Segment(left, base)]
            if right:
                segs += [Segment(" ", base), Segment(right, close_style)]
            return segs
        if line == 3:
            action = card.next_action or ""
            due = _short_date(card.next_action_due, _today(self))
            if card.stage in ("won", "lost"):  # decided: its last next step is history
                action = due = ""
            if not action and not due:
                return [pad, Segment(set_cell_size("", width), base)]
            left, right = _fit("→ " + action, due, width)
            due_style = (
                self._style(base, "card--overdue")
                if card.next_action_due and card.next_action_due < _today(self)
                else muted
            )
            segs = [pad, Segment(left, base)]
            if right:
                segs += [Segment(" ", base), Segment(right, due_style)]
            return segs
        # line 4: criteria progress and marks
        segs = [pad]
        done, total = card.criteria
        if total:
            style = self._style(base, "card--done" if done == total else "card--muted")
            segs.append(Segment(f"{done}/{total}", style))
        used = cell_len(segs[-1].text) if len(segs) > 1 else 0
        # Most telling first: the rep's own risk flag, then a passed close date, then
        # time in the stage. Short words (the board's status line says what they mean):
        # "at risk overdue stalled" did not fit a 20-cell card. A mark is shown whole or
        # not at all, and marks left out always leave a "…" (its cell is kept for it).
        marks = [
            (text, cls)
            for flag, text, cls in (
                (card.risk_flag, _("risk"), "card--risk"),
                (card.overdue, _("late"), "card--overdue"),
                (card.stalled, _("stuck"), "card--stalled"),
            )
            if flag
        ]
        shown = 0
        for n in range(len(marks), 0, -1):  # as many as fit, with room for "…" if need be
            ends = [cell_len(text) for text, _cls in marks[:n]] + ([1] if n < len(marks) else [])
            if used + sum(ends) + len(ends) - (0 if used else 1) <= width:
                shown = n
                break
        for n, (text, cls) in enumerate(marks[: shown + 1]):
            if n == shown:  # the first left out: "…" in its colour
                text = "…"
            if used + (1 if used else 0) + cell_len(text) > width:
                break  # (a column too narrow even for "…")
            if used:
                segs.append(Segment(" ", base))
                used += 1
            segs.append(Segment(text, self._style(base, cls)))
            used += cell_len(text)
        return segs


def _today(widget) -> dt.date:
    today = getattr(widget.app, "today", None)
    return today() if callable(today) else dt.date.today()


class KanbanColumn(Vertical):
    """One stage: header with name, count, total and weighted amount, then its cards.

    The column draws its header (and "No deals" when it is empty) itself, above the
    card list: as widgets of their own they were two more nodes per column to style,
    lay out and composite, and the header a Rich table to measure on every repaint.
    """

    COMPONENT_CLASSES = {"column--header", "column--empty"}

    DEFAULT_CSS = """
    KanbanColumn { width: 1fr; height: 1fr; border-right: vkey $panel; }
    KanbanColumn.fixed { width: 24; }
    KanbanColumn > .column--header { background: $panel; }
    KanbanColumn.active > .column--header { background: $primary 50%; text-style: bold; }
    KanbanColumn > .column--empty { color: $text-muted; }
    KanbanColumn > CardList { margin-top: 3; }
    KanbanColumn.empty > CardList { display: none; }
    """

    #: Lines of the header; "No deals" goes one blank line under it.
    HEADER_HEIGHT = 3

    def __init__(
        self, stage: str, title: str, *, active: bool = False, fixed: bool = False
    ) -> None:
        classes = " ".join(name for name, on in (("active", active), ("fixed", fixed)) if on)
        super().__init__(id=f"column-{stage}", classes=classes or None)
        self.stage = stage
        self.title = title
        self.summary = ColumnSummary(stage)
        self.note = ""
        self._lines: dict[int, Strip] = {}  # per repaint (see render_lines)
        self._drawn: list[tuple[str, str]] | None = None  # the header last drawn

    def compose(self) -> ComposeResult:
        yield CardList(self.stage, id=f"cards-{self.stage}", active=self.has_class("active"))

    @property
    def cards(self) -> CardList:
        return self.query_one(CardList)

    def header_text(self) -> str:
        """The header as plain text (name and count, total, weighted), one line each."""
        return "\n".join(f"{left} {right}" for left, right in self._header_rows())

    def _header_rows(self) -> list[tuple[str, str]]:
        s = self.summary
        title = f"{self.title} · {self.note}" if self.note else self.title
        return [
            (title, str(s.count)),
            (_("Total"), display_amount(s.amount_cents)),
            (_("Weighted"), display_amount(s.weighted_cents)),
        ]

    def show(self, summary: ColumnSummary, fetch: Fetch, cursor: int | None = None) -> None:
        self.summary = summary
        if self._drawn is not None and self._header_rows() != self._drawn:
            self.refresh()  # the header is drawn here: a repaint, never a layout
        self.set_class(summary.count == 0, "empty")
        self.cards.load(summary.count, fetch, cursor)

    def set_active(self, active: bool) -> None:
        self.set_class(active, "active")
        self.cards.set_active(active)

    # --- rendering ---------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        self._lines.clear()  # styles and texts may have changed since the last repaint
        self._drawn = self._header_rows()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        if y < self.HEADER_HEIGHT:
            kind = y
        elif y == self.HEADER_HEIGHT + 1 and self.has_class("empty"):
            kind = -1
        else:
            kind = -2
        strip = self._lines.get(kind)
        if strip is None:
            strip = self._lines[kind] = self._render_kind(kind, width)
        return strip

    def _render_kind(self, kind: int, width: int) -> Strip:
        plain = self.rich_style
        if kind == -2:
            return Strip([Segment(" " * width, plain)], width)
        if kind == -1:  # "No deals", one cell in from the left
            muted = plain + self.get_component_rich_style("column--empty")
            text = set_cell_size(_("No deals"), max(width - 2, 0))
            return Strip(
                [Segment(" ", plain), Segment(text, muted), Segment(" ", plain)], width
            ).crop_extend(0, width, plain)
        # a header line: labels left, numbers right; a long stage name is cut, never a number
        base = plain + self.get_component_rich_style("column--header")
        left, right = self._header_rows()[kind]
        inner = max(width - 2, 0)
        if kind and cell_len(left) + 1 + cell_len(right) > inner:
            # a huge total: compact it rather than drop the label ("Total", "Weighted")
            s = self.summary
            right = compact_amount(s.amount_cents if kind == 1 else s.weighted_cents)
        right = " " + right
        if cell_len(right) >= inner:  # no room for the label
            left, right = "", set_cell_size(right[-inner:] if inner else "", inner)
        else:
            room = inner - cell_len(right)
            if cell_len(left) > room:
                left = set_cell_size(left, room - 1) + "…" if room > 1 else set_cell_size("…", room)
            left = set_cell_size(left, room)
        label = base + Style(bold=True) if kind == 0 else base
        return Strip(
            [Segment(" ", base), Segment(left, label), Segment(right, base), Segment(" ", base)],
            width,
        ).crop_extend(0, width, plain)

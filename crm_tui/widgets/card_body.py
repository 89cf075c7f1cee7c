"""The scrolling body of a record's card (a task's, an interaction's).

A card with every field filled ran past an 80x24 terminal: its last rows and all its
buttons were cut off, and nothing scrolled. The body now takes at most part of the
screen's height and scrolls; the buttons under it stay in view, and ↑ ↓ PgUp PgDn
scroll it whatever button has the focus.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import VerticalScroll

#: The keys that scroll a card's body (add them to the card's BINDINGS).
SCROLL_KEYS = [
    Binding("down", "scroll_card(1)", show=False),
    Binding("up", "scroll_card(-1)", show=False),
    Binding("pagedown", "scroll_card(8)", show=False),
    Binding("pageup", "scroll_card(-8)", show=False),
]


class CardBody(VerticalScroll, can_focus=False):
    # (title 2 rows, buttons 4, border and padding 4: what 80x24 leaves is ~11 rows)
    DEFAULT_CSS = """
    CardBody {
        height: auto;
        max-height: 45vh;
    }
    """


class ScrollingCard:
    """Mixin for a card screen holding a CardBody: the action SCROLL_KEYS call."""

    def action_scroll_card(self, lines: int) -> None:
        self.query_one(CardBody).scroll_relative(y=lines, animate=False)  # type: ignore[attr-defined]

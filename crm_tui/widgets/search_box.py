"""A list screen's search field: says what it searches (in full when that fits), and
Down goes on to the results as Enter does."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.binding import Binding
from textual.widgets import Input


class SearchBox(Input):
    """An Input showing ``placeholder`` (the whole list of what is searched) when it fits
    its width, else ``short``: cut by the terminal, the list read "/ search name," and
    stopped (the help screen, ?, has the whole list).

    Down submits, as Enter does (each screen then moves on to its list): a one-line box
    has nowhere to go down to, and the key did nothing."""

    BINDINGS = [Binding("down", "submit", show=False)]

    def __init__(self, placeholder: str, short: str | None = None, **kwargs) -> None:
        super().__init__(placeholder=placeholder, **kwargs)
        self._whole, self._short = placeholder, short or placeholder

    def on_resize(self, event: events.Resize) -> None:
        room = self.content_size.width - 1  # (the cursor's cell after the text)
        self.placeholder = self._whole if cell_len(self._whole) <= room else self._short

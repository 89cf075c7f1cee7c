"""A search field whose placeholder says what it searches, in full when that fits."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.widgets import Input


class SearchBox(Input):
    """An Input showing ``placeholder`` (the whole list of what is searched) when it fits
    its width, else ``short``: cut by the terminal, the list read "/ search name," and
    stopped (the help screen, ?, has the whole list)."""

    def __init__(self, placeholder: str, short: str, **kwargs) -> None:
        super().__init__(placeholder=placeholder, **kwargs)
        self._whole, self._short = placeholder, short

    def on_resize(self, event: events.Resize) -> None:
        room = self.content_size.width - 1  # (the cursor's cell after the text)
        self.placeholder = self._whole if cell_len(self._whole) <= room else self._short

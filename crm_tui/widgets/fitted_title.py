"""A title of one line whose first part (a long name) gives way to the rest."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Label


class FittedTitle(Label):
    """``name`` then ``facts`` on one line; when they do not fit, the name is cut with
    "…" so the facts stay whole. A customer's long name pushed its level, status and
    code off the end of the line, and nothing else on the screen shows them."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__("", id=id, markup=False)
        self._name = Text()
        self._facts = Text()

    def show(self, name: Text | str, facts: Text) -> None:
        self._name = Text(name) if isinstance(name, str) else name
        self._facts = facts
        self.refresh(layout=True)

    def render(self) -> Text:
        width = self.size.width
        name = self._name.copy()
        room = width - self._facts.cell_len
        if width and name.cell_len > room:
            name.truncate(max(room, 1), overflow="ellipsis")
        return Text.assemble(name, self._facts, no_wrap=True, overflow="ellipsis")

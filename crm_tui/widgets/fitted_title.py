"""A title of one line whose name (a long one) gives way to the rest."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Label


class FittedTitle(Label):
    """``lead``, ``name`` then ``facts`` on one line; when they do not fit, the name is
    cut with "…" so the lead and facts stay whole. A customer's long name pushed its
    level, status and code off the end of the line, and nothing else on the screen
    shows them; a deal's pushed its stage out of the detail's title."""

    DEFAULT_CSS = "FittedTitle { width: 100%; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__("", id=id, classes=classes, markup=False)
        self._lead = Text()
        self._name = Text()
        self._facts = Text()

    def show(self, name: Text | str, facts: Text | str = "", lead: Text | str = "") -> None:
        self._lead, self._name, self._facts = (
            Text(part) if isinstance(part, str) else part for part in (lead, name, facts)
        )
        self.refresh(layout=True)

    @property
    def full_text(self) -> str:
        """The title uncut."""
        return f"{self._lead.plain}{self._name.plain}{self._facts.plain}"

    def render(self) -> Text:
        width = self.size.width
        name = self._name.copy()
        room = width - self._lead.cell_len - self._facts.cell_len
        if width and name.cell_len > room:
            name.truncate(max(room, 1), overflow="ellipsis")
        return Text.assemble(self._lead, name, self._facts, no_wrap=True, overflow="ellipsis")

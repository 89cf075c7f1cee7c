"""A line of text said in a shorter wording when the terminal is narrow."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Label


class FittedLine(Label):
    """The first of its wordings that fits its width, longest first; when none does, the
    last (the shortest) cut with "…" at its end, so what comes first stays whole.

    The due list's status line lost "completed" at 80 columns, without a "…"; the
    board's ("2/3 = e", "  ·  标") was cut mid-word: it gives the line with fewer and
    fewer of its parts."""

    DEFAULT_CSS = "FittedLine { width: 1fr; height: 1; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__("", id=id, classes=classes, markup=False)
        self._wordings: tuple[str, ...] = ()

    def show(self, *wordings: str) -> None:
        self._wordings = wordings
        self.refresh()

    def render(self) -> Text:
        width = self.size.width
        if not self._wordings:
            return Text()
        texts = [Text(wording, no_wrap=True) for wording in self._wordings]
        text = next((t for t in texts if not width or t.cell_len <= width), texts[-1])
        if width:
            text.truncate(width, overflow="ellipsis")
        return text

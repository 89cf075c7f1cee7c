"""A bar one line high that draws its line itself (the header and the key bar)."""

from __future__ import annotations

from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget


class OneLineBar(Widget):
    """One widget, one line: cheaper for a screen's first visit than a row of widgets."""

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y or width <= 0:
            return Strip.blank(width, base)
        return self.render_bar(width, base)

    def render_bar(self, width: int, base: Style) -> Strip:
        """The line, ``width`` cells wide, over the widget's own style ``base``."""
        raise NotImplementedError

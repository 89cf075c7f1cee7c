"""Terminal bar charts: block-character bars, stacked series and a marker, in theme colours.

Colours come from component classes (``bar-chart--series-0`` … ``--marker``) styled with
theme variables, so the bars follow the app's theme like any other widget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

#: Left-aligned eighths of a cell: index n draws n/8 of a cell.
EIGHTHS = " ▏▎▍▌▋▊▉█"
FULL = "█"
MARKER = "│"


@dataclass(frozen=True)
class Bar:
    """One row: a label, stacked segment values (series 0, 1, …), a caption, an optional marker.

    The marker (e.g. a month's target) is drawn as ``│`` at its value on the same scale.
    """

    label: str
    parts: tuple[int | float, ...]
    text: str = ""
    marker: int | float | None = None


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal cells (with an ellipsis) and padded to it."""
    if cell_len(text) > width:
        out = ""
        for ch in text:
            if cell_len(out + ch) > width - 1:
                break
            out += ch
        text = out + "…"
    return text + " " * (width - cell_len(text))


def bar_cells(parts: Sequence[int | float], scale: float, width: int) -> list[tuple[int, str]]:
    """Cells of a stacked bar as ``(series, character)``: whole cells, the tip in eighths.

    Boundaries between series fall on whole cells (one cell has one colour); only the
    end of the last non-empty series uses a partial block, so small values still show.
    """
    if scale <= 0 or width <= 0:
        return []
    cells: list[tuple[int, str]] = []
    total = 0.0
    last = max((i for i, v in enumerate(parts) if v and v > 0), default=-1)
    for series, value in enumerate(parts):
        if not value or value <= 0:
            continue
        total += value
        if series == last:
            eighths = round(min(total, scale) / scale * width * 8)
            full, rest = divmod(eighths, 8)
            cells.extend((series, FULL) for _ in range(max(0, full - len(cells))))
            if rest and len(cells) < width:
                cells.append((series, EIGHTHS[rest]))
            if len(cells) == 0:
                cells.append((series, EIGHTHS[1]))  # a positive value is never invisible
        else:
            end = round(min(total, scale) / scale * width)
            cells.extend((series, FULL) for _ in range(max(0, end - len(cells))))
    return cells[:width]


class BarChart(Widget):
    """Horizontal bars with labels on the left and captions on the right.

    ``centered=True`` centres each bar (whole cells) so a falling series reads as a funnel.
    ``legend`` names the series (and the marker, as the last entry when markers are used).
    """

    DEFAULT_CSS = """
    BarChart { height: auto; padding: 0 1; }
    BarChart > .bar-chart--label { color: $text; }
    BarChart > .bar-chart--text { color: $text-muted; }
    BarChart > .bar-chart--series-0 { color: $primary; }
    BarChart > .bar-chart--series-1 { color: $accent; }
    BarChart > .bar-chart--series-2 { color: $secondary; }
    BarChart > .bar-chart--marker { color: $warning; text-style: bold; }
    """

    COMPONENT_CLASSES = {
        "bar-chart--label",
        "bar-chart--text",
        "bar-chart--series-0",
        "bar-chart--series-1",
        "bar-chart--series-2",
        "bar-chart--marker",
    }

    MAX_LABEL = 24
    #: Bars wider than this read no better and push the captions far from their labels.
    MAX_BAR = 64

    def __init__(
        self,
        *,
        centered: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.centered = centered
        self.bars: list[Bar] = []
        self.legend: list[str] = []

    def set_bars(self, bars: Sequence[Bar], legend: Sequence[str] = ()) -> None:
        self.bars = list(bars)
        self.legend = list(legend)
        self.refresh(layout=True)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"bar-chart--{name}")

    def _series_style(self, series: int) -> Style:
        return self._style(f"series-{min(series, 2)}")

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.bars) + (1 if self.legend else 0)

    def render(self) -> Text:
        out = Text(no_wrap=True, overflow="crop")
        if not self.bars:
            return out
        width = max(self.size.width, 20)
        label_w = min(max(cell_len(b.label) for b in self.bars), self.MAX_LABEL)
        text_w = max(cell_len(b.text) for b in self.bars)
        area = min(max(width - label_w - text_w - 2, 8), self.MAX_BAR)
        scale = max(max(sum(v for v in b.parts if v and v > 0), b.marker or 0) for b in self.bars)
        has_marker = any(b.marker for b in self.bars)
        if self.legend:
            self._legend(out, label_w, has_marker)
        for i, bar in enumerate(self.bars):
            if i or self.legend:
                out.append("\n")
            out.append(fit(bar.label, label_w) + " ", self._style("label"))
            out.append_text(self._bar_line(bar, scale, area))
            out.append(" " + bar.text, self._style("text"))
        return out

    def _legend(self, out: Text, label_w: int, has_marker: bool) -> None:
        out.append(" " * (label_w + 1))
        names = self.legend
        series_names = names[:-1] if has_marker and len(names) > 1 else names
        for series, name in enumerate(series_names):
            out.append(FULL, self._series_style(series))
            out.append(f" {name}   ", self._style("text"))
        if has_marker and len(names) > 1:
            out.append(MARKER, self._style("marker"))
            out.append(f" {names[-1]}", self._style("text"))

    def _bar_line(self, bar: Bar, scale: float, area: int) -> Text:
        if self.centered:
            total = sum(v for v in bar.parts if v and v > 0)
            n = round(total / scale * area) if scale else 0
            n = max(n, 1) if total > 0 else 0
            left = (area - n) // 2
            line = Text(" " * left)
            line.append(FULL * n, self._series_style(0))
            line.append(" " * (area - left - n))
            return line
        cells = bar_cells(bar.parts, scale, area)
        chars = [ch for _s, ch in cells] + [" "] * (area - len(cells))
        styles = [self._series_style(s) for s, _ch in cells] + [Style()] * (area - len(cells))
        if bar.marker and scale:
            at = min(round(bar.marker / scale * area), area - 1)
            chars[at] = MARKER
            styles[at] = self._style("marker")
        line = Text()
        for ch, style in zip(chars, styles, strict=True):
            line.append(ch, style)
        return line


class MetricGrid(Widget):
    """Label–value pairs laid out in as many columns as the width holds (column by column).

    A report's summary numbers: every value stays on screen at any width, right-aligned in
    its column, instead of sitting in a table column that scrolls off to the right.
    """

    DEFAULT_CSS = """
    MetricGrid { height: auto; padding: 0 1; }
    MetricGrid > .metric-grid--label { color: $text-muted; }
    MetricGrid > .metric-grid--value { color: $text; text-style: bold; }
    """

    COMPONENT_CLASSES = {"metric-grid--label", "metric-grid--value"}

    #: Blank cells between two columns of pairs.
    GAP = 4

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.items: list[tuple[str, str]] = []

    def set_items(self, items: Sequence[tuple[str, str]]) -> None:
        self.items = list(items)
        self.refresh(layout=True)

    def _widths(self) -> tuple[int, int]:
        label_w = max((cell_len(label) for label, _v in self.items), default=0)
        value_w = max((cell_len(value) for _l, value in self.items), default=0)
        return label_w, value_w

    def grid_shape(self, width: int) -> tuple[int, int]:
        """``(columns, rows)`` for ``width`` cells: as many columns as fit, rows balanced."""
        n = len(self.items)
        if not n:
            return 0, 0
        label_w, value_w = self._widths()
        pair = label_w + 2 + value_w
        columns = max(1, min(n, (width + self.GAP) // (pair + self.GAP)))
        rows = -(-n // columns)
        return -(-n // rows), rows

    def get_content_height(self, container, viewport, width: int) -> int:
        return self.grid_shape(width)[1]

    def render(self) -> Text:
        out = Text(no_wrap=True, overflow="crop")
        columns, rows = self.grid_shape(self.size.width)
        label_w, value_w = self._widths()
        label_style = self.get_component_rich_style("metric-grid--label")
        value_style = self.get_component_rich_style("metric-grid--value")
        for r in range(rows):
            if r:
                out.append("\n")
            for c in range(columns):
                i = c * rows + r
                if i >= len(self.items):
                    break
                label, value = self.items[i]
                if c:
                    out.append(" " * self.GAP)
                out.append(fit(label, label_w) + "  ", label_style)
                out.append(" " * (value_w - cell_len(value)) + value, value_style)
        return out

"""The bar at the top of every screen: screen tabs, the last backup, the due badge.

One widget drawing one line, like the key bar (``widgets/footer.py``): as a row of
nine labels it was nine more widgets for every screen's first visit to compose,
style, lay out and composite. A new due count or backup time is a repaint.
"""

from __future__ import annotations

import datetime as dt

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from crm_tui.i18n import _
from crm_tui.widgets.one_line import OneLineBar

SCREENS = (
    ("customers", "1", "Customers"),
    ("pipeline", "2", "Pipeline"),
    ("interactions", "3", "Interactions"),
    ("tasks", "4", "Tasks"),
    ("reports", "5", "Reports"),
)


def backup_text(when: dt.datetime | None, refused: bool = False) -> str:
    """How long ago the last backup was made, as the header says it; ``refused``: the last
    one was refused because the database is damaged (the older ones are kept)."""
    if refused:
        return _("backup refused: database damaged")
    if when is None:
        return _("no backup yet")
    # A backup's age is wall-clock time (the file's), not the app's data clock.
    age = dt.datetime.now() - when
    if age.total_seconds() < 3600:
        return _("backed up just now")
    if age.days < 1:
        return _("backed up {n} h ago").format(n=int(age.total_seconds() // 3600))
    return _("backed up {n} d ago").format(n=age.days)


_Part = tuple[str, tuple[str, ...]]


class AppHeader(OneLineBar):
    """Which screen is shown, when the file was last backed up, how many follow-ups are
    due (overdue + today)."""

    COMPONENT_CLASSES = {
        "app-header--name",
        "app-header--tab",
        "app-header--current",
        "app-header--backup",
        "app-header--backup-refused",
        "app-header--due",
        "app-header--has-due",
    }
    DEFAULT_CSS = """
    AppHeader { height: 1; background: $panel; }
    AppHeader > .app-header--name { text-style: bold; color: $accent; }
    AppHeader > .app-header--tab { color: $text-muted; }
    AppHeader > .app-header--current { color: $text; background: $primary 40%; text-style: bold; }
    AppHeader > .app-header--backup { color: $text-muted; }
    AppHeader > .app-header--backup-refused { color: $text; background: $error 60%; text-style: bold; }
    AppHeader > .app-header--due { color: $text; }
    AppHeader > .app-header--has-due { color: $text; background: $error 60%; text-style: bold; }
    """

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current
        self.backup = ""
        self._backup_refused = False
        self.due = ""
        self._has_due = False

    def on_mount(self) -> None:
        self.watch(self.app, "due_count", self._show_due, init=True)
        self.watch(self.app, "last_backup", self._show_backup, init=True)
        self.watch(self.app, "backup_refused", self._show_backup_refused, init=False)

    def _show_backup(self, when: dt.datetime | None) -> None:
        self._backup_refused = bool(getattr(self.app, "backup_refused", False))
        self.backup = backup_text(when, self._backup_refused)
        self.refresh()

    def _show_backup_refused(self, _refused: bool) -> None:
        # also when there is no backup at all: last_backup then never changes
        self._show_backup(getattr(self.app, "last_backup", None))

    def _show_due(self, count: int) -> None:
        self.due = _("{n} due").format(n=count) if count >= 0 else ""
        self._has_due = count > 0
        self.refresh()

    # --- drawing ---------------------------------------------------------------------

    def parts(self) -> tuple[list[_Part], list[_Part]]:
        """(text, component classes) of the left side (name, tabs) and of the right side."""
        left = [("crm", ("app-header--name",))]
        for mode, key, title in SCREENS:
            tab = "app-header--current" if mode == self.current else "app-header--tab"
            left.append((f"{key} {_(title)}", (tab,)))
        due = ("app-header--due", "app-header--has-due") if self._has_due else ("app-header--due",)
        backup = ("app-header--backup",)
        if self._backup_refused:
            backup = ("app-header--backup", "app-header--backup-refused")
        return left, [(self.backup, backup), (self.due, due)]

    @property
    def text(self) -> str:
        """The line as plain text (one space either side of each part, no filler)."""
        left, right = self.parts()
        return "".join(f" {text} " for text, _name in (*left, *right))

    def render_bar(self, width: int, base: Style) -> Strip:
        left, right = self.parts()

        def segments(parts: list[_Part]) -> list[Segment]:
            return [
                Segment(f" {text} ", base + self.get_component_rich_style(*names))
                for text, names in parts
            ]

        left_strip, right_strip = Strip(segments(left)), Strip(segments(right))
        if left_strip.cell_length + right_strip.cell_length > width and not self._backup_refused:
            # too narrow (80 columns in English): the due count matters more than the
            # backup's age, so the age goes first; a refused backup is never dropped
            right_strip = Strip(segments(right[1:]))
        room = max(0, width - right_strip.cell_length)
        left_strip = left_strip.crop(0, room)  # the tabs give way before the right side
        gap = room - left_strip.cell_length
        line = [*left_strip, Segment(" " * gap, base), *right_strip]
        return Strip(line).crop_extend(0, width, base)

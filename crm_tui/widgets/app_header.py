"""The bar at the top of every screen: screen tabs, the due badge, the last backup."""

from __future__ import annotations

import datetime as dt

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from crm_tui.i18n import _

SCREENS = (
    ("customers", "1", "Customers"),
    ("pipeline", "2", "Pipeline"),
    ("interactions", "3", "Interactions"),
    ("tasks", "4", "Tasks"),
    ("reports", "5", "Reports"),
)


class AppHeader(Horizontal):
    """Which screen is shown, how many follow-ups are due (overdue + today)."""

    DEFAULT_CSS = """
    AppHeader { height: 1; background: $panel; }
    AppHeader .app-name { text-style: bold; color: $accent; padding: 0 1; }
    AppHeader .tab { padding: 0 1; color: $text-muted; }
    AppHeader .tab.current { color: $text; background: $primary 40%; text-style: bold; }
    AppHeader .spacer { width: 1fr; }
    AppHeader #due-badge { padding: 0 1; color: $text; }
    AppHeader #backup-label { padding: 0 1; color: $text-muted; }
    AppHeader #due-badge.has-due { background: $error 60%; text-style: bold; }
    """

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        yield Label("crm", classes="app-name")
        for mode, key, title in SCREENS:
            classes = "tab current" if mode == self.current else "tab"
            yield Label(f"{key} {_(title)}", classes=classes, id=f"tab-{mode}")
        yield Label("", classes="spacer")
        yield Label("", id="backup-label")
        yield Label("", id="due-badge")

    def on_mount(self) -> None:
        self.watch(self.app, "due_count", self._show_due, init=True)
        self.watch(self.app, "last_backup", self._show_backup, init=True)

    def _show_backup(self, when) -> None:
        label = self.query_one("#backup-label", Label)
        if when is None:
            label.update(_("no backup yet"))
            return
        # A backup's age is wall-clock time (the file's), not the app's data clock.
        age = dt.datetime.now() - when
        if age.total_seconds() < 3600:
            text = _("backed up just now")
        elif age.days < 1:
            text = _("backed up {n} h ago").format(n=int(age.total_seconds() // 3600))
        else:
            text = _("backed up {n} d ago").format(n=age.days)
        label.update(text)

    def _show_due(self, count: int) -> None:
        badge = self.query_one("#due-badge", Label)
        if count < 0:
            badge.update("")
            return
        badge.update(_("{n} due").format(n=count))
        badge.set_class(count > 0, "has-due")

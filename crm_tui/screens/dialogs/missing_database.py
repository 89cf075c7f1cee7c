"""`crm` on a database file that is not there while backups of it exist.

Opened as it is, SQLite would create a new, empty file ("No customers yet"), and its
daily backups would rotate the good ones out. Before the app opens anything, a small
app of its own asks what to do: restore the newest backup, start an empty database
anyway (the earlier backups are kept aside), or quit.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Label

from crm_tui.i18n import _
from crm_tui.widgets.localized import Localized

#: What the rep chose: restore the newest backup, start an empty database, or None (quit).
RESTORE = "restore"
EMPTY = "empty"


class MissingDatabaseScreen(Localized, Screen[str | None]):
    BINDINGS = [
        Binding("r", "choose('restore')", "Restore"),
        Binding("e", "choose('empty')", "Empty"),
        Binding("q,escape", "choose(None)", "Quit"),
    ]
    DEFAULT_CSS = """
    MissingDatabaseScreen { align: center middle; }
    MissingDatabaseScreen #dialog {
        width: 90; max-width: 95%; height: auto; padding: 1 2;
        border: thick $error 60%; background: $surface;
    }
    MissingDatabaseScreen .dialog-title { text-style: bold; color: $accent; margin-bottom: 1; }
    MissingDatabaseScreen #message { width: 100%; }
    MissingDatabaseScreen .buttons { height: auto; margin-top: 1; align-horizontal: right; }
    MissingDatabaseScreen .buttons Button { margin-left: 2; }
    """

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(_("The database file is gone"), classes="dialog-title", markup=False)
            yield Label(self.message, id="message", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(_("Restore the newest backup") + " (r)", id=RESTORE, variant="primary")
                yield Button(_("Start an empty database") + " (e)", id=EMPTY, variant="error")
                yield Button(_("Quit") + " (q)", id="quit")

    def on_mount(self) -> None:
        self.query_one(f"#{RESTORE}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_choose(event.button.id if event.button.id != "quit" else None)

    def action_choose(self, choice: str | None) -> None:
        self.app.exit(choice)


class MissingDatabaseApp(App[str | None]):
    """Shows :class:`MissingDatabaseScreen`; ``run()`` returns the choice."""

    TITLE = "crm"

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def on_mount(self) -> None:
        self.push_screen(MissingDatabaseScreen(self.message))

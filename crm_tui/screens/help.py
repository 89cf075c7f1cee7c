"""`?`: every key of the app, and of the screen it was opened from."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from crm_tui.dates import date_help
from crm_tui.i18n import _
from crm_tui.widgets.footer import Footer
from crm_tui.widgets.localized import Localized

#: The key contract of CLI.md, in its order.
GLOBAL_KEYS = (
    ("1 2 3 4 5", "Customers, pipeline, interactions, tasks (due list), reports"),
    ("ctrl+p", "Command palette: jump to any customer, opportunity or command"),
    ("/", "Search / filter the current list (as you type)"),
    ("n / e / enter / delete", "New record / edit / open / delete (asks first)"),
    ("l", "Log an interaction for the selected customer, opportunity or task"),
    ("t", "New task for the selected record"),
    ("x", "Mark the selected task done (then offers the next follow-up)"),
    ("s / S", "Snooze the selected task one day / one week"),
    ("< >", "Move the selected opportunity to the previous / next stage"),
    ("ctrl+s / escape", "Save a form / cancel or go back"),
    ("r", "Start the daily follow-up review (tasks screen)"),
    ("ctrl+e", "Export the current report or list to CSV"),
    ("?  q", "This help; quit"),
)


class HelpScreen(Localized, ModalScreen[None]):
    """Lists the global keys and the keys of ``screen``."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, screen: Screen | None = None) -> None:
        super().__init__()
        self.origin = screen

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog help"):
            yield Label(_("Keys"), classes="dialog-title")
            with VerticalScroll():
                yield self._plain(self._table(GLOBAL_KEYS))
                local = self._screen_keys()
                if local:
                    yield Label(_("On this screen"), classes="help-section")
                    yield self._plain(self._table(local))
                yield Label(_("Dates in forms"), classes="help-section")
                yield self._plain(date_help())
                extra = getattr(self.origin, "HELP", None)
                if extra:
                    yield Static(_(extra), classes="help-note")
        yield Footer()  # (its own keys, not the screen's behind it)

    def _screen_keys(self) -> list[tuple[str, str]]:
        """The keys the screen's own classes bind (Textual's own, such as tab "Focus
        Next" or ctrl+c "Copy selected text", say nothing about this app)."""
        if self.origin is None:
            return []
        # (by key and action: the descriptions shown are translated, Localized)
        ours = {
            (key, b.action)
            for cls in type(self.origin).__mro__
            if cls.__module__.startswith("crm_tui.") and "BINDINGS" in cls.__dict__
            for b in Binding.make_bindings(cls.__dict__["BINDINGS"])
            for key in b.key.split(",")
        }
        # the app's keys a modal screen binds again (`?`, `q`) are listed above already
        ours -= {
            (key, f"app.{b.action}")
            for key, bindings in self.app._bindings.key_to_bindings.items()
            for b in bindings
        }
        seen: list[tuple[str, str]] = []
        for key, bindings in self.origin._bindings.key_to_bindings.items():
            for b in bindings:
                if b.description and (key, b.action) in ours:
                    shown = (b.key_display or key, b.description)
                    if shown not in seen:
                        seen.append(shown)
        # keys a screen's table takes (enter on a row), which are no binding of the screen
        return seen + list(getattr(self.origin, "HELP_KEYS", ()))

    @staticmethod
    def _table(rows) -> Table:
        """Keys and what they do in two columns: a long description wraps within its
        own column, not back under the keys."""
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True)
        table.add_column(overflow="fold")  # Chinese has no spaces to wrap at
        for key, description in rows:
            table.add_row(Text(key), Text(_(description)))  # Text: `[` is not markup
        return table

    @staticmethod
    def _plain(content: str | Table) -> Static:
        """Key names such as `[` are text, not markup."""
        return Static(content, classes="help-table", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)

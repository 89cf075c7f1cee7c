"""A yes/no question before anything destructive."""

from __future__ import annotations

from dataclasses import replace

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from crm_tui.i18n import _
from crm_tui.widgets.footer import Footer
from crm_tui.widgets.localized import Localized


class ConfirmDialog(Localized, ModalScreen[bool]):
    """Ask ``message``; dismisses with True (y / enter on Yes) or False (n / escape)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, message: str, *, yes: str | None = None, danger: bool = False) -> None:
        super().__init__()
        self.message = message
        self.yes_label = yes or _("Yes")
        self.danger = danger
        # the key bar says what y does, as its button does ("y Delete", not "y Yes")
        self._bindings.key_to_bindings["y"] = [
            replace(b, description=self.yes_label) for b in self._bindings.key_to_bindings["y"]
        ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.message, id="question", markup=False)
            with Horizontal(classes="buttons"):
                # the keys on the buttons, as the forms' "Save (ctrl+s)"
                yield Button(
                    f"{self.yes_label} (y)", id="yes", variant="error" if self.danger else "primary"
                )
                yield Button(_("No") + " (n)", id="no")
        yield Footer()  # (its own keys, not the screen's behind it)

    def on_mount(self) -> None:
        self.query_one("#no" if self.danger else "#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class MessageDialog(Localized, ModalScreen[None]):
    """Show a message (e.g. an error that needs reading) until dismissed."""

    BINDINGS = [Binding("escape,enter", "close", "Close")]

    def __init__(self, title: str, message: str, button: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.button = button  # the button's label (default: Close)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Label(self.message, id="message", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(self.button or _("Close"), id="close", variant="primary")
        yield Footer()  # (its own keys, not the screen's behind it)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

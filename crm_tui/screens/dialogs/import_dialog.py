"""Import a CSV file from the TUI: check it first (a dry run), then import on confirmation."""

from __future__ import annotations

import shlex
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static

from crm_tui.i18n import _
from crm_tui.widgets.footer import Footer
from crm_tui.widgets.localized import Localized

KINDS = ("customers", "contacts", "opportunities", "interactions", "tasks", "orders")
KIND_LABELS = {
    "customers": "Customers",
    "contacts": "Contacts",
    "opportunities": "Opportunities",
    "interactions": "Interactions",
    "tasks": "Tasks",
    "orders": "Orders",
}
DUPLICATE_LABELS = {
    "skip": "Skip duplicates",
    "merge": "Merge into the existing record",
    "create": "Create anyway",
}


#: Rows of the finished dialog around its notes: border and padding, title, buttons.
_FINISHED_CHROME = 11


class ImportDialog(Localized, ModalScreen[str | None]):
    """Dismisses with the import summary once rows went in, None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("escape", "close", "Close"),  # (once the import is done: check_action)
    ]

    def __init__(self, kind: str = "customers") -> None:
        super().__init__()
        self.kind = kind
        self.checked_path: Path | None = None
        #: the file was imported before and the rep was told: the next check or import
        #: takes it once more (the command line's --again)
        self.again = False
        #: the counts of the import once it is done (what the dialog dismisses with)
        self.finished: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog import"):
            yield Label(_("Import a CSV file"), classes="dialog-title")
            with Horizontal(classes="form-row"):
                yield Label(_("Records"), classes="field-label")
                yield Select(
                    [(_(KIND_LABELS[k]), k) for k in KINDS],
                    value=self.kind,
                    allow_blank=False,
                    id="kind",
                    compact=True,
                )
            with Horizontal(classes="form-row"):
                yield Label(_("File"), classes="field-label")
                yield Input(placeholder=_("path to a .csv file"), id="path", compact=True)
            with Horizontal(classes="form-row"):
                yield Label(_("Duplicates"), classes="field-label")
                yield Select(
                    [(_(v), k) for k, v in DUPLICATE_LABELS.items()],
                    value="skip",
                    allow_blank=False,
                    id="on-duplicate",
                    compact=True,
                )
            yield Static(
                _("UTF-8 or GBK (Chinese Excel), comma, semicolon or tab separated; "
                  "English or Chinese headers."),
                classes="help-note",
            )  # fmt: skip
            yield ProgressBar(id="import-progress", show_eta=False)
            with VerticalScroll(id="summary-box", can_focus=False):
                yield Static("", id="summary", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(_("Check file"), id="check", variant="primary")
                yield Button(_("Import"), id="import", variant="success", disabled=True)
                yield Button(_("Cancel (esc)"), id="cancel")
        yield Footer()  # (its own keys, not the screen's behind it)

    def on_mount(self) -> None:
        self.query_one("#import-progress").display = False
        self.query_one("#path", Input).focus()

    def _options(self) -> tuple[str, Path, str]:
        kind = str(self.query_one("#kind", Select).value)
        path = typed_path(self.query_one("#path", Input).value)
        on_dup = str(self.query_one("#on-duplicate", Select).value)
        return kind, path, on_dup

    def on_input_changed(self) -> None:
        self.query_one("#import", Button).disabled = True
        self.again = False  # another file: asked again if it was imported before

    def on_select_changed(self) -> None:
        self.query_one("#import", Button).disabled = True
        self.again = False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "check":
            self.run_import(dry_run=True)
        elif event.button.id == "import":
            self.run_import(dry_run=False)
        else:
            self.action_cancel()

    def on_input_submitted(self) -> None:
        self.run_import(dry_run=True)

    #: A real import is running: it is one transaction, which the dialog waits for.
    importing = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """escape cancels, then (the import done) closes: the key bar says which."""
        if action in ("cancel", "close"):
            return (action == "close") == bool(self.finished)
        return True

    def action_close(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        if self.importing:  # escape near its end closed the dialog, and the rows went in
            # unannounced, the list not refreshed: it finishes first, then says what it did
            self.notify(_("The import finishes first (it is all or nothing)"), severity="warning")
            return
        self.dismiss(self.finished)

    def _finished(self, text: str, counts: str) -> None:
        """The import is done: its whole summary stays on screen, in the form's room,
        until closed, its counts in the title (a notice taller than the terminal lost
        them, then went); closing brings them back (the screen says them again)."""
        self.finished = counts
        self.refresh_bindings()
        for widget in self.query(".form-row, .help-note, #check, #import"):
            widget.display = False
        title = _("Import finished: {counts}").format(counts=counts)
        self.query_one(".dialog-title", Label).update(title)
        self.query_one("#summary", Static).update(text)
        # the notes scroll in their own box: the title above and Close below stay in view
        box = self.query_one("#summary-box", VerticalScroll)
        box.styles.max_height = max(3, int(self.app.size.height * 0.9) - _FINISHED_CHROME)
        box.can_focus = True  # (tab to it, then the arrow keys scroll the notes)
        close = self.query_one("#cancel", Button)
        close.label = _("Close (esc)")
        close.focus()
        self.call_after_refresh(self.query_one("#dialog").scroll_home, animate=False)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def run_import(self, dry_run: bool) -> None:
        from crm_tui.store.importing import (
            AlreadyImported,
            ImportRefused,
            import_file,
            summary_counts,
            summary_lines,
        )

        kind, path, on_dup = self._options()
        if not path.name:
            self.app.call_from_thread(self._show, _("Type the path of a .csv file first"), False)
            return
        if path.is_dir():
            message = _("{path} is a folder: type the path of a .csv file in it")
            self.app.call_from_thread(self._show, message.format(path=path), False)
            return
        if not path.is_file():
            self.app.call_from_thread(
                self._show, _("No such file: {path}").format(path=path), False
            )
            return
        self.importing = not dry_run
        self.app.call_from_thread(self._busy, True)

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self._progress, done, total)

        try:
            result = import_file(
                self.app.db.path,  # type: ignore[attr-defined]
                kind,
                path,
                dry_run=dry_run,
                again=self.again,
                on_duplicate=on_dup,
                owner=self.app.settings.user_name,  # type: ignore[attr-defined]
                # deals take config.toml's stage probabilities, as the forms give them
                probabilities=self.app.settings.probabilities(),  # type: ignore[attr-defined]
                progress=progress,
            )
        except AlreadyImported as exc:
            self.app.call_from_thread(self._busy, False)
            self.again = True
            hint = _("Check the file again to import it once more.")
            told = _("{what}.").format(what=exc.what)  # a full stop of the language
            self.app.call_from_thread(self._show, f"{told}\n{hint}", False)
            return
        except ImportRefused as exc:
            self.app.call_from_thread(self._busy, False)
            self.app.call_from_thread(self._show, str(exc), False)
            return
        finally:
            self.importing = False
            from crm_tui.memory import give_back

            give_back()  # what the check read of every customer (~130 MB at 100,000)
        text = "\n".join(summary_lines(result, max_lines=12))
        self.app.call_from_thread(self._busy, False)
        if dry_run:
            self.app.call_from_thread(self._show, text, result.imported > 0)
        else:
            self.app.call_from_thread(self._finished, text, summary_counts(result))

    def _busy(self, busy: bool) -> None:
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = busy
        for button in self.query(Button):  # (cancel stays for a check, not an import)
            if button.id != "cancel" or self.importing or not busy:
                button.disabled = busy
        if busy:  # (after a long check's notes the dialog was scrolled past the bar)
            self.query_one("#summary", Static).update(
                _("Importing…") if self.importing else _("Checking…")
            )
            self.call_after_refresh(bar.scroll_visible, animate=False)

    def _progress(self, done: int, total: int) -> None:
        self.query_one("#import-progress", ProgressBar).update(total=max(total, 1), progress=done)
        if done >= total:  # the rows are read: what is left (indexes, commit) takes a while
            self.query_one("#summary", Static).update(_("Finishing…"))

    def _show(self, text: str, can_import: bool) -> None:
        self.query_one("#summary", Static).update(text)
        button = self.query_one("#import", Button)
        button.disabled = not can_import
        if can_import:
            button.focus()
        # the summary may push the buttons below what the terminal leaves: the dialog
        # scrolls (app.tcss), down to them once the summary is laid out
        self.call_after_refresh(self.query_one("#dialog").scroll_end, animate=False)

    def on_descendant_focus(self, event) -> None:
        """A button tabbed to is brought into view (the dialog may be scrolled)."""
        self.call_after_refresh(event.widget.scroll_visible, animate=False)


def typed_path(text: str) -> Path:
    """A path as typed, or as dropped into the terminal by a file manager: its quotes
    ('…', "…") and backslash escapes (a\\ b) are taken off, unless the text as it is
    names a file; a bare path with spaces stays whole."""
    text = text.strip()
    path = Path(text).expanduser()
    if not text or path.exists():
        return path
    try:
        words = shlex.split(text)
    except ValueError:  # an unmatched quote: a name of its own
        return path
    return Path(words[0]).expanduser() if len(words) == 1 else path

"""Pick the customer of a new opportunity with incremental search over the customer index."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from crm_tui.i18n import _
from crm_tui.store.lists import search_customers
from crm_tui.widgets.localized import Localized


class CustomerPicker(Localized, ModalScreen[tuple[int, str] | None]):
    """Type part of a name, code, contact, phone or tag; enter picks. Dismisses with (id, name)."""

    CSS_PATH = "../pipeline.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "focus_list", "Results", show=False),
    ]

    def __init__(self, db) -> None:
        super().__init__()
        self.db = db
        self._names: dict[int, str] = {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="dialog"):
            yield Label(_("New opportunity: pick the customer"), classes="dialog-title")
            yield Input(placeholder=_("Type to search customers"), id="customer-search")
            yield OptionList(id="customer-results")
            yield Label("", id="customer-hint", classes="picker-hint")

    def on_mount(self) -> None:
        self.conn = self.db.connect(readonly=True)
        self._search("")
        self.query_one(Input).focus()

    def on_unmount(self) -> None:
        self.conn.close()

    def _search(self, text: str) -> None:
        rows = search_customers(self.conn, text.strip(), limit=30)
        results = self.query_one(OptionList)
        results.clear_options()
        self._names = {cid: name for cid, _code, name in rows}
        results.add_options(
            [
                Option(Text.assemble(name, "  ", (code, "dim")), id=str(cid))
                for cid, code, name in rows
            ]
        )
        if rows:
            results.highlighted = 0
        hint = "" if rows else _("No customer matches; add the customer on screen 1 first")
        self.query_one("#customer-hint", Label).update(hint)

    @on(Input.Changed, "#customer-search")
    def _changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @on(Input.Submitted, "#customer-search")
    def _submitted(self) -> None:
        results = self.query_one(OptionList)
        if results.highlighted is not None and results.option_count:
            self._pick(results.get_option_at_index(results.highlighted).id)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._pick(event.option.id)

    def _pick(self, option_id: str | None) -> None:
        if option_id is None:
            return
        cid = int(option_id)
        self.dismiss((cid, self._names.get(cid, "")))

    def action_focus_list(self) -> None:
        self.query_one(OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

"""Pick a customer by typing: incremental search over the customer search index."""

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
from crm_tui.store.lists import customer_count, search_customers
from crm_tui.widgets.footer import Footer
from crm_tui.widgets.localized import Localized

#: What the picker dismisses with for "no customer" (when ``allow_none``).
NO_CUSTOMER = 0


class CustomerPicker(Localized, ModalScreen[tuple[int, str] | None]):
    """Dismisses with ``(customer_id, name)``, ``(NO_CUSTOMER, "")`` or None (escape)."""

    DEFAULT_CSS = """
    CustomerPicker #picker-results { height: 12; border: none; }
    CustomerPicker #picker-empty { width: 100%; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "to_list", "Results", show=False),
    ]

    def __init__(self, title: str | None = None, *, allow_none: bool = False) -> None:
        super().__init__()
        self.title_text = title or _("Which customer?")
        self.allow_none = allow_none
        self.names: dict[int, str] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Input(placeholder=_("Type a name, code, contact or phone"), id="picker-search")
            yield OptionList(id="picker-results")
            yield Label("", id="picker-empty", classes="help-note", markup=False)
        yield Footer()  # (its own keys, not the screen's behind it)

    def on_mount(self) -> None:
        self._search("")
        self.query_one("#picker-search", Input).focus()

    @on(Input.Changed, "#picker-search")
    def _changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    def _search(self, text: str) -> None:
        with self.app.db.reading() as conn:  # type: ignore[attr-defined]
            found = search_customers(conn, text, limit=30)
        results = self.query_one("#picker-results", OptionList)
        results.clear_options()
        self.names = {r["id"]: r["name"] for r in found}
        options = []
        if self.allow_none and not text.strip():
            options.append(Option(_("— no customer —"), id=str(NO_CUSTOMER)))
        for r in found:
            level = f"  [{r['level']}]" if r["level"] else ""
            options.append(Option(Text(f"{r['name']}  {r['code']}{level}"), id=str(r["id"])))
        results.add_options(options)
        # an empty list gives its room to the hint (under twelve blank rows it was cut off)
        results.display = bool(options)
        if options:
            results.highlighted = 0
        hint = ""
        if not found:
            with self.app.db.reading() as conn:  # type: ignore[attr-defined]
                none_yet = customer_count(conn) == 0
            hint = (
                _(
                    "No customers yet: add one on the customers screen (1, then n), or press d there for sample data"
                )
                if none_yet
                else _("No customer matches “{text}”").format(text=text.strip())
            )
            if not none_yet and len(text.strip()) == 1:
                from crm_tui.screens.customers import one_character_hint

                hint += "\n" + one_character_hint(text.strip())
        empty = self.query_one("#picker-empty", Label)
        empty.update(hint)
        empty.display = bool(hint)

    @on(Input.Submitted, "#picker-search")
    def _submitted(self) -> None:
        results = self.query_one("#picker-results", OptionList)
        if results.highlighted is not None:
            self._choose(results.get_option_at_index(results.highlighted).id)

    @on(OptionList.OptionSelected, "#picker-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def _choose(self, option_id: str | None) -> None:
        if option_id is None:
            return
        cid = int(option_id)
        self.dismiss((cid, self.names.get(cid, "")))

    def action_to_list(self) -> None:
        self.query_one("#picker-results", OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

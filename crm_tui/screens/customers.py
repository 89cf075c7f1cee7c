"""Screen 1: the customer list — paged, searchable as you type, filtered and sorted."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Label, LoadingIndicator, Select, Static

from crm_tui.i18n import _, label
from crm_tui.screens.resume import ReloadOnResume
from crm_tui.store import enums
from crm_tui.store.lists import CustomerQuery, customer_count, same_name_customers
from crm_tui.store.validation import display_amount
from crm_tui.widgets.app_header import AppHeader
from crm_tui.widgets.footer import Footer
from crm_tui.widgets.localized import Localized
from crm_tui.widgets.search_box import SearchBox
from crm_tui.widgets.virtual_table import ColumnDef, VirtualTable

SORT_KEYS = ("name", "last_interaction", "total_amount")
SORT_LABELS = {
    "name": "Name",
    "last_interaction": "Last contact",  # (the column's name; "Last interaction" wrapped)
    "total_amount": "Total amount",
}
DEMO_CUSTOMERS = 200


def one_character_hint(text: str) -> str:
    """Why one typed character found nothing: it finds only names and codes starting with
    it (searching inside every name takes too long for each key); a second one searches
    inside names, contacts and tags."""
    return _(
        "One character finds names and codes that start with “{text}”: type a second to search inside names"
    ).format(text=text)


def customer_columns() -> list[ColumnDef]:
    return [
        # (a day's 1,000th customer has a code of 13 characters, its 100,000th of 14: the
        # code tells customers of one name apart, so it is never cut)
        ColumnDef(_("Code"), 14, keep=True),
        ColumnDef(_("Name")),
        ColumnDef(_("Level"), max(cell_len(_("Level")), 2), lambda v: v or ""),
        # never narrowed: at 80 columns "Dormant" read "Dorma…"
        ColumnDef(
            _("Status"),
            max(
                cell_len(t)
                for t in (_("Status"), *(label(enums.STATUS, k) for k in enums.STATUS.keys))
            ),
            lambda v: label(enums.STATUS, v),
            keep=True,
        ),
        ColumnDef(
            _("Industry"),
            max(cell_len(label(enums.INDUSTRY, k)) for k in enums.INDUSTRY.keys),
            lambda v: label(enums.INDUSTRY, v),
            optional=True,
        ),
        ColumnDef(_("Last contact"), 12, keep=True),
        ColumnDef(_("Total amount"), 15, lambda v: display_amount(v, fixed=True), align="right"),
    ]


class CustomersScreen(ReloadOnResume, Localized, Screen):
    """The rep's accounts. Reads go through the stdlib fast path; writes through the store."""

    HELP = (
        "The search (/) finds customers by name, code, contact, phone, email or tag as you "
        "type: one character finds the names and codes that start with it, two or more "
        "search inside them. Escape clears it."
    )

    BINDINGS = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("n", "new", "New"),
        Binding("e", "edit", "Edit"),
        Binding("enter", "open", "Open", show=False),
        Binding("delete", "delete", "Delete"),
        Binding("l", "log", "Log"),
        Binding("t", "task", "Task"),
        Binding("o", "cycle_sort", "Sort"),
        Binding("i", "import_file", "Import"),
        Binding("D", "duplicates", "Duplicates"),
        Binding("d", "load_demo", "Sample data", show=False),
        Binding("escape", "clear_search", "Clear", show=False),
        # priority: also typed in the search box (whose own ctrl+e is end of line; End is too)
        Binding("ctrl+e", "export", "Export CSV", show=False, priority=True),
    ]

    def compose(self) -> ComposeResult:
        yield AppHeader("customers")
        with Horizontal(id="customer-toolbar", classes="toolbar"):
            yield SearchBox(
                _("/ search name, code, contact, phone, email, tag"),
                _("/ search name, code…"),
                id="search",
            )
        with Vertical(id="customer-body"):
            yield VirtualTable(customer_columns(), id="customers")
            yield Static("", id="customers-empty", classes="empty-state")
        yield Label("", id="customer-count", classes="status-line")
        yield Footer()

    #: Narrower than this, the pick lists narrow and the search box keeps its room.
    NARROW = 100

    def on_resize(self, event: events.Resize) -> None:
        self.query_one("#customer-toolbar").set_class(event.size.width < self.NARROW, "-narrow")

    def on_mount(self) -> None:
        # The list is read in reload_on_resume, which also runs on the first visit.
        self.conn = self.app.db.connect()
        self.query_one(VirtualTable).focus()

    def after_first_frame(self) -> None:
        """Mount the filter pick lists, once. The first frame, which every start waits
        for, goes without them: the app calls this when that frame is on the terminal,
        and a visit calls it when another screen was shown first."""
        if self.query("#sort"):
            return
        self.query_one("#customer-toolbar").mount(
            Select(
                [(label(enums.LEVEL, k), k) for k in enums.LEVEL.keys],
                prompt=_("Any level"),
                id="level-filter",
            ),
            Select(
                [(label(enums.STATUS, k), k) for k in enums.STATUS.keys],
                prompt=_("Any status"),
                id="status-filter",
            ),
            Select(
                [(_(SORT_LABELS[k]), k) for k in SORT_KEYS],
                value="name",
                allow_blank=False,
                id="sort",
            ),
        )

    def on_unmount(self) -> None:
        self.conn.close()

    def reload_on_resume(self) -> bool:
        if not hasattr(self, "conn"):  # not mounted yet
            return False
        self.reload(keep_cursor=True)
        if self.app.first_frame_shown:  # type: ignore[attr-defined]
            self.after_first_frame()
        return True

    # --- data ------------------------------------------------------------------

    def _choice(self, selector: str, default: str | None = None) -> str | None:
        """A filter's value; its default until the pick lists are mounted."""
        found = self.query(selector)
        if not found:
            return default
        value = found.first(Select).value
        return None if value == Select.NULL else str(value)

    def current_query(self) -> CustomerQuery:
        return CustomerQuery(
            self.conn,
            search=self.query_one("#search", Input).value,
            level=self._choice("#level-filter"),
            status=self._choice("#status-filter"),
            sort=self._choice("#sort", "name") or "name",
        )

    def reload(self, *, keep_cursor: bool = False) -> None:
        table = self.query_one(VirtualTable)
        table.set_source(self.current_query(), keep_cursor=keep_cursor)
        total = customer_count(self.conn)
        empty = self.query_one("#customers-empty", Static)
        if total == 0:
            empty.update(
                _(
                    "No customers yet.\n\n"
                    "  d   load sample data to look around\n"
                    "  n   add your first customer\n"
                    "  i   import a spreadsheet (CSV, also from Chinese Excel)"
                )
            )
        elif table.row_count == 0:
            text = self.query_one("#search", Input).value.strip()
            hint = one_character_hint(text) if len(text) == 1 else ""
            empty.update(
                _("No customer matches. Press escape to clear the search and filters.")
                + (f"\n\n{hint}" if hint else "")
            )
        table.show_rows_or(empty)
        self.query_one("#customer-count", Label).update(
            _("{shown} of {total} customers").format(shown=table.row_count, total=total)
        )

    #: Seconds of no typing before a search that reads every name runs (CustomerQuery.
    #: scans_names): "li" on the way to "lin" made the keys wait ~0.5 s at 100,000.
    SCAN_DELAY = 0.2
    _search_timer: Timer | None = None

    @on(Input.Changed, "#search")
    def _search_changed(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        if self.current_query().scans_names:
            self._search_timer = self.set_timer(self.SCAN_DELAY, self._filters_changed)
        else:
            self._filters_changed()

    @on(Select.Changed)
    def _filters_changed(self) -> None:
        self._search_timer = None
        # A pick list also reports its first value when it is mounted: nothing changed then.
        if self.current_query() != self.query_one(VirtualTable).source:
            self.reload()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        if self._search_timer is not None:  # enter: searched now, no wait
            self._search_timer.stop()
            self._filters_changed()
        self.query_one(VirtualTable).focus()

    @on(VirtualTable.Selected)
    def _row_selected(self, event: VirtualTable.Selected) -> None:
        self.open_customer(event.row_id)

    # --- actions -----------------------------------------------------------------

    def selected_id(self) -> int | None:
        table = self.query_one(VirtualTable)
        return table.cursor_id if table.display else None

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        self.query_one("#search", Input).value = ""
        for select in self.query("#level-filter, #status-filter").results(Select):
            select.clear()
        self.reload()
        self.query_one(VirtualTable).focus()

    def action_cycle_sort(self) -> None:
        if not self.query("#sort"):
            return
        sort = self.query_one("#sort", Select)
        sort.value = SORT_KEYS[(SORT_KEYS.index(str(sort.value)) + 1) % len(SORT_KEYS)]

    def open_customer(self, customer_id: int | None) -> None:
        if customer_id is None:
            return
        from crm_tui.screens.customer_detail import CustomerDetailScreen

        self.app.push_screen(CustomerDetailScreen(customer_id))

    def action_open(self) -> None:
        self.open_customer(self.selected_id())

    def action_new(self) -> None:
        from crm_tui.screens.dialogs.customer_form import CustomerForm

        def saved(customer_id: int | None) -> None:
            if not customer_id:
                return
            self.reload()
            table = self.query_one(VirtualTable)
            row = table.source.position(customer_id) if table.source else None
            if row is not None:  # on the new customer (it may sort far down the list)
                table.cursor = row
            twins = same_name_customers(self.conn, customer_id)
            if twins:
                self.notify(
                    _("Customer saved. Same name as {others}: D lists possible duplicates").format(
                        others=_(", ").join(f"{code} {name}" for code, name in twins)
                    ),
                    severity="warning",
                    timeout=10,
                )
            else:
                self.notify(_("Customer saved"))

        self.app.push_screen(CustomerForm(self.app.db), saved)

    def action_edit(self) -> None:
        customer_id = self.selected_id()
        if customer_id is None:
            return
        from crm_tui.screens.dialogs.customer_form import CustomerForm

        def saved(result: int | None) -> None:
            if result:
                self.reload(keep_cursor=True)
                self.notify(_("Customer saved"))

        from crm_tui.screens import actions

        actions.open_form(
            self.app,
            lambda: CustomerForm(self.app.db, customer_id),  # type: ignore[attr-defined]
            saved,
            gone=lambda: self.reload(keep_cursor=True),
        )

    def action_export(self) -> None:
        """ctrl+e: the customers the list shows (its search and filters), as `crm export
        customers` writes them."""
        from crm_tui.screens import actions

        actions.after_typing(self.app, self._export)

    def _export(self) -> None:
        from crm_tui.screens import actions

        table = self.query_one(VirtualTable)
        if self.current_query() != table.source:  # typed just before ctrl+e: show it first
            self.reload()
        query = table.source
        only = query.id_query() if isinstance(query, CustomerQuery) else None
        order = query.order_sql() if isinstance(query, CustomerQuery) else None
        actions.export_records(self.app, "customers", only, shown=table.row_count, order=order)

    def action_delete(self) -> None:
        customer_id = self.selected_id()
        row = self.query_one(VirtualTable).cursor_row
        if customer_id is None or row is None:
            return
        from crm_tui.screens.dialogs.confirm import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(customer_id)

        from crm_tui.screens.record_counts import delete_customer_question

        message = delete_customer_question(self.conn, customer_id, row[2])
        self.app.push_screen(ConfirmDialog(message, yes=_("Delete"), danger=True), answered)

    def _delete(self, customer_id: int) -> None:
        from crm_tui.store.customers import delete_customer

        try:
            with self.app.db.session() as session:
                delete_customer(session, customer_id)
        except Exception as exc:  # shown, never a crash
            problem = self.app.problem_text(exc)  # type: ignore[attr-defined]
            self.app.show_error(_("Could not delete: {error}").format(error=problem))
            return
        self.notify(_("Customer deleted"))
        self.reload(keep_cursor=True)
        self.app.data_changed()

    def action_log(self) -> None:
        from crm_tui.screens.actions import log_interaction

        log_interaction(self.app, customer_id=self.selected_id(), on_done=self._after_write)

    def action_task(self) -> None:
        from crm_tui.screens.actions import new_task

        new_task(self.app, customer_id=self.selected_id(), on_done=self._after_write)

    def _after_write(self) -> None:
        self.reload(keep_cursor=True)

    def action_import_file(self) -> None:
        from crm_tui.screens.dialogs.import_dialog import ImportDialog

        def done(summary: str | None) -> None:
            if summary:
                self.reload()
                self.app.data_changed()
                self.notify(summary, title=_("Import finished"), timeout=6)  # (the counts)

        self.app.push_screen(ImportDialog(), done)

    def action_duplicates(self) -> None:
        from crm_tui.screens.duplicates import DuplicatesScreen

        self.app.push_screen(DuplicatesScreen())

    def action_load_demo(self) -> None:
        if customer_count(self.conn) > 0:  # never mixed into a rep's own customers
            self.notify(
                _(
                    "Sample data loads only into an empty database; to look around, open one:"
                    " crm --db sample.db"
                )
            )
            return
        from crm_tui.screens.dialogs.confirm import ConfirmDialog

        def answered(load: bool | None) -> None:
            if load and not self.query("#demo-loading"):
                self.query_one("#customer-body").mount(LoadingIndicator(id="demo-loading"))
                self.query_one("#customers-empty").display = False
                self._load_demo()

        # (asked: `crm` opens the rep's real database, and sample records cannot be told
        # from their own later)
        message = _(
            "Load {n} sample customers, with their contacts, deals, interactions, orders and"
            " tasks, into {path}? They are for trying the app out and stay mixed with what"
            " you add later: to keep your own database clean, try them in another file"
            " (crm --db sample.db)."
        ).format(n=DEMO_CUSTOMERS, path=self.app.db.path)  # type: ignore[attr-defined]
        self.app.push_screen(ConfirmDialog(message, yes=_("Load sample data")), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="demo")
    def _load_demo(self) -> None:
        from crm_tui.store.demo import generate

        try:
            generate(self.app.db.path, customers=DEMO_CUSTOMERS, as_of=self.app.today())
            # the sample deals carry DOMAIN.md's probabilities: now config.toml's
            self.app.db.follow_stage_probabilities(self.app.settings.probabilities())  # type: ignore[attr-defined]
            error = None
        except Exception as exc:
            error = self.app.problem_text(exc)  # type: ignore[attr-defined]
        self.app.call_from_thread(self._demo_loaded, error)

    def _demo_loaded(self, error: str | None) -> None:
        self.query_one("#demo-loading").remove()
        if error:
            self.app.show_error(_("Could not load sample data: {error}").format(error=error))
        else:
            self.notify(_("Sample data loaded"))
        self.reload()
        self.query_one(VirtualTable).focus()
        self.app.data_changed()

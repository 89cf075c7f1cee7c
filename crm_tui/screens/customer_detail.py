"""One customer: profile with completeness, contacts, deals and a timeline of everything."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Label, ProgressBar, Static

from crm_tui.i18n import _, label
from crm_tui.screens.resume import ReloadOnResume
from crm_tui.store import enums
from crm_tui.store.lists import (
    CustomerTimeline,
    customer_collection,
    customer_contacts,
    customer_deals,
    customer_orders,
    customer_summary,
)
from crm_tui.store.validation import display_amount, display_amounts
from crm_tui.widgets.app_header import AppHeader
from crm_tui.widgets.fitted_table import FittedTable
from crm_tui.widgets.fitted_title import FittedTitle
from crm_tui.widgets.footer import Footer
from crm_tui.widgets.localized import Localized
from crm_tui.widgets.virtual_table import ColumnDef, VirtualTable

TIMELINE_KINDS = {
    "interaction": "Interaction",
    "task": "Task",
    "stage_change": "Stage",
    "order": "Order",
    "payment": "Paid",
}


#: Timeline rows whose detail comes before their subject on a narrow terminal.
_FOLDED_FIRST = frozenset(("order", "payment", "stage_change"))


class _ReadableTimeline:
    """Wraps the timeline source so each row's detail reads as words, not keys."""

    def __init__(self, source: CustomerTimeline, detail) -> None:
        self.source = source
        self.detail = detail

    def count(self) -> int:
        return self.source.count()

    def position(self, key: str) -> int | None:
        return self.source.position(key)

    def fetch(self, offset: int, limit: int):
        return [
            (key, when, kind, title, self.detail(kind, detail))
            for key, when, kind, title, detail in self.source.fetch(offset, limit)
        ]


def _hint(widget_id: str, text: str) -> Label:
    """What to do next under an empty section (shown only while it is empty)."""
    return Label(text, id=widget_id, classes="section-empty", markup=False)


class CustomerDetailScreen(ReloadOnResume, Localized, Screen):
    """Opened with enter on a customer; escape goes back to the list."""

    #: Keys the tables take (help lists them with the screen's own: screens.help).
    HELP_KEYS = (("enter", "Open the selected contact, deal, order or timeline row"),)

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("e", "edit", "Edit"),
        Binding("c", "new_contact", "New contact"),
        Binding("o", "new_deal", "New deal"),
        Binding("n", "new_order", "New order"),
        Binding("p", "payment", "Payment"),
        Binding("delete", "delete", "Delete"),
        Binding("l", "log", "Log"),
        Binding("t", "task", "Task"),
        Binding("tab", "app.focus_next", "Next pane", show=False),
    ]

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        self.customer_id = customer_id

    def compose(self) -> ComposeResult:
        yield AppHeader("customers")
        with Horizontal(id="detail-title"):
            yield FittedTitle(id="customer-title")
            yield Label("", id="completeness-label")
            yield ProgressBar(total=100, show_eta=False, show_percentage=False, id="completeness")
        with Horizontal(id="detail-body"):
            with VerticalScroll(id="profile-pane"):
                yield Static("", id="profile")
                yield Label(_("Orders"), classes="section-title")
                yield _hint("orders-empty", _("No orders yet: n records one"))
                yield FittedTable(id="orders")
            with Vertical(id="detail-right"):
                yield Label(_("Contacts"), classes="section-title")
                yield _hint("contacts-empty", _("No contacts yet: c adds one"))
                yield FittedTable(id="contacts")
                yield Label(_("Opportunities"), classes="section-title")
                yield _hint("deals-empty", _("No opportunities yet: o opens one"))
                yield FittedTable(id="deals")
                yield Label(_("Timeline"), classes="section-title")
                yield _hint(
                    "timeline-empty", _("Nothing yet: l logs an interaction, t plans a task")
                )
                yield VirtualTable(
                    [
                        ColumnDef(_("When"), 16, lambda v: (v or "")[:16], keep=True),
                        ColumnDef(_("What"), 12, lambda v: _(TIMELINE_KINDS.get(v, v))),
                        ColumnDef(_("Subject")),
                        ColumnDef(
                            _("Detail"),
                            30,
                            optional=True,
                            fold_into=2,
                            # an amount or a stage move first (an order's number, a deal
                            # named again and again, say less); a status, a channel after
                            fold_first=lambda row: row[2] in _FOLDED_FIRST,
                        ),  # fmt: skip
                    ],
                    id="timeline",
                )
        yield Footer()

    #: Below this many columns the profile gives the contacts, deals and timeline room.
    NARROW = 100

    def on_resize(self) -> None:
        narrow = self.size.width < self.NARROW
        self.query_one("#detail-body").set_class(narrow, "-narrow")
        self.query_one("#detail-title").set_class(narrow, "-narrow")

    def on_mount(self) -> None:
        self.conn = self.app.db.connect()  # read in reload_on_resume (first visit too)
        self.query_one("#contacts", DataTable).focus()

    def on_unmount(self) -> None:
        self.conn.close()

    def reload_on_resume(self) -> bool:
        if not hasattr(self, "conn"):  # not mounted yet
            return False
        self.refresh_data()
        return True

    # --- data -------------------------------------------------------------------

    def _timeline_detail(self, kind: str, detail) -> str:
        """Readable detail: stage names, channel and status labels, order amounts."""
        if kind == "stage_change":
            old, _sep, new = str(detail).partition(">")
            name = self.app.settings.stage_name  # type: ignore[attr-defined]
            lang = self.app.lang  # type: ignore[attr-defined]
            return f"{name(old, lang)} → {name(new, lang)}" if old else f"→ {name(new, lang)}"
        if kind in ("order", "payment"):
            return display_amount(detail, fixed=True)
        if kind == "interaction":
            return label(enums.CHANNEL, detail)
        if kind == "task":
            return label(enums.TASK_STATUS, detail)
        return str(detail or "")

    def refresh_data(self) -> None:
        from crm_tui.store.customers import profile_completeness

        c = customer_summary(self.conn, self.customer_id)
        if c is None:
            if self.is_current:  # not when it was closed already (its own delete)
                self.app.show_error(_("This customer no longer exists"))
                self.dismiss()
            return
        self.customer = c
        pct = profile_completeness(c)
        self.query_one("#customer-title", FittedTitle).show(
            c["name"],
            Text.assemble(
                f"  {label(enums.LEVEL, c['level'])}  {label(enums.STATUS, c['status'])}  ",
                (c["code"], "dim"),
            ),
        )
        self.query_one("#completeness-label", Label).update(
            _("Profile {pct}% complete").format(pct=pct)
        )
        self.query_one("#completeness", ProgressBar).update(progress=pct)
        self.query_one("#profile", Static).update(self._profile(c))
        self._fill_contacts()
        self._fill_deals()
        self._fill_orders()
        timeline = self.query_one("#timeline", VirtualTable)
        timeline.set_source(
            _ReadableTimeline(CustomerTimeline(self.conn, self.customer_id), self._timeline_detail),
            keep_cursor=True,
        )
        for name, rows in (
            ("orders", self.query_one("#orders", DataTable).row_count),
            ("contacts", self.query_one("#contacts", DataTable).row_count),
            ("deals", self.query_one("#deals", DataTable).row_count),
            ("timeline", timeline.row_count),
        ):
            self.query_one(f"#{name}-empty").display = not rows

    def _profile(self, c: dict) -> Table:
        """Label and value side by side; a long value wraps under itself, not the labels."""
        lang = self.app.lang  # type: ignore[attr-defined]
        budget, total, collection = self._money_rows(c)
        rows = [
            (_("Kind"), enums.CUSTOMER_KIND.label(c["kind"], lang)),
            (_("Industry"), enums.INDUSTRY.label(c["industry"], lang)),
            (_("Size"), enums.SIZE.label(c["size"], lang)),
            (_("Source"), enums.SOURCE.label(c["source"], lang)),
            (_("Region"), c["region"]),
            (_("Business address"), c["business_address"]),
            (_("Registered address"), c["registered_address"]),
            (_("First contact"), c["first_contact"]),
            (_("Main needs"), c["needs"]),
            (_("Budget"), budget),
            (_("Planned purchase"), c["purchase_date"]),
            (_("Tags"), ", ".join(c["tags"])),
            (_("Owner"), c["owner"]),
            (_("Total amount"), total),
            *collection,
            (_("Last order"), c["last_order"]),
            (_("Last interaction"), (c["last_interaction_at"] or "")[:16]),
            (_("Created"), (c["created_at"] or "")[:16]),
        ]
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        missing = Text(_("(missing)"), style="dim")
        for name, value in rows:
            grid.add_row(name, Text(str(value)) if value not in (None, "") else missing)
        return grid

    def _money_rows(self, c: dict) -> tuple[str, str, list[tuple[str, str]]]:
        """The profile's budget, total and what the orders' payments came to (collected,
        with the rate, and outstanding), all with two decimals or none."""
        ordered, paid = customer_collection(self.conn, self.customer_id)
        budget, total, paid_text, owed = display_amounts(
            c["budget_cents"], c["total_amount_cents"], paid if ordered else None,
            ordered - paid if ordered else None,
        )  # fmt: skip
        if not ordered:
            return budget, total, [(_("Collected"), "—")]
        rate = (paid * 100 + ordered // 2) // ordered  # whole percent, half up, exact
        return (
            budget,
            total,
            [
                (_("Collected"), f"{paid_text} ({rate}%)"),
                (_("Outstanding"), owed),
            ],
        )

    def _fill_contacts(self) -> None:
        primary = self.customer.get("primary_contact_id")
        rows = [
            (
                str(ct["id"]),
                [
                    Text(("★ " if ct["id"] == primary else "") + ct["name"]),
                    Text(ct["title"] or ""),
                    label(enums.CONTACT_ROLE, ct["role"]),
                    Text(ct["mobile"] or ct["phone"] or ""),
                    Text(ct["email"] or ""),
                ],
            )
            for ct in customer_contacts(self.conn, self.customer_id)
        ]
        headers = [_("Name"), _("Title"), _("Role"), _("Mobile"), _("Email")]
        self.query_one("#contacts", FittedTable).fill(
            headers, rows, shrink=(0, 1, 4), optional=(2, 4)
        )

    def _fill_deals(self) -> None:
        settings = self.app.settings  # type: ignore[attr-defined]
        rows = [
            (
                str(r["id"]),
                [
                    Text(r["name"]),
                    settings.stage_name(r["stage"], self.app.lang),  # type: ignore[attr-defined]
                    Text(display_amount(r["amount_cents"], fixed=True), justify="right"),
                    r["expected_close"] or "",
                ],
            )
            for r in customer_deals(self.conn, self.customer_id)
        ]
        headers = [_("Opportunity"), _("Stage"), _("Amount"), _("Close date")]
        self.query_one("#deals", FittedTable).fill(headers, rows, shrink=(0, 1), optional=(3,))

    def _fill_orders(self) -> None:
        self._orders = {r["id"]: r for r in customer_orders(self.conn, self.customer_id)}
        rows = [
            (
                str(oid),
                [
                    r["order_date"],
                    Text(display_amount(r["amount_cents"], fixed=True), justify="right"),
                    Text(
                        display_amount(r["amount_cents"] - r["paid_cents"], fixed=True)
                        if r["paid_cents"] < r["amount_cents"]
                        else "✓",
                        justify="right",
                    ),
                ],
            )
            for oid, r in self._orders.items()
        ]
        headers = [_("Date"), _("Amount"), _("Owed")]
        # what is owed makes way for amounts of millions (the profile says the total owed)
        self.query_one("#orders", FittedTable).fill(headers, rows, last_resort=(2,))

    # --- actions ------------------------------------------------------------------

    def _selected_contact_id(self) -> int | None:
        table = self.query_one("#contacts", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return int(key.value) if key and key.value else None

    def action_back(self) -> None:
        self.dismiss()

    def action_edit(self) -> None:
        from crm_tui.screens import actions
        from crm_tui.screens.dialogs.customer_form import CustomerForm

        actions.open_form(
            self.app,
            lambda: CustomerForm(self.app.db, self.customer_id),  # type: ignore[attr-defined]
            self._saved(_("Customer saved")),
            gone=self.dismiss,  # (deleted elsewhere: nothing left to show here)
        )

    def action_new_contact(self) -> None:
        from crm_tui.screens.dialogs.contact_form import ContactForm

        self.app.push_screen(
            ContactForm(self.customer_id), self._saved(_("Contact saved"), select="contacts")
        )

    def action_new_deal(self) -> None:
        from crm_tui.screens.dialogs.opportunity_form import OpportunityForm

        self.app.push_screen(
            OpportunityForm(
                self.app.db,  # type: ignore[attr-defined]
                customer_id=self.customer_id,
                customer_name=self.customer["name"],
            ),
            self._saved(_("Opportunity saved")),
        )

    def _saved(self, message: str, *, select: str | None = None):
        """What a form opened here does when it closes: the detail shows what it saved
        (selected in the table ``select``, when given), says so, and tells the other
        screens (a cancelled form says nothing)."""

        def saved(saved_id: int | None) -> None:
            self.refresh_data()
            if saved_id:
                if select:
                    self._select_row(select, saved_id)
                self.notify(message)
                self.app.data_changed()  # type: ignore[attr-defined]

        return saved

    def _select_row(self, table_id: str, record_id: int) -> None:
        """The cursor on a record just saved, and the focus in its table, as the customer
        list does: a contact added stayed below the first one, which delete then meant."""
        from textual.widgets.data_table import RowDoesNotExist

        table = self.query_one(f"#{table_id}", DataTable)
        try:
            row = table.get_row_index(str(record_id))
        except RowDoesNotExist:
            return
        table.move_cursor(row=row)
        table.focus()

    def action_new_order(self) -> None:
        from crm_tui.screens.dialogs.order_form import OrderForm

        self.app.push_screen(OrderForm(self.customer_id), self._saved(_("Order saved")))

    def _timeline_pick(self) -> tuple[str, int] | None:
        """(kind, id) of the timeline's selected row while the timeline has the focus."""
        timeline = self.query_one("#timeline", VirtualTable)
        key = timeline.cursor_id if timeline.has_focus else None
        if not key:
            return None
        kind, _sep, rid = str(key).partition(":")
        return kind, int(rid)

    def _selected_order(self) -> Any | None:
        """The order a key acts on: the timeline's selected order while the timeline has
        the focus, else the orders list's selected one (the newest, until moved)."""
        picked = self._timeline_pick()
        if picked and picked[0] == "order":
            return self._orders.get(picked[1])
        if picked and picked[0] == "payment":  # the order it was paid against
            from crm_tui.store.lists import payment_order

            return self._orders.get(payment_order(self.conn, picked[1]))
        table = self.query_one("#orders", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self._orders.get(int(key.value)) if key and key.value else None

    def _current(self, order: Any) -> Any | None:
        """``order`` as it is now (the list may have been read before another window
        changed it: its form would show, and a payment be checked against, old figures);
        None, said and the list read again, once it was deleted elsewhere."""
        from crm_tui.store.lists import customer_order

        current = customer_order(self.conn, order["id"])
        if current is None:
            self.notify(
                _("This order no longer exists (deleted elsewhere)"),
                severity="warning",
                markup=False,
            )
            self.refresh_data()
        return current

    def action_payment(self) -> None:
        from crm_tui.screens.dialogs.order_form import PaymentForm

        order = self._selected_order()
        if order is None:
            self.notify(_("No order to record a payment against: n records an order first"))
            return
        order = self._current(order)
        if order is None:
            return
        if order["paid_cents"] >= order["amount_cents"]:
            self.notify(_("This order is paid in full"))
            return
        self.app.push_screen(PaymentForm(order), self._saved(_("Payment recorded")))

    @on(DataTable.RowSelected, "#orders")
    def _edit_order(self, event: DataTable.RowSelected) -> None:
        from crm_tui.screens.dialogs.order_form import OrderForm

        order = self._orders.get(int(event.row_key.value))  # type: ignore[arg-type]
        if order is not None and (order := self._current(order)) is not None:
            self.app.push_screen(OrderForm(self.customer_id, order), self._saved(_("Order saved")))

    def _confirm_order_delete(self, order: Any) -> None:
        from crm_tui.screens.dialogs.confirm import ConfirmDialog

        name = order["order_no"] or order["product"] or order["order_date"]
        if order["paid_cents"]:
            message = _("Delete the order “{name}” ({amount}) and its payments ({paid})?")
        else:
            message = _("Delete the order “{name}” ({amount})?")
        amount, paid = display_amounts(order["amount_cents"], order["paid_cents"])
        message = message.format(name=name, amount=amount, paid=paid)
        self.app.push_screen(
            ConfirmDialog(message, yes=_("Delete"), danger=True),
            lambda yes: yes and self._delete_order(order["id"]),
        )

    def _delete_order(self, order_id: int) -> None:
        from crm_tui.store.orders import delete_order

        self._delete(lambda session: delete_order(session, order_id), _("Order deleted"))

    def _delete_payment(self, payment_id: int) -> None:
        from crm_tui.store.orders import delete_payment

        self._delete(lambda session: delete_payment(session, payment_id), _("Payment deleted"))

    def _delete(self, write, done: str) -> None:
        """Run a delete that changes what other screens show (deals, orders, payments):
        a failure (removed meanwhile, a locked file) is shown, never a crash."""
        from crm_tui.screens.tasks import run_write

        ok, _none = run_write(self.app, write)
        if ok:
            self.notify(done)
            self.app.data_changed()  # type: ignore[attr-defined]
        self.refresh_data()

    @on(DataTable.RowSelected, "#contacts")
    def _edit_contact(self, event: DataTable.RowSelected) -> None:
        from crm_tui.screens.dialogs.contact_form import ContactForm
        from crm_tui.store.models import Contact

        with self.app.db.session() as session:  # type: ignore[attr-defined]
            contact = session.get(Contact, int(event.row_key.value))
        if contact is not None:
            self.app.push_screen(
                ContactForm(self.customer_id, contact),
                self._saved(_("Contact saved"), select="contacts"),
            )

    @on(DataTable.RowSelected, "#deals")
    def _open_deal(self, event: DataTable.RowSelected) -> None:
        self._show_deal(int(event.row_key.value))  # type: ignore[arg-type]

    def _show_deal(self, opp_id: int) -> None:
        from crm_tui.screens.opportunity_detail import OpportunityDetailScreen

        self.app.push_screen(OpportunityDetailScreen(opp_id), lambda _r: self.refresh_data())

    @on(VirtualTable.Selected, "#timeline")
    def _open_timeline_row(self, event: VirtualTable.Selected) -> None:
        """enter on the timeline opens what the row is about, as enter does in the other
        panes: an interaction, a task or an order in its form, a payment's order, a stage
        change's deal."""
        from crm_tui.screens.dialogs.log_interaction import LogInteractionDialog
        from crm_tui.screens.dialogs.order_form import OrderForm
        from crm_tui.screens.dialogs.task_form import TaskFormDialog
        from crm_tui.store.lists import stage_change_opportunity

        kind, _sep, rid = str(event.row_id).partition(":")
        record_id = int(rid)
        if kind == "interaction":
            form = LogInteractionDialog(interaction_id=record_id)
            self.app.push_screen(form, self._saved(_("Interaction saved")))
        elif kind == "task":
            form = TaskFormDialog(task_id=record_id)
            self.app.push_screen(form, self._saved(_("Task saved")))
        elif kind in ("order", "payment"):
            order = self._selected_order()
            if order is not None and (order := self._current(order)) is not None:
                form = OrderForm(self.customer_id, order)
                self.app.push_screen(form, self._saved(_("Order saved")))
        elif kind == "stage_change":
            opp_id = stage_change_opportunity(self.conn, record_id)
            if opp_id is not None:
                self._show_deal(opp_id)

    def action_delete(self) -> None:
        from crm_tui.screens.dialogs.confirm import ConfirmDialog

        contact_id = self._selected_contact_id()
        if self.query_one("#contacts", DataTable).has_focus and contact_id is not None:
            name = next(
                (
                    c["name"]
                    for c in customer_contacts(self.conn, self.customer_id)
                    if c["id"] == contact_id
                ),
                "",
            )
            self.app.push_screen(
                ConfirmDialog(
                    _("Delete contact “{name}”?").format(name=name), yes=_("Delete"), danger=True
                ),
                lambda yes: yes and self._delete_contact(contact_id),
            )
            return
        deals = self.query_one("#deals", FittedTable)
        if deals.has_focus and deals.row_count:  # the selected deal, not the whole account
            key = deals.coordinate_to_cell_key(deals.cursor_coordinate).row_key
            name = str(deals.whole_row(key.value)[0])  # (not the cell: cut at 80 columns)
            self.app.push_screen(
                ConfirmDialog(
                    _("Delete the opportunity “{name}” and its stage history?").format(name=name),
                    yes=_("Delete"),
                    danger=True,
                ),
                lambda yes: yes and self._delete_deal(int(key.value)),  # type: ignore[arg-type]
            )
            return
        picked = self._timeline_pick()
        order = self._selected_order()
        if order is not None and (
            self.query_one("#orders", DataTable).has_focus or (picked and picked[0] == "order")
        ):
            self._confirm_order_delete(order)
            return
        if picked and picked[0] == "payment":
            row = self.query_one("#timeline", VirtualTable).cursor_row
            self.app.push_screen(
                ConfirmDialog(
                    _("Delete the payment of {amount} ({date})?").format(
                        amount=row[4],  # type: ignore[index]
                        date=row[1],  # type: ignore[index]
                    ),
                    yes=_("Delete"),
                    danger=True,
                ),
                lambda yes: yes and self._delete_payment(picked[1]),
            )
            return
        if self.query_one("#timeline", VirtualTable).has_focus:
            self.notify(
                _(
                    "Interactions and tasks are deleted on their screens (3, 4); here delete"
                    " removes a contact (in Contacts), a deal (in Opportunities), an order or"
                    " a payment, or the customer (from the profile)"
                ),
                timeout=8,
            )
            return
        from crm_tui.screens.record_counts import delete_customer_question

        message = delete_customer_question(self.conn, self.customer_id, self.customer["name"])
        self.app.push_screen(
            ConfirmDialog(message, yes=_("Delete"), danger=True),
            lambda yes: yes and self._delete_customer(),
        )

    def _delete_contact(self, contact_id: int) -> None:
        from crm_tui.screens.tasks import run_write
        from crm_tui.store.customers import delete_contact

        # a failure (removed meanwhile, a locked file) is shown, never a crash
        ok, _none = run_write(self.app, lambda session: delete_contact(session, contact_id))
        if ok:
            self.notify(_("Contact deleted"))
        self.refresh_data()

    def _delete_deal(self, opp_id: int) -> None:
        from crm_tui.store import opportunities as ops

        self._delete(
            lambda session: ops.delete_opportunity(session, opp_id), _("Opportunity deleted")
        )

    def _delete_customer(self) -> None:
        from crm_tui.store.common import NotFoundError
        from crm_tui.store.customers import delete_customer

        try:
            with self.app.db.session() as session:  # type: ignore[attr-defined]
                delete_customer(session, self.customer_id)
        except NotFoundError as exc:  # removed meanwhile: nothing left to show here either
            self.app.show_error(str(exc))  # type: ignore[attr-defined]
        except Exception as exc:  # a locked or damaged file: the customer is still here
            self.app.show_error(  # type: ignore[attr-defined]
                _("Could not save: {error}").format(error=self.app.problem_text(exc))  # type: ignore[attr-defined]
            )
            return
        else:
            self.notify(_("Customer deleted"))
        self.dismiss()
        self.app.data_changed()  # type: ignore[attr-defined]

    def action_log(self) -> None:
        from crm_tui.screens.actions import log_interaction

        log_interaction(self.app, customer_id=self.customer_id, on_done=self.refresh_data)

    def action_task(self) -> None:
        from crm_tui.screens.actions import new_task

        new_task(self.app, customer_id=self.customer_id, on_done=self.refresh_data)

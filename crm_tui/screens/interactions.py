"""Screen 3: the interaction log — newest first, paged, filtered, full-text searchable.

Rows come a page at a time from :mod:`crm_tui.store.interaction_log` through a
VirtualTable; `/` searches subject, content and feedback (FTS5 trigram).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, Select, Static

from crm_tui.dates import parse_date
from crm_tui.i18n import _, label, labelled
from crm_tui.screens.resume import ReloadOnResume
from crm_tui.store import enums
from crm_tui.store import interaction_log as log
from crm_tui.widgets.app_header import AppHeader
from crm_tui.widgets.card_body import SCROLL_KEYS, CardBody, ScrollingCard
from crm_tui.widgets.footer import Footer
from crm_tui.widgets.localized import Localized
from crm_tui.widgets.search_box import SearchBox
from crm_tui.widgets.virtual_table import ColumnDef, VirtualTable


class LogSource:
    """The filtered log for a VirtualTable (count once, pages on demand)."""

    def __init__(self, conn, f: log.LogFilter) -> None:
        self.conn = conn
        self.filter = f
        self.total = log.count_interactions(conn, f)

    def count(self) -> int:
        return self.total

    def fetch(self, offset: int, limit: int) -> Sequence[tuple[Any, ...]]:
        return [
            (
                r["id"],
                r["occurred_at"][:16],
                label(enums.CHANNEL, r["channel"]),
                r["customer"],
                r["subject"],
                label(enums.ATTITUDE, r["attitude"]) if r["attitude"] else "",
                r["contact"] or "",
            )
            for r in log.list_interactions(self.conn, self.filter, limit=limit, offset=offset)
        ]


def log_columns() -> list[ColumnDef]:
    return [
        ColumnDef(_("When"), 16, keep=True),
        ColumnDef(_("Channel"), max(cell_len(label(enums.CHANNEL, k)) for k in enums.CHANNEL.keys)),
        ColumnDef(_("Customer")),
        ColumnDef(_("Subject")),
        ColumnDef(_("Attitude"), 8, optional=True),
        ColumnDef(_("Contact"), 12),
    ]


def interaction_text(r: dict) -> str:
    """Every field of one interaction, for the record card."""
    pairs = [
        (_("When"), r["occurred_at"][:16]),
        (_("Channel"), label(enums.CHANNEL, r["channel"])),
        (_("Customer"), r["customer"]),
        (_("Contact"), r["contact"]),
        (_("Opportunity"), r["opportunity"]),
        (_("Subject"), r["subject"]),
        (_("Content"), r["content"]),
        (_("Customer feedback"), r["feedback"]),
        (_("Attitude"), label(enums.ATTITUDE, r["attitude"]) if r["attitude"] else None),
        (_("Key facts"), r["key_facts"]),
        (_("Location"), r["location"]),
        (_("Our people"), r["our_people"]),
        (_("Their people"), r["their_people"]),
        (_("Next step"), r["next_step"]),
        (_("Next step due"), r["next_step_due"]),
        (_("Follow-up task"), r["task_title"]),
    ]
    return "\n".join(labelled(k, v) for k, v in pairs if v)


class InteractionCard(ScrollingCard, Localized, ModalScreen[str | None]):
    """The whole record; dismisses with "edit", "delete" or None."""

    BINDINGS = [
        Binding("escape,enter", "close", "Close"),
        Binding("e", "pick('edit')", "Edit"),
        Binding("delete", "pick('delete')", "Delete"),
        *SCROLL_KEYS,
    ]

    def __init__(self, record: dict) -> None:
        super().__init__()
        self.record = record

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(_("Interaction"), classes="dialog-title")
            with CardBody():
                yield Static(interaction_text(self.record), id="interaction-card", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(_("Edit (e)"), id="edit")
                yield Button(_("Delete (del)"), id="delete", variant="error")
                yield Button(_("Close (esc)"), id="close", variant="primary")
        yield Footer()  # (its own keys, not the screen's behind it)

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()  # enter closes, as the card's keys say

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id if event.button.id in ("edit", "delete") else None)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_pick(self, what: str) -> None:
        self.dismiss(what)


class InteractionsScreen(ReloadOnResume, Localized, Screen):
    """The follow-up log of every customer."""

    HELP_KEYS = (("enter", "Open the interaction's card"),)  # (the table's key: screens.help)

    BINDINGS = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("n", "new", "Log"),
        Binding("l", "log", "Log", show=False),
        Binding("t", "task", "Task", show=False),
        Binding("e", "edit", "Edit"),
        Binding("delete", "delete", "Delete"),
        Binding("u", "pick_customer", "Customer filter"),
        Binding("escape", "clear", "Clear", show=False),
        # priority: also typed in the search box (whose own ctrl+e is end of line; End is too)
        Binding("ctrl+e", "export", "Export CSV", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.customer_filter: tuple[int, str] | None = None
        self._pending = None

    #: Narrower than this, the search box takes a row of its own above the filters.
    NARROW = 110

    def on_resize(self, event: events.Resize) -> None:
        self.query_one("#log-toolbar").set_class(event.size.width < self.NARROW, "-narrow")

    def compose(self) -> ComposeResult:
        yield AppHeader("interactions")
        with Horizontal(id="log-toolbar", classes="toolbar"):
            yield SearchBox(_("/ search subject, content, feedback"), id="log-search")
            yield Select(
                [(label(enums.CHANNEL, k), k) for k in enums.CHANNEL.keys],
                prompt=_("Any channel"),
                id="channel-filter",
            )
            yield Select(
                [(label(enums.ATTITUDE, k), k) for k in enums.ATTITUDE.keys],
                prompt=_("Any attitude"),
                id="attitude-filter",
            )
            yield Input(placeholder=_("from"), id="date-from")
            yield Input(placeholder=_("to"), id="date-to")
        yield VirtualTable(log_columns(), id="log")
        yield Static("", id="log-empty", classes="empty-state")
        yield Label("", id="log-status", classes="status-line", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        # The log is read in reload_on_resume, which also runs on the first visit.
        self.conn = self.app.db.connect()  # type: ignore[attr-defined]
        self.query_one(VirtualTable).focus()

    def on_unmount(self) -> None:
        self.conn.close()

    def reload_on_resume(self) -> bool:
        if not hasattr(self, "conn"):  # not mounted yet
            return False
        self.reload(keep_cursor=True)
        return True

    # --- data ------------------------------------------------------------------

    def _date(self, wid: str) -> dt.date | None:
        text = self.query_one(wid, Input).value.strip()
        if not text:
            return None
        # "from 11-01 to 11-30" is this month: the end of a range reads forward (read
        # backwards, 11-30 was last year's and the list said to swap them)
        past = wid != "#date-to"
        try:
            return parse_date(text, self.app.today(), past=past)  # type: ignore[attr-defined]
        except ValueError:
            return None

    def current_filter(self) -> log.LogFilter:
        channel = self.query_one("#channel-filter", Select).value
        attitude = self.query_one("#attitude-filter", Select).value
        return log.LogFilter(
            date_from=self._date("#date-from"),
            date_to=self._date("#date-to"),
            channel=None if channel == Select.NULL else str(channel),
            attitude=None if attitude == Select.NULL else str(attitude),
            customer_id=self.customer_filter[0] if self.customer_filter else None,
            text=self.query_one("#log-search", Input).value,
        )

    def reload(self, *, keep_cursor: bool = False) -> None:
        table = self.query_one(VirtualTable)
        f = self.current_filter()
        table.set_source(LogSource(self.conn, f), keep_cursor=keep_cursor)
        empty = self.query_one("#log-empty", Static)
        if f.date_from and f.date_to and f.date_from > f.date_to:
            empty.update(
                _("The from date ({start}) is after the to date ({end}): swap them.").format(
                    start=f.date_from.isoformat(), end=f.date_to.isoformat()
                )
            )
        elif f.active:
            empty.update(_("No interaction matches. Press escape to clear the filters."))
        else:
            empty.update(
                _(
                    "No interactions logged yet.\n\n  n   log one (or l on any customer, deal or task)"
                )
            )
        table.show_rows_or(empty)
        n = table.row_count
        status = (_("{n} interaction") if n == 1 else _("{n} interactions")).format(n=n)
        if self.customer_filter:
            status += "  ·  " + _("customer: {name}").format(name=self.customer_filter[1])
        for wid in ("#date-from", "#date-to"):
            text = self.query_one(wid, Input).value.strip()
            if text and self._date(wid) is None:
                status += "  ·  " + _("unreadable date “{text}”").format(text=text)
        self.query_one("#log-status", Label).update(status)

    @on(Input.Changed)
    def _text_changed(self) -> None:
        # A very common search word can match most of a large log: wait for a pause in typing.
        if self._pending is not None:
            self._pending.stop()
        self._pending = self.set_timer(0.2, self.reload)

    @on(Select.Changed)
    def _filters_changed(self) -> None:
        self.reload()

    @on(Input.Submitted)
    def _search_done(self) -> None:
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        self.reload()
        self.query_one(VirtualTable).focus()

    @on(VirtualTable.Selected, "#log")
    def _open(self, event: VirtualTable.Selected) -> None:
        record = log.interaction_detail(self.conn, event.row_id)
        if record is None:
            return

        def chosen(what: str | None) -> None:
            if what == "edit":
                self.edit(record["id"])
            elif what == "delete":
                self.delete(record)

        self.app.push_screen(InteractionCard(record), chosen)

    # --- actions -----------------------------------------------------------------

    def selected_id(self) -> int | None:
        table = self.query_one(VirtualTable)
        return table.cursor_id if table.display else None

    def _changed(self) -> None:
        self.reload(keep_cursor=True)
        self.app.data_changed()  # type: ignore[attr-defined]

    def action_search(self) -> None:
        self.query_one("#log-search", Input).focus()

    def action_clear(self) -> None:
        self.customer_filter = None
        with self.prevent(Input.Changed, Select.Changed):
            for wid in ("#log-search", "#date-from", "#date-to"):
                self.query_one(wid, Input).value = ""
            self.query_one("#channel-filter", Select).clear()
            self.query_one("#attitude-filter", Select).clear()
        self.reload()
        self.query_one(VirtualTable).focus()

    def action_pick_customer(self) -> None:
        from crm_tui.screens.dialogs.customer_picker import CustomerPicker

        def picked(result: tuple[int, str] | None) -> None:
            if result:
                self.customer_filter = result
                self.reload()

        self.app.push_screen(CustomerPicker(_("Show the log of which customer?")), picked)

    def action_new(self) -> None:
        from crm_tui.screens import actions

        customer = self.customer_filter[0] if self.customer_filter else None
        actions.log_interaction(self.app, customer_id=customer, on_done=self._changed)

    def _for_selected(self, open_form) -> None:
        """``open_form`` (actions.log_interaction or new_task) for the selected row's
        customer and deal, or asking for a customer when no row is selected."""
        record_id = self.selected_id()
        record = log.interaction_detail(self.conn, record_id) if record_id else None
        open_form(
            self.app,
            customer_id=record["customer_id"] if record else None,
            opportunity_id=record["opportunity_id"] if record else None,
            on_done=self._changed,
        )

    def action_task(self) -> None:
        """`t` on a row: a new task for its customer (and deal)."""
        from crm_tui.screens import actions

        self._for_selected(actions.new_task)

    def action_log(self) -> None:
        """`l` on a row logs another interaction with the same customer."""
        from crm_tui.screens import actions

        self._for_selected(actions.log_interaction)

    def action_edit(self) -> None:
        record_id = self.selected_id()
        if record_id is not None:
            self.edit(record_id)

    def edit(self, record_id: int) -> None:
        from crm_tui.screens.dialogs.log_interaction import LogInteractionDialog

        def saved(result: int | None) -> None:
            if result:
                self._changed()
                # on the record edited, wherever its new time puts it: the cursor stayed
                # on the row number, another interaction, which delete then removed
                row = log.interaction_position(self.conn, self.current_filter(), record_id)
                if row is not None:
                    self.query_one(VirtualTable).cursor = row

        self.app.push_screen(LogInteractionDialog(interaction_id=record_id), saved)

    def action_export(self) -> None:
        """ctrl+e: the interactions the log shows (its search and filters), as `crm export
        interactions` writes them."""
        from crm_tui.screens import actions

        actions.after_typing(self.app, self._export)

    def _export(self) -> None:
        from crm_tui.screens import actions

        table = self.query_one(VirtualTable)
        source = table.source
        f = self.current_filter()
        if not isinstance(source, LogSource) or source.filter != f:
            # typed within the pause the log waits for: show what is exported first
            if self._pending is not None:
                self._pending.stop()
                self._pending = None
            self.reload()
        only = log.interaction_id_query(f)
        actions.export_records(
            self.app, "interactions", only, shown=table.row_count, order=log.EXPORT_ORDER
        )

    def action_delete(self) -> None:
        record_id = self.selected_id()
        record = log.interaction_detail(self.conn, record_id) if record_id else None
        if record:
            self.delete(record)

    def delete(self, record: dict) -> None:
        from crm_tui.screens.dialogs.confirm import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            from crm_tui.screens.tasks import run_write
            from crm_tui.store.interactions import delete_interaction

            ok, _none = run_write(self.app, lambda s: delete_interaction(s, record["id"]))
            if ok:
                self.notify(_("Interaction deleted"))
            self._changed()

        # its time too: a customer has many a "Check-in", and the question named only that
        message = _("Delete the interaction “{subject}” with {customer} of {when}?").format(
            subject=record["subject"],
            customer=record["customer"],
            when=str(record.get("occurred_at") or "")[:16],
        )
        if record.get("task_title") and record.get("task_status") in enums.OPEN_TASK_STATUSES:
            message += "\n" + _(
                "Its follow-up task “{task}” stays open (x on the Tasks screen closes it)."
            ).format(task=record["task_title"])
        self.app.push_screen(ConfirmDialog(message, yes=_("Delete"), danger=True), answered)

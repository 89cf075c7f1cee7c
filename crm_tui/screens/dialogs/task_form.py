"""New or edited task (title and due required), and the read-only task card.

``TaskFormDialog(customer_id, opportunity_id)`` adds a task for the record (key
`t` anywhere, `n` on the due-list); ``TaskFormDialog(task_id=…)`` edits one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from crm_tui.i18n import _, label, labelled
from crm_tui.screens.dialogs.log_interaction import choice_options
from crm_tui.screens.dialogs.typed_dates import (
    saved_with_date_problems,
    time_taken_off,
    typed_dates_partly,
)
from crm_tui.store import enums
from crm_tui.store.due import task_detail
from crm_tui.store.fields import time_field
from crm_tui.store.interaction_log import customer_choices, customer_name, record_links
from crm_tui.store.validation import ValidationError
from crm_tui.widgets.card_body import SCROLL_KEYS, CardBody, ScrollingCard
from crm_tui.widgets.footer import Footer
from crm_tui.widgets.form import FieldDef, FormScreen
from crm_tui.widgets.localized import Localized


class TaskFormDialog(FormScreen[int]):
    """Dismisses with the task's id once saved."""

    def __init__(
        self, customer_id: int | None = None, opportunity_id: int | None = None,
        task_id: int | None = None, *, due: str | None = None, title: str | None = None,
        contact_id: int | None = None, kind: str | None = None,
    ) -> None:  # fmt: skip
        """A new task (``due``, ``title``, ``contact_id`` and ``kind``, its type, filled in
        when given: the contact when it is one of the customer's) or, with ``task_id``,
        that task."""
        self.customer_id = customer_id
        self.opportunity_id = opportunity_id
        self.task_id = task_id
        self.version: int | None = None
        self.preset_due = due
        self.preset_title = title
        self.preset_contact = contact_id
        self.preset_kind = kind if kind in enums.TASK_TYPE.keys else "call"
        fields = [
            FieldDef("title", _("Task title"), required=True),
            FieldDef("type", _("Type"), "choice", required=True, vocabulary=enums.TASK_TYPE),
            FieldDef("due", _("Due"), "date", required=True),
            FieldDef("due_time", _("Time"), placeholder="HH:MM"),
            FieldDef("contact_id", _("Contact"), "choice", options=[]),
            FieldDef("opportunity_id", _("Opportunity"), "choice", options=[]),
            FieldDef("goal", _("Goal")),
            FieldDef("notes", _("Notes"), "textarea"),
        ]
        if task_id is not None:
            fields += [
                # (required: no blank "—" to pick, which saved as "planned" unseen)
                FieldDef(
                    "status", _("Status"), "choice", required=True, vocabulary=enums.TASK_STATUS
                ),
                FieldDef("result", _("Result"), "textarea"),
            ]
        super().__init__(fields, title=_("Edit task") if task_id else _("New task"))

    def _set(self, name: str, value: Any) -> None:
        if value is None:
            return
        widget = self.query_one(f"#field-{name}")
        if isinstance(widget, Select):
            widget.value = value
        elif hasattr(widget, "load_text"):
            widget.load_text(str(value))  # type: ignore[attr-defined]
        else:
            widget.value = str(value)  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        with self.app.db.reading() as conn:  # type: ignore[attr-defined]
            current = task_detail(conn, self.task_id) if self.task_id else None
            links = record_links(conn, opportunity_id=self.opportunity_id)
            if current:
                self.customer_id = current["customer_id"]
                self.version = current["version"]
            self.customer_id = self.customer_id or links.get("customer_id")
            choices = (
                customer_choices(conn, self.customer_id)
                if self.customer_id
                else {"contacts": [], "opportunities": []}
            )
            name = customer_name(conn, self.customer_id) if self.customer_id else ""
        if name:
            title = _("Edit task — {customer}") if current else _("New task — {customer}")
            self.query_one(".dialog-title", Label).update(title.format(customer=name))
        self.query_one("#field-contact_id", Select).set_options(
            choice_options(choices["contacts"], key="title")
        )
        self.query_one("#field-opportunity_id", Select).set_options(
            choice_options(choices["opportunities"], enums.STAGE, "stage")
        )
        if current:
            for key in ("title", "type", "due", "due_time", "contact_id", "opportunity_id",
                        "goal", "notes", "status", "result"):  # fmt: skip
                self._set(key, current[key])
        else:
            self._set("type", self.preset_kind)
            self._set("title", self.preset_title)
            if self.preset_title:  # selected: typing replaces it, ctrl+s keeps it
                self.query_one("#field-title", Input).select_all()
            self._set("due", self.preset_due or self.app.today().isoformat())  # type: ignore[attr-defined]
            self._set("opportunity_id", links.get("opportunity_id"))
            ids = {c["id"] for c in choices["contacts"]}
            if self.preset_contact in ids:  # (the task this one follows up, say)
                self._set("contact_id", self.preset_contact)
            elif links.get("contact_id") in ids:  # the deal's contact
                self._set("contact_id", links["contact_id"])
            else:  # the primary contact (or the only one), as the log form does
                self._set("contact_id", choices.get("default_contact"))

    def save(self, values: dict[str, Any]) -> int:
        from crm_tui.store.tasks import create_task, update_task

        at = self.app.now()  # type: ignore[attr-defined]
        data, date_problem = self.typed_due(values, at)

        def write(session):
            if self.task_id is None:
                return create_task(session, {**data, "customer_id": self.customer_id}, at=at)
            return update_task(session, self.task_id, data, expected_version=self.version, at=at)

        return saved_with_date_problems(self.app, date_problem, write)

    def typed_due(
        self, values: dict[str, Any], now: dt.datetime
    ) -> tuple[dict[str, Any], ValidationError | None]:
        """The due field read as a tasks import reads its due column: a date with or
        without a time (``下周三 14:30``, ``2026/12/2 14:30``); a time there is the task's
        time. The Time field, when changed here to another time, would say a second one:
        that is asked, not guessed (an import's due_time column wins, as an exported file
        has both alike)."""
        values, time = time_taken_off(values, "due", now)
        data, problem = typed_dates_partly(self.app, values, dates=("due",))
        if time is None:
            return data, problem
        typed = data.get("due_time")
        if typed is None or typed == self._initial.get("due_time"):
            data["due_time"] = time
            return data, None
        try:
            other = time_field("due_time", typed)
        except ValidationError:
            return data, None  # (the store says what is wrong with it)
        if other != time:
            message = _("Two times: {due} in the due date and {time} here").format(
                due=time, time=other
            )
            return data, ValidationError("due_time", message)
        return data, None


def task_card_text(task: dict) -> str:
    """The whole task as text for the details card."""
    lines = [
        (_("Task title"), task["title"]),
        (_("Type"), label(enums.TASK_TYPE, task["type"])),
        (_("Status"), label(enums.TASK_STATUS, task["status"])),
        (_("Due"), task["due"] + (f" {task['due_time']}" if task["due_time"] else "")),
        (_("Customer"), task.get("customer") or ""),
        (_("Contact"), task.get("contact") or ""),
        (_("Opportunity"), task.get("opportunity") or ""),
        (_("Goal"), task.get("goal") or ""),
        (_("Notes"), task.get("notes") or ""),
        (_("Result"), task.get("result") or ""),
        (_("Completed"), (task.get("completed_at") or "")[:16]),
    ]
    return "\n".join(labelled(k, v) for k, v in lines if v)


class TaskCard(ScrollingCard, Localized, ModalScreen[str | None]):
    """A task's details; dismisses with the key of a follow-up action or None."""

    BINDINGS = [
        Binding("escape,enter", "close", "Close"),
        Binding("e", "pick('edit')", "Edit"),
        Binding("x", "pick('done')", "Done"),
        Binding("l", "pick('log')", "Log"),
        *SCROLL_KEYS,
    ]

    def __init__(self, task: dict) -> None:
        super().__init__()
        self.task_data = task

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(_("Task"), classes="dialog-title")
            with CardBody():
                yield Static(task_card_text(self.task_data), id="task-card", markup=False)
            with Horizontal(classes="buttons"):  # the card's keys, shown (and clickable)
                if self.task_data.get("status") in ("planned", "in_progress"):
                    yield Button(_("Done (x)"), id="done", variant="primary")
                yield Button(_("Edit (e)"), id="edit")
                yield Button(_("Log (l)"), id="log")
                yield Button(_("Close (esc)"), id="close")
        yield Footer()  # (its own keys, not the screen's behind it)

    def on_mount(self) -> None:
        # enter closes the card, as its keys say: on the first button (Done) it
        # completed the task of a rep who meant to close what they had read
        self.query_one("#close", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "close" else event.button.id)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_pick(self, what: str) -> None:
        self.dismiss(what)


class NextFollowUp(Localized, ModalScreen[str | None]):
    """After `x`: log what happened, schedule the next follow-up, or nothing."""

    DEFAULT_CSS = """
    NextFollowUp .buttons.-stacked { layout: vertical; }
    NextFollowUp .buttons.-stacked Button { width: 100%; margin: 0; }
    """
    #: Under this many columns the three choices stand one under the other: side by
    #: side the last one was cut ("Nothing (e").
    STACK_BELOW = 100

    BINDINGS = [
        Binding("l", "pick('log')", "Log an interaction"),
        Binding("t", "pick('task')", "Schedule next follow-up"),
        Binding("escape,n", "pick(None)", "Nothing"),
    ]

    def __init__(self, title: str, *, logged: bool = False) -> None:
        """``logged``: an interaction was logged from this task already (the log key
        then offers another one, and scheduling is what enter does)."""
        super().__init__()
        self.task_title = title
        self.logged = logged

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(
                _("Done: {title}").format(title=self.task_title),
                classes="dialog-title",
                markup=False,
            )
            yield Label(_("Keep the customer in the loop — what next?"))
            with Horizontal(classes="buttons"):
                yield Button(
                    _("Log another interaction (l)")
                    if self.logged
                    else _("Log an interaction (l)"),
                    id="log",
                    variant="default" if self.logged else "primary",
                )
                yield Button(
                    _("Schedule next follow-up (t)"),
                    id="task",
                    variant="primary" if self.logged else "default",
                )
                yield Button(_("Nothing (esc)"), id="nothing")
        yield Footer()  # (its own keys, not the screen's behind it)

    def on_mount(self) -> None:
        self.query_one("#task" if self.logged else "#log", Button).focus()
        self.on_resize()

    def on_resize(self) -> None:
        self.query_one(".buttons").set_class(self.app.size.width < self.STACK_BELOW, "-stacked")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "nothing" else event.button.id)

    def action_pick(self, what: str | None) -> None:
        self.dismiss(what)

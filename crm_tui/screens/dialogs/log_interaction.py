"""Log an interaction in a few keystrokes; a next step with a due date becomes a task.

Open it through :func:`crm_tui.screens.actions.log_interaction` (key `l`) with the
selected customer, opportunity or task; without any it first asks for the
customer with incremental search. Dates are read against the app's clock, so
``+3d`` means three days after the (possibly frozen) today.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Label, Select

from crm_tui.i18n import _, label
from crm_tui.screens.dialogs.typed_dates import (
    saved_with_date_problems,
    time_taken_off,
    typed_dates_partly,
)
from crm_tui.store import enums
from crm_tui.store.interaction_log import (
    customer_choices,
    customer_name,
    interaction_detail,
    last_channel,
    record_links,
)
from crm_tui.store.validation import ValidationError
from crm_tui.widgets.form import FieldDef, FormScreen


def choice_options(items: list[dict], vocabulary=None, key: str = "") -> list[tuple[str, int]]:
    """Select options from rows with ``id`` and ``name`` (plus a label of ``key`` when given)."""
    options = []
    for item in items:
        text = item["name"]
        if key and item.get(key):
            extra = label(vocabulary, item[key]) if vocabulary else item[key]
            text = f"{text} ({extra})"
        options.append((text, item["id"]))
    return options


#: The channel an interaction logged from a task of each type most likely went through.
TASK_CHANNEL = {
    "visit": "visit", "call": "phone", "email": "email", "demo": "meeting",
    "tech_exchange": "meeting",
}  # fmt: skip


class LogInteractionDialog(FormScreen[int]):
    """Dismisses with the new interaction's id once saved (None when cancelled)."""

    first_field = "subject"  # what to type first; channel and time come prefilled

    def __init__(
        self, customer_id: int | None = None, opportunity_id: int | None = None,
        task_id: int | None = None, *, interaction_id: int | None = None,
    ) -> None:  # fmt: skip
        self.customer_id = customer_id
        self.interaction_id = interaction_id
        self.version: int | None = None
        self.opportunity_id = opportunity_id
        self.task_id = task_id
        self._asked_past_due = None  # a next step due before today, kept by a 2nd ctrl+s
        fields = [
            FieldDef("channel", _("Channel"), "choice", vocabulary=enums.CHANNEL, required=True),
            FieldDef("occurred_at", _("When"), "datetime"),
            FieldDef("subject", _("Subject"), required=True),
            FieldDef("content", _("Content"), "textarea"),
            FieldDef("feedback", _("Customer feedback"), "textarea"),
            FieldDef("attitude", _("Attitude"), "choice", vocabulary=enums.ATTITUDE),
            FieldDef("contact_id", _("Contact"), "choice", options=[]),
            FieldDef("opportunity_id", _("Opportunity"), "choice", options=[]),
            FieldDef("next_step", _("Next step"), placeholder=_("e.g. Send the quote")),
            FieldDef("next_step_due", _("Next step due"), "date"),
        ]
        super().__init__(
            fields, title=_("Edit interaction") if interaction_id else _("Log an interaction")
        )

    def on_mount(self) -> None:
        app = self.app
        with app.db.reading() as conn:  # type: ignore[attr-defined]
            links = record_links(conn, opportunity_id=self.opportunity_id, task_id=self.task_id)
            # a task says how it was done (a visit, an email); else the channel used last
            channel = (
                TASK_CHANNEL.get(links.get("task_type") or "") or last_channel(conn) or "phone"
            )
            current = interaction_detail(conn, self.interaction_id) if self.interaction_id else None
        if current:
            self._edit_mount(current)
            return
        self.customer_id = self.customer_id or links.get("customer_id")
        self.query_one("#field-channel", Select).value = channel
        when = app.now().strftime("%Y-%m-%d %H:%M")  # type: ignore[attr-defined]
        self.query_one("#field-occurred_at").value = when  # type: ignore[attr-defined]
        if links.get("title"):
            self.query_one("#field-subject").value = links["title"]  # type: ignore[attr-defined]
            # the task's title is the subject already: what to type is what happened
            # (FormScreen.on_mount, which runs next, focuses it)
            self.first_field = "content"
        if self.customer_id:
            self._load_customer(links)
        else:
            self.call_after_refresh(self._ask_customer)

    def _edit_mount(self, current: dict) -> None:
        self.customer_id = current["customer_id"]
        self.version = current["version"]
        self._load_customer(current, editing=True)
        self.query_one(".dialog-title", Label).update(
            _("Edit interaction — {customer}").format(customer=current["customer"])
        )
        for key in ("channel", "attitude"):
            if current[key]:
                self.query_one(f"#field-{key}", Select).value = current[key]
        for key in ("subject", "next_step"):
            self.query_one(f"#field-{key}").value = current[key] or ""  # type: ignore[attr-defined]
        self.query_one("#field-occurred_at").value = current["occurred_at"][:16]  # type: ignore[attr-defined]
        self.query_one("#field-next_step_due").value = current["next_step_due"] or ""  # type: ignore[attr-defined]
        for key in ("content", "feedback"):
            self.query_one(f"#field-{key}").load_text(current[key] or "")  # type: ignore[attr-defined]

    def _focus_subject(self) -> None:
        self.query_one("#field-subject").focus()

    def _ask_customer(self) -> None:
        from crm_tui.screens.dialogs.customer_picker import CustomerPicker

        def picked(result: tuple[int, str] | None) -> None:
            if not result:
                self.dismiss(None)
                return
            self.customer_id = result[0]
            self._load_customer({})
            self._initial = self.values()
            self._focus_subject()

        self.app.push_screen(CustomerPicker(_("Log an interaction with which customer?")), picked)

    def _load_customer(self, links: dict, *, editing: bool = False) -> None:
        """Offer the customer's contacts and deals; a new record gets the primary contact
        (or the only one)."""
        with self.app.db.reading() as conn:  # type: ignore[attr-defined]
            choices = customer_choices(conn, self.customer_id)
            name = customer_name(conn, self.customer_id)
        self.query_one(".dialog-title", Label).update(
            _("Log an interaction — {customer}").format(customer=name)
        )
        contact = self.query_one("#field-contact_id", Select)
        contact.set_options(choice_options(choices["contacts"], key="title"))
        deal = self.query_one("#field-opportunity_id", Select)
        deal.set_options(choice_options(choices["opportunities"], enums.STAGE, "stage"))
        ids = {c["id"] for c in choices["contacts"]}
        if links.get("contact_id") in ids:
            contact.value = links["contact_id"]
        elif choices["default_contact"] and not editing:
            contact.value = choices["default_contact"]
        deal_ids = {o["id"] for o in choices["opportunities"]}
        if links.get("opportunity_id") in deal_ids:
            deal.value = links["opportunity_id"]

    def _past_due_asked(
        self, values: dict, data: dict, today, problem: ValidationError | None
    ) -> ValidationError | None:
        """A next step due before today makes a task overdue at once: usually 昨天 for 明天
        (or a day typed backwards), so a second ctrl+s keeps it. A date left as it was
        on an edit is not asked about again."""
        due = data.get("next_step_due")
        typed = values.get("next_step_due")
        if (
            due is None or not values.get("next_step") or due >= today
            or due == self._asked_past_due or typed == self._initial.get("next_step_due")
        ):  # fmt: skip
            return problem
        self._asked_past_due = due
        asked = ValidationError(
            "next_step_due",
            _("Before today ({today}): ctrl+s again to keep it").format(today=today.isoformat()),
        )
        return asked if problem is None else ValidationError.of([problem, asked])

    def save(self, values: dict[str, Any]) -> int:
        from crm_tui.store.common import raw
        from crm_tui.store.interaction_log import remember_channel
        from crm_tui.store.interactions import log_interaction

        if not self.customer_id:
            raise ValidationError("subject", _("Choose a customer first"))
        if self.interaction_id and values.get("occurred_at") == self._initial.get("occurred_at"):
            values = {k: v for k, v in values.items() if k != "occurred_at"}  # keep its seconds
        now = self.app.now()  # type: ignore[attr-defined]
        values, step_time = time_taken_off(values, "next_step_due", now)  # its task's time
        data, date_problem = typed_dates_partly(
            self.app, values, datetimes=("occurred_at",), dates=("next_step_due",),
            past=("occurred_at",),  # it happened: "fri" is last Friday, not the next one
        )  # fmt: skip
        date_problem = self._past_due_asked(values, data, now.date(), date_problem)

        def write(session):
            if self.interaction_id:
                from crm_tui.store.interactions import update_interaction

                return update_interaction(
                    session, self.interaction_id, data, expected_version=self.version, at=now,
                    next_step_time=step_time,
                )  # fmt: skip
            record = log_interaction(
                session, self.customer_id, data, at=now, next_step_time=step_time
            )
            remember_channel(raw(session), record.channel)
            return record

        return saved_with_date_problems(self.app, date_problem, write)

"""Interaction (follow-up log) commands: log, edit, delete, with the next step becoming a task.

Reads for the log screen live in :mod:`crm_tui.store.interaction_log` (standard
library only); this module re-exports them so callers find everything here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from crm_tui.i18n import _
from crm_tui.store.common import NotFoundError, apply_update
from crm_tui.store.fields import INTERACTION_FIELDS, clean, time_field
from crm_tui.store.interaction_log import (  # noqa: F401  (re-exported)
    LogFilter,
    count_interactions,
    customer_choices,
    interaction_detail,
    list_interactions,
)
from crm_tui.store.models import Contact, Customer, Interaction, Opportunity, Task, now
from crm_tui.store.validation import ValidationError, check_happened

#: The task type a next step gets from the channel it was agreed on.
TASK_TYPE_FOR_CHANNEL = {"email": "email", "visit": "visit", "meeting": "visit"}


def _check_links(session: Session, customer_id: int, values: dict[str, Any]) -> None:
    """A contact or opportunity must belong to the interaction's customer."""
    contact_id = values.get("contact_id")
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.customer_id != customer_id:
            raise ValidationError("contact_id", _("Not a contact of this customer"))
    opportunity_id = values.get("opportunity_id")
    if opportunity_id is not None:
        deal = session.get(Opportunity, opportunity_id)
        if deal is None or deal.customer_id != customer_id:
            raise ValidationError("opportunity_id", _("Not an opportunity of this customer"))


def _touch_last_interaction(session: Session, customer_id: int, opportunity_ids) -> None:
    """Recompute the derived ``last_interaction_at`` of a customer and some opportunities."""
    latest = session.exec(
        select(func.max(Interaction.occurred_at)).where(Interaction.customer_id == customer_id)
    ).one()
    customer = session.get(Customer, customer_id)
    if customer is not None:
        customer.last_interaction_at = latest
        session.add(customer)
    for opp_id in {o for o in opportunity_ids if o is not None}:
        deal = session.get(Opportunity, opp_id)
        if deal is None:
            continue
        deal.last_interaction_at = session.exec(
            select(func.max(Interaction.occurred_at)).where(Interaction.opportunity_id == opp_id)
        ).one()
        session.add(deal)
    session.flush()


def _check_not_future(occurred_at: dt.datetime, stamp: dt.datetime) -> None:
    check_happened("occurred_at", occurred_at, stamp, _("Plan what comes next as a next step"))


def _checked(
    data: Mapping[str, Any], stamp: dt.datetime, *, always: tuple[str, ...] = (),
    if_given: tuple[str, ...] = (),
) -> dict:  # fmt: skip
    """The interaction's fields checked, every problem found in one round: a missing
    field (``always`` required, or ``if_given`` when ``data`` has it) and a time after
    ``stamp`` are reported with the others (a too-long subject was shown first, and
    the date in the future only on the second save)."""
    errors: list[ValidationError] = []
    try:
        values = clean(INTERACTION_FIELDS, data)
    except ValidationError as exc:
        errors.append(exc)
        values = {}
        bad = {field for field, _message in exc.errors}
        for name in ("subject", "occurred_at"):  # read alone, to check them below
            if name in data and name not in bad:
                values[name] = INTERACTION_FIELDS[name](name, data[name])
    reported = {field for e in errors for field, _message in e.errors}
    for name in (*always, *(n for n in if_given if n in data)):
        if values.get(name) is None and name not in reported:
            errors.append(ValidationError(name, _("Required")))
    if values.get("occurred_at") is not None:
        try:
            _check_not_future(values["occurred_at"], stamp)
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise ValidationError.of(errors)
    return values


def _checked_time(text: str | None) -> str | None:
    """A next step's time of day as HH:MM, or None (none given)."""
    return time_field("next_step_due", text) if text else None


def _follow_next_step(
    session: Session, record: Interaction, task: Task, old_step: str | None,
    old_due: dt.date | None, stamp: dt.datetime, time: str | None = None,
) -> None:  # fmt: skip
    """Carry a changed next step to its still open task: only what changed, so a new
    wording keeps a snoozed due date and a new date keeps a title edited on the task.
    A step with no due date is refused, as on logging."""
    if not record.next_step and not record.next_step_due:
        return  # the step was cleared: the task stays, the rep may still want it
    if not record.next_step_due:
        raise ValidationError("next_step_due", _("A next step needs a due date"))
    if record.next_step != old_step:
        task.title = record.next_step or _("Follow up: {subject}").format(subject=record.subject)
    if record.next_step_due != old_due:
        task.due = record.next_step_due
    if time is not None:
        task.due_time = time
    task.updated_at = stamp
    task.version += 1
    session.add(task)
    session.flush()


def _next_step_task(
    session: Session, interaction: Interaction, title: str | None, due: dt.date | None,
    stamp: dt.datetime, time: str | None = None,
) -> Task | None:  # fmt: skip
    if not title and not due:
        return None
    if not due:
        raise ValidationError("next_step_due", _("A next step needs a due date"))
    task = Task(
        title=title or _("Follow up: {subject}").format(subject=interaction.subject),
        type=TASK_TYPE_FOR_CHANNEL.get(interaction.channel, "call"),
        customer_id=interaction.customer_id,
        contact_id=interaction.contact_id,
        opportunity_id=interaction.opportunity_id,
        due=due,
        due_time=time,
        status="planned",
        created_at=stamp,
        updated_at=stamp,
    )
    session.add(task)
    session.flush()
    return task


def log_interaction(
    session: Session, customer_id: int, data: Mapping[str, Any], *,
    at: dt.datetime | None = None, next_step_time: str | None = None,
) -> Interaction:  # fmt: skip
    """Record an interaction (only ``subject`` is required; ``occurred_at`` defaults to now).

    A ``next_step`` with a ``next_step_due`` creates a planned task for the same
    customer, contact and opportunity, linked by ``interaction.task_id``; a due
    date alone creates a "Follow up: subject" task. The customer's and the
    opportunity's ``last_interaction_at`` are brought up to date. ``at`` is the
    clock's now (tests freeze it); ``next_step_time`` (HH:MM), the time of day of the
    next step's task (typed with its due date: ``下周三 14:30``).
    """
    stamp = (at or now()).replace(microsecond=0)
    values = _checked(data, stamp, always=("subject",))
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFoundError(_("This customer no longer exists"))
    _check_links(session, customer_id, values)
    values["occurred_at"] = values.get("occurred_at") or stamp
    values["channel"] = values.get("channel") or "phone"
    interaction = Interaction(
        customer_id=customer_id,
        **{k: v for k, v in values.items() if v is not None},
        created_at=stamp,
        updated_at=stamp,
    )
    session.add(interaction)
    session.flush()
    task = _next_step_task(
        session, interaction, values.get("next_step"), values.get("next_step_due"), stamp,
        _checked_time(next_step_time),
    )  # fmt: skip
    if task is not None:
        interaction.task_id = task.id
        session.add(interaction)
    _touch_last_interaction(session, customer_id, [interaction.opportunity_id])
    return interaction


def update_interaction(
    session: Session, interaction_id: int, data: Mapping[str, Any], *,
    expected_version: int | None = None, at: dt.datetime | None = None,
    next_step_time: str | None = None,
) -> Interaction:  # fmt: skip
    """Change an interaction. A changed next step moves its open task (only the title or
    the due date that changed); with no task, or one done, cancelled or deleted, it
    creates and links a new planned task, as logging does. An unchanged step touches no
    task (an imported step without a task stays so; a deleted task is not brought back).
    """
    stamp = (at or now()).replace(microsecond=0)
    values = _checked(data, stamp, if_given=("subject", "occurred_at"))
    if "channel" in values and values["channel"] is None:
        values["channel"] = "phone"
    current = session.get(Interaction, interaction_id)
    if current is None:
        raise NotFoundError(_("This record no longer exists (deleted elsewhere)"))
    _check_links(session, current.customer_id, values)
    old_opportunity = current.opportunity_id
    old_step, old_due = current.next_step, current.next_step_due
    record: Interaction = apply_update(  # type: ignore[assignment]
        session, Interaction, interaction_id, values, expected_version
    )
    time = _checked_time(next_step_time)
    if (record.next_step, record.next_step_due) != (old_step, old_due) or time is not None:
        task = session.get(Task, record.task_id) if record.task_id is not None else None
        if task is not None and task.status in ("planned", "in_progress"):
            _follow_next_step(session, record, task, old_step, old_due, stamp, time)
        else:  # no task yet, or it is done, cancelled or deleted (history): a new one
            task = _next_step_task(
                session, record, record.next_step, record.next_step_due, stamp, time
            )
            if task is not None:
                record.task_id = task.id
                session.add(record)
                session.flush()
    _touch_last_interaction(session, record.customer_id, [old_opportunity, record.opportunity_id])
    return record


def get_interaction(session: Session, interaction_id: int) -> Interaction:
    record = session.get(Interaction, interaction_id)
    if record is None:
        raise NotFoundError(_("This record no longer exists (deleted elsewhere)"))
    return record


def delete_interaction(session: Session, interaction_id: int) -> None:
    """Delete one interaction (its next-step task stays); derived dates are recomputed."""
    record = get_interaction(session, interaction_id)
    customer_id, opportunity_id = record.customer_id, record.opportunity_id
    session.delete(record)
    session.flush()
    _touch_last_interaction(session, customer_id, [opportunity_id])

"""Task commands: create, edit, delete, complete, snooze, reschedule — and the due-list reads.

The reads (due groups, badge count, review queue, neglected accounts, customer
context and timeline) are standard-library functions in :mod:`crm_tui.store.due`
and :mod:`crm_tui.store.interaction_log`; they are re-exported here. Each takes a
DB-API connection: ``Database.reading()`` or ``common.raw(session)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session, col, select

from crm_tui.i18n import _
from crm_tui.store import enums
from crm_tui.store.common import ConflictError, NotFoundError, apply_update
from crm_tui.store.due import (  # noqa: F401  (re-exported)
    GROUPS,
    PRIORITY_HELP,
    completed_tasks,
    count_completed,
    customer_context,
    due_badge_count,
    due_counts,
    due_group,
    due_list,
    group_of,
    neglected_accounts,
    priority_key,
    review_queue,
    task_detail,
)
from crm_tui.store.fields import TASK_FIELDS, clean
from crm_tui.store.models import Contact, Customer, Opportunity, Task, now
from crm_tui.store.validation import ValidationError


def _check_links(session: Session, values: Mapping[str, Any], customer_id: int | None) -> None:
    if customer_id is not None and session.get(Customer, customer_id) is None:
        raise ValidationError("customer_id", _("This customer no longer exists"))
    contact_id = values.get("contact_id")
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None or (customer_id is not None and contact.customer_id != customer_id):
            raise ValidationError("contact_id", _("Not a contact of this customer"))
    opportunity_id = values.get("opportunity_id")
    if opportunity_id is not None:
        deal = session.get(Opportunity, opportunity_id)
        if deal is None or (customer_id is not None and deal.customer_id != customer_id):
            raise ValidationError("opportunity_id", _("Not an opportunity of this customer"))


def _completion(values: dict[str, Any], stamp: dt.datetime, old_status: str | None) -> None:
    """Done/cancelled records their completion time; reopening clears it."""
    status = values.get("status")
    if status in ("done", "cancelled") and old_status not in ("done", "cancelled"):
        values["completed_at"] = stamp
    elif status in enums.OPEN_TASK_STATUSES and old_status in ("done", "cancelled"):
        values["completed_at"] = None


def create_task(
    session: Session, data: Mapping[str, Any], *, at: dt.datetime | None = None
) -> Task:
    """Add a task (title and due are required). A deal without a customer takes the deal's."""
    stamp = (at or now()).replace(microsecond=0)
    values = clean(TASK_FIELDS, data)
    if values.get("due") is None:
        raise ValidationError("due", _("Required"))
    if values.get("customer_id") is None and values.get("opportunity_id") is not None:
        deal = session.get(Opportunity, values["opportunity_id"])
        if deal is not None:
            values["customer_id"] = deal.customer_id
    _check_links(session, values, values.get("customer_id"))
    values["status"] = values.get("status") or "planned"
    values["type"] = values.get("type") or "call"
    _completion(values, stamp, None)
    task = Task(
        **{k: v for k, v in values.items() if v is not None}, created_at=stamp, updated_at=stamp
    )
    session.add(task)
    session.flush()
    return task


def get_task(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFoundError(_("This task no longer exists"))
    return task


def update_task(
    session: Session, task_id: int, data: Mapping[str, Any], *,
    expected_version: int | None = None, at: dt.datetime | None = None,
) -> Task:  # fmt: skip
    """Change the given fields; refused if changed elsewhere since ``expected_version``."""
    values = clean(TASK_FIELDS, data)
    for required in ("title", "due"):
        if required in values and values[required] is None:
            raise ValidationError(required, _("Required"))
    for key, default in (("status", "planned"), ("type", "call")):
        if key in values and values[key] is None:
            values[key] = default
    task = get_task(session, task_id)
    customer_id = values.get("customer_id", task.customer_id)
    _check_links(session, values, customer_id)
    _completion(values, (at or now()).replace(microsecond=0), task.status)
    return apply_update(session, Task, task_id, values, expected_version)  # type: ignore[return-value]


def delete_task(session: Session, task_id: int) -> None:
    session.delete(get_task(session, task_id))
    session.flush()


class TaskClosedError(ConflictError):
    """The task is no longer open (done or cancelled, elsewhere since it was read): it is
    not completed, snoozed or moved again. ``status`` is what it is now."""

    def __init__(self, status: str) -> None:
        super().__init__(
            _("This task was already done elsewhere")
            if status == "done"
            else _("This task was cancelled elsewhere")
        )
        self.status = status


def _open_task(session: Session, task_id: int) -> Task:
    """The task as it is in the database now, if it is still open (else TaskClosedError)."""
    task = get_task(session, task_id)
    session.refresh(task)  # (not the session's copy: the latest, whoever wrote it)
    if task.status not in enums.OPEN_TASK_STATUSES:
        raise TaskClosedError(task.status)
    return task


def complete_task(
    session: Session, task_id: int, *, result: str | None = None, at: dt.datetime | None = None
) -> Task:
    """Mark an open task done and record when (``at``, default now).

    A task already done or cancelled (elsewhere, since the caller read it) raises
    TaskClosedError: its completion time and version stay as they are.
    """
    stamp = (at or now()).replace(microsecond=0)
    data: dict[str, Any] = {"status": "done"}
    if result:
        data["result"] = result
    values = clean(TASK_FIELDS, data)
    values["completed_at"] = stamp
    _open_task(session, task_id)
    return apply_update(session, Task, task_id, values, None)  # type: ignore[return-value]


def cancel_deal_tasks(
    session: Session, opp_id: int, *, at: dt.datetime | None = None
) -> tuple[tuple[int, str], ...]:
    """Cancel the open tasks of a deal that was lost (its follow-ups are moot); returns
    (task id, status before) of each, for reopen_tasks to undo."""
    stamp = (at or now()).replace(microsecond=0)
    tasks = session.exec(
        select(Task).where(
            Task.opportunity_id == opp_id, col(Task.status).in_(enums.OPEN_TASK_STATUSES)
        )
    ).all()
    cancelled = tuple((task.id, task.status) for task in tasks)
    for task_id, _status in cancelled:
        values = {"status": "cancelled", "completed_at": stamp}
        apply_update(session, Task, task_id, values, None)  # type: ignore[arg-type]
    return cancelled  # type: ignore[return-value]


def reopen_tasks(session: Session, cancelled: Iterable[tuple[int, str]]) -> int:
    """Undo cancel_deal_tasks: each task still cancelled gets its status back (one closed
    or deleted since is left as it is); returns how many were reopened."""
    reopened = 0
    for task_id, status in cancelled:
        task = session.get(Task, task_id)
        if task is None or task.status != "cancelled":
            continue
        apply_update(session, Task, task_id, {"status": status, "completed_at": None}, None)
        reopened += 1
    return reopened


def reschedule_task(
    session: Session, task_id: int, due: dt.date | str, due_time: str | None = None
) -> Task:
    """Move an open task to another due date (keeps its time unless one is given).

    A task already done or cancelled raises TaskClosedError (edit it to reopen it).
    """
    data: dict[str, Any] = {"due": due}
    if due_time is not None:
        data["due_time"] = due_time
    values = clean(TASK_FIELDS, data)
    if values["due"] is None:
        raise ValidationError("due", _("Required"))
    _open_task(session, task_id)
    return apply_update(session, Task, task_id, values, None)  # type: ignore[return-value]


def snooze_task(session: Session, task_id: int, days: int = 1, *, today: dt.date) -> Task:
    """Push an open task ``days`` days later — from today when it is overdue, else from its
    due date.

    Snoozing an overdue task by one day makes it due tomorrow (not yesterday + 1,
    which would leave it overdue). A task already done or cancelled raises
    TaskClosedError; one that would pass the last date a plan can have (dates.LAST_DAY,
    which the task form holds due dates to: it could no longer be edited), ValidationError.
    """
    from crm_tui.dates import LAST_DAY

    task = _open_task(session, task_id)
    base = max(task.due, today)
    if (max(LAST_DAY, base) - base).days < days:
        raise ValidationError(
            "due",
            _("This task is due {due}: it cannot be snoozed past {last}").format(
                due=base.isoformat(), last=LAST_DAY.isoformat()
            ),
        )
    return reschedule_task(session, task_id, base + dt.timedelta(days=days))

"""Task commands and the due-list reads: groups and their boundaries, badge, review priority."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_tui.store.common import raw
from crm_tui.store.customers import create_customer
from crm_tui.store.due import BADGE_SQL
from crm_tui.store.interactions import log_interaction
from crm_tui.store.models import Opportunity
from crm_tui.store.tasks import (
    complete_task,
    create_task,
    due_badge_count,
    due_counts,
    due_group,
    due_list,
    neglected_accounts,
    reschedule_task,
    review_queue,
    snooze_task,
    update_task,
)
from crm_tui.store.validation import ValidationError

TODAY = dt.date(2026, 11, 23)  # a Monday
NOW = dt.datetime(2026, 11, 23, 23, 58)


def day(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def test_groups_and_boundaries(session):
    made = {}
    for name, due, time in [
        ("yesterday late", day(-1), "23:59"),
        ("last week", day(-7), None),
        ("today early", day(0), "00:00"),
        ("today late", day(0), "23:59"),
        ("tomorrow", day(1), None),
        ("in seven days", day(7), None),
        ("in eight days", day(8), None),
    ]:
        made[name] = create_task(session, {"title": name, "due": due, "due_time": time}, at=NOW)
    create_task(session, {"title": "done", "due": day(-3), "status": "done"}, at=NOW)
    conn = raw(session)
    assert due_counts(conn, TODAY) == {"overdue": 2, "today": 2, "next7": 2, "later": 1}
    overdue = due_group(conn, "overdue", TODAY)
    assert [t["title"] for t in overdue] == ["last week", "yesterday late"]  # oldest first
    assert [t["days_overdue"] for t in overdue] == [7, 1]
    assert [t["title"] for t in due_group(conn, "today", TODAY)] == ["today early", "today late"]
    assert [t["title"] for t in due_group(conn, "next7", TODAY)] == ["tomorrow", "in seven days"]
    assert [t["title"] for t in due_group(conn, "later", TODAY)] == ["in eight days"]
    assert due_badge_count(conn, TODAY) == 4
    # A minute later it is the next day: "today late" becomes overdue, "tomorrow" is today.
    assert due_counts(conn, day(1)) == {"overdue": 4, "today": 1, "next7": 2, "later": 0}
    assert [t["title"] for t in due_list(conn, TODAY, 1)] == [
        "last week",
        "yesterday late",
        "today early",
        "today late",
        "tomorrow",
    ]


def test_time_zone_is_the_callers_today(session):
    """Boundaries follow the as-of date given (the rep's local date), not UTC."""
    create_task(session, {"title": "t", "due": dt.date(2026, 11, 24), "due_time": "08:00"})
    conn = raw(session)
    # 2026-11-23 23:30 UTC is already 2026-11-24 07:30 in Shanghai.
    utc = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)
    shanghai = utc.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    assert due_counts(conn, utc.date())["next7"] == 1
    assert due_counts(conn, shanghai)["today"] == 1


def test_badge_uses_partial_index(session):
    plan = (
        raw(session)
        .execute(
            "EXPLAIN QUERY PLAN " + BADGE_SQL,
            ("2026-11-23",),
        )
        .fetchall()
    )
    assert "ix_task_open_due" in " ".join(str(tuple(r)) for r in plan)


def test_complete_snooze_reschedule(session):
    overdue = create_task(session, {"title": "call", "due": day(-2)}, at=NOW)
    future = create_task(session, {"title": "mail", "due": day(3)}, at=NOW)
    conn = raw(session)
    assert due_badge_count(conn, TODAY) == 1
    done = complete_task(session, overdue.id, at=NOW)
    assert done.status == "done" and done.completed_at == NOW.replace(second=0)
    assert due_badge_count(conn, TODAY) == 0
    assert snooze_task(session, future.id, 1, today=TODAY).due == day(4)
    assert snooze_task(session, future.id, 7, today=TODAY).due == day(11)
    late = create_task(session, {"title": "late", "due": day(-5)}, at=NOW)
    assert snooze_task(session, late.id, 1, today=TODAY).due == day(1)
    assert reschedule_task(session, late.id, "2026-12-01", "14:30").due == dt.date(2026, 12, 1)
    with pytest.raises(ValidationError) as err:
        reschedule_task(session, late.id, "someday")
    assert err.value.field == "due"
    reopened = update_task(session, overdue.id, {"status": "planned"})
    assert reopened.completed_at is None


def test_snooze_stops_at_the_last_date_a_plan_can_have(session):
    """Snoozed to 2101-01-07, a task could no longer be edited (due dates end in 2100)."""
    task = create_task(session, {"title": "far", "due": "2100-12-28"}, at=NOW)
    assert snooze_task(session, task.id, 3, today=TODAY).due == dt.date(2100, 12, 31)
    with pytest.raises(ValidationError) as err:
        snooze_task(session, task.id, 1, today=TODAY)
    assert err.value.message == "This task is due 2100-12-31: it cannot be snoozed past 2100-12-31"
    assert update_task(session, task.id, {"title": "far away"}).due == dt.date(2100, 12, 31)


def test_task_validation(session):
    with pytest.raises(ValidationError) as err:
        create_task(session, {"title": "x"})
    assert err.value.field == "due"
    with pytest.raises(ValidationError) as err:
        create_task(session, {"title": "x", "due": day(1), "due_time": "25:00"})
    assert err.value.field == "due_time"
    with pytest.raises(ValidationError) as err:
        create_task(session, {"title": "", "due": day(1)})
    assert err.value.field == "title"


def _customer(session, name, level, *, deal_cents=0, probability=50, last=None):
    c = create_customer(session, {"name": name, "level": level})
    c.created_at = dt.datetime(2026, 1, 5, 9)  # known for long: it can be neglected
    if deal_cents:
        session.add(
            Opportunity(
                customer_id=c.id,
                name=f"{name} deal",
                amount_cents=deal_cents,
                probability=probability,
                stage="proposal",
            )
        )
    if last:
        log_interaction(session, c.id, {"subject": "hello", "occurred_at": last})
    session.flush()
    return c


def test_neglected_accounts(session):
    a_old = _customer(session, "A old", "A", last=dt.datetime(2026, 10, 1, 9))
    _customer(session, "A recent", "A", last=dt.datetime(2026, 11, 20, 9))
    b_never = _customer(session, "B never", "B")
    _customer(session, "C old", "C", last=dt.datetime(2026, 9, 1, 9))
    dormant = _customer(session, "A dormant", "A")
    from crm_tui.store.customers import update_customer

    update_customer(session, dormant.id, {"status": "dormant"})
    conn = raw(session)
    found = neglected_accounts(conn, TODAY, 30)
    assert [c["customer"] for c in found] == ["A old", "B never"]
    assert found[0]["silent_days"] == 53 and found[1]["silent_days"] is None
    # Exactly 30 days ago is not yet neglected; 31 is.
    boundary = _customer(session, "B edge", "B", last=dt.datetime(2026, 10, 24, 0, 0))
    assert boundary.id not in {c["customer_id"] for c in neglected_accounts(conn, TODAY, 30)}
    assert boundary.id in {c["customer_id"] for c in neglected_accounts(conn, TODAY, 29)}
    assert {a_old.id, b_never.id} <= {c["customer_id"] for c in found}


def test_review_priority(session):
    recent = dt.datetime(2026, 11, 22, 9)
    big_b = _customer(session, "Big B", "B", deal_cents=1_000_000_00, last=recent)
    small_a = _customer(session, "Small A", "A", deal_cents=1_000_00, last=recent)
    rich_a = _customer(session, "Rich A", "A", deal_cents=500_000_00, last=recent)
    plain = _customer(session, "Plain C", "C", last=recent)
    neglected = _customer(session, "Quiet A", "A", last=dt.datetime(2026, 9, 1, 9))
    create_task(session, {"title": "today B", "due": TODAY, "customer_id": big_b.id})
    create_task(session, {"title": "today small A", "due": TODAY, "customer_id": small_a.id})
    create_task(session, {"title": "today rich A", "due": TODAY, "customer_id": rich_a.id})
    create_task(session, {"title": "overdue C", "due": day(-3), "customer_id": plain.id})
    create_task(session, {"title": "overdue none", "due": day(-1)})
    create_task(session, {"title": "future", "due": day(2), "customer_id": rich_a.id})
    queue = review_queue(raw(session), TODAY, 30)
    assert [(q["kind"], q.get("title") or q["customer"]) for q in queue] == [
        ("task", "overdue C"),
        ("task", "overdue none"),
        ("task", "today rich A"),
        ("task", "today small A"),
        ("task", "today B"),
        ("neglected", "Quiet A"),
    ]
    assert queue[-1]["customer_id"] == neglected.id
    assert queue[2]["weighted_cents"] == 250_000_00


def test_review_keeps_every_due_task_however_many(session):
    """A queue cut at some length would drop today's tasks first (they sort last)."""
    conn = raw(session)
    conn.executemany(
        "INSERT INTO task (title, type, due, status, created_at, updated_at, version)"
        " VALUES (?, 'call', ?, 'planned', '2026-11-01', '2026-11-01', 1)",
        [(f"overdue {i}", day(-1 - i % 30).isoformat()) for i in range(400)],
    )
    create_task(session, {"title": "due today", "due": TODAY})
    queue = review_queue(conn, TODAY, 30)
    assert len(queue) == 401
    assert queue[-1]["title"] == "due today"


def test_an_account_added_this_week_is_not_neglected(session):
    old = _customer(session, "Old Quiet", "A")
    create_customer(session, {"name": "Just Added", "level": "A"}).created_at = dt.datetime(
        2026, 11, 20, 9
    )
    session.flush()
    found = [c["customer"] for c in neglected_accounts(raw(session), TODAY, 30)]
    assert found == [old.name]

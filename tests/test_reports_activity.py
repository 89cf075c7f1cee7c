"""Activity per ISO week: channels, tasks due/done/overdue, completion rate, new records, as-of cut."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import test_reports_data as d

from crm_tui.reports.activity import activity
from crm_tui.reports.output import render_json

AS_OF = dt.date(2026, 12, 2)  # Wednesday of 2026-W49 (Nov 30 - Dec 6)


def test_activity_two_weeks(db):
    conn = db.connect()
    c = d.customer(conn, "A", created="2026-11-24 10:00:00")  # W48
    d.customer(conn, "B", created="2026-12-01 10:00:00")  # W49
    d.customer(conn, "C", created="2026-12-03 10:00:00")  # after the as-of date
    d.deal(conn, c, "deal", created="2026-11-29 23:59:59")  # W48
    d.interaction(conn, c, "2026-11-23 00:00:00", "a", "phone")
    d.interaction(conn, c, "2026-11-29 23:59:00", "b", "phone")
    d.interaction(conn, c, "2026-11-25 10:00:00", "c", "email")
    d.interaction(conn, c, "2026-12-01 10:00:00", "d", "wechat")
    d.interaction(conn, c, "2026-12-03 10:00:00", "e", "wechat")  # after the as-of date
    d.interaction(conn, c, "2026-11-22 10:00:00", "f", "visit")  # W47: outside
    # W48 due: on time, late (done in W49), never done, cancelled (ignored)
    d.task(conn, "t1", "2026-11-24", status="done", completed="2026-11-24 10:00:00")
    d.task(conn, "t2", "2026-11-25", status="done", completed="2026-12-01 10:00:00")
    d.task(conn, "t3", "2026-11-26")
    d.task(conn, "t4", "2026-11-27", status="cancelled")
    # W49 due up to the as-of date: open on the as-of day (pending, not overdue), done w/o time
    d.task(conn, "t5", "2026-12-02")
    d.task(conn, "t6", "2026-12-01", status="done")
    d.task(conn, "t7", "2026-12-05")  # due after the as-of date
    conn.commit()
    report = activity(conn, AS_OF, weeks=2)
    w48, w49 = report.rows
    assert (w48["week"], w49["week"]) == ("2026-W48", "2026-W49")
    assert (w48["interactions"], w48["phone"], w48["email"], w48["visit"]) == (3, 2, 1, 0)
    assert (w49["interactions"], w49["wechat"]) == (1, 1)
    assert (w48["tasks_due"], w48["tasks_done"], w48["tasks_overdue"]) == (3, 1, 2)
    assert w48["completion_rate"] == Decimal("0.3333")
    assert (w49["tasks_due"], w49["tasks_done"], w49["tasks_overdue"]) == (2, 1, 0)
    # t5 is due today and still open: not rated yet, so 1 of 1 rated task was done in time
    assert w49["completion_rate"] == Decimal("1.0000")
    assert (w48["new_customers"], w49["new_customers"]) == (1, 1)
    assert (w48["new_deals"], w49["new_deals"]) == (1, 0)
    conn.close()


def test_activity_default_twelve_weeks(db):
    with db.reading() as conn:
        report = activity(conn, AS_OF)
    assert len(report.rows) == 12
    assert report.rows[0]["week"] == "2026-W38" and report.rows[-1]["week"] == "2026-W49"
    assert all(r["completion_rate"] is None for r in report.rows)
    head = json.loads(render_json(report))
    assert (head["as_of"], head["weeks"]) == (AS_OF.isoformat(), 12)  # a number, as the rows'


def test_a_task_due_on_the_as_of_day_is_not_overdue(db):
    """Like `crm due`, the weekly report and the header badge: today is not overdue."""
    conn = db.connect()
    d.task(conn, "due today, open", "2026-12-02")
    d.task(conn, "due today, done today", "2026-12-02", status="done",
           completed="2026-12-02 16:00:00")  # fmt: skip
    # done only after the as-of day: as of that day it is open, so pending
    d.task(conn, "due today, done tomorrow", "2026-12-02", status="done",
           completed="2026-12-03 09:00:00")  # fmt: skip
    d.task(conn, "due yesterday, open", "2026-12-01")
    d.task(conn, "due yesterday, done today", "2026-12-01", status="done",
           completed="2026-12-02 08:00:00")  # fmt: skip
    d.task(conn, "due Monday, done Monday", "2026-11-30", status="done",
           completed="2026-11-30 18:00:00")  # fmt: skip
    conn.commit()
    (w49,) = activity(conn, AS_OF, weeks=1).rows
    # overdue: yesterday's open task only; yesterday's task done this morning is done in
    # its week, as it will count once the week is over (and as the weekly report says)
    assert (w49["tasks_due"], w49["tasks_overdue"]) == (6, 1)
    # rated: 6 due - 2 pending = 4; done in time: 3 (today's, this morning's and Monday's)
    assert w49["completion_rate"] == Decimal("0.7500")
    conn.close()


def test_monday_morning_with_only_todays_tasks_is_not_zero_percent(db):
    conn = db.connect()
    monday = dt.date(2026, 11, 30)
    for i in range(3):
        d.task(conn, f"today {i}", monday.isoformat())
    conn.commit()
    (week,) = activity(conn, monday, weeks=1).rows
    assert (week["tasks_due"], week["tasks_done"], week["tasks_overdue"]) == (3, 0, 0)
    assert week["completion_rate"] is None  # nothing has come due yet: no rate
    conn.close()


def test_a_past_week_keeps_its_monday_cutoff(db):
    """Seen from a later as-of date, a week's tasks are late only if done after its end."""
    conn = db.connect()
    d.task(conn, "due Sunday, done Sunday", "2026-11-29", status="done",
           completed="2026-11-29 20:00:00")  # fmt: skip
    d.task(conn, "due Sunday, done Monday", "2026-11-29", status="done",
           completed="2026-11-30 08:00:00")  # fmt: skip
    d.task(conn, "due Sunday, open", "2026-11-29")
    conn.commit()
    w48, _w49 = activity(conn, AS_OF, weeks=2).rows
    assert (w48["tasks_due"], w48["tasks_overdue"]) == (3, 2)
    assert w48["completion_rate"] == Decimal("0.3333")
    conn.close()

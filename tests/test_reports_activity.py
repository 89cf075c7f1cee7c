"""Activity per ISO week: channels, tasks due/done/overdue, completion rate, new records, as-of cut."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import test_reports_data as d

from crm_tui.reports.activity import activity

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
    # W49 due up to the as-of date: open (overdue by the end of the as-of day), done w/o time
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
    assert (w49["tasks_due"], w49["tasks_done"], w49["tasks_overdue"]) == (2, 1, 1)
    assert w49["completion_rate"] == Decimal("0.5000")
    assert (w48["new_customers"], w49["new_customers"]) == (1, 1)
    assert (w48["new_deals"], w49["new_deals"]) == (1, 0)
    conn.close()


def test_activity_default_twelve_weeks(db):
    with db.reading() as conn:
        report = activity(conn, AS_OF)
    assert len(report.rows) == 12
    assert report.rows[0]["week"] == "2026-W38" and report.rows[-1]["week"] == "2026-W49"
    assert all(r["completion_rate"] is None for r in report.rows)

"""Weekly report for 2026-W49 (Mon Nov 30 - Sun Dec 6), a week spanning a month boundary."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import test_reports_data as d

from crm_tui.reports import output
from crm_tui.reports.weekly import METRICS, SECTIONS, weekly

TODAY = dt.date(2026, 12, 10)  # the week is over: cutoff for overdue is Monday Dec 7


@pytest.fixture
def conn(db):
    conn = db.connect()
    n1 = d.customer(conn, "北京星河网络", created="2026-11-30 10:00:00")  # in
    n2 = d.customer(conn, "N2", created="2026-12-06 23:59:59")  # in
    n3 = d.customer(conn, "N3", created="2026-11-29 23:00:00")  # before
    d.customer(conn, "N4", created="2026-12-07 00:00:00")  # after
    d.interaction(conn, n1, "2026-11-30 09:00:00", "首次拜访", "visit")
    d.interaction(conn, n2, "2026-12-06 18:00:00", "WeChat chat", "wechat")
    d.interaction(conn, n3, "2026-11-29 18:00:00", "before", "phone")
    d.interaction(conn, n3, "2026-12-07 08:00:00", "after", "phone")
    d.task(conn, "T1 done", "2026-12-01", customer_id=n1, status="done",
           completed="2026-12-01 10:00:00", result="ok")  # fmt: skip
    d.task(conn, "T2 done before", "2026-11-29", status="done", completed="2026-11-29 10:00:00")
    d.task(conn, "T3 backlog", "2026-11-20", customer_id=n3)
    d.task(conn, "T4 due Sunday", "2026-12-06", type="visit")
    d.task(conn, "T5 due next Monday", "2026-12-07", customer_id=n2)
    d.task(conn, "T6 done late", "2026-12-02", status="done", completed="2026-12-08 10:00:00")
    d.task(conn, "T7 cancelled", "2026-12-01", status="cancelled")
    d.task(conn, "T8 next Sunday", "2026-12-13", type="email")
    d.task(conn, "T9 in two weeks", "2026-12-14")
    o1 = d.deal(conn, n1, "O1 CRM rollout", stage="won", probability=100, cents=120050,
                created="2026-12-02 09:00:00", actual_close="2026-12-03", product="CRM")  # fmt: skip
    d.change(conn, o1, None, "negotiation", "2026-12-02 09:00:00")
    d.change(conn, o1, "negotiation", "won", "2026-12-03 15:00:00")
    o2 = d.deal(conn, n3, "O2", stage="lost", probability=0, cents=5000,
                created="2026-10-01 09:00:00", actual_close="2026-11-30", lost_reason="价格")  # fmt: skip
    d.change(conn, o2, "proposal", "lost", "2026-11-30 00:00:00")
    o3 = d.deal(conn, n3, "O3", stage="proposal", probability=50, cents=10001,
                created="2026-10-01 09:00:00")  # fmt: skip
    d.change(conn, o3, "needs_confirmed", "proposal", "2026-12-05 11:00:00")
    d.deal(conn, n3, "O4 later", stage="negotiation", probability=75, cents=10000,
           created="2026-12-08 09:00:00")  # fmt: skip
    conn.commit()
    yield conn
    conn.close()


def test_summary_metrics(conn):
    report = weekly(conn, "2026-W49", today=TODAY)
    summary = {r["item"]: r["amount"] for r in report.rows if r["section"] == "summary"}
    assert list(summary) == list(METRICS)
    assert summary == {
        "new_customers": 2,
        "interactions": 2,
        "tasks_done": 1,
        "tasks_overdue": 3,  # T3 backlog, T4 due Sunday, T6 done only after the week
        "opportunities_created": 1,
        "opportunities_won": 1,
        "won_amount": 120050,
        "opportunities_lost": 1,
        "pipeline_weighted": 5001,  # O3 10001 x 50 % = 5000.5 -> 5001; O4 created later
    }
    assert report.params == {"week": "2026-W49", "from": "2026-11-30", "to": "2026-12-06"}


def test_sections(conn):
    report = weekly(conn, "2026-W49", today=TODAY)
    got = [
        (r["section"], r["date"] and r["date"].isoformat(), r["customer"], r["item"], r["detail"])
        for r in report.rows
        if r["section"] != "summary"
    ]
    assert got == [
        ("interactions", "2026-11-30", "北京星河网络", "首次拜访", "visit"),
        ("interactions", "2026-12-06", "N2", "WeChat chat", "wechat"),
        ("tasks_done", "2026-12-01", "北京星河网络", "T1 done", "ok"),
        ("tasks_overdue", "2026-11-20", "N3", "T3 backlog", "call"),
        ("tasks_overdue", "2026-12-02", "", "T6 done late", "call"),
        ("tasks_overdue", "2026-12-06", "", "T4 due Sunday", "visit"),
        ("stage_changes", "2026-11-30", "N3", "O2", "proposal->lost"),
        ("stage_changes", "2026-12-03", "北京星河网络", "O1 CRM rollout", "negotiation->won"),
        ("stage_changes", "2026-12-05", "N3", "O3", "needs_confirmed->proposal"),
        ("won", "2026-12-03", "北京星河网络", "O1 CRM rollout", "CRM"),
        ("lost", "2026-11-30", "N3", "O2", "价格"),
        ("next_week", "2026-12-07", "N2", "T5 due next Monday", "call"),
        ("next_week", "2026-12-13", "", "T8 next Sunday", "email"),
    ]


def test_week_not_over_yet(conn):
    # On Thursday Dec 3 a task due that day is not overdue yet, T4 (Sunday) neither.
    report = weekly(conn, dt.date(2026, 12, 3), today=dt.date(2026, 12, 3))
    summary = {r["item"]: r["amount"] for r in report.rows if r["section"] == "summary"}
    assert summary["tasks_overdue"] == 2  # T3 and T6 (due Dec 2, not done by Dec 3)


def test_as_of_mid_week_counts_the_week_up_to_that_day(conn):
    """As of Wednesday Dec 2 (the activity report of that day agrees): the Monday visit
    and T1 (done Dec 1) are in; the Sunday chat, the win of Dec 3, the move of Dec 5 and
    the customer created Sunday are not yet."""
    report = weekly(conn, dt.date(2026, 12, 2), today=dt.date(2026, 12, 2))
    summary = {r["item"]: r["amount"] for r in report.rows if r["section"] == "summary"}
    assert (summary["new_customers"], summary["interactions"], summary["tasks_done"]) == (1, 1, 1)
    assert (summary["opportunities_created"], summary["opportunities_won"]) == (1, 0)
    assert summary["opportunities_lost"] == 1  # O2, lost Monday Nov 30
    changes = [r["item"] for r in report.rows if r["section"] == "stage_changes"]
    assert changes == ["O2"]


def test_a_task_done_today_has_left_the_backlog(conn):
    # Tuesday Dec 8: T6 (due Dec 2) was done that morning, so it is not overdue any more,
    # as in crm due; T3, T4 and T5 (due Nov 20, Dec 6 and Dec 7, still open) are.
    report = weekly(conn, dt.date(2026, 12, 8), today=dt.date(2026, 12, 8))
    overdue = [r["item"] for r in report.rows if r["section"] == "tasks_overdue"]
    assert sorted(overdue) == ["T3 backlog", "T4 due Sunday", "T5 due next Monday"]
    done = [r["item"] for r in report.rows if r["section"] == "tasks_done"]
    assert done == ["T6 done late"]


def test_weekly_csv(conn):
    text = output.render_csv(weekly(conn, "2026-W49", today=TODAY))
    rows = list(csv.reader(io.StringIO(text.encode("utf-8").decode("utf-8-sig"))))
    assert rows[0] == ["section", "date", "customer", "item", "detail", "amount"]
    assert rows[1] == ["summary", "", "", "new_customers", "", "2"]
    assert ["summary", "", "", "won_amount", "", "1200.50"] in rows
    assert ["summary", "", "", "pipeline_weighted", "", "50.01"] in rows
    assert ["won", "2026-12-03", "北京星河网络", "O1 CRM rollout", "CRM", "1200.50"] in rows
    assert ["interactions", "2026-11-30", "北京星河网络", "首次拜访", "visit", ""] in rows


def test_weekly_csv_cells_are_the_formatted_rows(conn):
    # every section has records here (and a customer, item or amount left empty)
    report = weekly(conn, "2026-W49", today=TODAY)
    assert {r["section"] for r in report.rows} == set(SECTIONS)
    d.assert_csv_cells_are_the_formatted_rows(report)


def test_rows_read_one_at_a_time_are_the_rows_read_all_at_once(conn):
    # (the screen reads the first records one by one; the export and JSON read them all)
    one_by_one = weekly(conn, "2026-W49", today=TODAY)
    singles = [one_by_one.rows[i] for i in range(len(one_by_one.rows))]
    assert singles == list(weekly(conn, "2026-W49", today=TODAY).rows)
    assert one_by_one.rows[-1] == singles[-1]


def test_pipeline_weighted_is_the_pipeline_at_the_end_of_the_week(conn):
    """Deals moved after the week count as they stood on its Sunday night."""
    n = d.customer(conn, "N5", created="2026-10-01 09:00:00")
    # negotiating through the week, won on Tuesday after it: open then at 75 %
    won = d.deal(conn, n, "O5 won after", stage="won", probability=100, cents=20000,
                 created="2026-10-01 09:00:00", actual_close="2026-12-08")  # fmt: skip
    d.change(conn, won, None, "negotiation", "2026-10-01 09:00:00")
    d.change(conn, won, "negotiation", "won", "2026-12-08 10:00:00")
    # lost during the week, re-opened after it: not in the pipeline then
    back = d.deal(conn, n, "O6 reopened", stage="initial_contact", probability=10,
                  cents=30000, created="2026-10-01 09:00:00")  # fmt: skip
    d.change(conn, back, "proposal", "lost", "2026-12-02 10:00:00")
    d.change(conn, back, "lost", "initial_contact", "2026-12-09 10:00:00")
    conn.commit()
    summary = {
        r["item"]: r["amount"]
        for r in weekly(conn, "2026-W49", today=TODAY).rows
        if r["section"] == "summary"
    }
    # O3 5000.5 + O5 20000 x 75 % = 15000 -> 20000.5 -> 20001
    assert summary["pipeline_weighted"] == 20001


def test_a_week_not_over_on_the_as_of_day_says_up_to_when(conn):
    """As of Wednesday the week's figures stop there: the screen's line said the whole week."""
    from crm_tui.screens.report_view import summary_line

    report = weekly(conn, "2026-W49", today=dt.date(2026, 12, 2))
    assert report.params["through"] == "2026-12-02"
    assert summary_line(report) == "Week 2026-W49: 2026-11-30 – 2026-12-06, up to 2026-12-02"
    assert "through" not in weekly(conn, "2026-W49", today=TODAY).params

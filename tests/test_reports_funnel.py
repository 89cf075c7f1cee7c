"""Funnel: reach from stage history (later-stage creations, moves back, lost deals, as-of cut)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import test_reports_data as d

from crm_tui.reports import output
from crm_tui.reports.funnel import funnel

AS_OF = dt.date(2026, 11, 30)


@pytest.fixture
def conn(db):
    conn = db.connect()
    c = d.customer(conn, "Acme")
    # D1: the whole ladder to won; created Jan 5, closed May 1 -> cycle 116 days.
    d1 = d.deal(conn, c, "D1", stage="won", cents=1000, created="2026-01-05 09:00:00",
                actual_close="2026-05-01")  # fmt: skip
    for a, b, when in [
        (None, "initial_contact", "2026-01-05 09:00:00"),
        ("initial_contact", "needs_confirmed", "2026-02-01 09:00:00"),
        ("needs_confirmed", "proposal", "2026-03-01 09:00:00"),
        ("proposal", "negotiation", "2026-04-01 09:00:00"),
        ("negotiation", "won", "2026-05-01 09:00:00"),
    ]:
        d.change(conn, d1, a, b, when)
    # D2: created directly at proposal -> counts for initial contact and needs confirmed too.
    d2 = d.deal(conn, c, "D2", stage="proposal", cents=2000, created="2026-03-10 09:00:00")
    d.change(conn, d2, None, "proposal", "2026-03-10 09:00:00")
    # D3: reached needs confirmed, then lost.
    d3 = d.deal(conn, c, "D3", stage="lost", cents=500, created="2026-02-01 09:00:00",
                actual_close="2026-03-01")  # fmt: skip
    d.change(conn, d3, None, "initial_contact", "2026-02-01 09:00:00")
    d.change(conn, d3, "initial_contact", "needs_confirmed", "2026-02-10 09:00:00")
    d.change(conn, d3, "needs_confirmed", "lost", "2026-03-01 09:00:00")
    # D4: imported as lost, no history at all -> reached initial contact only.
    d.deal(conn, c, "D4", stage="lost", cents=300, created="2026-02-01 09:00:00")
    # D5: created at negotiation, won after 30 days, then after-sales.
    d5 = d.deal(conn, c, "D5", stage="after_sales", cents=4000, created="2026-06-01 09:00:00",
                actual_close="2026-07-01")  # fmt: skip
    d.change(conn, d5, None, "negotiation", "2026-06-01 09:00:00")
    d.change(conn, d5, "negotiation", "won", "2026-07-01 09:00:00")
    d.change(conn, d5, "won", "after_sales", "2026-08-01 09:00:00")
    # D6: went to proposal, moved back to needs confirmed -> still reached proposal.
    d6 = d.deal(conn, c, "D6", stage="needs_confirmed", cents=700, created="2026-01-10 09:00:00")
    d.change(conn, d6, None, "initial_contact", "2026-01-10 09:00:00")
    d.change(conn, d6, "initial_contact", "proposal", "2026-01-20 09:00:00")
    d.change(conn, d6, "proposal", "needs_confirmed", "2026-02-01 09:00:00")
    # D7: created after the as-of date -> not counted.
    d7 = d.deal(conn, c, "D7", cents=9999, created="2026-12-05 09:00:00")
    d.change(conn, d7, None, "initial_contact", "2026-12-05 09:00:00")
    # D8: at needs confirmed on the as-of date, moved to proposal after it.
    d8 = d.deal(conn, c, "D8", stage="proposal", cents=100, created="2026-10-01 09:00:00")
    d.change(conn, d8, None, "initial_contact", "2026-10-01 09:00:00")
    d.change(conn, d8, "initial_contact", "needs_confirmed", "2026-11-15 09:00:00")
    d.change(conn, d8, "needs_confirmed", "proposal", "2026-12-02 09:00:00")
    # D9: negotiating on the as-of date, won after it -> open then, reached negotiation.
    d9 = d.deal(conn, c, "D9", stage="won", cents=800, created="2026-09-01 09:00:00",
                actual_close="2026-12-03")  # fmt: skip
    d.change(conn, d9, None, "negotiation", "2026-09-01 09:00:00")
    d.change(conn, d9, "negotiation", "won", "2026-12-03 09:00:00")
    conn.commit()
    yield conn
    conn.close()


def test_reach_amounts_and_conversions(conn):
    report = funnel(conn, AS_OF)
    by_stage = {r["stage"]: r for r in report.rows}
    assert [r["stage"] for r in report.rows] == [
        "initial_contact", "needs_confirmed", "proposal", "negotiation", "won", "after_sales",
        "lost",
    ]  # fmt: skip
    # reach: D1 won(4), D2 proposal(2), D3 needs(1), D4 initial(0), D5 after-sales(5),
    # D6 proposal(2), D8 needs(1), D9 negotiation(3); D7 excluded.
    assert [by_stage[s]["reached"] for s in by_stage] == [8, 7, 5, 3, 2, 1, 2]
    assert [by_stage[s]["amount"] for s in by_stage] == [9400, 9100, 8500, 5800, 5000, 4000, 800]
    assert [r["conversion"] for r in report.rows] == [
        Decimal("0.8750"),  # 7/8
        Decimal("0.7143"),  # 5/7
        Decimal("0.6000"),  # 3/5
        Decimal("0.6667"),  # 2/3
        Decimal("0.5000"),  # 1/2
        None,
        None,
    ]


def test_win_rate_and_cycle(conn):
    report = funnel(conn, AS_OF)
    # won then: D1, D5; lost: D3, D4.  Cycles: D1 Jan 5 -> May 1 = 116 days, D5 30 days.
    assert report.extras["win_rate"] == ("ratio", Decimal("0.5000"))
    assert report.extras["avg_cycle_days"] == ("days", Decimal("73.0"))


def test_later_as_of_sees_later_changes(conn):
    report = funnel(conn, dt.date(2026, 12, 31))
    by_stage = {r["stage"]: r["reached"] for r in report.rows}
    # D7 now counts (initial contact), D8 reaches proposal, D9 is won.
    assert by_stage == {
        "initial_contact": 9, "needs_confirmed": 7, "proposal": 6, "negotiation": 3,
        "won": 3, "after_sales": 1, "lost": 2,
    }  # fmt: skip
    # win rate 3 won (D1, D5, D9) of 5 closed
    assert report.extras["win_rate"][1] == Decimal("0.6000")


def test_csv_and_json(conn):
    report = funnel(conn, AS_OF)
    text = output.render_csv(report)
    assert text.startswith("\ufeffstage,reached,amount,conversion\r\n")
    assert "initial_contact,8,94.00,0.8750\r\n" in text
    assert text.endswith("after_sales,1,40.00,\r\nlost,2,8.00,\r\n")
    data = output.json_data(report)
    assert data["win_rate"] == 0.5 and data["avg_cycle_days"] == 73.0
    assert data["rows"][0] == {
        "stage": "initial_contact", "reached": 8, "amount": 94.0, "conversion": 0.875,
    }  # fmt: skip


def test_empty_database(db):
    with db.reading() as conn:
        report = funnel(conn, AS_OF)
    assert all(r["reached"] == 0 and r["conversion"] is None for r in report.rows)
    assert report.extras["win_rate"][1] is None


def test_both_plans_for_later_changes_agree(conn, monkeypatch):
    import crm_tui.reports.funnel as module

    before = funnel(conn, AS_OF)
    monkeypatch.setattr(module, "FEW_LATER_CHANGES", 0)
    after = funnel(conn, AS_OF)
    assert before.rows == after.rows and before.extras == after.extras


def test_a_deal_entered_after_it_closed_has_no_cycle(conn):
    """A past win typed in today (close date before its creation) is won, but its cycle
    is unknown: left out of the average, not counted as a negative one."""
    c = d.customer(conn, "Late Co")
    late = d.deal(conn, c, "Typed in late", stage="won", cents=100,
                  created="2026-11-20 09:00:00", actual_close="2026-04-01")  # fmt: skip
    d.change(conn, late, None, "won", "2026-11-20 09:00:00")
    report = funnel(conn, AS_OF)
    assert {r["stage"]: r["reached"] for r in report.rows}["won"] == 3
    assert report.extras["avg_cycle_days"] == ("days", Decimal("73.0"))  # still D1 and D5

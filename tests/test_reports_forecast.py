"""Forecast: months and quarters, exact weighted sums, won amounts, targets (db over config), gaps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import test_reports_data as d

from crm_tui.reports import output
from crm_tui.reports.forecast import forecast
from crm_tui.store.targets import (
    effective_targets,
    get_targets,
    parse_month,
    quarter_target,
    set_target,
)
from crm_tui.store.validation import ValidationError

AS_OF = dt.date(2026, 11, 15)
CONFIG_TARGETS = {"2026-10": 10000, "2026-11": 1, "2026-12": 50000}


@pytest.fixture
def conn(db):
    conn = db.connect()
    c = d.customer(conn, "深圳前海贸易")
    d.deal(conn, c, "F1", stage="proposal", probability=50, cents=100000,
           expected_close="2026-11-20")  # fmt: skip
    d.deal(conn, c, "F2", stage="negotiation", probability=75, cents=33333,
           expected_close="2026-11-30")  # fmt: skip
    d.deal(conn, c, "F3", stage="initial_contact", probability=10, cents=55555,
           expected_close="2027-01-10")  # fmt: skip
    d.deal(conn, c, "F4 passed", stage="needs_confirmed", probability=25, cents=40000,
           expected_close="2026-11-01")  # fmt: skip
    d.deal(conn, c, "F6 overdue", stage="proposal", probability=50, cents=8000,
           expected_close="2026-10-28")  # fmt: skip
    d.deal(conn, c, "F5 undated", stage="proposal", probability=50, cents=7000)
    d.deal(conn, c, "W1", stage="won", probability=100, cents=60000, actual_close="2026-11-03")
    d.deal(conn, c, "W2", stage="after_sales", probability=100, cents=20000,
           actual_close="2026-10-20")  # fmt: skip
    d.deal(conn, c, "W3 after as-of", stage="won", probability=100, cents=99999,
           actual_close="2026-11-20")  # fmt: skip
    d.deal(conn, c, "L1", stage="lost", probability=0, cents=50000, actual_close="2026-11-05")
    set_target(conn, "2026-11", 200000)
    conn.commit()
    yield conn
    conn.close()


def test_month_rows(conn):
    report = forecast(conn, AS_OF, CONFIG_TARGETS)
    rows = {r["month"]: r for r in report.rows}
    assert list(rows) == ["2026-10", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03"]
    oct_, nov, dec, jan = rows["2026-10"], rows["2026-11"], rows["2026-12"], rows["2027-01"]
    # October: nothing open, W2 won 200.00, config target 100.00 -> 100.00 ahead of it
    # (gap -100.00, not an empty cell that reads as "no target"), attainment 200 %.
    assert (oct_["count"], oct_["won_amount"], oct_["target"], oct_["gap"]) == (
        0,
        20000,
        10000,
        -10000,
    )
    assert oct_["attainment"] == Decimal("2.0000")
    # November: F1 + F2 + F4 (its date has passed, but November is not over: it counts
    # here, not as overdue); weighted = (100000*50 + 33333*75 + 40000*25) / 100
    # = 84999.75 -> 85000 cents; won W1 600.00 (W3 closes after the as-of date); target
    # from the db (2000.00, not 0.01); gap = 200000 - 60000 - 85000 = 55000.
    assert (nov["count"], nov["amount"], nov["weighted_amount"]) == (3, 173333, 85000)
    assert (nov["won_amount"], nov["target"], nov["gap"]) == (60000, 200000, 55000)
    assert nov["attainment"] == Decimal("0.3000")
    # December: only a config target -> the whole target is the gap.
    assert (dec["count"], dec["target"], dec["gap"]) == (0, 50000, 50000)
    # January 2027: F3, 55555 * 10 / 100 = 5555.5 -> 5556 (half up); no target, no gap.
    assert (jan["count"], jan["weighted_amount"], jan["target"], jan["gap"]) == (
        1,
        5556,
        None,
        None,
    )


def test_quarters_overdue_undated(conn):
    report = forecast(conn, AS_OF, CONFIG_TARGETS)
    q = {r["quarter"]: r for r in report.tables["quarters"].rows}
    assert list(q) == ["2026-Q4", "2027-Q1"]
    assert (q["2026-Q4"]["count"], q["2026-Q4"]["weighted_amount"]) == (3, 85000)
    assert (q["2026-Q4"]["won_amount"], q["2026-Q4"]["target"]) == (80000, 260000)
    assert q["2026-Q4"]["gap"] == 260000 - 80000 - 85000
    assert q["2027-Q1"]["target"] is None and q["2027-Q1"]["gap"] is None
    overdue = report.tables["overdue"].rows
    # only F6, expected in October: F4's date passed this month (in November's row)
    assert [(r["opportunity"], r["weighted_amount"]) for r in overdue] == [("F6 overdue", 4000)]
    assert report.extras["overdue_count"] == ("int", 1)
    assert report.extras["undated_count"] == ("int", 1)
    assert report.extras["undated_amount"] == ("money", 7000)
    # the line under the screen's title says from before which month (the board calls
    # F4 overdue too: its day has passed)
    from crm_tui.screens.report_view import summary_line

    line = summary_line(report)  # (one of each: in the singular, "1 deals" before)
    assert line.startswith(f"Overdue from before {AS_OF:%Y-%m}: 1 deal, ")
    assert "without a close date 1 deal, " in line


def test_a_quarter_with_a_month_without_target_has_no_target(conn):
    """January and February set, March not: the quarter's 2 months of target against 3
    months of deals read as more than met; it has no target, and no gap."""
    set_target(conn, "2027-01", 1000)
    set_target(conn, "2027-02", 1000)
    report = forecast(conn, AS_OF)
    q = {r["quarter"]: r for r in report.tables["quarters"].rows}
    assert (q["2027-Q1"]["target"], q["2027-Q1"]["gap"], q["2027-Q1"]["attainment"]) == (
        None, None, None,
    )  # fmt: skip
    set_target(conn, "2027-03", 1000)
    q = {r["quarter"]: r for r in forecast(conn, AS_OF).tables["quarters"].rows}
    assert q["2027-Q1"]["target"] == 3000


def test_csv_columns_and_empty_target(conn):
    text = output.render_csv(forecast(conn, AS_OF, CONFIG_TARGETS))
    lines = text.splitlines()
    assert lines[0] == "\ufeffmonth,count,amount,weighted_amount,won_amount,target,gap"
    assert lines[1] == "2026-10,0,0.00,0.00,200.00,100.00,-100.00"
    assert lines[2] == "2026-11,3,1733.33,850.00,600.00,2000.00,550.00"
    assert lines[4] == "2027-01,1,555.55,55.56,0.00,,"


def test_without_config_targets(conn):
    report = forecast(conn, AS_OF)
    assert [r["target"] for r in report.rows] == [None, 200000, None, None, None, None]


def test_target_store(db):
    conn = db.connect()
    set_target(conn, "2026/3", "120,000.50")
    set_target(conn, "2026-04", 100)
    set_target(conn, "2026-04", 200)
    assert get_targets(conn) == {"2026-03": 12000050, "2026-04": 200}
    assert get_targets(conn, "2026-04", "2026-12") == {"2026-04": 200}
    set_target(conn, "2026-03", "")
    assert get_targets(conn) == {"2026-04": 200}
    assert effective_targets(conn, {"2026-04": 1, "2026-05": 5, "bad": 9}) == {
        "2026-04": 200,
        "2026-05": 5,
    }
    assert quarter_target({"2026-04": 200, "2026-05": 0, "2026-06": 5}, 2026, 2) == 205
    # a month without one: no quarter target (two months' against three months' results)
    assert quarter_target({"2026-04": 200, "2026-06": 5}, 2026, 2) is None
    assert quarter_target({}, 2026, 2) is None
    assert parse_month("202611") == "2026-11"
    with pytest.raises(ValidationError):
        parse_month("2026-13")
    with pytest.raises(ValidationError):
        set_target(conn, "2026-05", "-3")
    conn.close()


@pytest.fixture
def moved(db):
    """Deals that moved after 2026-10-31 (each stage change recorded, as the app does)."""
    conn = db.connect()
    c = d.customer(conn, "宁波金远")

    def deal_moved(name, then, now, probability, cents, close, *, overridden=False, **kw):
        opp = d.deal(conn, c, name, stage=now, probability=probability, cents=cents,
                     expected_close=close, probability_overridden=int(overridden),
                     created="2026-09-01 09:00:00", **kw)  # fmt: skip
        d.change(conn, opp, None, then, "2026-09-01 09:00:00")
        d.change(conn, opp, then, now, "2026-11-10 09:00:00")
        return opp

    # proposal then (50 %), negotiation now (75 %)
    deal_moved("A", "proposal", "negotiation", 75, 100000, "2026-11-20")
    # negotiation then, won since: open then at negotiation's 75 %, in its expected month
    deal_moved("B", "negotiation", "won", 100, 40000, "2026-12-15", actual_close="2026-11-10")
    # lost then, re-opened since: not open then
    deal_moved("C", "lost", "initial_contact", 10, 70000, "2026-11-25")
    # set by hand to 60 % (perhaps after the move): at needs confirmed's 25 % then
    deal_moved("D", "needs_confirmed", "proposal", 60, 10000, "2026-11-05", overridden=True)
    # proposal then, overdue then (September), won since
    deal_moved("E", "proposal", "won", 100, 8000, "2026-09-30", actual_close="2026-11-10")
    # created after the as-of date: not there then
    late = d.deal(conn, c, "F", stage="proposal", probability=50, cents=99999,
                  expected_close="2026-11-30", created="2026-11-12 09:00:00")  # fmt: skip
    d.change(conn, late, None, "proposal", "2026-11-12 09:00:00")
    # not moved since: as it is, its probability set by hand included
    d.deal(conn, c, "G", stage="proposal", probability=30, cents=2000,
           expected_close="2026-12-01", probability_overridden=1)  # fmt: skip
    conn.commit()
    yield conn
    conn.close()


def test_as_of_a_past_date_the_deals_stand_as_they_did(moved):
    report = forecast(moved, dt.date(2026, 10, 31))
    rows = {r["month"]: r for r in report.rows}
    # November: A at proposal (100000 × 50 %) + D at needs confirmed (10000 × 25 %) = 52500
    assert (rows["2026-11"]["count"], rows["2026-11"]["amount"]) == (2, 110000)
    assert rows["2026-11"]["weighted_amount"] == 52500
    # December: B open at negotiation (40000 × 75 %) + G at its own 30 % (600) = 30600
    assert (rows["2026-12"]["count"], rows["2026-12"]["weighted_amount"]) == (2, 30600)
    # nothing was won by then
    assert sum(r["won_amount"] for r in report.rows) == 0
    # E was overdue then, listed at its stage then
    overdue = report.tables["overdue"].rows
    assert [(r["opportunity"], r["stage"], r["probability"]) for r in overdue] == [
        ("E", "proposal", 50)
    ]
    assert report.extras["overdue_count"] == ("int", 1)
    assert report.extras["overdue_amount"] == ("money", 8000)
    # worked out once into a temporary table, dropped after: the same again
    tables = "SELECT name FROM sqlite_temp_master WHERE type = 'table'"
    assert moved.execute(tables).fetchall() == []
    assert forecast(moved, dt.date(2026, 10, 31)).rows == report.rows


def test_as_of_today_the_deals_stand_as_they_do(moved):
    report = forecast(moved, dt.date(2026, 11, 15))
    rows = {r["month"]: r for r in report.rows}
    # November: A at negotiation 75000 + C 7000 + D 6000 + F 49999.5 = 137999.5 -> 138000
    assert (rows["2026-11"]["count"], rows["2026-11"]["weighted_amount"]) == (4, 138000)
    assert (rows["2026-11"]["won_amount"], rows["2026-12"]["count"]) == (48000, 1)
    assert report.extras["overdue_count"] == ("int", 0)


def test_as_of_a_past_date_moved_deals_take_the_configured_probability(moved):
    report = forecast(moved, dt.date(2026, 10, 31), probabilities={"negotiation": 80})
    rows = {r["month"]: r for r in report.rows}
    assert rows["2026-12"]["weighted_amount"] == 40000 * 80 // 100 + 600
    assert rows["2026-11"]["weighted_amount"] == 52500

"""ABC: Pareto classes at exactly 80 % and 95 %, a customer crossing 80 %, levels beside."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import test_reports_data as d

from crm_tui.reports import output
from crm_tui.reports.abc import abc, classify

AS_OF = dt.date(2026, 11, 30)


def _fill(db, amounts, levels=None):
    conn = db.connect()
    for i, cents in enumerate(amounts):
        cid = d.customer(conn, f"X{i + 1}", code=f"X{i + 1}", level=(levels or {}).get(i))
        d.order(conn, cid, "2026-06-01", cents)
    conn.commit()
    return conn


def test_classes_at_exact_edges(db):
    # total 100.00; cumulative 50, 80 (exactly 80 %), 90, 95 (exactly 95 %), 98, 100.
    conn = _fill(db, [5000, 3000, 1000, 500, 300, 200], levels={0: "C", 1: "A"})
    late = d.customer(conn, "Late", code="L1")
    d.order(conn, late, "2026-12-01", 1000000)  # after the as-of date: ignored
    d.customer(conn, "Nothing", code="N1")  # no orders: not ranked
    conn.commit()
    report = abc(conn, AS_OF)
    assert [r["code"] for r in report.rows] == ["X1", "X2", "X3", "X4", "X5", "X6"]
    # A: the customer completing exactly 80 % is A, the next is B;
    # the one completing exactly 95 % is B, the next is C.
    assert [r["abc"] for r in report.rows] == ["A", "A", "B", "B", "C", "C"]
    assert report.column("share") == [
        Decimal(s) for s in ("0.5000", "0.3000", "0.1000", "0.0500", "0.0300", "0.0200")
    ]
    assert report.column("cumulative_share") == [
        Decimal(s) for s in ("0.5000", "0.8000", "0.9000", "0.9500", "0.9800", "1.0000")
    ]
    assert report.column("level") == ["C", "A", None, None, None, None]
    assert report.column("mismatch") == [True, False, False, False, False, False]
    text = output.render_csv(report)
    assert (
        text.splitlines()[0] == "\ufeffcode,customer,total_amount,share,cumulative_share,abc,level"
    )
    assert text.splitlines()[1] == "X1,X1,50.00,0.5000,0.5000,A,C"
    assert report.extras["a"] == ("int", 2) and report.extras["c"] == ("int", 2)
    conn.close()


def test_top_customer_alone_over_80_percent(db):
    # 85 %, 10 %, 5 %: the first is A (it crosses 80 %), the second starts at 85 % -> B,
    # the third starts at 95 % -> C.
    conn = _fill(db, [8500, 1000, 500])
    assert abc(conn, AS_OF).column("abc") == ["A", "B", "C"]
    conn.close()


def test_classify_edges():
    assert classify(0, 100) == "A"
    assert classify(79, 100) == "A"
    assert classify(80, 100) == "B"
    assert classify(94, 100) == "B"
    assert classify(95, 100) == "C"

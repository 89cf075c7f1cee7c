"""Distribution: counts, shares summing to exactly 1 per dimension, order amounts up to the as-of date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import test_reports_data as d

from crm_tui.reports import output
from crm_tui.reports.distribution import DIMENSIONS, distribution, largest_remainder_shares

AS_OF = dt.date(2026, 11, 30)


def test_distribution(db):
    conn = db.connect()
    k1 = d.customer(conn, "K1", industry="manufacturing", region="上海", level="A",
                    status="active", source="referral")  # fmt: skip
    d.order(conn, k1, "2026-06-01", 1000)
    d.order(conn, k1, "2026-12-01", 5000)  # after the as-of date
    k2 = d.customer(conn, "K2", industry="finance", region="上海", level="A",
                    status="dormant", source="website")  # fmt: skip
    d.order(conn, k2, "2026-06-01", 2000)
    d.customer(conn, "K3", industry="internet", region="北京", status="active", source="referral")
    d.customer(conn, "K4 later", industry="retail", created="2026-12-01 09:00:00")
    conn.commit()
    report = distribution(conn, AS_OF)
    got = [(r["dimension"], r["value"], r["customers"], r["share"], r["total_amount"])
           for r in report.rows]  # fmt: skip
    third, two_thirds = Decimal("0.3333"), Decimal("0.6667")
    assert got == [
        # 1/3 each: largest remainder gives the extra 0.0001 to the first -> sums to 1.0000
        ("industry", "manufacturing", 1, Decimal("0.3334"), 1000),
        ("industry", "finance", 1, third, 2000),
        ("industry", "internet", 1, third, 0),
        ("region", "上海", 2, two_thirds, 3000),
        ("region", "北京", 1, third, 0),
        ("level", "A", 2, two_thirds, 3000),
        ("level", "", 1, third, 0),
        ("status", "active", 2, two_thirds, 1000),
        ("status", "dormant", 1, third, 2000),
        ("source", "referral", 2, two_thirds, 1000),
        ("source", "website", 1, third, 2000),
    ]
    for dim in DIMENSIONS:
        assert sum(r["share"] for r in report.rows if r["dimension"] == dim) == Decimal("1.0000")
    lines = output.render_csv(report).splitlines()
    assert lines[0] == "\ufeffdimension,value,customers,share,total_amount"
    assert lines[4] == "region,上海,2,0.6667,30.00"
    conn.close()


def test_largest_remainder_shares():
    shares = largest_remainder_shares([1] * 7)
    assert sum(shares) == 1 and set(shares) == {Decimal("0.1428"), Decimal("0.1429")}
    assert largest_remainder_shares([0, 0]) == [Decimal("0.0000")] * 2
    assert largest_remainder_shares([3, 1]) == [Decimal("0.7500"), Decimal("0.2500")]

"""Distribution: counts, shares (each rounded on its own), order amounts up to the as-of date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import test_reports_data as d

from crm_tui.reports import output
from crm_tui.reports.distribution import distribution, rounded_shares

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
        # 1/3 each: equal counts, equal shares (they add up to 0.9999)
        ("industry", "manufacturing", 1, third, 1000),
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
    lines = output.render_csv(report).splitlines()
    assert lines[0] == "\ufeffdimension,value,customers,share,total_amount"
    assert lines[4] == "region,上海,2,0.6667,30.00"
    conn.close()


def test_each_share_is_its_own_count_over_the_total_rounded_half_up():
    assert rounded_shares([1] * 7) == [Decimal("0.1429")] * 7
    assert rounded_shares([0, 0]) == [Decimal("0.0000")] * 2
    assert rounded_shares([3, 1]) == [Decimal("0.7500"), Decimal("0.2500")]
    # 300 customers: 20 are 6.67 %, 40 are 13.33 % (0.0666 and 0.1334 before)
    counts = [85, 35, 14, 41, 47, 28, 20, 30]
    assert rounded_shares(counts)[6] == Decimal("0.0667")
    assert rounded_shares([45, 40, 39, 35, 35, 106])[1] == Decimal("0.1333")
    assert rounded_shares([1, 7])[0] == Decimal("0.1250")  # half up: exact here
    assert rounded_shares([1, 15999])[0] == Decimal("0.0001")  # 0.0000625 rounds up

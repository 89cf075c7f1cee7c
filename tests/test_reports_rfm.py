"""RFM: raw values, tie-keeping quintile scores, boundaries, segments, as-of exclusion, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import test_reports_data as d
from hypothesis import given
from hypothesis import strategies as st

from crm_tui.reports import output
from crm_tui.reports.rfm import quintile_scores, rfm, segment

AS_OF = dt.date(2026, 11, 30)


def _day(days_before: int) -> str:
    return (AS_OF - dt.timedelta(days=days_before)).isoformat()


@pytest.fixture
def conn(db):
    conn = db.connect()
    # Ten customers c0..c9, monetary (i+1) x 100.00 (all different);
    # orders as (days before the as-of date, cents).
    orders = {
        0: [(100, 10000)],
        1: [(100, 20000)],
        2: [(50, 30000)],
        3: [(50, 40000)],
        4: [(50, 50000)],
        5: [(40, 10000), (20, 50000)],
        6: [(25, 35000), (20, 35000)],
        7: [(10, 80000)],
        8: [(15, 30000), (10, 30000), (5, 30000)],
        9: [(30, 25000), (20, 25000), (10, 25000), (0, 25000)],
    }
    for i, rows in orders.items():
        name = "上海云杉科技有限公司" if i == 9 else f"Customer {i}"
        cid = d.customer(conn, name, code=f"C{i:02d}")
        for days, cents in rows:
            d.order(conn, cid, _day(days), cents)
    # c9 also ordered after the as-of date: must not count.
    d.order(conn, cid, "2026-12-10", 9999900)
    # c10's only order is after the as-of date; c11 never ordered: neither appears.
    c10 = d.customer(conn, "Later Ltd", code="C10")
    d.order(conn, c10, "2026-12-01", 50000)
    d.customer(conn, "Never Ltd", code="C11")
    conn.commit()
    yield conn
    conn.close()


def test_quintile_boundaries_distinct_values():
    assert quintile_scores(list(range(10))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_scores([5, 4, 3, 2, 1]) == [5, 4, 3, 2, 1]
    # recency: fewer days is better
    assert quintile_scores([0, 10, 20, 30, 40], higher_is_better=False) == [5, 4, 3, 2, 1]
    assert quintile_scores([]) == []


def test_equal_values_get_equal_scores():
    # 7 of 10 customers with one order: all score 1; the rest by how many are worse.
    assert quintile_scores([1] * 7 + [2, 2, 3]) == [1] * 7 + [4, 4, 5]
    assert quintile_scores([3] * 6) == [1] * 6
    # ties in recency: 100,100 worst; 50 x3 -> 2 worse -> 2
    r = quintile_scores([100, 100, 50, 50, 50, 20, 20, 10, 5, 0], higher_is_better=False)
    assert r == [1, 1, 2, 2, 2, 3, 3, 4, 5, 5]


def test_segments_first_matching_rule():
    assert segment(5, 5, 5) == "champions"
    assert segment(3, 4, 1) == "loyal"
    assert segment(2, 2, 3) == "at_risk"  # R<=2 and M>=3
    assert segment(1, 3, 1) == "at_risk"  # R<=2 and F>=3
    assert segment(2, 2, 2) == "hibernating"
    assert segment(5, 1, 5) == "new"
    assert segment(3, 2, 2) == "others"
    assert segment(4, 4, 3) == "loyal"  # not champions (M 3), F>=4


def test_rfm_rows(conn):
    report = rfm(conn, AS_OF)
    rows = {r["code"]: r for r in report.rows}
    assert set(rows) == {f"C{i:02d}" for i in range(10)}  # C10, C11 excluded
    c9 = rows["C09"]
    assert (c9["recency_days"], c9["frequency"], c9["monetary"]) == (0, 4, 100000)
    assert c9["last_order"] == AS_OF
    # By hand. F: six customers with 1 order (c0-c4, c7) -> 1; 2 orders (c5, c6): 6 worse -> 4;
    # 3 orders: 8 worse -> 5; 4 orders: 9 worse -> 5.  M distinct: 1,1,2,2,3,3,4,4,5,5.
    # R (days 100,100,50,50,50,20,20,10,5,0): 1,1,2,2,2,3,3,4,5,5.
    expected = {
        "C00": ("111", "hibernating"),
        "C01": ("111", "hibernating"),
        "C02": ("212", "hibernating"),
        "C03": ("212", "hibernating"),
        "C04": ("213", "at_risk"),
        "C05": ("343", "loyal"),
        "C06": ("344", "loyal"),
        "C07": ("414", "new"),
        "C08": ("555", "champions"),
        "C09": ("555", "champions"),
    }
    assert {code: (r["score"], r["segment"]) for code, r in rows.items()} == expected
    assert [r["code"] for r in report.rows] == [
        "C09", "C08", "C07", "C06", "C05", "C04", "C03", "C02", "C01", "C00",
    ]  # fmt: skip
    segments = {
        r["segment"]: (r["customers"], r["monetary"]) for r in report.tables["segments"].rows
    }
    assert segments == {
        "champions": (2, 190000),
        "loyal": (2, 130000),
        "at_risk": (1, 50000),
        "hibernating": (4, 100000),
        "new": (1, 80000),
        "others": (0, 0),
    }


def test_rfm_csv_round_trip_with_chinese(conn):
    report = rfm(conn, AS_OF)
    data = output.render_csv(report).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [
        "code", "customer", "last_order", "recency_days", "frequency", "monetary",
        "r", "f", "m", "score", "segment",
    ]  # fmt: skip
    assert rows[1] == [
        "C09", "上海云杉科技有限公司", "2026-11-30", "0", "4", "1000.00", "5", "5", "5", "555",
        "champions",
    ]  # fmt: skip


def test_rfm_empty(db):
    with db.reading() as conn:
        report = rfm(conn, AS_OF)
    assert report.rows == []
    assert output.render_csv(report).count("\r\n") == 1


@given(st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=60), st.booleans())
def test_quintile_rule_properties(values, higher):
    scores = quintile_scores(values, higher_is_better=higher)
    n = len(values)
    for v, s in zip(values, scores, strict=True):
        worse = sum(1 for w in values if (w < v if higher else w > v))
        assert s == 1 + 5 * worse // n  # the documented rule, brute force
        assert 1 <= s <= 5
    for a, sa in zip(values, scores, strict=True):
        for b, sb in zip(values, scores, strict=True):
            if a == b:
                assert sa == sb
            elif (a < b) == higher:
                assert sa <= sb  # better values never score lower

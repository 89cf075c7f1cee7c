"""RFM: raw values, tie-keeping quintile scores, boundaries, segments, as-of exclusion, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import pytest
import test_reports_data as d
from hypothesis import given
from hypothesis import strategies as st

from crm_tui.reports import LazyRows, output
from crm_tui.reports.rfm import RFM_SQL, quintile_scores, rfm, segment

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


def _random_book(conn, seed: int) -> dict[str, list[tuple[str, int]]]:
    """A few hundred customers with random orders: tied amounts and dates, codes not in id order,
    names that need CSV quotes. Returns each code's orders (date, cents)."""
    rng = random.Random(seed)
    names = ["Acme, Ltd.", 'The "Best" Co', "两行\n名称", "上海云杉科技有限公司", "Plain", "Comma,"]
    codes = [f"R{i:04d}" for i in range(300)]
    rng.shuffle(codes)
    book: dict[str, list[tuple[str, int]]] = {}
    for code in codes:
        cid = d.customer(conn, f"{rng.choice(names)} {code}", code=code)
        orders = [
            (_day(rng.choice([-3, 0, 1, 2, 5, 30, 90, 400])), rng.choice([0, 100, 2550, 99999]))
            for _ in range(rng.choice([0, 1, 1, 2, 3, 6]))
        ]
        for day, cents in orders:
            d.order(conn, cid, day, cents)
        book[code] = orders
    conn.commit()
    return book


def _reference_rows(book, as_of: dt.date) -> list[dict]:
    """RFM by the plain reading of DOMAIN.md and the module docstring, without any speed-ups."""
    base = {}
    for code, orders in book.items():
        counted = [(day, cents) for day, cents in orders if day <= as_of.isoformat()]
        if counted:
            last = max(day for day, _ in counted)
            base[code] = (last, len(counted), sum(c for _, c in counted))
    n = len(base)

    def score(value, values, higher):
        worse = sum(1 for w in values if (w < value if higher else w > value))
        return 1 + 5 * worse // n

    days = {code: (as_of - dt.date.fromisoformat(last)).days for code, (last, _, _) in base.items()}
    rows = []
    for code, (last, freq, money) in base.items():
        r = score(days[code], list(days.values()), False)
        f = score(freq, [v[1] for v in base.values()], True)
        m = score(money, [v[2] for v in base.values()], True)
        rows.append(
            {"code": code, "last_order": dt.date.fromisoformat(last), "recency_days": days[code],
             "frequency": freq, "monetary": money, "r": r, "f": f, "m": m,
             "score": f"{r}{f}{m}", "segment": segment(r, f, m)}
        )  # fmt: skip
    rows.sort(key=lambda row: row["code"])
    rows.sort(key=lambda row: (int(row["score"]), row["monetary"]), reverse=True)
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rfm_matches_the_plain_reading(db, seed):
    conn = db.connect()
    book = _random_book(conn, seed)
    report = rfm(conn, AS_OF)
    got = [{k: v for k, v in row.items() if k != "customer"} for row in report.rows]
    assert got == _reference_rows(book, AS_OF)
    segments = {
        r["segment"]: (r["customers"], r["monetary"]) for r in report.tables["segments"].rows
    }
    for seg, (count, money) in segments.items():
        mine = [row for row in report.rows if row["segment"] == seg]
        assert (count, money) == (len(mine), sum(row["monetary"] for row in mine))
    conn.close()


@pytest.mark.parametrize("seed", [1, 2])
def test_rfm_csv_cells_are_the_formatted_rows(db, seed):
    conn = db.connect()
    _random_book(conn, seed)
    report = rfm(conn, AS_OF)
    conn.close()
    d.assert_csv_cells_are_the_formatted_rows(report)


def test_rows_are_made_when_read(db):
    conn = db.connect()
    _random_book(conn, 4)
    report = rfm(conn, AS_OF)
    conn.close()
    assert isinstance(report.rows, LazyRows)
    assert report.rows._rows is None and len(report.rows) > 0  # len() builds nothing
    first, last = report.rows[0], report.rows[-1]
    assert report.rows[:2][0] == first and report.rows[::-1][0] == last
    assert report.rows._rows is None  # single rows and slices were made alone
    with pytest.raises(IndexError):
        report.rows[len(report.rows)]
    everything = list(report.rows)
    assert report.rows._rows is not None
    assert everything[0] == first and everything[-1] == last
    assert report.rows[:2] == everything[:2] and report.rows[-1] is everything[-1]
    assert report.rows == everything and report.rows != []


def test_query_feeds_the_aggregate_without_a_temporary_table(db):
    with db.reading() as conn:
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + RFM_SQL, {"as_of": "x"})]
    assert "CO-ROUTINE a" in plan and not any("MATERIALIZE" in step for step in plan), plan

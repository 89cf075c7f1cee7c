"""ABC: Pareto classes at exactly 80 % and 95 %, a customer crossing 80 %, levels beside."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
import test_reports_data as d
from hypothesis import given
from hypothesis import strategies as st

from crm_tui.reports import output, ratio, ratio_text, ratio_units
from crm_tui.reports.abc import ABC_SQL, abc, classify

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


def _random_book(conn, seed: int) -> dict[str, tuple[int, str | None]]:
    """Customers with random order totals (ties, zeros, late orders), codes not in id order,
    names that need CSV quotes; returns each code's total on or before AS_OF and level."""
    rng = random.Random(seed)
    codes = [f"R{i:04d}" for i in range(250)]
    rng.shuffle(codes)
    book = {}
    for code in codes:
        level = rng.choice([None, "", "A", "B", "C", "D"])
        name = rng.choice(["Acme, Ltd.", 'The "Best" Co', "上海云杉科技有限公司", "Plain"])
        cid = d.customer(conn, f"{name} {code}", code=code, level=level)
        total = 0
        for _ in range(rng.choice([0, 1, 2, 4])):
            cents = rng.choice([0, 100, 2550, 99999, 1234567])
            day = rng.choice(["2026-01-01", "2026-11-30", "2026-12-01"])
            d.order(conn, cid, day, cents)
            total += cents if day <= AS_OF.isoformat() else 0
        book[code] = (total, level)
    conn.commit()
    return book


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_abc_matches_the_plain_reading(db, seed):
    conn = _fill(db, [])
    book = _random_book(conn, seed)
    report = abc(conn, AS_OF)
    conn.close()
    ranked = sorted((code for code in book if book[code][0] > 0), key=lambda c: (-book[c][0], c))
    total = sum(book[c][0] for c in ranked)
    expected, running = [], 0
    for code in ranked:
        amount, level = book[code]
        cls = classify(running, total)
        running += amount
        expected.append(
            {"code": code, "total_amount": amount, "share": ratio(amount, total),
             "cumulative_share": ratio(running, total), "abc": cls, "level": level,
             "mismatch": bool(level) and level != cls}
        )  # fmt: skip
    assert [{k: v for k, v in r.items() if k != "customer"} for r in report.rows] == expected
    counts = {k: report.extras[k][1] for k in "abc"}
    assert counts == {k: report.column("abc").count(k.upper()) for k in "abc"}
    assert report.extras["total_amount"] == ("money", total)


@pytest.mark.parametrize("seed", [1, 2])
def test_abc_csv_cells_are_the_formatted_rows(db, seed):
    conn = _fill(db, [])
    _random_book(conn, seed)
    report = abc(conn, AS_OF)
    conn.close()
    d.assert_csv_cells_are_the_formatted_rows(report)


def test_empty_abc(db):
    with db.reading() as conn:
        report = abc(conn, AS_OF)
    assert report.rows == [] and len(report.rows) == 0
    assert report.extras["a"] == ("int", 0) and report.extras["total_amount"] == ("money", 0)
    assert output.render_csv(report).count("\r\n") == 1


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=10**12))
def test_ratio_text_is_str_of_ratio(part, whole):
    (units,) = ratio_units([part], whole)
    assert ratio_text(units) == str(ratio(part, whole))


def test_query_feeds_the_aggregate_without_a_temporary_table(db):
    with db.reading() as conn:
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + ABC_SQL, {"as_of": "x"})]
    assert "CO-ROUTINE a" in plan and not any("MATERIALIZE" in step for step in plan), plan


def test_a_mismatch_is_marked_as_the_legend_says():
    """The legend and the column title say ≠; the cells used to say !."""
    from crm_tui.reports import output

    assert output.table_value("flag", True) == "≠" and output.table_value("flag", False) == ""

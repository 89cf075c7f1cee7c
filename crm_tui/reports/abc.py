"""ABC (Pareto) classes by total order amount, beside the rep's own A–D level.

Customers with orders totalling more than zero on or before the as-of date are
ranked by that total (largest first; equal totals by code). A customer's class
follows the cumulative share of the customers ranked *before* it: under 80 % → A,
under 95 % → B, else C. So A is the smallest top group whose amounts cover the
first 80 % (the customer that crosses 80 % is still A, and the first customer is
always A), B covers up to 95 %, C the rest. Comparisons are exact integer
arithmetic on cents; ``share`` and ``cumulative_share`` are rounded half up to four
places for output only. ``level`` is the rep's own level (A–D, empty if unset);
``mismatch`` (JSON and table only) flags a set level that differs from the class.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from bisect import bisect_left
from collections.abc import Iterator
from itertools import accumulate
from operator import itemgetter
from typing import Any

from crm_tui.reports import (
    Column,
    LazyRows,
    Report,
    amount_texts,
    fetch_tuples,
    ratio,
    ratio_text,
    ratio_units,
)
from crm_tui.store import enums

COLUMNS = (
    Column("code"),
    Column("customer"),
    Column("total_amount", "money"),
    Column("share", "ratio"),
    Column("cumulative_share", "ratio"),
    Column("abc"),
    Column("level", "enum", enums.LEVEL),
    Column("mismatch", "flag", csv=False),
)

# ``+order_date``: a text comparison without NUMERIC affinity's number test of :as_of
# for every order. CROSS JOIN keeps the aggregate the outer loop, a co-routine, not a
# temporary table.
ABC_SQL = """
SELECT c.code, c.name, a.total, c.level
FROM (
    SELECT customer_id, sum(amount_cents) AS total
    FROM sales_order
    WHERE +order_date <= :as_of
    GROUP BY customer_id
) AS a
CROSS JOIN customer c ON c.id = a.customer_id
WHERE a.total > 0
ORDER BY a.total DESC, c.code
"""

A_LIMIT = 80
B_LIMIT = 95

_CODE, _NAME, _TOTAL, _LEVEL = itemgetter(0), itemgetter(1), itemgetter(2), itemgetter(3)


def classify(before_cents: int, total_cents: int) -> str:
    """The class of a customer preceded by ``before_cents`` of the ``total_cents``."""
    if before_cents * 100 < total_cents * A_LIMIT:
        return "A"
    if before_cents * 100 < total_cents * B_LIMIT:
        return "B"
    return "C"


def abc(conn: sqlite3.Connection, as_of: dt.date) -> Report:
    """ABC rows, largest total first; ``extras`` count each class (``a``, ``b``, ``c``).

    A row per customer, so the columns are computed with ``map``/``accumulate`` and the
    class edges by bisection (the running amounts only grow); the CSV cells are made
    straight from the query's rows and the row dicts only when something reads them.
    """
    params = {"as_of": as_of.isoformat()}
    data = fetch_tuples(conn, ABC_SQL, params)
    amounts = list(map(_TOTAL, data))
    total = sum(amounts)
    running = list(accumulate(amounts))  # running[i]: the amount up to and including row i
    # classify(before, total) changes from A to B to C as ``before`` grows: find the edges
    before = [0, *running[:-1]] if running else []
    a_end = bisect_left(before, -(-total * A_LIMIT // 100))  # first before*100 >= total*80
    b_end = bisect_left(before, -(-total * B_LIMIT // 100))
    del before
    n = len(data)
    classes = ["A"] * a_end + ["B"] * (b_end - a_end) + ["C"] * (n - b_end)

    def make_row(i: int) -> dict[str, Any]:
        code, name, amount, level = data[i]
        cls = classes[i]
        return {
            "code": code,
            "customer": name,
            "total_amount": amount,
            "share": ratio(amount, total),
            "cumulative_share": ratio(running[i], total),
            "abc": cls,
            "level": level,
            "mismatch": bool(level) and level != cls,
        }

    def build_rows() -> list[dict[str, Any]]:
        return list(map(make_row, range(n)))

    def csv_cells() -> Iterator[tuple[str, ...]]:
        # the text output.format_csv_rows makes of the row dicts, each distinct value once
        money = amount_texts(amounts)
        shares = list(ratio_units(amounts, total))
        upto = list(ratio_units(running, total))
        ratios = {u: ratio_text(u) for u in {*shares, *upto}}
        return zip(
            map(_CODE, data),
            map(_NAME, data),
            map(money.__getitem__, amounts),
            map(ratios.__getitem__, shares),
            map(ratios.__getitem__, upto),
            classes,
            map(_text, map(_LEVEL, data)),
            strict=True,
        )

    return Report(
        "abc",
        COLUMNS,
        LazyRows(n, build_rows, make_row),
        params=params,
        extras={
            "a": ("int", a_end),
            "b": ("int", b_end - a_end),
            "c": ("int", n - b_end),
            "total_amount": ("money", total),
        },
        csv_cells=csv_cells,
    )


def _text(value: str | None) -> str:
    return "" if value is None else value

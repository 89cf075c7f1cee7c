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

from crm_tui.reports import Column, Report, fetch_tuples, ratio
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

ABC_SQL = """
SELECT c.code, c.name, a.total, c.level
FROM (
    SELECT customer_id, sum(amount_cents) AS total
    FROM sales_order
    WHERE order_date <= :as_of
    GROUP BY customer_id
) AS a
JOIN customer c ON c.id = a.customer_id
WHERE a.total > 0
ORDER BY a.total DESC, c.code
"""

A_LIMIT = 80
B_LIMIT = 95


def classify(before_cents: int, total_cents: int) -> str:
    """The class of a customer preceded by ``before_cents`` of the ``total_cents``."""
    if before_cents * 100 < total_cents * A_LIMIT:
        return "A"
    if before_cents * 100 < total_cents * B_LIMIT:
        return "B"
    return "C"


def abc(conn: sqlite3.Connection, as_of: dt.date) -> Report:
    """ABC rows, largest total first; ``extras`` count each class (``a``, ``b``, ``c``)."""
    data = fetch_tuples(conn, ABC_SQL, {"as_of": as_of.isoformat()})
    total = sum(row[2] for row in data)
    rows = []
    running = 0
    counts = {"A": 0, "B": 0, "C": 0}
    for code, name, amount, level in data:
        cls = classify(running, total)
        counts[cls] += 1
        running += amount
        rows.append(
            {
                "code": code,
                "customer": name,
                "total_amount": amount,
                "share": ratio(amount, total),
                "cumulative_share": ratio(running, total),
                "abc": cls,
                "level": level,
                "mismatch": bool(level) and level != cls,
            }
        )
    return Report(
        "abc",
        COLUMNS,
        rows,
        params={"as_of": as_of.isoformat()},
        extras={
            "a": ("int", counts["A"]),
            "b": ("int", counts["B"]),
            "c": ("int", counts["C"]),
            "total_amount": ("money", total),
        },
    )

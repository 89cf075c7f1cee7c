"""Customer distribution (客户分布分析) by industry, region, level, status and source.

Customers created on or before the as-of date (or with no creation time) count;
``total_amount`` sums their orders dated on or before it. SQL groups by the five
dimensions together (once for counts, once for amounts); the small results are folded
per dimension here. Empty values are the value ``""`` (unknown), listed last. Each share is
customers / all customers rounded half up to four places on its own: equal counts
show equal shares, and 20 of 300 reads 0.0667 (making a dimension add up to exactly
1.0000 took 0.0001 from one of two equal counts), so a dimension may add up to 0.9999
or 1.0001. Enumerated dimensions list values in vocabulary order, region by
customers (most first) then name.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import ROUND_HALF_UP, Decimal

from crm_tui.reports import Column, Report, day_after
from crm_tui.store import enums

DIMENSIONS: tuple[str, ...] = ("industry", "region", "level", "status", "source")
_VOCABULARIES = {
    "industry": enums.INDUSTRY,
    "level": enums.LEVEL,
    "status": enums.STATUS,
    "source": enums.SOURCE,
}

COLUMNS = (
    Column("dimension"),
    Column("value"),
    Column("customers", "int"),
    Column("share", "ratio"),
    Column("total_amount", "money"),
)

COUNT_SQL = """
SELECT industry, region, level, status, source, count(*)
FROM customer
WHERE ifnull(created_at, '') < :end
GROUP BY industry, region, level, status, source
"""
# Per-customer totals from the covering index (customer_id, order_date, amount_cents), then
# one primary-key lookup per buying customer.
AMOUNT_SQL = """
SELECT c.industry, c.region, c.level, c.status, c.source, sum(a.total)
FROM (
    SELECT customer_id, sum(amount_cents) AS total
    FROM sales_order
    WHERE order_date <= :as_of
    GROUP BY customer_id
) AS a
CROSS JOIN customer c ON c.id = a.customer_id
WHERE ifnull(c.created_at, '') < :end
GROUP BY c.industry, c.region, c.level, c.status, c.source
"""

_UNIT = Decimal("0.0001")


def rounded_shares(counts: list[int]) -> list[Decimal]:
    """Each of ``counts`` over their total, rounded half up to four places (0 when the
    total is 0)."""
    total = sum(counts)
    if not total:
        return [Decimal(0).quantize(_UNIT) for _ in counts]
    return [(Decimal(c) / total).quantize(_UNIT, rounding=ROUND_HALF_UP) for c in counts]


def _order(dimension: str, buckets: dict[str, list[int]]) -> list[str]:
    vocab = _VOCABULARIES.get(dimension)
    if vocab is not None:
        known = [k for k in vocab.keys if k in buckets]
        rest = sorted(k for k in buckets if k not in vocab.keys and k != "")
        return known + rest + ([""] if "" in buckets else [])
    named = sorted((k for k in buckets if k != ""), key=lambda k: (-buckets[k][0], k))
    return named + ([""] if "" in buckets else [])


def distribution(conn: sqlite3.Connection, as_of: dt.date) -> Report:
    """Rows ``dimension,value,customers,share,total_amount`` for the five dimensions in order."""
    folded: dict[str, dict[str, list[int]]] = {d: {} for d in DIMENSIONS}
    params = {"as_of": as_of.isoformat(), "end": day_after(as_of)}
    for sql, slot in ((COUNT_SQL, 0), (AMOUNT_SQL, 1)):
        for *values, n in conn.execute(sql, params):
            for dimension, value in zip(DIMENSIONS, values, strict=True):
                folded[dimension].setdefault((value or "").strip(), [0, 0])[slot] += n
    rows = []
    for dimension in DIMENSIONS:
        buckets = folded[dimension]
        keys = _order(dimension, buckets)
        shares = rounded_shares([buckets[k][0] for k in keys])
        for key, share in zip(keys, shares, strict=True):
            rows.append(
                {
                    "dimension": dimension,
                    "value": key,
                    "customers": buckets[key][0],
                    "share": share,
                    "total_amount": buckets[key][1],
                }
            )
    return Report("distribution", COLUMNS, rows, params={"as_of": as_of.isoformat()})

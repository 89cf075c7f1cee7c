"""RFM: recency, frequency and money per customer, quintile scores 1–5 with ties kept equal, segments.

Customers: those with at least one order on or before the as-of date; only those
orders count. R = days from the last such order to the as-of date, F = number of
orders, M = their total amount. SQL does one GROUP BY customer over the covering
index ``(customer_id, order_date, amount_cents)``; scoring happens here.

**Scoring rule (ties).** With N customers, a value's score is
``1 + floor(5 × w / N)`` where ``w`` is the number of customers with a strictly
*worse* value (F, M: smaller; R: more days, i.e. less recent). For distinct values
this is the usual quintile split (N = 10 gives 1,1,2,2,3,3,4,4,5,5); equal values
have the same ``w`` and therefore always the same score, and a tie group takes the
score of its worst-placed member, so the worst value always scores 1 and the best
scores 5 only when at most 80 % of the customers are worse.

**Segments**, first matching rule wins, in DOMAIN.md's order:
champions (R≥4, F≥4, M≥4), loyal (F≥4), at_risk (R≤2 and (F≥3 or M≥3)),
hibernating (R≤2, F≤2), new (R≥4, F=1), others. R, F, M here are the scores.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence

from crm_tui.reports import Column, Report, fetch_tuples
from crm_tui.store import enums

COLUMNS = (
    Column("code"),
    Column("customer"),
    Column("last_order", "date"),
    Column("recency_days", "int"),
    Column("frequency", "int"),
    Column("monetary", "money"),
    Column("r", "int"),
    Column("f", "int"),
    Column("m", "int"),
    Column("score"),
    Column("segment", "enum", enums.RFM_SEGMENT),
)
SEGMENT_COLUMNS = (
    Column("segment", "enum", enums.RFM_SEGMENT),
    Column("customers", "int"),
    Column("monetary", "money"),
)

RFM_SQL = """
SELECT c.code, c.name, a.last_order, a.frequency, a.monetary
FROM (
    SELECT customer_id, max(order_date) AS last_order, count(*) AS frequency,
           sum(amount_cents) AS monetary
    FROM sales_order
    WHERE order_date <= :as_of
    GROUP BY customer_id
) AS a
JOIN customer c ON c.id = a.customer_id
"""


def quintile_scores(values: Sequence[int], *, higher_is_better: bool = True) -> list[int]:
    """Scores 1–5 for ``values`` by the tie-keeping quintile rule of this module."""
    n = len(values)
    ordered = sorted(values)
    score: dict[int, int] = {}
    if higher_is_better:
        # the first (lowest) index of a value = how many values are strictly smaller
        for i, v in enumerate(ordered):
            if v not in score:
                score[v] = 1 + (5 * i) // n
    else:
        # from the top: the highest index of a value leaves n-1-i strictly larger ones
        for i in range(n - 1, -1, -1):
            v = ordered[i]
            if v not in score:
                score[v] = 1 + (5 * (n - 1 - i)) // n
    return [score[v] for v in values]


def segment(r: int, f: int, m: int) -> str:
    """The segment key for scores (first matching rule of DOMAIN.md wins)."""
    if r >= 4 and f >= 4 and m >= 4:
        return "champions"
    if f >= 4:
        return "loyal"
    if r <= 2 and (f >= 3 or m >= 3):
        return "at_risk"
    if r <= 2 and f <= 2:
        return "hibernating"
    if r >= 4 and f == 1:
        return "new"
    return "others"


def rfm(conn: sqlite3.Connection, as_of: dt.date) -> Report:
    """RFM rows, best score first (then higher M, then code); ``tables['segments']`` sums them."""
    data = fetch_tuples(conn, RFM_SQL, {"as_of": as_of.isoformat()})
    days: dict[str, dt.date] = {}  # few distinct dates: parse each once
    for row in data:
        if row[2] not in days:
            days[row[2]] = dt.date.fromisoformat(row[2])
    recency = [(as_of - days[row[2]]).days for row in data]
    freq = [row[3] for row in data]
    money = [row[4] for row in data]
    r_scores = quintile_scores(recency, higher_is_better=False)
    f_scores = quintile_scores(freq)
    m_scores = quintile_scores(money)
    seg_count = dict.fromkeys(enums.RFM_SEGMENT.keys, 0)
    seg_money = dict.fromkeys(enums.RFM_SEGMENT.keys, 0)
    combos = [r * 100 + f * 10 + m for r, f, m in zip(r_scores, f_scores, m_scores, strict=True)]
    labels = {c: (str(c), segment(c // 100, c // 10 % 10, c % 10)) for c in set(combos)}
    # best score first, then higher M, then code: plain tuples sort without a key function
    order = sorted((-combos[i], -data[i][4], data[i][0], i) for i in range(len(data)))
    rows = []
    for _c, _m, _code, i in order:
        code, name, last_order, frequency, monetary = data[i]
        score, seg = labels[combos[i]]
        seg_count[seg] += 1
        seg_money[seg] += monetary
        rows.append(
            {
                "code": code,
                "customer": name,
                "last_order": days[last_order],
                "recency_days": recency[i],
                "frequency": frequency,
                "monetary": monetary,
                "r": r_scores[i],
                "f": f_scores[i],
                "m": m_scores[i],
                "score": score,
                "segment": seg,
            }
        )
    segments = Report(
        "rfm_segments",
        SEGMENT_COLUMNS,
        [
            {"segment": s, "customers": seg_count[s], "monetary": seg_money[s]}
            for s in enums.RFM_SEGMENT.keys
        ],
    )
    return Report(
        "rfm", COLUMNS, rows, params={"as_of": as_of.isoformat()}, tables={"segments": segments}
    )

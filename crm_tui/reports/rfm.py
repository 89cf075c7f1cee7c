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
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from itertools import accumulate, repeat
from operator import add, itemgetter, mul
from typing import Any

from crm_tui.reports import Column, LazyRows, Report, amount_texts, fetch_tuples
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

# ``+order_date``: the same text comparison without NUMERIC column affinity, which would
# otherwise try to read ':as_of' as a number for every order. Scanning customers in
# descending order meets each customer's latest order first, so max() keeps its first
# value instead of copying every newer date (the rows are sorted in Python anyway).
# CROSS JOIN keeps the aggregate as the outer loop, fed row by row (a co-routine)
# instead of being written to a temporary table first.
RFM_SQL = """
SELECT c.code, c.name, a.last_order, a.frequency, a.monetary
FROM (
    SELECT customer_id, max(order_date) AS last_order, count(*) AS frequency,
           sum(amount_cents) AS monetary
    FROM sales_order
    WHERE +order_date <= :as_of
    GROUP BY customer_id
    ORDER BY customer_id DESC
) AS a
CROSS JOIN customer c ON c.id = a.customer_id
"""

_CODE, _LAST, _FREQ, _MONEY = itemgetter(0), itemgetter(2), itemgetter(3), itemgetter(4)


def _limits(counts: Mapping[Any, int], ordered: Sequence[Any] | None = None) -> list[Any]:
    """The four values a value must exceed to score 2, 3, 4, 5, from how many customers have each.

    A value's score is ``1 + floor(5 × w / N)`` (w: customers with a smaller value), so it
    scores above ``k`` when ``w ≥ ceil(k × N / 5)``, that is when it exceeds the
    ``ceil(k × N / 5)``-th smallest value: the score is ``1 + bisect_left(limits, value)``.
    ``ordered``: the distinct values in ascending order, if the caller has them already.
    """
    n = sum(counts.values())
    targets = iter([-(-k * n // 5) for k in (1, 2, 3, 4)])  # ceil(k n / 5)
    target = next(targets)
    limits: list[Any] = []
    seen = 0
    for v in sorted(counts) if ordered is None else ordered:
        seen += counts[v]
        while seen >= target:  # v is the target-th smallest value
            limits.append(v)
            target = next(targets, 0)
            if not target:
                return limits
    return limits


def quintile_scores(values: Sequence[int], *, higher_is_better: bool = True) -> list[int]:
    """Scores 1–5 for ``values`` by the tie-keeping quintile rule of this module."""
    keyed = list(values) if higher_is_better else [-v for v in values]
    limits = _limits(Counter(keyed))
    return [1 + bisect_left(limits, v) for v in keyed]


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
    """RFM rows, best score first (then higher M, then code); ``tables['segments']`` sums them.

    A row per customer, so the work is done per *distinct* value where it can be (dates,
    frequencies, amounts, the 125 score combinations) and otherwise in C (``map``,
    ``sorted``); the CSV cells are made straight from the query's rows and the row dicts
    only when something reads them.
    """
    params = {"as_of": as_of.isoformat()}
    data = fetch_tuples(conn, RFM_SQL, params)
    if not data:
        return Report("rfm", COLUMNS, [], params=params, tables={"segments": _segments({}, {})})
    data.sort(key=_CODE)  # the final sort is stable: equal scores and M stay by code
    # R: per distinct last-order date; lower days score higher, so rank -days
    last_counts = Counter(map(_LAST, data))
    day = {s: dt.date.fromisoformat(s) for s in last_counts}
    recency = {s: (as_of - d).days for s, d in day.items()}
    minus_days: Counter[int] = Counter()
    for s, k in last_counts.items():
        minus_days[-recency[s]] += k
    r_limits = _limits(minus_days)
    freq_counts = Counter(map(_FREQ, data))
    f_limits = _limits(freq_counts)
    money = list(map(_MONEY, data))
    money_counts = Counter(money)
    amounts = sorted(money_counts)
    m_limits = _limits(money_counts, amounts)
    # each customer's scores as one number 0..124: 25 (R-1) + 5 (F-1) + (M-1)
    r_part = {s: 25 * bisect_left(r_limits, -recency[s]) for s in day}
    f_part = {f: 5 * bisect_left(f_limits, f) for f in freq_counts}
    combos = list(
        map(
            add,
            map(
                add,
                map(r_part.__getitem__, map(_LAST, data)),
                map(f_part.__getitem__, map(_FREQ, data)),
            ),
            map(partial(bisect_left, m_limits), money),
        )
    )
    counts = Counter(combos)
    labels = {c: _label(c) for c in counts}
    # best scores first, then higher M: one integer key, sorted descending
    # (M by its rank among the distinct amounts keeps the key a small int: a faster sort)
    rank = dict(zip(amounts, range(len(amounts)), strict=True))
    keys = list(map(add, map(mul, combos, repeat(len(amounts))), map(rank.__getitem__, money)))
    del rank, amounts
    order = sorted(range(len(data)), key=keys.__getitem__, reverse=True)
    del keys
    # segment totals: in report order each combination is one run of rows
    running = [0, *accumulate(map(money.__getitem__, order))]
    seg_count = dict.fromkeys(enums.RFM_SEGMENT.keys, 0)
    seg_money = dict.fromkeys(enums.RFM_SEGMENT.keys, 0)
    start = 0
    for c in sorted(counts, reverse=True):
        end = start + counts[c]
        seg_count[labels[c][4]] += counts[c]
        seg_money[labels[c][4]] += running[end] - running[start]
        start = end
    del running, money

    def make_row(i: int) -> dict[str, Any]:  # the customer of query row i
        code, name, last, frequency, monetary = data[i]
        c = combos[i]
        return {
            "code": code,
            "customer": name,
            "last_order": day[last],
            "recency_days": recency[last],
            "frequency": frequency,
            "monetary": monetary,
            "r": c // 25 + 1,
            "f": c // 5 % 5 + 1,
            "m": c % 5 + 1,
            "score": labels[c][3],
            "segment": labels[c][4],
        }

    # Rows are made in the query's order, which is also their order in memory, and only
    # then put in report order: much kinder to the CPU caches than the other way round.
    def build_rows() -> list[dict[str, Any]]:
        made = list(map(make_row, range(len(data))))
        return list(map(made.__getitem__, order))

    def csv_cells() -> Iterator[tuple[str, ...]]:
        # each distinct value formatted once, as output.format_csv_rows formats the row dicts
        dates = {s: (d.isoformat(), str(recency[s])) for s, d in day.items()}
        freqs = {f: str(f) for f in freq_counts}
        amounts = amount_texts(money_counts)
        made = [
            (code, name, *dates[last], freqs[frequency], amounts[monetary], *labels[c])
            for (code, name, last, frequency, monetary), c in zip(data, combos, strict=True)
        ]
        return map(made.__getitem__, order)

    return Report(
        "rfm",
        COLUMNS,
        LazyRows(len(data), build_rows, lambda position: make_row(order[position])),
        params=params,
        tables={"segments": _segments(seg_count, seg_money)},
        csv_cells=csv_cells,
    )


def _label(c: int) -> tuple[str, str, str, str, str]:
    """R, F, M, the score text and the segment of combination ``c`` (25 (R-1) + 5 (F-1) + M-1)."""
    r, f, m = c // 25 + 1, c // 5 % 5 + 1, c % 5 + 1
    return str(r), str(f), str(m), f"{r}{f}{m}", segment(r, f, m)


def _segments(count: dict[str, int], money: dict[str, int]) -> Report:
    return Report(
        "rfm_segments",
        SEGMENT_COLUMNS,
        [
            {"segment": s, "customers": count.get(s, 0), "monetary": money.get(s, 0)}
            for s in enums.RFM_SEGMENT.keys
        ],
    )

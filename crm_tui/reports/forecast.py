"""Forecast and targets: open pipeline by expected close month and quarter against monthly targets.

Rules:

- The pipeline is the deals open at the end of the as-of day (stages initial contact …
  negotiation; as of a past day at their stage and probability then, with today's
  amounts and dates: :mod:`crm_tui.reports.deals_then`), each in the month of its
  expected close date from the as-of month on: the as-of
  month's row counts its deals whose date has passed as well (the month is not over;
  leaving them out made its gap too big and the CSV's pipeline too small). Deals
  expected in an earlier month are *overdue*: totalled in ``extras['overdue_*']`` and
  listed separately (``tables['overdue']``, the latest :data:`OVERDUE_LIMIT` by close
  date); deals without a date are counted in ``extras['undated_*']``. Every open deal is
  in exactly one of the month rows, the overdue and the undated.
- Months run from the first month of the as-of date's quarter to the end of the
  quarter of the last month holding an open deal (at least the as-of quarter).
- ``weighted_amount`` = Σ amount_cents × probability / 100 summed exactly in integers
  and rounded half up to whole cents once per month (and per quarter from the sums).
- ``won_amount`` = amounts of won / after-sales deals by actual close month, up to the
  as-of date (the deal amount, not orders, so it matches what the funnel calls won).
- ``target`` from ``sales_target`` (:mod:`crm_tui.store.targets`), else config.toml's
  ``[targets]``; ``gap`` = target − won − weighted wherever a target is set (below
  zero: the month is ahead of its target; CLI.md leaves it empty only without one);
  ``attainment`` = won / target (JSON and table only). A quarter's target is the sum
  of its months' targets when each of its three months has one (``tables['quarters']``);
  with a month missing it has none (and no gap): two months' target against a whole
  quarter's deals and wins read as more than attained.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping

from crm_tui.reports import Column, Report, day_after, ratio, round_cents
from crm_tui.reports.deals_then import open_deals_table
from crm_tui.store import enums
from crm_tui.store.targets import effective_targets, quarter_target

_OPEN = "('initial_contact', 'needs_confirmed', 'proposal', 'negotiation')"

COLUMNS = (
    Column("month"),
    Column("count", "int"),
    Column("amount", "money"),
    Column("weighted_amount", "money"),
    Column("won_amount", "money"),
    Column("target", "money"),
    Column("gap", "money"),
    Column("attainment", "ratio", csv=False),
)
QUARTER_COLUMNS = (Column("quarter"),) + COLUMNS[1:]
OVERDUE_COLUMNS = (
    Column("expected_close", "date"),
    Column("customer"),
    Column("opportunity"),
    Column("stage", "enum", enums.STAGE),
    Column("amount", "money"),
    Column("probability", "int"),
    Column("weighted_amount", "money"),
)

# Every open deal by its expected close month (NULL: undated): the month rows from the
# as-of month on, the overdue totals before it. ``{deals}`` is :func:`open_deals_table`'s source.
MONTHS_SQL = f"""
SELECT substr(expected_close, 1, 7) AS month, count(*), coalesce(sum(amount_cents), 0),
       coalesce(sum(amount_cents * probability), 0)
FROM {{deals}} AS o
WHERE stage IN {_OPEN}
GROUP BY month
"""
WON_SQL = """
SELECT substr(actual_close, 1, 7) AS month, coalesce(sum(amount_cents), 0)
FROM opportunity
WHERE actual_close >= :first AND actual_close <= :as_of AND +stage IN ('won', 'after_sales')
GROUP BY month
"""
OVERDUE_SQL = f"""
SELECT pick.expected_close, c.name, o.name, pick.stage, pick.amount_cents, pick.probability
FROM (
    SELECT id, stage, expected_close, amount_cents, probability FROM {{deals}} AS o
    WHERE stage IN {_OPEN} AND expected_close < :month_start
    ORDER BY expected_close DESC, id DESC
    LIMIT :limit
) AS pick
CROSS JOIN opportunity o ON o.id = pick.id
CROSS JOIN customer c ON c.id = o.customer_id
ORDER BY pick.expected_close DESC, pick.id DESC
"""
#: How many overdue deals ``tables['overdue']`` lists (most recently passed first).
OVERDUE_LIMIT = 200


def _month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _quarter_of(month_key: str) -> str:
    year, month = int(month_key[:4]), int(month_key[5:7])
    return f"{year:04d}-Q{(month - 1) // 3 + 1}"


def months_between(first: str, last: str) -> list[str]:
    """``YYYY-MM`` keys from ``first`` to ``last`` inclusive."""
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while _month_key(y, m) <= last:
        out.append(_month_key(y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _gap(target: int | None, won: int, weighted: int) -> int | None:
    if target is None:
        return None
    return target - won - weighted


def _row(key: str, label: str, count: int, amount: int, raw_weighted: int, won: int, target):
    weighted = round_cents(raw_weighted)
    return {
        key: label,
        "count": count,
        "amount": amount,
        "weighted_amount": weighted,
        "won_amount": won,
        "target": target,
        "gap": _gap(target, won, weighted),
        "attainment": ratio(won, target) if target else None,
    }


def forecast(
    conn: sqlite3.Connection,
    as_of: dt.date,
    fallback_targets: Mapping[str, int] | None = None,
    overdue_limit: int = OVERDUE_LIMIT,
    probabilities: Mapping[str, int] | None = None,
) -> Report:
    """Month rows from the as-of quarter on; ``tables`` ``quarters`` and ``overdue``.

    ``fallback_targets`` are config.toml's monthly targets (``Settings.targets``).
    ``tables['overdue']`` lists at most ``overdue_limit`` deals, latest close date first;
    ``extras['overdue_*']`` total all of them. ``probabilities`` are the stages' default
    probabilities (config.toml's) for deals that have moved since the as-of date.
    """
    q_first = _month_key(as_of.year, 3 * ((as_of.month - 1) // 3) + 1)
    this_month = _month_key(as_of.year, as_of.month)
    month_start = this_month + "-01"
    params = {"end": day_after(as_of), "month_start": month_start, "limit": overdue_limit}
    with open_deals_table(conn, params["end"], probabilities) as deals:
        months = conn.execute(MONTHS_SQL.format(deals=deals), params).fetchall()
        overdue = conn.execute(OVERDUE_SQL.format(deals=deals), params).fetchall()
    pipeline: dict[str, tuple[int, int, int]] = {}
    overdue_n = overdue_amount = undated_n = undated_amount = 0
    for month, n, amount, raw in months:
        if month is None:
            undated_n, undated_amount = n, amount
        elif month < this_month:
            overdue_n += n
            overdue_amount += amount
        else:
            pipeline[month] = (n, amount, raw)
    won = dict(
        conn.execute(WON_SQL, {"first": q_first + "-01", "as_of": as_of.isoformat()}).fetchall()
    )
    last = max([this_month, *pipeline])
    last_year, last_month = int(last[:4]), int(last[5:7])
    last = _month_key(last_year, 3 * ((last_month - 1) // 3) + 3)
    targets = effective_targets(conn, fallback_targets)

    rows = []
    quarters: dict[str, list] = {}
    for month in months_between(q_first, last):
        n, amount, raw = pipeline.get(month, (0, 0, 0))
        w = won.get(month, 0)
        target = targets.get(month)
        rows.append(_row("month", month, n, amount, raw, w, target))
        q = quarters.setdefault(_quarter_of(month), [0, 0, 0, 0])
        q[0] += n
        q[1] += amount
        q[2] += raw
        q[3] += w
    quarter_rows = [
        _row("quarter", key, *vals, quarter_target(targets, int(key[:4]), int(key[-1])))
        for key, vals in quarters.items()
    ]

    overdue_rows = [
        {
            "expected_close": dt.date.fromisoformat(close),
            "customer": customer,
            "opportunity": name,
            "stage": stage,
            "amount": amount,
            "probability": prob,
            "weighted_amount": round_cents(amount * prob),
        }
        for close, customer, name, stage, amount, prob in overdue
    ]
    return Report(
        "forecast",
        COLUMNS,
        rows,
        params={"as_of": as_of.isoformat()},
        extras={
            "overdue_count": ("int", overdue_n),
            "overdue_amount": ("money", overdue_amount),
            "undated_count": ("int", undated_n),
            "undated_amount": ("money", undated_amount),
        },
        tables={
            "quarters": Report("forecast_quarters", QUARTER_COLUMNS, quarter_rows),
            "overdue": Report("forecast_overdue", OVERDUE_COLUMNS, overdue_rows),
        },
    )

"""Sales funnel: deals that reached each stage (from the stage history), conversions, win rate, cycle.

Rules (DOMAIN.md, "Funnel"):

- Only deals created on or before the as-of date count, and only the stage changes
  made on or before it: a deal's stage *then* is the ``from_stage`` of its first
  change after the as-of date, or its current stage when there is none.
- A deal's *reach* is the highest ladder position among its stage then and every
  ``from``/``to`` stage of its history up to the as-of date, and at least
  ``initial_contact``. So a deal created (or imported) at stage S counts as having
  passed every earlier stage, a deal moved back keeps the furthest stage it got to,
  and a lost deal counts for the stages it reached before it was lost.
  ``reached(stage)`` = deals whose reach ≥ that stage; ``amount`` sums their amounts.
- ``lost`` is a row of its own: the deals whose stage then is lost.
- ``conversion`` = reached(next) / reached(this) along initial contact → … → after-sales;
  empty for after-sales and lost (no next step).
- ``win_rate`` = won / (won + lost), where won is a stage then of won or after-sales.
- ``avg_cycle_days`` = mean of (actual close − creation date) in days over the won deals
  that have an actual close date, rounded half up to one decimal.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import ROUND_HALF_UP, Decimal

from crm_tui.reports import Column, Report, day_after, ratio, stage_position_sql
from crm_tui.store import enums

COLUMNS = (
    Column("stage", "enum", enums.STAGE),
    Column("reached", "int"),
    Column("amount", "money"),
    Column("conversion", "ratio"),
)

_SQL = """
WITH hist AS (
    SELECT opportunity_id AS id,
           max(max(coalesce({pos_to}, -1), coalesce({pos_from}, -1))) AS pos
    FROM stage_change
    WHERE changed_at < :end
    GROUP BY opportunity_id
),
later AS (
    SELECT opportunity_id AS id, from_stage, min(changed_at) AS first_after
    FROM stage_change
    WHERE changed_at >= :end
    GROUP BY opportunity_id
),
deal AS (
    SELECT o.amount_cents AS amount,
           o.created_at, o.actual_close,
           coalesce(l.from_stage, o.stage) AS stage_then,
           h.pos AS hist_pos
    FROM opportunity o
    LEFT JOIN hist h ON h.id = o.id
    LEFT JOIN later l ON l.id = o.id
    WHERE o.created_at IS NULL OR o.created_at < :end
),
graded AS (
    SELECT amount,
           max(coalesce({pos_then}, -1), coalesce(hist_pos, -1), 0) AS reach,
           CASE WHEN stage_then = 'lost' THEN 'lost'
                WHEN stage_then IN ('won', 'after_sales') THEN 'won'
                ELSE 'open' END AS outcome,
           CASE WHEN stage_then IN ('won', 'after_sales') AND actual_close IS NOT NULL
                     AND actual_close <= :as_of AND created_at IS NOT NULL
                THEN CAST(julianday(actual_close) - julianday(date(created_at)) AS INTEGER)
           END AS cycle_days
    FROM deal
)
SELECT reach, outcome, count(*) AS n, coalesce(sum(amount), 0) AS amount,
       coalesce(sum(cycle_days), 0) AS cycle_sum, count(cycle_days) AS cycle_n
FROM graded
GROUP BY reach, outcome
"""


def funnel_sql() -> str:
    """The aggregate query (exposed for EXPLAIN QUERY PLAN checks)."""
    return _SQL.format(
        pos_to=stage_position_sql("to_stage"),
        pos_from=stage_position_sql("from_stage"),
        pos_then=stage_position_sql("stage_then"),
    )


def funnel(conn: sqlite3.Connection, as_of: dt.date) -> Report:
    """The funnel as of ``as_of``: one row per ladder stage, then ``lost``."""
    ladder = enums.STAGE_LADDER
    reached = [0] * len(ladder)
    amounts = [0] * len(ladder)
    won = lost = lost_amount = 0
    cycle_sum = cycle_n = 0
    params = {"end": day_after(as_of), "as_of": as_of.isoformat()}
    for reach, outcome, n, amount, c_sum, c_n in conn.execute(funnel_sql(), params):
        for i in range(min(int(reach), len(ladder) - 1) + 1):
            reached[i] += n
            amounts[i] += amount
        if outcome == "lost":
            lost += n
            lost_amount += amount
        elif outcome == "won":
            won += n
            cycle_sum += c_sum
            cycle_n += c_n
    rows = []
    for i, stage in enumerate(ladder):
        nxt = reached[i + 1] if i + 1 < len(ladder) else None
        rows.append(
            {
                "stage": stage,
                "reached": reached[i],
                "amount": amounts[i],
                "conversion": ratio(nxt, reached[i]) if nxt is not None else None,
            }
        )
    rows.append({"stage": "lost", "reached": lost, "amount": lost_amount, "conversion": None})
    avg_cycle = (
        (Decimal(cycle_sum) / cycle_n).quantize(Decimal("0.1"), ROUND_HALF_UP) if cycle_n else None
    )
    return Report(
        "funnel",
        COLUMNS,
        rows,
        params={"as_of": as_of.isoformat()},
        extras={
            "win_rate": ("ratio", ratio(won, won + lost)),
            "avg_cycle_days": ("days", avg_cycle),
        },
    )

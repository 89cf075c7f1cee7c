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
- ``avg_cycle_days`` = mean of (actual close − creation date) in days over the deals now
  won or in after-sales whose actual close date is on or before the as-of date, rounded
  half up to one decimal. A deal entered after it closed (a past win typed in today:
  its close date is before its creation) has no known cycle and is left out, not
  counted as a negative one.

For speed, SQL counts every deal by its current stage over a covering index and then corrects the few deals whose reach differs:
those with a backward move or a move to lost in their history (found through the index
``(to_stage, from_stage, changed_at, opportunity_id)``; reach = the furthest
``from_stage`` of such a move, since along a chain of moves the highest stage visited is
either where the deal stands or where a backward move started), and those changed after
the as-of date.
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

# Every deal by its current stage (the covering index (stage, amount_cents) when no deal was
# created after the as-of date).
BASE_SQL = """
SELECT stage, count(*), coalesce(sum(amount_cents), 0) FROM opportunity {where} GROUP BY stage
"""
# The few deals whose reach is not simply their current stage's position: those with a
# backward move (or a move to lost) in their history up to the as-of date, and those
# changed after it. Grouped by (current stage, stage then, furthest stage left behind).
SPECIAL_SQL = """
WITH hist AS (
    SELECT opportunity_id AS id, max({pos_from}) AS pos
    FROM stage_change
    WHERE ({backward}) AND changed_at < :end
    GROUP BY opportunity_id
),
later AS (
    SELECT opportunity_id AS id, from_stage, min(changed_at) AS first_after
    FROM stage_change {later_index}
    WHERE changed_at >= :end
    GROUP BY opportunity_id
),
special AS (SELECT id FROM hist UNION SELECT id FROM later)
SELECT o.stage, coalesce(l.from_stage, o.stage) AS stage_then, h.pos,
       count(*), coalesce(sum(o.amount_cents), 0)
FROM special s
CROSS JOIN opportunity o ON o.id = s.id
LEFT JOIN hist h ON h.id = s.id
LEFT JOIN later l ON l.id = s.id
WHERE ifnull(o.created_at, '') < :end
GROUP BY o.stage, stage_then, h.pos
"""
# Sales cycle of the deals won (or in after-sales) with an actual close on or before as-of.
CYCLE_SQL = """
SELECT count(*), coalesce(sum(julianday(actual_close) - julianday(date(created_at))), 0)
FROM opportunity NOT INDEXED
WHERE actual_close <= :as_of AND stage IN ('won', 'after_sales') AND created_at IS NOT NULL
  AND actual_close >= date(created_at)
"""
LATER_DEALS_SQL = "SELECT 1 FROM opportunity WHERE created_at >= :end LIMIT 1"
LATER_CHANGES_SQL = "SELECT count(*) FROM stage_change WHERE changed_at >= :end"
#: Up to this many changes after the as-of date are looked up through the changed_at index;
#: more (an as-of date far back) are grouped in opportunity order, which needs no sorting.
FEW_LATER_CHANGES = 20_000


def _backward_moves() -> str:
    """SQL matching a move to lost or to an earlier stage, as (to, from) pairs an index can seek."""
    ladder = enums.STAGE_LADDER
    terms = ["(to_stage = 'lost' AND from_stage IS NOT NULL)"]
    for i, to in enumerate(ladder[:-1]):
        later = ", ".join(f"'{s}'" for s in ladder[i + 1 :])
        terms.append(f"(to_stage = '{to}' AND from_stage IN ({later}))")
    return " OR ".join(terms)


def special_sql(later_changes: int = 0) -> str:
    """The corrections query (exposed for EXPLAIN QUERY PLAN checks)."""
    return SPECIAL_SQL.format(
        pos_from=stage_position_sql("from_stage"),
        backward=_backward_moves(),
        later_index="INDEXED BY ix_stage_change_changed"
        if later_changes <= FEW_LATER_CHANGES
        else "",
    )


def funnel(conn: sqlite3.Connection, as_of: dt.date) -> Report:
    """The funnel as of ``as_of``: one row per ladder stage, then ``lost``."""
    ladder = enums.STAGE_LADDER
    position = {stage: i for i, stage in enumerate(ladder)}
    params = {"end": day_after(as_of), "as_of": as_of.isoformat()}
    # (stage then, reach) -> [count, amount]
    groups: dict[tuple[str, int], list[int]] = {}

    def add(stage: str, reach: int, n: int, amount: int) -> None:
        bucket = groups.setdefault((stage, reach), [0, 0])
        bucket[0] += n
        bucket[1] += amount

    later_deals = conn.execute(LATER_DEALS_SQL, params).fetchone() is not None
    where = "WHERE ifnull(created_at, '') < :end" if later_deals else ""
    for stage, n, amount in conn.execute(BASE_SQL.format(where=where), params):
        add(stage, position.get(stage, 0), n, amount)
    later_changes = conn.execute(LATER_CHANGES_SQL, params).fetchone()[0]
    for stage, stage_then, hist_pos, n, amount in conn.execute(special_sql(later_changes), params):
        add(stage, position.get(stage, 0), -n, -amount)
        reach = max(position.get(stage_then, 0), hist_pos if hist_pos is not None else 0)
        add(stage_then, reach, n, amount)

    reached = [0] * len(ladder)
    amounts = [0] * len(ladder)
    won = lost = lost_amount = 0
    for (stage, reach), (n, amount) in groups.items():
        for i in range(min(reach, len(ladder) - 1) + 1):
            reached[i] += n
            amounts[i] += amount
        if stage == "lost":
            lost += n
            lost_amount += amount
        elif stage in ("won", "after_sales"):
            won += n
    cycle_n, cycle_sum = conn.execute(CYCLE_SQL, params).fetchone()
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
        (Decimal(round(cycle_sum)) / cycle_n).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if cycle_n
        else None
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

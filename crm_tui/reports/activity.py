"""Activity per ISO week: interactions by channel, tasks due/done/overdue, completion, new records.

The report covers ``weeks`` ISO weeks (default 12) ending with the week of the as-of
date, and counts nothing after the as-of date (the last week may be partial).
Per week:

- ``interactions`` and one column per channel: interactions that took place that week;
- ``tasks_done``: tasks marked done whose completion time falls in the week;
- ``tasks_due``: tasks (not cancelled) due in the week, up to the as-of date;
- ``tasks_overdue``: of those, the ones not done before the week's *cutoff*: the next
  Monday, or for the as-of week the end of the as-of day (a task due Monday and done
  this morning is done in its week, as it will be once the week is over, and as the
  weekly report lists it). A task due on the as-of day is
  not overdue ("today" is not overdue, as in ``crm due``, the weekly report and the
  header badge); a task marked done without a completion time counts as done in time;
- ``completion_rate`` = done in time / tasks whose day has come: (tasks_due −
  tasks_overdue − pending) / (tasks_due − pending), where *pending* are the tasks due
  on the as-of day and not done by its end (neither late nor done yet); empty when
  nothing is left to rate;
- ``new_customers`` / ``new_deals``: customers / opportunities created that week.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from crm_tui.dates import iso_week
from crm_tui.reports import Column, Report, day_after, day_start, ratio
from crm_tui.store import enums

CHANNELS: tuple[str, ...] = enums.CHANNEL.keys

COLUMNS = (
    Column("week"),
    Column("interactions", "int"),
    *(Column(ch, "int") for ch in CHANNELS),
    Column("tasks_due", "int"),
    Column("tasks_done", "int"),
    Column("tasks_overdue", "int"),
    Column("completion_rate", "ratio"),
    Column("new_customers", "int"),
    Column("new_deals", "int"),
)


def _week_index(column: str) -> str:
    return f"CAST((julianday(substr({column}, 1, 10)) - julianday(:start)) / 7 AS INTEGER)"


# One range scan of the covering index (occurred_at, channel) per week; no sorting.
INTERACTIONS_SQL = f"""
SELECT count(*), {", ".join(f"coalesce(sum(channel = '{ch}'), 0)" for ch in CHANNELS)}
FROM interaction WHERE occurred_at >= :week_start AND occurred_at < :week_end
"""
TASKS_DONE_SQL = f"""
SELECT {_week_index("completed_at")} AS w, count(*)
FROM task WHERE completed_at >= :start_ts AND completed_at < :end AND +status = 'done'
GROUP BY w
"""
# A due task is overdue unless it was done before its week's cutoff (next Monday, or the
# as-of day when that is earlier: a task due on the as-of day is never overdue). Tasks
# due on the as-of day and not done by its end are pending: not yet rated.
TASKS_DUE_SQL = f"""
SELECT {_week_index("due")} AS w, count(*),
       coalesce(sum(due < :as_of
                    AND NOT (status = 'done'
                             AND (completed_at IS NULL
                                  OR completed_at < min(date(due, 'weekday 0', '+1 day'),
                                                        :end)))), 0),
       coalesce(sum(due = :as_of
                    AND NOT (status = 'done'
                             AND (completed_at IS NULL OR completed_at < :end))), 0)
FROM task WHERE due >= :start AND due <= :as_of AND status <> 'cancelled'
GROUP BY w
"""
NEW_SQL = """
SELECT {week} AS w, count(*) FROM {table}
WHERE created_at >= :start_ts AND created_at < :end GROUP BY w
"""


def activity(conn: sqlite3.Connection, as_of: dt.date, weeks: int = 12) -> Report:
    """One row per ISO week, oldest first, ``weeks`` weeks ending with the as-of week."""
    last_monday = as_of - dt.timedelta(days=as_of.weekday())
    start = last_monday - dt.timedelta(weeks=weeks - 1)
    params = {
        "start": start.isoformat(),
        "start_ts": start.isoformat() + " 00:00:00",
        "end": day_after(as_of),
        "as_of": as_of.isoformat(),
    }
    rows = []
    for i in range(weeks):
        monday = start + dt.timedelta(weeks=i)
        row = {c.key: 0 for c in COLUMNS}
        row["week"] = iso_week(monday)
        rows.append(row)

    def add(index, key, n):
        if 0 <= index < weeks:
            rows[index][key] += n

    for i, row in enumerate(rows):
        monday = start + dt.timedelta(weeks=i)
        week_end = min(day_start(monday + dt.timedelta(weeks=1)), params["end"])
        counts = conn.execute(
            INTERACTIONS_SQL, {"week_start": day_start(monday), "week_end": week_end}
        ).fetchone()
        row["interactions"] = counts[0]
        for channel, n in zip(CHANNELS, counts[1:], strict=True):
            row[channel] = n
    for w, n in conn.execute(TASKS_DONE_SQL, params):
        add(w, "tasks_done", n)
    pending = [0] * weeks
    for w, n, overdue, waiting in conn.execute(TASKS_DUE_SQL, params):
        add(w, "tasks_due", n)
        add(w, "tasks_overdue", overdue)
        if 0 <= w < weeks:
            pending[w] += waiting
    for table, key in (("customer", "new_customers"), ("opportunity", "new_deals")):
        sql = NEW_SQL.format(week=_week_index("created_at"), table=table)
        for w, n in conn.execute(sql, params):
            add(w, key, n)
    for row, waiting in zip(rows, pending, strict=True):
        rated = row["tasks_due"] - waiting
        row["completion_rate"] = ratio(rated - row["tasks_overdue"], rated)
    return Report("activity", COLUMNS, rows, params={"as_of": as_of.isoformat(), "weeks": weeks})

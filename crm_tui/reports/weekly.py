"""Weekly report (周报): one ISO week's summary metrics and records, in the CSV layout of CLI.md.

Rows ``section,date,customer,item,detail,amount``. The ``summary`` section has one row
per metric (key in ``item``, value in ``amount``; counts are whole numbers, money in
decimals). Definitions, for the week Monday–Sunday:

Records count up to the as-of day (``today``) when it falls inside the week.

- ``new_customers`` / ``opportunities_created``: created during the week;
- ``interactions``: interactions that took place during the week;
- ``tasks_done``: tasks marked done whose completion time falls in the week;
- ``tasks_overdue``: tasks (not cancelled) due before the week's *cutoff* and not done
  before it -- the overdue backlog at the end of the week. The cutoff is the next
  Monday, or ``today`` when the week is not over yet (a task due today is not overdue);
- ``opportunities_won`` / ``won_amount``: deals now won or after-sales whose actual
  close date is in the week; ``opportunities_lost``: deals now lost, closed in the week;
- ``pipeline_weighted``: Σ amount × probability of the deals open at the end of the
  week (or of today), at their stage and probability then
  (:mod:`crm_tui.reports.deals_then`), rounded half up to cents once.

Sections (in this order after ``summary``): ``interactions`` (item subject, detail
channel), ``tasks_done`` (item title, detail result), ``tasks_overdue`` (date due, detail
type), ``stage_changes`` (item deal, detail ``from->to``, amount deal amount; creations
are not changes), ``won`` and ``lost`` (item deal, detail product / lost reason),
``next_week`` (open tasks due in the following week, detail type). Stage, channel and
type values are the English keys.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from itertools import accumulate

from crm_tui.dates import as_date, iso_week, parse_iso_week
from crm_tui.reports import (
    Column,
    LazyRows,
    Report,
    amount_texts,
    day_after,
    day_start,
    fetch_tuples,
    round_cents,
)
from crm_tui.reports.deals_then import open_deals_then

SECTIONS: tuple[str, ...] = (
    "summary",
    "interactions",
    "tasks_done",
    "tasks_overdue",
    "stage_changes",
    "won",
    "lost",
    "next_week",
)
METRICS: tuple[str, ...] = (
    "new_customers",
    "interactions",
    "tasks_done",
    "tasks_overdue",
    "opportunities_created",
    "opportunities_won",
    "won_amount",
    "opportunities_lost",
    "pipeline_weighted",
)
_MONEY_METRICS = ("won_amount", "pipeline_weighted")
_OPEN = "('initial_contact', 'needs_confirmed', 'proposal', 'negotiation')"

COLUMNS = (
    Column("section"),
    Column("date", "date"),
    Column("customer"),
    Column("item"),
    Column("detail"),
    Column("amount", "money"),
)

_COUNT = {
    "new_customers": "SELECT count(*) FROM customer WHERE created_at >= :start AND created_at < :end",
    "interactions": "SELECT count(*) FROM interaction WHERE occurred_at >= :start AND occurred_at < :end",
    "tasks_done": "SELECT count(*) FROM task WHERE completed_at >= :start AND completed_at < :end "
    "AND +status = 'done'",
    "opportunities_created": "SELECT count(*) FROM opportunity "
    "WHERE created_at >= :start AND created_at < :end",
}
# Overdue at the cutoff: open tasks due before it (the (status, due) index), plus, for a
# past week, tasks done only at or after its end (the completed_at index) that were due
# before it.
_OVERDUE_FROM = """(
    SELECT id, due, customer_id, title, type FROM task
    WHERE status IN ('planned', 'in_progress') AND due < :cutoff
    UNION ALL
    SELECT id, due, customer_id, title, type FROM task
    WHERE completed_at >= :done_after AND +status = 'done' AND due < :cutoff
) AS t"""
_CLOSED_SQL = """
SELECT count(*), coalesce(sum(amount_cents), 0) FROM opportunity
WHERE actual_close >= :monday AND actual_close <= :until AND +stage IN ({stages})
"""
# ``{deals}``: the deals as they stood at the end of the as-of day (:func:`open_deals_then`).
PIPELINE_SQL = f"""
SELECT coalesce(sum(amount_cents * probability), 0) FROM {{deals}} AS o WHERE stage IN {_OPEN}
"""

# (by the minute, then by id: exports keep times to the minute and records in id order,
# so an exported and re-imported database reports its week in the same order)
_SECTION_SQL = {
    "interactions": """
        SELECT substr(i.occurred_at, 1, 10), c.name, i.subject, i.channel, NULL
        FROM interaction i JOIN customer c ON c.id = i.customer_id
        WHERE i.occurred_at >= :start AND i.occurred_at < :end
        ORDER BY substr(i.occurred_at, 1, 16), i.id""",
    "tasks_done": """
        SELECT substr(t.completed_at, 1, 10), c.name, t.title, t.result, NULL
        FROM task t LEFT JOIN customer c ON c.id = t.customer_id
        WHERE t.completed_at >= :start AND t.completed_at < :end AND +t.status = 'done'
        ORDER BY substr(t.completed_at, 1, 16), t.id""",
    "tasks_overdue": f"""
        SELECT t.due, c.name, t.title, t.type, NULL
        FROM {_OVERDUE_FROM} LEFT JOIN customer c ON c.id = t.customer_id
        ORDER BY t.due, t.id""",
    "stage_changes": """
        SELECT substr(s.changed_at, 1, 10), c.name, o.name, s.from_stage || '->' || s.to_stage,
               o.amount_cents
        FROM stage_change s JOIN opportunity o ON o.id = s.opportunity_id
        JOIN customer c ON c.id = o.customer_id
        WHERE s.changed_at >= :start AND s.changed_at < :end AND s.from_stage IS NOT NULL
        ORDER BY s.changed_at, s.id""",
    "won": """
        SELECT o.actual_close, c.name, o.name, o.product, o.amount_cents
        FROM opportunity o JOIN customer c ON c.id = o.customer_id
        WHERE o.actual_close >= :monday AND o.actual_close <= :until
          AND +o.stage IN ('won', 'after_sales')
        ORDER BY o.actual_close, o.id""",
    "lost": """
        SELECT o.actual_close, c.name, o.name, o.lost_reason, o.amount_cents
        FROM opportunity o JOIN customer c ON c.id = o.customer_id
        WHERE o.actual_close >= :monday AND o.actual_close <= :until AND +o.stage = 'lost'
        ORDER BY o.actual_close, o.id""",
    "next_week": """
        SELECT t.due, c.name, t.title, t.type, NULL
        FROM task t LEFT JOIN customer c ON c.id = t.customer_id
        WHERE t.due >= :next_monday AND t.due <= :next_sunday
          AND t.status IN ('planned', 'in_progress')
        ORDER BY t.due, t.due_time, t.id""",
}


def week_params(monday: dt.date, today: dt.date | None = None) -> dict[str, str]:
    """The SQL parameters of the week starting ``monday`` (cutoff as the module explains)."""
    sunday = monday + dt.timedelta(days=6)
    next_monday = sunday + dt.timedelta(days=1)
    today = today or dt.date.today()
    cutoff = min(next_monday, today)
    # the week's records up to the as-of day: as of Wednesday, Thursday's call is not in
    # yet (the activity report of the same day agrees)
    until = min(sunday, today)
    return {
        "monday": monday.isoformat(),
        "sunday": sunday.isoformat(),
        "until": until.isoformat(),
        "start": day_start(monday),
        "end": day_after(until),
        "cutoff": cutoff.isoformat(),
        # done after this, a task was still in the backlog at the cutoff: for a week not
        # over yet that is never (the backlog is now: a task done this morning left it)
        "done_after": (
            next_monday if cutoff == next_monday else cutoff + dt.timedelta(days=1)
        ).isoformat(),
        "next_monday": (monday + dt.timedelta(days=7)).isoformat(),
        "next_sunday": (sunday + dt.timedelta(days=7)).isoformat(),
    }


def weekly(
    conn: sqlite3.Connection,
    week: str | dt.date,
    today: dt.date | None = None,
    probabilities: Mapping[str, int] | None = None,
) -> Report:
    """The weekly report of ``week`` (``YYYY-Www``, or any date inside the week).

    ``probabilities``: the stages' default probabilities (config.toml's), for the deals
    that have moved since the week.
    """
    if isinstance(week, str):
        monday, _sunday = parse_iso_week(week)
    else:
        monday = week - dt.timedelta(days=week.weekday())
    p = week_params(monday, today)
    metrics: dict[str, int] = {}
    for key, sql in _COUNT.items():
        metrics[key] = conn.execute(sql, p).fetchone()[0]
    metrics["tasks_overdue"] = conn.execute(f"SELECT count(*) FROM {_OVERDUE_FROM}", p).fetchone()[
        0
    ]
    won_n, won_amount = conn.execute(
        _CLOSED_SQL.format(stages="'won', 'after_sales'"), p
    ).fetchone()
    lost_n, _lost_amount = conn.execute(_CLOSED_SQL.format(stages="'lost'"), p).fetchone()
    metrics.update(opportunities_won=won_n, won_amount=won_amount, opportunities_lost=lost_n)
    # (As of today the covering index (stage, amount, probability) serves.)
    pipeline_sql = PIPELINE_SQL.format(deals=open_deals_then(conn, p["end"], probabilities))
    metrics["pipeline_weighted"] = round_cents(conn.execute(pipeline_sql, p).fetchone()[0])

    summary: list[dict] = []
    for key in METRICS:
        row = _row("summary", None, None, key, None, metrics[key])
        if key not in _MONEY_METRICS:
            row["_kinds"] = {"amount": "int"}
        summary.append(row)
    # The records stay the tuples SQL gave (a busy week holds a hundred thousand): the
    # CSV is written from them directly, the row dicts are made only when read.
    records = [(s, fetch_tuples(conn, _SECTION_SQL[s], p)) for s in SECTIONS[1:]]
    size = len(summary) + sum(len(found) for _s, found in records)
    days: dict[str, dt.date] = {}

    def date_of(day: str | None) -> dt.date | None:
        date = days.get(day)  # type: ignore[arg-type]
        if date is None and day is not None:
            date = days[day] = as_date(day)  # a few distinct days: parse each once
        return date

    def build_rows() -> list[dict]:
        rows = list(summary)
        for section, found in records:
            rows += [
                _row(section, date_of(day), customer, item, detail, amount)
                for day, customer, item, detail, amount in found
            ]
        return rows

    starts = list(accumulate((len(found) for _s, found in records), initial=len(summary)))

    def row_at(i: int) -> dict:
        """Row ``i`` alone (the screen shows the first records of a busy week)."""
        if i < len(summary):
            return dict(summary[i])
        k = bisect_right(starts, i) - 1
        section, found = records[k]
        day, customer, item, detail, amount = found[i - starts[k]]
        return _row(section, date_of(day), customer, item, detail, amount)

    def csv_cells() -> Iterator[list[str]]:
        # the text output.format_csv_rows makes of the row dicts (the tests hold them equal)
        money = amount_texts(metrics[k] for k in _MONEY_METRICS)
        for row in summary:
            amount = row["amount"]
            text = money[amount] if row["item"] in _MONEY_METRICS else str(amount)
            yield ["summary", "", "", row["item"], "", text]
        for section, found in records:
            money = {None: "", **amount_texts(r[4] for r in found if r[4] is not None)}
            dates: dict[str | None, str] = {None: ""}
            for day in {r[0] for r in found} - {None}:
                dates[day] = as_date(day).isoformat()
            for day, customer, item, detail, amount in found:
                yield [
                    section,
                    dates[day],
                    customer or "",
                    item or "",
                    detail or "",
                    money[amount],
                ]

    return Report(
        "weekly",
        COLUMNS,
        LazyRows(size, build_rows, row_at),
        params={
            "week": iso_week(monday),
            "from": p["monday"],
            "to": p["sunday"],
            # a week not over on the as-of day: its records and counts stop there
            **({"through": p["until"]} if p["until"] < p["sunday"] else {}),
        },
        extras={
            key: ("money" if key in _MONEY_METRICS else "int", metrics[key]) for key in METRICS
        },
        csv_cells=csv_cells,
    )


def _row(section, day, customer, item, detail, amount) -> dict:
    return {
        "section": section,
        "date": day,
        "customer": customer or "",
        "item": item or "",
        "detail": detail or "",
        "amount": amount,
    }

"""Standard-library queries of the follow-up loop: due groups, badge count, review queue, neglected accounts.

Imports no ORM so that `crm due`, the header badge and the first paint of the
due-list stay fast. Every function takes a DB-API connection (``sqlite3`` or the
raw connection under an ORM session) and the as-of ``today`` explicitly, so a
frozen clock in tests (or another time zone's "today") decides the boundaries.

Grouping is by calendar date only: a task due today at 23:59 is *today*, never
*overdue*, and one due yesterday at 23:59 is overdue by one day.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from crm_tui.store.sqlite import escape_like

#: Must match the partial index ``ix_task_open_due`` word for word so SQLite uses it.
OPEN = "status IN ('planned', 'in_progress')"
GROUPS = ("overdue", "today", "next7", "later")
#: Customer level weights used by the review priority (higher first).
LEVEL_RANK = {"A": 4, "B": 3, "C": 2, "D": 1}

_TASK_COLUMNS = """
  t.id, t.title, t.type, t.status, t.due, t.due_time, t.customer_id, t.contact_id,
  t.opportunity_id, t.goal, t.notes, t.result, t.completed_at, t.version,
  c.name AS customer, c.code AS customer_code, c.level AS level,
  o.name AS opportunity
"""
_TASK_JOINS = """
FROM task t {indexed}
LEFT JOIN customer c ON c.id = t.customer_id
LEFT JOIN opportunity o ON o.id = t.opportunity_id
"""


def rows(cursor) -> list[dict[str, Any]]:
    """A cursor's rows as dicts, whatever the connection's row factory."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _iso(day: dt.date) -> str:
    return day.isoformat()


def group_of(due: dt.date | str, today: dt.date) -> str:
    """The due-list group of one due date."""
    day = dt.date.fromisoformat(due) if isinstance(due, str) else due
    if day < today:
        return "overdue"
    if day == today:
        return "today"
    if day <= today + dt.timedelta(days=7):
        return "next7"
    return "later"


def _bounds(group: str, today: dt.date) -> tuple[str, tuple[str, ...], str]:
    """WHERE fragment, its parameters and the ORDER BY of one group."""
    t, week = _iso(today), _iso(today + dt.timedelta(days=7))
    order = "t.due, t.due_time, t.id"
    if group == "overdue":
        return "t.due < ?", (t,), order
    if group == "today":
        return "t.due = ?", (t,), order
    if group == "next7":
        return "t.due > ? AND t.due <= ?", (t, week), order
    if group == "later":
        return "t.due > ?", (week,), order
    raise ValueError(group)


#: Forces the partial index: on a small or unanalysed table SQLite would pick ``ix_task_status_due``.
BY_OPEN_DUE = "INDEXED BY ix_task_open_due"
BADGE_SQL = f"SELECT count(*) FROM task {BY_OPEN_DUE} WHERE {OPEN} AND due <= ?"


def _joins(open_only: bool = True) -> str:
    return _TASK_JOINS.format(indexed=BY_OPEN_DUE if open_only else "")


def due_badge_count(conn, today: dt.date) -> int:
    """Open tasks overdue or due today (the header badge); a range scan of ``ix_task_open_due``."""
    return conn.execute(BADGE_SQL, (_iso(today),)).fetchone()[0]


@dataclass(frozen=True)
class TaskMatch:
    """The due list's search (`/`): every word in a task's title or its customer's name.

    The customers each word names are looked up once (task_match), not in every
    statement of the list: its counts and each group's page ask the same question.
    """

    words: tuple[tuple[str, str], ...] = ()  # (LIKE pattern, JSON list of customer ids)

    def sql(self, alias: str = "t.") -> tuple[str, tuple[str, ...]]:
        """An AND fragment and its parameters ("" and () without words)."""
        fragment = (
            f" AND ({alias}title LIKE ? ESCAPE '\\'"
            f" OR {alias}customer_id IN (SELECT value FROM json_each(?)))"
        )
        return fragment * len(self.words), tuple(p for pair in self.words for p in pair)


def task_match(conn, search: str) -> TaskMatch:
    words = []
    for word in search.split():
        like = "%" + escape_like(word) + "%"
        ids = [cid for (cid,) in conn.execute(
            "SELECT id FROM customer WHERE name LIKE ? ESCAPE '\\'", (like,)
        )]  # fmt: skip
        words.append((like, json.dumps(ids)))
    return TaskMatch(tuple(words))


NO_MATCH = TaskMatch()


def due_counts(conn, today: dt.date, match: TaskMatch = NO_MATCH) -> dict[str, int]:
    """Number of open tasks in each group (overdue, today, next7, later), of those
    ``match`` finds."""
    t, week = _iso(today), _iso(today + dt.timedelta(days=7))
    match, words = match.sql("")
    row = conn.execute(
        f"""SELECT coalesce(sum(due < ?), 0), coalesce(sum(due = ?), 0),
                   coalesce(sum(due > ? AND due <= ?), 0), coalesce(sum(due > ?), 0)
            FROM task {BY_OPEN_DUE} WHERE {OPEN}{match}""",
        (t, t, t, week, week, *words),
    ).fetchone()
    return dict(zip(GROUPS, (int(x) for x in row), strict=True))


def _decorate(items: list[dict[str, Any]], today: dt.date) -> list[dict[str, Any]]:
    """Add ``group`` and ``days_overdue``; computed once per distinct due date (lists share many)."""
    per_day: dict[str, tuple[str, int]] = {}
    for item in items:
        due = item["due"]
        found = per_day.get(due)
        if found is None:
            day = dt.date.fromisoformat(due)
            found = per_day[due] = (group_of(day, today), max(0, (today - day).days))
        item["group"], item["days_overdue"] = found
    return items


def due_group(
    conn, group: str, today: dt.date, *, limit: int = 200, offset: int = 0,
    match: TaskMatch = NO_MATCH,
) -> list[dict[str, Any]]:  # fmt: skip
    """One group's open tasks, earliest due first (so overdue is oldest first), with names."""
    where, params, order = _bounds(group, today)
    match, words = match.sql()
    cur = conn.execute(
        f"SELECT {_TASK_COLUMNS} {_joins()} WHERE t.{OPEN} AND {where}{match} "
        f"ORDER BY {order} LIMIT ? OFFSET ?",
        (*params, *words, limit, offset),
    )
    return _decorate(rows(cur), today)


#: What `crm due` prints (table, CSV or JSON): no notes or goals, so fewer pages are read.
_DUE_LIST_COLUMNS = """
  t.id, t.title, t.type, t.status, t.due, t.due_time, t.customer_id,
  c.name AS customer, c.code AS customer_code, o.name AS opportunity
"""


def due_list(conn, today: dt.date, days: int = 0, *, limit: int = -1) -> list[dict[str, Any]]:
    """Open tasks overdue or due within ``days`` days of ``today`` (`crm due`), earliest first.

    Every such task by default (``limit`` -1): scripts rely on the whole list.
    """
    until = today + dt.timedelta(days=max(0, days))
    cur = conn.execute(
        f"SELECT {_DUE_LIST_COLUMNS} {_joins()} WHERE t.{OPEN} AND t.due <= ? "
        "ORDER BY t.due, t.due_time, t.id LIMIT ?",
        (_iso(until), limit),
    )
    return _decorate(rows(cur), today)


def due_table_rows(conn, today: dt.date, days: int = 0) -> list[tuple[str, int, str, str, str]]:
    """`crm due`'s table rows: (due date [time], days late, title, type, customer name).

    The same tasks and order as :func:`due_list`, as plain tuples with the date
    text and the lateness computed by SQLite: the table prints every due task
    (thousands at 100,000 customers), so per-row Python work is kept to padding.
    Days late is negative for tasks due after ``today``.
    """
    until = today + dt.timedelta(days=max(0, days))
    cur = conn.cursor()
    cur.row_factory = None
    return cur.execute(
        "SELECT CASE WHEN t.due_time <> '' THEN t.due || ' ' || t.due_time ELSE t.due END, "
        "CAST(julianday(?) - julianday(t.due) AS INTEGER), t.title, t.type, "
        f"coalesce(c.name, '') FROM task t {BY_OPEN_DUE} "
        f"LEFT JOIN customer c ON c.id = t.customer_id WHERE t.{OPEN} AND t.due <= ? "
        "ORDER BY t.due, t.due_time, t.id",
        (_iso(today), _iso(until)),
    ).fetchall()


def completed_tasks(
    conn, *, limit: int = 200, offset: int = 0, match: TaskMatch = NO_MATCH
) -> list[dict[str, Any]]:
    """Done or cancelled tasks, most recently completed first (the due-list's toggle)."""
    match, words = match.sql()
    cur = conn.execute(
        f"SELECT {_TASK_COLUMNS} "
        + _TASK_JOINS.format(indexed="INDEXED BY ix_task_closed_completed")
        + f" WHERE t.status IN ('done', 'cancelled'){match} "
        "ORDER BY t.completed_at DESC, t.id DESC LIMIT ? OFFSET ?",
        (*words, limit, offset),
    )
    items = rows(cur)
    for item in items:
        item["group"] = "completed"
        item["days_overdue"] = 0
    return items


def count_completed(conn, match: TaskMatch = NO_MATCH) -> int:
    match, words = match.sql("")
    return conn.execute(
        f"SELECT count(*) FROM task WHERE status IN ('done', 'cancelled'){match}", words
    ).fetchone()[0]


#: The due list's order over the export's alias of task (``t``): open tasks by due day and
#: time (its groups run overdue → later), then the done and cancelled ones, latest first.
EXPORT_ORDER = (
    "t.status IN ('done', 'cancelled'),"
    " CASE WHEN t.status IN ('done', 'cancelled') THEN NULL ELSE t.due END,"
    " CASE WHEN t.status IN ('done', 'cancelled') THEN NULL ELSE t.due_time END,"
    " t.completed_at DESC,"
    " CASE WHEN t.status IN ('done', 'cancelled') THEN -t.id ELSE t.id END"
)


def shown_task_id_query(
    match: TaskMatch = NO_MATCH, *, completed: bool = False
) -> tuple[str, list[Any]] | None:
    """``(sql, params)`` selecting the ids of the tasks the due list shows: every open task
    (all four groups) and, with the completed toggle, the done and cancelled ones, of
    those ``match`` finds (on the indexes of the list's own pages). For
    ``export.export_kind``'s ``only``; None when the list shows every task."""
    if completed and not match.words:
        return None
    fragment, words = match.sql()
    sql = f"SELECT t.id FROM task t {BY_OPEN_DUE} WHERE t.{OPEN}{fragment}"
    params = list(words)
    if completed:
        sql += (
            " UNION ALL SELECT t.id FROM task t INDEXED BY ix_task_closed_completed"
            f" WHERE t.status IN ('done', 'cancelled'){fragment}"
        )
        params += words
    return sql, params


def task_detail(conn, task_id: int) -> dict[str, Any] | None:
    cur = conn.execute(
        f"SELECT {_TASK_COLUMNS}, (SELECT name FROM contact WHERE id = t.contact_id) AS contact"
        f" {_joins(False)} WHERE t.id = ?",
        (task_id,),
    )
    found = rows(cur)
    return found[0] if found else None


# --- daily review -------------------------------------------------------------

#: SQL of the weighted value of a customer's open deals: Σ amount × probability / 100.
_WEIGHTED = """
(SELECT coalesce(sum(o.amount_cents * o.probability), 0) / 100 FROM opportunity o
  WHERE o.customer_id = {cid}
    AND o.stage IN ('initial_contact', 'needs_confirmed', 'proposal', 'negotiation'))
"""

PRIORITY_HELP = (
    "Review order: tasks due today or overdue first, by (1) days overdue, most first; "
    "(2) customer level A > B > C > D > none; (3) weighted value of the customer's open "
    "deals (sum of amount × probability), largest first; then earliest due time. "
    "Then neglected accounts (A/B active customers without an interaction for the "
    "configured number of days), by level, weighted value, and longest silence first."
)


def priority_key(item: dict[str, Any]) -> tuple:
    """Sort key for the review queue (smaller sorts first); see :data:`PRIORITY_HELP`."""
    return (
        -int(item.get("days_overdue") or 0),
        -LEVEL_RANK.get(item.get("level") or "", 0),
        -int(item.get("weighted_cents") or 0),
        item.get("due_time") or "99:99",
        int(item.get("id") or 0),
    )


def neglected_accounts(
    conn, today: dt.date, days: int = 30, *, limit: int = 200
) -> list[dict[str, Any]]:
    """A/B-level active customers with no interaction in ``days`` days (or never), and
    known for at least that long (one added this morning is not neglected yet).

    Ordered A before B, then by weighted open-deal value, then longest silence first.
    """
    cutoff = dt.datetime.combine(today - dt.timedelta(days=days), dt.time()).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    cur = conn.execute(
        f"""SELECT c.id AS customer_id, c.name AS customer, c.code AS customer_code,
                   c.level AS level, c.last_interaction_at, {_WEIGHTED.format(cid="c.id")}
                   AS weighted_cents
            FROM customer c
            WHERE c.level IN ('A', 'B') AND c.status = 'active'
              AND (c.last_interaction_at IS NULL OR c.last_interaction_at < ?)
              AND (c.created_at IS NULL OR c.created_at < ?)  -- a new account is not neglected
            ORDER BY c.level, weighted_cents DESC, c.last_interaction_at IS NOT NULL,
                     c.last_interaction_at, c.id
            LIMIT ?""",
        (cutoff, cutoff, limit),
    )
    items = rows(cur)
    for item in items:
        last = item["last_interaction_at"]
        item["kind"] = "neglected"
        item["silent_days"] = (today - dt.date.fromisoformat(last[:10])).days if last else None
    return items


def review_queue(conn, today: dt.date, neglected_days: int = 30) -> list[dict[str, Any]]:
    """The daily review: overdue and today's tasks by priority, then neglected accounts.

    Every task due today or earlier is in the queue (a review that silently left
    some out would let them rot). Each item has ``kind`` ("task" or "neglected"),
    ``customer_id`` and the fields of :func:`due_group` or :func:`neglected_accounts`.
    A neglected customer who already has a task in the queue is not listed twice.
    """
    cur = conn.execute(
        f"""SELECT {_TASK_COLUMNS}, {_WEIGHTED.format(cid="t.customer_id")} AS weighted_cents
            {_joins()} WHERE t.{OPEN} AND t.due <= ?""",
        (_iso(today),),
    )
    tasks = _decorate(rows(cur), today)
    for item in tasks:
        item["kind"] = "task"
    tasks.sort(key=priority_key)
    seen = {t["customer_id"] for t in tasks}
    neglected = [
        n for n in neglected_accounts(conn, today, neglected_days) if n["customer_id"] not in seen
    ]
    return tasks + neglected


def customer_context(conn, customer_id: int) -> dict[str, Any] | None:
    """What the review card shows: level, open deals, last three interactions, contacts."""
    found = rows(
        conn.execute(
            "SELECT id, name, code, level, status, last_interaction_at FROM customer WHERE id = ?",
            (customer_id,),
        )
    )
    if not found:
        return None
    ctx = found[0]
    ctx["deals"] = rows(
        conn.execute(
            """SELECT id, name, stage, amount_cents, probability, expected_close FROM opportunity
               WHERE customer_id = ?
                 AND stage IN ('initial_contact', 'needs_confirmed', 'proposal', 'negotiation')
               ORDER BY amount_cents * probability DESC, id LIMIT 10""",
            (customer_id,),
        )
    )
    ctx["interactions"] = rows(
        conn.execute(
            """SELECT id, occurred_at, channel, subject, attitude FROM interaction
               WHERE customer_id = ? ORDER BY occurred_at DESC, id DESC LIMIT 3""",
            (customer_id,),
        )
    )
    ctx["contacts"] = rows(
        conn.execute(
            """SELECT id, name, title, mobile, phone, email FROM contact
               WHERE customer_id = ? ORDER BY id LIMIT 10""",
            (customer_id,),
        )
    )
    ctx["weighted_cents"] = conn.execute(
        f"SELECT {_WEIGHTED.format(cid='?')}", (customer_id,)
    ).fetchone()[0]
    return ctx

"""Consistency checks beyond SQLite's own: values the app's rules forbid, stale derived
columns, the search index and the file's mode (`crm check`), and the repair of what the
app can recompute itself (`crm check --repair`).

Every check aggregates in SQLite and nothing loads a table into Python: one scan per
table evaluates all of its checks on each row and aggregates only the rows failing one
(how many per check, and the lowest key as the example, whose value is then read by that
key). At 100,000 customers and 1,000,000 interactions that is a few million cheap
expressions; two threads share the scans. Standard library only (no ORM), like the rest
of the headless paths.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from crm_tui.i18n import _
from crm_tui.store import enums
from crm_tui.store import sqlite as sq

# --- what is checked ------------------------------------------------------------

#: Enumerated columns: (table, column, vocabulary, may be NULL).
ENUM_COLUMNS: tuple[tuple[str, str, enums.Vocabulary, bool], ...] = (
    ("customer", "kind", enums.CUSTOMER_KIND, False),
    ("customer", "industry", enums.INDUSTRY, True),
    ("customer", "size", enums.SIZE, True),
    ("customer", "source", enums.SOURCE, True),
    ("customer", "level", enums.LEVEL, True),
    ("customer", "status", enums.STATUS, False),
    ("contact", "role", enums.CONTACT_ROLE, True),
    ("contact", "gender", enums.GENDER, True),
    ("contact", "preferred_channel", enums.PREFERRED_CHANNEL, True),
    ("contact", "relationship", enums.RELATIONSHIP, True),
    ("opportunity", "stage", enums.STAGE, False),
    ("stage_change", "from_stage", enums.STAGE, True),
    ("stage_change", "to_stage", enums.STAGE, False),
    ("interaction", "channel", enums.CHANNEL, False),
    ("interaction", "attitude", enums.ATTITUDE, True),
    ("task", "type", enums.TASK_TYPE, False),
    ("task", "status", enums.TASK_STATUS, False),
)

#: Date columns ('YYYY-MM-DD'): (table, column).
DATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("customer", "first_contact"),
    ("customer", "purchase_date"),
    ("customer", "last_order"),
    ("contact", "birthday"),
    ("opportunity", "expected_close"),
    ("opportunity", "next_action_due"),
    ("opportunity", "actual_close"),
    ("interaction", "next_step_due"),
    ("task", "due"),
    ("sales_order", "order_date"),
    ("payment", "paid_on"),
)

#: Date-time columns ('YYYY-MM-DD HH:MM:SS', models.TimeStamp): (table, column).
DATETIME_COLUMNS: tuple[tuple[str, str], ...] = (
    ("customer", "last_interaction_at"),
    ("customer", "created_at"),
    ("customer", "updated_at"),
    ("contact", "created_at"),
    ("contact", "updated_at"),
    ("opportunity", "stage_entered_at"),
    ("opportunity", "last_interaction_at"),
    ("opportunity", "created_at"),
    ("opportunity", "updated_at"),
    ("stage_change", "changed_at"),
    ("interaction", "occurred_at"),
    ("interaction", "created_at"),
    ("interaction", "updated_at"),
    ("task", "planned_start"),
    ("task", "planned_end"),
    ("task", "completed_at"),
    ("task", "created_at"),
    ("task", "updated_at"),
    ("sales_order", "created_at"),
)

#: (table, date-time column) → the column it usually equals ("" for every table).
_SAME_AS = {("", "updated_at"): "created_at", ("interaction", "created_at"): "occurred_at"}

#: Amounts in cents: (table, column, more than zero (else: zero or more)).
AMOUNT_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("customer", "budget_cents", False),
    ("opportunity", "amount_cents", False),
    ("sales_order", "amount_cents", True),
    ("payment", "amount_cents", True),
    ("sales_target", "amount_cents", False),
)

#: Each table's key shown as the example ("id 12"); sales_target is keyed by month.
_KEYS = {"sales_target": "month"}

#: A well-formed value is its own canonical form: SQLite's date functions rewrite any
#: other (no seconds, a "T", a fraction, a time zone; "not-a-date" → NULL; a number is
#: read as a Julian day), so ``fn(x) IS NOT x`` is 1 exactly for a value not in the
#: app's format. That is stricter than a GLOB of digits and cheaper (~0.2 µs a value
#: against ~0.3). Dates (typed, fewer) also pass through '+0 days', which rolls an
#: impossible day over (2025-02-30 → 2025-03-02); for the millions of date-times that
#: would double the cost, so only their form is checked.
_FORMATS = {
    "date": "date({c}, '+0 days') IS NOT {c}",
    "datetime": "datetime({c}) IS NOT {c}",
    "time": "strftime('%H:%M', {c}, '+0 days') IS NOT {c}",
    "month": "strftime('%Y-%m', {c} || '-01', '+0 days') IS NOT {c}",
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _enum_condition(column: str, vocabulary: enums.Vocabulary, nullable: bool) -> str:
    # CASE … WHEN is cheaper per row than NOT IN (a lookup in an ephemeral index).
    whens = " ".join(f"WHEN {_quote(k)} THEN 0" for k in vocabulary.keys)
    otherwise = f"{column} IS NOT NULL" if nullable else "1"
    return f"CASE {column} {whens} ELSE {otherwise} END"


def _format_condition(column: str, kind: str) -> str:
    # An empty optional date is fine, and costs no function call (most are empty).
    return f"{column} IS NOT NULL AND {_FORMATS[kind].format(c=column)}"


def _amount_condition(column: str, positive: bool) -> str:
    bound = "<= 0" if positive else "< 0"
    return (
        f"CASE WHEN {column} IS NULL THEN 0 WHEN typeof({column}) <> 'integer' THEN 1"
        f" ELSE {column} {bound} END"
    )


@dataclass(frozen=True)
class _Check:
    """One kind of problem in one column: ``condition`` is 1 on a bad row, else 0."""

    table: str
    column: str
    kind: str  # enum, date, datetime, time, month, positive, not_negative, probability,
    # before_order
    condition: str


def _checks() -> list[_Check]:
    found = [
        _Check(t, c, "enum", _enum_condition(c, vocabulary, nullable))
        for t, c, vocabulary, nullable in ENUM_COLUMNS
    ]
    found += [_Check(t, c, "date", _format_condition(c, "date")) for t, c in DATE_COLUMNS]
    found += [
        _Check(t, c, "datetime", _format_condition(c, "datetime")) for t, c in DATETIME_COLUMNS
    ]
    # A date-time equal to another of the row's is checked once, as that one: a record
    # never edited has updated_at = created_at, and an interaction logged as it happens
    # was created when it occurred (in the demo, every interaction is both).
    found = [
        replace(c, condition=f"{c.column} IS NOT {same} AND ({c.condition})")
        if (same := _SAME_AS.get((c.table, c.column)) or _SAME_AS.get(("", c.column)))
        else c
        for c in found
    ]
    found.append(_Check("task", "due_time", "time", _format_condition("due_time", "time")))
    found.append(_Check("sales_target", "month", "month", _format_condition("month", "month")))
    found += [
        _Check(t, c, "positive" if positive else "not_negative", _amount_condition(c, positive))
        for t, c, positive in AMOUNT_COLUMNS
    ]
    found.append(
        _Check(
            "opportunity",
            "probability",
            "probability",
            "CASE WHEN typeof(probability) <> 'integer' THEN 1"
            " ELSE probability NOT BETWEEN 0 AND 100 END",
        )
    )
    found.append(
        _Check(
            "payment",
            "paid_on",
            "before_order",
            "coalesce(paid_on < (SELECT o.order_date FROM sales_order o"
            " WHERE o.id = payment.order_id), 0)",
        )
    )
    return found


CHECKS: tuple[_Check, ...] = tuple(_checks())

# --- words -----------------------------------------------------------------------


def _table_line(table: str, detail: str) -> str:
    """``detail`` prefixed with its table (in Chinese, the table's name in words)."""
    templates = {
        "customer": _("customer: {detail}"),
        "contact": _("contact: {detail}"),
        "opportunity": _("opportunity: {detail}"),
        "stage_change": _("stage_change: {detail}"),
        "interaction": _("interaction: {detail}"),
        "task": _("task: {detail}"),
        "sales_order": _("sales_order: {detail}"),
        "payment": _("payment: {detail}"),
        "sales_target": _("sales_target: {detail}"),
        "customer_search": _("customer_search: {detail}"),
    }
    return templates[table].format(detail=detail)


def _field(column: str) -> str:
    """A column as the messages name it: itself in English, its label in Chinese."""
    words = {
        "kind": _("kind"),
        "industry": _("industry"),
        "size": _("size"),
        "source": _("source"),
        "level": _("level"),
        "status": _("status"),
        "role": _("role"),
        "gender": _("gender"),
        "preferred_channel": _("preferred_channel"),
        "relationship": _("relationship"),
        "stage": _("stage"),
        "from_stage": _("from_stage"),
        "to_stage": _("to_stage"),
        "channel": _("channel"),
        "attitude": _("attitude"),
        "type": _("type"),
        "first_contact": _("first_contact"),
        "purchase_date": _("purchase_date"),
        "last_order": _("last_order"),
        "birthday": _("birthday"),
        "expected_close": _("expected_close"),
        "next_action_due": _("next_action_due"),
        "actual_close": _("actual_close"),
        "next_step_due": _("next_step_due"),
        "due": _("due"),
        "order_date": _("order_date"),
        "paid_on": _("paid_on"),
        "last_interaction_at": _("last_interaction_at"),
        "created_at": _("created_at"),
        "updated_at": _("updated_at"),
        "stage_entered_at": _("stage_entered_at"),
        "changed_at": _("changed_at"),
        "occurred_at": _("occurred_at"),
        "planned_start": _("planned_start"),
        "planned_end": _("planned_end"),
        "completed_at": _("completed_at"),
        "due_time": _("due_time"),
        "month": _("month"),
        "budget_cents": _("budget_cents"),
        "amount_cents": _("amount_cents"),
        "total_amount_cents": _("total_amount_cents"),
        "probability": _("probability"),
    }
    return words[column]


def _rows(n: int) -> str:
    return _("1 row") if n == 1 else _("{n} rows").format(n=n)


def _value(value: object) -> str:
    """A stored value as the messages quote it: text in double quotes, numbers bare."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes):
        return "x'" + value.hex() + "'"
    return str(value)


def _example(table: str, key: object) -> str:
    if table in _KEYS:
        return _("{column} {key}").format(column=_field(_KEYS[table]), key=_value(key))
    return _("id {id}").format(id=key)


def _problem_text(check: _Check, n: int, key: object, value: object) -> str:
    templates = {
        "enum": _("{rows} with an unknown {field} ({example}: {value})"),
        "date": _("{rows} whose {field} is not a date YYYY-MM-DD ({example}: {value})"),
        "datetime": _(
            "{rows} whose {field} is not a date and time YYYY-MM-DD HH:MM:SS ({example}: {value})"
        ),
        "time": _("{rows} whose {field} is not a time HH:MM ({example}: {value})"),
        "month": _("{rows} whose {field} is not a month YYYY-MM ({example}: {value})"),
        "positive": _("{rows} whose {field} is not above zero ({example}: {value})"),
        "not_negative": _("{rows} whose {field} is negative ({example}: {value})"),
        "probability": _("{rows} whose {field} is outside 0–100 ({example}: {value})"),
        "before_order": _(
            "{rows} whose {field} is before the date of its order ({example}: {value})"
        ),
    }
    if _KEYS.get(check.table) == check.column:  # the key itself is wrong: say it once
        example = _field(check.column)
    else:
        example = _example(check.table, key)
    detail = templates[check.kind].format(
        rows=_rows(n), field=_field(check.column), example=example, value=_value(value)
    )
    return _table_line(check.table, detail)


# --- the checks ----------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One kind of problem found: its line, whether :func:`repair` mends it, and whether
    that takes rebuilding the search index."""

    message: str
    repairable: bool = False
    search: bool = False

    def __str__(self) -> str:
        return self.message


def _scan(conn: sqlite3.Connection, table: str, part: int, parts: int) -> list[list]:
    """[rows, first key] of each of ``table``'s checks, over one of ``parts`` ranges of
    its ids (all of it when ``parts`` is 1), in one scan.

    Only the rows failing some check are aggregated (WHERE … OR …): on a healthy table
    each row costs its conditions and nothing more.
    """
    checks = [c for c in CHECKS if c.table == table]
    key = _KEYS.get(table, "id")
    columns = ", ".join(f"sum({c.condition}), min(iif({c.condition}, {key}, NULL))" for c in checks)
    where = " OR ".join(f"({c.condition})" for c in checks)
    params: tuple = ()
    if parts > 1:
        low, high = conn.execute(f"SELECT min(id), max(id) FROM {table}").fetchone()
        if low is None:
            return [[0, None] for _c in checks]
        step = (high - low) // parts + 1
        where = f"id >= ? AND id < ? AND ({where})"
        params = (low + part * step, low + (part + 1) * step)
    found = conn.execute(f"SELECT {columns} FROM {table} WHERE {where}", params).fetchone()
    return [[found[2 * i] or 0, found[2 * i + 1]] for i in range(len(checks))]


def _table_problems(conn: sqlite3.Connection, table: str, counts: list[list]) -> list[Problem]:
    """The lines for one table's checks from their [rows, first key]; each example's
    value is read by its key."""
    checks = [c for c in CHECKS if c.table == table]
    key = _KEYS.get(table, "id")
    problems: list[Problem] = []
    for check, (n, first) in zip(checks, counts, strict=True):
        if not n:
            continue
        row = conn.execute(f"SELECT {check.column} FROM {table} WHERE {key} = ?", (first,))
        value = (row.fetchone() or (None,))[0]  # (None: deleted since, by the app)
        text = _problem_text(check, n, first, value)
        if check.kind == "before_order":
            text += _order_of_payment(conn, first)
        problems.append(Problem(text))
    return problems


def _order_of_payment(conn: sqlite3.Connection, payment_id: int) -> str:
    """Where the app shows the payment (it has no id there): its order and customer,
    and what mends it."""
    found = conn.execute(
        "SELECT coalesce(o.order_no, o.product, ''), o.order_date, c.code, c.name"
        " FROM payment p JOIN sales_order o ON o.id = p.order_id"
        " JOIN customer c ON c.id = o.customer_id WHERE p.id = ?",
        (payment_id,),
    ).fetchone()
    if found is None:
        return ""
    order, day, code, name = found
    return _(
        "; it pays the order {order} of {date} of {code} {name}: in the app delete the"
        " payment (its customer's timeline) and record it again"
    ).format(order=order or "—", date=day, code=code, name=name)


#: A customer's total and last order as its orders say (orders.refresh_customer_totals);
#: each a range of the covering index ix_order_customer_date_amount.
_ORDERS_TOTAL = sq.ORDERS_TOTAL_SQL.format(customer="c")
_ORDERS_LAST = sq.LAST_ORDER_SQL.format(customer="c")


def _stale_totals(conn: sqlite3.Connection) -> list[Problem]:
    """Customers whose total amount or last order is not what their orders say."""
    total_bad = f"c.total_amount_cents IS NOT {_ORDERS_TOTAL}"
    last_bad = f"c.last_order IS NOT {_ORDERS_LAST}"
    found = conn.execute(
        f"SELECT sum({total_bad}), min(iif({total_bad}, c.id, NULL)),"
        f" sum({last_bad}), min(iif({last_bad}, c.id, NULL))"
        f" FROM customer c WHERE {total_bad} OR {last_bad}"
    ).fetchone()
    problems = []
    for n, first, column, derived, template in (
        (
            found[0],
            found[1],
            "c.total_amount_cents",
            _ORDERS_TOTAL,
            _("{rows} whose total_amount_cents is not the sum of the customer's orders"
              " ({example}: {value}, orders {derived})"),
        ),
        (
            found[2],
            found[3],
            "c.last_order",
            _ORDERS_LAST,
            _("{rows} whose last_order is not the date of the customer's latest order"
              " ({example}: {value}, latest order {derived})"),
        ),
    ):  # fmt: skip
        if not n:
            continue
        row = conn.execute(f"SELECT {column}, {derived} FROM customer c WHERE c.id = ?", (first,))
        value, should = row.fetchone() or (None, None)  # (None: deleted since, by the app)
        detail = template.format(
            rows=_rows(n), example=_example("customer", first), value=_value(value),
            derived=_value(should),
        )  # fmt: skip
        problems.append(Problem(_table_line("customer", detail), repairable=True))
    return problems


def _search_problems(conn: sqlite3.Connection) -> list[Problem]:
    """Customers without their row in customer_search (rowid = customer id), and rows of
    customers that do not exist. Only rowids are read: the FTS5 table's full scan and
    rowid lookups, never its text."""
    extra, first_extra = conn.execute(
        "SELECT count(*), min(rowid) FROM customer_search"
        " WHERE rowid NOT IN (SELECT id FROM customer)"
    ).fetchone()
    (rows,) = conn.execute("SELECT count(*) FROM customer_search").fetchone()
    (customers,) = conn.execute("SELECT count(*) FROM customer").fetchone()
    missing = customers - (rows - extra)
    problems = []
    if missing:
        (first_missing,) = conn.execute(
            "SELECT id FROM customer c WHERE NOT EXISTS"
            " (SELECT 1 FROM customer_search s WHERE s.rowid = c.id) ORDER BY id LIMIT 1"
        ).fetchone()
        customers = _("1 customer") if missing == 1 else _("{n} customers").format(n=missing)
        detail = _("no row for {customers} ({example})").format(
            customers=customers, example=_example("customer", first_missing)
        )
        problems.append(Problem(_table_line("customer_search", detail), True, search=True))
    if extra:
        detail = _("{rows} for customers that do not exist (rowid {rowid})").format(
            rows=_rows(extra), rowid=first_extra
        )
        problems.append(Problem(_table_line("customer_search", detail), True, search=True))
    return problems


#: Tables whose scan is split by id range between the workers (the dearest by far).
_PARTS = {"interaction": 2}


def _tasks() -> list[tuple[str, str, int, int]]:
    """(what, table, part, parts), dearest first (as measured at 100,000 customers and
    1,000,000 interactions) so that the workers finish at about the same time."""
    dearest = (
        "interaction", "opportunity", "stage_change", "contact", "sales_order", "customer",
        "task", "payment", "sales_target",
    )  # fmt: skip
    tasks = [
        ("table", table, part, _PARTS.get(table, 1))
        for table in dearest
        for part in range(_PARTS.get(table, 1))
    ]
    tasks.insert(5, ("totals", "customer", 0, 1))
    tasks.insert(-1, ("search", "customer_search", 0, 1))
    return tasks


def _database_file(conn: sqlite3.Connection) -> str:
    """The file of ``conn``'s main database ("" for an in-memory or temporary one)."""
    for _seq, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return file or ""
    return ""


def _run_all(conn: sqlite3.Connection, tasks: list, run, workers: int) -> list:
    """``run(connection, task)`` for every task, results in the tasks' order.

    The checks are independent scans, each CPU-bound in SQLite, which releases the GIL
    while it steps: with ``workers`` > 1, read-only (query_only) connections to the same
    file take tasks from the same list in other threads.
    """
    results: list = [None] * len(tasks)
    pending = list(range(len(tasks)))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(connection: sqlite3.Connection) -> None:
        while not errors:
            with lock:
                if not pending:
                    return
                index = pending.pop(0)
            try:
                results[index] = run(connection, tasks[index])
            except BaseException as exc:  # re-raised in the caller's thread
                errors.append(exc)

    def helper(path: str) -> None:
        try:
            other = sqlite3.connect(path, check_same_thread=False)
            other.execute(f"PRAGMA busy_timeout = {sq.BUSY_TIMEOUT_MS}")
            other.execute("PRAGMA query_only = 1")
        except sqlite3.Error:
            return  # the other threads do it all
        try:
            work(other)
        finally:
            other.close()

    path = _database_file(conn)
    helpers = []
    if path:
        count = min(workers, os.cpu_count() or 1) - 1
        helpers = [threading.Thread(target=helper, args=(path,), daemon=True) for _ in range(count)]
    for thread in helpers:
        thread.start()
    work(conn)
    for thread in helpers:
        thread.join()
    if errors:
        raise errors[0]
    return results


def _run(conn: sqlite3.Connection, task: tuple[str, str, int, int]):
    what, table, part, parts = task
    if what == "totals":
        return _stale_totals(conn)
    if what == "search":
        return _search_problems(conn)
    return _scan(conn, table, part, parts)


def consistency_findings(conn: sqlite3.Connection, *, workers: int = 2) -> list[Problem]:
    """Everything :func:`consistency_problems` finds, each marked repairable or not
    (``workers``: threads scanning at once, see _run_all)."""
    tasks = _tasks()
    results = _run_all(conn, tasks, _run, workers)
    counts: dict[str, list[list]] = {}
    found: dict[str, list[Problem]] = {}
    for (what, table, _part, _parts), result in zip(tasks, results, strict=True):
        if what != "table":
            found[what] = result
        elif table not in counts:
            counts[table] = result
        else:  # another part of the same table: add up, keep the lowest example
            for merged, (n, first) in zip(counts[table], result, strict=True):
                merged[0] += n
                if first is not None and (merged[1] is None or first < merged[1]):
                    merged[1] = first
    problems: list[Problem] = []
    for table in dict.fromkeys(c.table for c in CHECKS):  # the tables in CHECKS' order
        problems += _table_problems(conn, table, counts[table])
    return problems + found["totals"] + found["search"]


def consistency_problems(conn: sqlite3.Connection) -> list[str]:
    """What the app's rules forbid but SQLite's checks let through, one line per table,
    column and kind of problem (how many rows, the first one's key and value): unknown
    enumerated values, dates and times not in the app's format, amounts below (or, for
    orders and payments, at) zero, probabilities outside 0–100, payments before their
    order, customers' totals and
    last orders that are not what their orders say, and customers missing from (or
    extra in) the search index. Empty when all is well. Run after integrity and foreign
    key checks: a damaged file may not be readable this far."""
    return [p.message for p in consistency_findings(conn)]


def file_mode_problems(path: Path | str) -> list[str]:
    """The database file readable or writable by others than its owner (DOMAIN.md: owner
    only; the app creates it 0600). Empty when private, or where POSIX modes do not apply."""
    if os.name != "posix":
        return []
    path = Path(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o077:
        return []
    if mode & 0o044:
        problem = _(
            "{path} can be read by other users (mode {mode}, should be 0600): customer data"
            " is for its owner only"
        )
    else:
        problem = _(
            "{path} can be changed by other users (mode {mode}, should be 0600): customer"
            " data is for its owner only"
        )
    return [problem.format(path=path, mode=f"{mode:04o}")]


# --- repair ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Repaired:
    customers: int  # customers whose total or last order was recomputed
    search_rebuilt: bool


def repair(conn: sqlite3.Connection, *, search: bool = True) -> Repaired:
    """Recompute every stale customer total and last order from the orders and, when
    ``search``, rebuild the search index from the customers (SEARCH_ROWS_SQL, as the
    migrations do: customer_search holds its own text, so FTS5's 'rebuild' would only
    re-index what it already has). One transaction: all of it or nothing."""
    saved = conn.isolation_level
    conn.isolation_level = None
    try:
        with sq.immediate_transaction(conn):
            customers = conn.execute(
                "UPDATE customer AS c SET"
                f" total_amount_cents = {_ORDERS_TOTAL}, last_order = {_ORDERS_LAST}"
                f" WHERE c.total_amount_cents IS NOT {_ORDERS_TOTAL}"
                f" OR c.last_order IS NOT {_ORDERS_LAST}"
            ).rowcount
            if search:
                sq.rebuild_search_index(conn)
    finally:
        conn.isolation_level = saved
    return Repaired(customers=customers, search_rebuilt=search)

"""CSV export of every kind, in the columns `crm import` reads back (CLI.md), streamed from SQLite.

Column names are the import field names; records that belong to a customer carry its
name in ``customer`` and its code in ``customer_code``. Dates are ``YYYY-MM-DD``,
date-times ``YYYY-MM-DD HH:MM``, amounts plain decimals (``1234.50``), enumerated
values their English keys, tags ``;`` separated. Columns added after CLI.md's lists
come last: a customer's ``created_at``; an interaction's and a task's ``opportunity``
(the deal's name) with ``opportunity_created`` (when that deal was created: a
customer may have several deals of one name); a task's ``contact`` and
``completed_at``. Two choices keep a re-import faithful:
an opportunity's ``probability`` is written only when it was set by hand (otherwise the
stage's default applies again), and the customers file has no ``contact_*`` columns
(contacts have their own file, and importing both would add each contact twice).
Uses only the standard library.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from functools import partial
from itertools import count
from pathlib import Path
from typing import Any

from crm_tui.csvio import private_file, write_csv
from crm_tui.store.validation import format_amount

KINDS = ("customers", "contacts", "opportunities", "interactions", "tasks", "orders")

_TAGS = (
    "(SELECT group_concat(name, ';') FROM (SELECT t.name FROM customer_tag ct "
    "JOIN tag t ON t.id = ct.tag_id WHERE ct.customer_id = c.id ORDER BY t.name))"
)


def _minutes(column: str) -> str:
    """A stored 'YYYY-MM-DD HH:MM:SS' as 'YYYY-MM-DD HH:MM'."""
    return f"substr({column}, 1, 16)"


#: kind → (header, SELECT … FROM … producing the cells in header order (no WHERE, no ORDER
#: BY), the alias of the kind's own table in it, indexes of cents columns)
_QUERIES: dict[str, tuple[tuple[str, ...], str, str, tuple[int, ...]]] = {
    "customers": (
        (
            "code",
            "name",
            "kind",
            "industry",
            "size",
            "registered_address",
            "business_address",
            "region",
            "source",
            "first_contact",
            "level",
            "status",
            "needs",
            "budget",
            "purchase_date",
            "tags",
            "owner",
            "created_at",
        ),
        f"""SELECT c.code, c.name, c.kind, c.industry, c.size, c.registered_address,
                   c.business_address, c.region, c.source, c.first_contact, c.level, c.status,
                   c.needs, c.budget_cents, c.purchase_date, {_TAGS}, c.owner,
                   {_minutes("c.created_at")}
              FROM customer c""",
        "c",
        (13,),
    ),
    "contacts": (
        (
            "customer",
            "customer_code",
            "name",
            "title",
            "department",
            "role",
            "gender",
            "phone",
            "mobile",
            "email",
            "wechat",
            "birthday",
            "preferred_channel",
            "relationship",
            "notes",
            "owner",
        ),
        """SELECT c.name, c.code, p.name, p.title, p.department, p.role, p.gender, p.phone,
                  p.mobile, p.email, p.wechat, p.birthday, p.preferred_channel, p.relationship,
                  p.notes, p.owner
             FROM contact p JOIN customer c ON c.id = p.customer_id""",
        "p",
        (),
    ),
    "opportunities": (
        (
            "customer",
            "customer_code",
            "name",
            "contact",
            "product",
            "amount",
            "expected_close",
            "stage",
            "probability",
            "competitor",
            "strengths",
            "weaknesses",
            "key_success_factors",
            "risks",
            "risk_flag",
            "next_action",
            "next_action_due",
            "actual_close",
            "lost_reason",
            "created",
        ),
        f"""SELECT c.name, c.code, o.name, p.name, o.product, o.amount_cents, o.expected_close,
                   o.stage, CASE WHEN o.probability_overridden THEN o.probability END,
                   o.competitor, o.strengths, o.weaknesses, o.key_success_factors, o.risks,
                   CASE WHEN o.risk_flag THEN 'yes' ELSE 'no' END, o.next_action,
                   o.next_action_due, o.actual_close, o.lost_reason, {_minutes("o.created_at")}
              FROM opportunity o JOIN customer c ON c.id = o.customer_id
              LEFT JOIN contact p ON p.id = o.contact_id""",
        "o",
        (5,),
    ),
    "interactions": (
        (
            "customer",
            "customer_code",
            "when",
            "channel",
            "contact",
            "location",
            "our_people",
            "their_people",
            "subject",
            "content",
            "feedback",
            "attitude",
            "key_facts",
            "next_step",
            "next_step_due",
            "opportunity",
            "opportunity_created",
        ),
        f"""SELECT c.name, c.code, {_minutes("i.occurred_at")}, i.channel, p.name, i.location,
                   i.our_people, i.their_people, i.subject, i.content, i.feedback, i.attitude,
                   i.key_facts, i.next_step, i.next_step_due, o.name, {_minutes("o.created_at")}
              FROM interaction i JOIN customer c ON c.id = i.customer_id
              LEFT JOIN contact p ON p.id = i.contact_id
              LEFT JOIN opportunity o ON o.id = i.opportunity_id""",
        "i",
        (),
    ),
    "tasks": (
        (
            "title",
            "due",
            "due_time",
            "customer",
            "customer_code",
            "type",
            "status",
            "goal",
            "notes",
            "result",
            "contact",
            "opportunity",
            "opportunity_created",
            "completed_at",
        ),
        f"""SELECT t.title, t.due, t.due_time, c.name, c.code, t.type, t.status, t.goal,
                  t.notes, t.result, p.name, o.name, {_minutes("o.created_at")},
                  {_minutes("t.completed_at")}
             FROM task t LEFT JOIN customer c ON c.id = t.customer_id
             LEFT JOIN contact p ON p.id = t.contact_id
             LEFT JOIN opportunity o ON o.id = t.opportunity_id""",
        "t",
        (),
    ),
    "orders": (
        ("customer", "customer_code", "date", "amount", "product", "order_no"),
        """SELECT c.name, c.code, o.order_date, o.amount_cents, o.product, o.order_no
             FROM sales_order o JOIN customer c ON c.id = o.customer_id""",
        "o",
        (3,),
    ),
}


def header(kind: str) -> tuple[str, ...]:
    """The CSV header of one kind (the import field names)."""
    return _QUERIES[kind][0]


#: ``(sql, params)``: a SELECT of the ids of the records to write (one column), such as
#: ``("SELECT c.id FROM customer c WHERE c.level = ?", ["A"])``.
Only = tuple[str, Sequence[Any]]


def _select(kind: str, only: Only | None, order: str | None = None) -> tuple[str, list[Any]]:
    """The statement writing ``kind`` (every record, or those ``only`` selects) by id, or
    in ``order`` (an ORDER BY over the kind's table alias: a list's own order)."""
    _header, select, alias, _money = _QUERIES[kind]
    order = order or f"{alias}.id"
    if only is None:
        return f"{select} ORDER BY {order}", []
    ids, params = only
    return f"{select} WHERE {alias}.id IN ({ids}) ORDER BY {order}", list(params)


def rows(
    conn: sqlite3.Connection, kind: str, only: Only | None = None, order: str | None = None
) -> Iterator[Sequence[Any]]:
    """The cells of every record of ``kind`` (or of those ``only`` selects), formatted for
    CSV, streamed from a cursor."""
    sql, params = _select(kind, only, order)
    money = _QUERIES[kind][3]
    cursor = conn.execute(sql, params)
    cursor.arraysize = 1000
    if not money:
        yield from cursor
        return
    for row in cursor:
        cells = list(row)
        for i in money:
            cells[i] = format_amount(cells[i])
        yield cells


#: Each kind's word for one record ("1 orders" read wrong), translated as the plural is.
_ONE = {
    "customers": "customer", "contacts": "contact", "opportunities": "opportunity",
    "interactions": "interaction", "tasks": "task", "orders": "order",
}  # fmt: skip


def kind_noun(kind: str, count: int) -> str:
    """``kind``'s noun for ``count`` records, translated: "order" for 1, "orders" else."""
    from crm_tui.i18n import _

    return _(_ONE.get(kind, kind) if count == 1 else kind)


#: The table each kind has a record per row of (what a progress line counts against).
_TABLES = {
    "customers": "customer", "contacts": "contact", "opportunities": "opportunity",
    "interactions": "interaction", "tasks": "task", "orders": "sales_order",
}  # fmt: skip
#: Records written between two progress reports.
PROGRESS_EVERY = 10_000


def export_kind(
    conn: sqlite3.Connection, kind: str, out: Any,
    progress: Callable[[int, int], None] | None = None, *, only: Only | None = None,
    order: str | None = None,
) -> int:  # fmt: skip
    """Write one kind as CSV to a path or a UTF-8 text stream; returns the number of records.

    ``only``: ``(sql, params)`` of a SELECT of the ids of the records to write (a list
    screen's search and filters); the file is then what ``crm export KIND`` writes, less
    the other records. ``order``: the list's ORDER BY (over the kind's alias: ``c`` for
    customers, ``i`` for interactions, ``t`` for tasks), so the file reads as the screen
    does; by id otherwise. ``progress(done, total)`` is told every PROGRESS_EVERY records and at the
    end.
    """
    if kind not in _QUERIES:
        raise ValueError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
    saved, conn.row_factory = conn.row_factory, None
    records = rows(conn, kind, only, order)
    try:
        if progress is None:
            return write_csv(records, header(kind), out)
        if only is None:
            (total,) = conn.execute(f"SELECT count(*) FROM {_TABLES[kind]}").fetchone()
        else:
            (total,) = conn.execute(f"SELECT count(*) FROM ({only[0]})", list(only[1])).fetchone()
        return write_csv(_told(records, progress, total), header(kind), out)
    finally:
        records.close()  # release the cursor now, even when the reader went away
        conn.row_factory = saved


def _told(
    records: Iterator[Sequence[Any]], progress: Callable[[int, int], None], total: int
) -> Iterator[Sequence[Any]]:
    done = 0
    for done, record in enumerate(records, 1):
        yield record
        if not done % PROGRESS_EVERY and done < total:
            progress(done, total)
    progress(done, done)  # the end (the count was read a moment before the rows)


def export_all(
    conn: sqlite3.Connection, folder: Path | str,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, int]:  # fmt: skip
    """Write ``<kind>.csv`` for every kind into ``folder`` (created if needed), from one
    snapshot. ``progress(kind, done, total)``: as export_kind's, for each kind in turn.

    All or nothing: the files are written into a hidden folder first (beside a new
    ``folder``, inside an existing one) and put in place only once every kind is
    written, so a failure (a damaged page, a full disk) leaves no half export behind
    and an earlier export in ``folder`` as it was."""
    folder = Path(folder)
    created = _missing_folders(folder.parent)
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = not folder.is_dir()
    staging = _staging_folder(folder.parent if fresh else folder, folder.name)
    try:
        counts = _export_into(conn, staging, progress)
        if fresh:
            staging.rename(folder)
        else:
            for kind in KINDS:
                _put_in_place(staging / f"{kind}.csv", folder / f"{kind}.csv")
            staging.rmdir()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for made in created:  # (deepest first) folders made for it, if still empty
            with suppress(OSError):
                made.rmdir()
        raise
    return counts


def _export_into(
    conn: sqlite3.Connection, folder: Path, progress: Callable[[str, int, int], None] | None
) -> dict[str, int]:
    counts: dict[str, int] = {}
    saved = conn.isolation_level
    conn.isolation_level = None
    conn.execute("BEGIN")  # one read transaction: every file shows the same moment
    try:
        for kind in KINDS:
            told = partial(progress, kind) if progress else None
            counts[kind] = export_kind(conn, kind, folder / f"{kind}.csv", told)
    finally:
        conn.execute("COMMIT")
        conn.isolation_level = saved
    return counts


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and those of its parents that do not exist, deepest first."""
    missing = []
    for path in (folder, *folder.parents):
        if path.exists():
            break
        missing.append(path)
    return missing


def _staging_folder(where: Path, name: str) -> Path:
    """A new hidden folder in ``where`` (made with the mode a plain mkdir gives)."""
    for n in count():
        staging = where / f".{name}.partial-{os.getpid()}-{n}"
        try:
            staging.mkdir()
        except FileExistsError:
            continue
        return staging
    raise AssertionError("unreachable")


def _put_in_place(written: Path, target: Path) -> None:
    """Move a finished file over ``target``; a link or a file with other names (or a
    device) gets the data through private_file instead, as a single export writes it."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        mode = None
    if mode is None or (stat.S_ISREG(mode) and os.stat(target).st_nlink == 1):
        os.replace(written, target)
        return
    with open(written, encoding="utf-8", newline="") as src, private_file(target) as out:
        shutil.copyfileobj(src, out)
    written.unlink()


def default_folder(day: dt.date | None = None) -> Path:
    """``crm-export-YYYYMMDD`` in the current directory."""
    day = day or dt.date.today()
    return Path(f"crm-export-{day:%Y%m%d}")

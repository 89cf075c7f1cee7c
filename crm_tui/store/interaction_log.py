"""Standard-library reads of the interaction log: filtered pages, full-text search, customer timeline.

No ORM here, so the log screen's first page and the customer timeline read fast
through ``Database.reading()``. Search uses the ``interaction_search`` FTS5
trigram table (migration 0004) for words of three or more characters and falls
back to ``LIKE`` for shorter queries (two-character Chinese words).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from crm_tui.store.due import rows
from crm_tui.store.sqlite import search_match_expression, short_words


@dataclass(frozen=True)
class LogFilter:
    """Filters of the interaction log; ``None`` means no restriction."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None  # inclusive
    channel: str | None = None
    customer_id: int | None = None
    attitude: str | None = None
    text: str | None = None

    @property
    def active(self) -> bool:
        return any(
            v not in (None, "")
            for v in (
                self.date_from,
                self.date_to,
                self.channel,
                self.customer_id,
                self.attitude,
                self.text,
            )
        )


_COLUMNS = """
  i.id, i.occurred_at, i.channel, i.subject, i.attitude, i.customer_id, i.contact_id,
  i.opportunity_id, i.task_id, c.name AS customer, ct.name AS contact, o.name AS opportunity
"""
_JOINS = """
FROM interaction i
JOIN customer c ON c.id = i.customer_id
LEFT JOIN contact ct ON ct.id = i.contact_id
LEFT JOIN opportunity o ON o.id = i.opportunity_id
"""


#: The log's order (newest first) over the export's alias of interaction (``i``): the
#: file of ctrl+e lists the interactions as the screen does.
EXPORT_ORDER = "i.occurred_at DESC, i.id DESC"


def _where(f: LogFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if f.date_from:
        clauses.append("i.occurred_at >= ?")
        params.append(f"{f.date_from.isoformat()} 00:00:00")
    if f.date_to:
        clauses.append("i.occurred_at < ?")
        params.append(f"{(f.date_to + dt.timedelta(days=1)).isoformat()} 00:00:00")
    if f.channel:
        clauses.append("i.channel = ?")
        params.append(f.channel)
    if f.customer_id:
        clauses.append("i.customer_id = ?")
        params.append(f.customer_id)
    if f.attitude:
        clauses.append("i.attitude = ?")
        params.append(f.attitude)
    text = (f.text or "").strip()
    if text:
        match = search_match_expression(text)
        if match:
            clauses.append(
                "i.id IN (SELECT rowid FROM interaction_search WHERE interaction_search MATCH ?)"
            )
            params.append(match)
        for word in short_words(text):  # too short for trigrams: each must still occur
            like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            clauses.append(
                "(i.subject LIKE ? ESCAPE '\\' OR i.content LIKE ? ESCAPE '\\' "
                "OR i.feedback LIKE ? ESCAPE '\\')"
            )
            params.extend([like, like, like])
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def interaction_id_query(f: LogFilter) -> tuple[str, list[Any]] | None:
    """``(sql, params)`` selecting the ids of the interactions the log lists under ``f``
    (the same indexes as its pages), for ``export.export_kind``'s ``only``. None when
    nothing narrows the log: it lists every interaction."""
    where, params = _where(f)
    return (f"SELECT i.id FROM interaction i{where}", params) if where else None


def count_interactions(conn, f: LogFilter | None = None) -> int:
    where, params = _where(f or LogFilter())
    return conn.execute(f"SELECT count(*) FROM interaction i {where}", params).fetchone()[0]


def interaction_position(conn, f: LogFilter, interaction_id: int) -> int | None:
    """The row an interaction has in the log under ``f`` (newest first), counted on the
    index, or None when the filter leaves it out (or it is gone)."""
    where, params = _where(f)
    found = conn.execute(
        f"SELECT i.occurred_at FROM interaction i{where}"
        + (" AND" if where else " WHERE")
        + " i.id = ?",
        [*params, interaction_id],
    ).fetchone()
    if found is None:
        return None
    before = "(i.occurred_at > ? OR (i.occurred_at = ? AND i.id > ?))"
    sql = f"SELECT count(*) FROM interaction i{where}" + (" AND " if where else " WHERE ") + before
    return conn.execute(sql, [*params, found[0], found[0], interaction_id]).fetchone()[0]


def list_interactions(
    conn, f: LogFilter | None = None, *, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """One page of the log, newest first."""
    where, params = _where(f or LogFilter())
    # Page the ids on the index first, then join the names for those rows only:
    # otherwise OFFSET would run the joins for every skipped row.
    return rows(
        conn.execute(
            f"""WITH page AS (
                  SELECT i.id, i.occurred_at FROM interaction i {where}
                  ORDER BY i.occurred_at DESC, i.id DESC LIMIT ? OFFSET ?)
                SELECT {_COLUMNS} FROM page
                JOIN interaction i ON i.id = page.id
                JOIN customer c ON c.id = i.customer_id
                LEFT JOIN contact ct ON ct.id = i.contact_id
                LEFT JOIN opportunity o ON o.id = i.opportunity_id
                ORDER BY page.occurred_at DESC, page.id DESC""",
            (*params, limit, offset),
        )
    )


def interaction_detail(conn, interaction_id: int) -> dict[str, Any] | None:
    """Every field of one interaction with the names it points to."""
    found = rows(
        conn.execute(
            "SELECT i.*, c.name AS customer, ct.name AS contact, o.name AS opportunity, "
            "t.title AS task_title, t.due AS task_due, t.status AS task_status "
            f"{_JOINS} LEFT JOIN task t ON t.id = i.task_id WHERE i.id = ?",
            (interaction_id,),
        )
    )
    return found[0] if found else None


def customer_choices(conn, customer_id: int) -> dict[str, Any]:
    """A customer's contacts and opportunities (open first) for the log form's pickers,
    and the contact a new record starts with (``default_contact``)."""
    contacts = rows(
        conn.execute(
            "SELECT id, name, title FROM contact WHERE customer_id = ? ORDER BY id",
            (customer_id,),
        )
    )
    deals = rows(
        conn.execute(
            "SELECT id, name, stage FROM opportunity WHERE customer_id = ? "
            "ORDER BY stage IN ('won', 'after_sales', 'lost'), id DESC",
            (customer_id,),
        )
    )
    primary = conn.execute(
        "SELECT primary_contact_id FROM customer WHERE id = ?", (customer_id,)
    ).fetchone()
    return {
        "contacts": contacts,
        "opportunities": deals,
        "default_contact": default_contact(contacts, primary[0] if primary else None),
    }


def default_contact(contacts: list[Any], primary: int | None) -> int | None:
    """The contact a new interaction, task or deal of a customer is with, until picked:
    its primary contact (★), else its only one; None when that is not known. ``contacts``:
    rows or records with an ``id``."""
    ids = [c["id"] if isinstance(c, dict) else c.id for c in contacts]
    if primary in ids:
        return primary
    return ids[0] if len(ids) == 1 else None


def last_channel(conn) -> str | None:
    """The channel of the most recently logged interaction (the log form's default)."""
    try:
        row = conn.execute("SELECT value FROM app_meta WHERE key = 'last_channel'").fetchone()
    except Exception:  # an older file without app_meta
        return None
    return row[0] if row else None


def remember_channel(conn, channel: str) -> None:
    """Store the channel the log form should offer next time (inside the writing transaction)."""
    conn.execute(
        "INSERT INTO app_meta(key, value) VALUES ('last_channel', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (channel,),
    )


def record_links(conn, *, opportunity_id: int | None = None, task_id: int | None = None) -> dict:
    """Customer, contact, opportunity, title (and task type) a log form starts from for a
    deal or a task."""
    if task_id is not None:
        found = rows(
            conn.execute(
                "SELECT customer_id, contact_id, opportunity_id, title, type AS task_type"
                " FROM task WHERE id = ?",
                (task_id,),
            )
        )
        if found:
            return found[0]
    if opportunity_id is not None:
        found = rows(
            conn.execute(
                "SELECT customer_id, contact_id, id AS opportunity_id FROM opportunity WHERE id = ?",
                (opportunity_id,),
            )
        )
        if found:
            return found[0]
    return {}


def customer_name(conn, customer_id: int) -> str:
    row = conn.execute("SELECT name FROM customer WHERE id = ?", (customer_id,)).fetchone()
    return row[0] if row else ""

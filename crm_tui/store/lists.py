"""Paged list queries for the customers screen and the palette, on the standard library only.

These run on every keystroke and for the first frame, so they avoid the ORM
(its import alone costs longer than a frame) and always go through an index:
the FTS5 trigram index for words of three or more characters, the name index
(ordered by store.name_order's key, holding every name) for shorter ones.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from crm_tui.store.name_order import name_sort_key
from crm_tui.store.sqlite import escape_like, search_match_expression, short_words

SORTS = {
    "name": "c.name_sort, c.id",  # (store.name_order: pinyin among Latin names)
    "last_interaction": "c.last_interaction_at DESC NULLS LAST, c.id",
    "total_amount": "c.total_amount_cents DESC, c.id",
}


@dataclass
class CustomerQuery:
    """A filtered, sorted view of customers that pages itself (a VirtualTable RowSource)."""

    conn: sqlite3.Connection
    search: str = ""
    level: str | None = None
    status: str | None = None
    sort: str = "name"
    #: ids of the customers every short word finds (read once, for the count and each page)
    _short_ids: dict[tuple[str, ...], str] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def _short_word_ids(self, words: list[str]) -> str:
        """The customers whose name, a contact's name or a tag holds every word (JSON list).

        Short words can only be found by scanning names; a scan costs tens of
        milliseconds at 100,000 customers, so it runs once per search, not per page.
        """
        key = tuple(words)
        if key not in self._short_ids:
            found: set[int] | None = None
            for word in words:
                like = "%" + escape_like(word) + "%"
                ids = {
                    cid
                    for (cid,) in self.conn.execute(
                        "SELECT id FROM customer WHERE name LIKE ? ESCAPE '\\' UNION "
                        "SELECT customer_id FROM contact WHERE name LIKE ? ESCAPE '\\' UNION "
                        "SELECT ct.customer_id FROM tag t JOIN customer_tag ct ON ct.tag_id = t.id"
                        " WHERE t.name LIKE ? ESCAPE '\\'",
                        (like, like, like),
                    )
                }
                found = ids if found is None else found & ids
            self._short_ids[key] = json.dumps(sorted(found or ()))
        return self._short_ids[key]

    def _where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        text = self.search.strip()
        if text:
            expr = search_match_expression(text)
            if expr:
                clauses.append(
                    "c.id IN (SELECT rowid FROM customer_search WHERE customer_search MATCH ?)"
                )
                params.append(expr)
            if len(text) == 1:
                # Too short for trigrams: a name prefix or a code prefix (unique index) --
                # SQLite answers the OR with two index searches. The name's is a range of
                # sort keys (a name's key starts with its first letter's: name_order), its
                # LIKE read from the same index (阿里's key starts with "a" too).
                key = name_sort_key(text)
                clauses.append(
                    "((c.name_sort >= ? AND c.name_sort < ? AND c.name LIKE ? ESCAPE '\\')"
                    " OR (c.code >= ? AND c.code < ?))"
                )
                params += [key, key + b"\xff", escape_like(text) + "%", text.upper(),
                           text.upper() + "\uffff"]  # fmt: skip
            else:
                # Words too short for trigrams (a Chinese name such as 华为 or 张伟, a tag
                # such as 重点) must occur in the customer's name, a contact's or a tag.
                short = short_words(text)
                # a short word of letters and digits may also start a code (C2…), found
                # through the code's index (phones and e-mails take three characters)
                coded = [w for w in short if w.isascii() and w.isalnum()]
                plain = [w for w in short if w not in coded]
                if plain:
                    clauses.append("c.id IN (SELECT value FROM json_each(?))")
                    params.append(self._short_word_ids(plain))
                for word in coded:
                    clause = (
                        "c.id IN (SELECT value FROM json_each(?)) OR (c.code >= ? AND c.code < ?)"
                    )
                    params += [self._short_word_ids([word]), word.upper(), word.upper() + "\uffff"]
                    clauses.append(f"({clause})")
        if self.level:
            clauses.append("c.level = ?")
            params.append(self.level)
        if self.status:
            clauses.append("c.status = ?")
            params.append(self.status)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    @property
    def scans_names(self) -> bool:
        """Whether the search has a word too short for the trigram index (华为, li): it is
        found by reading every name (~0.3 s at 100,000 customers), not from an index."""
        text = self.search.strip()
        return len(text) > 1 and bool(short_words(text))

    def count(self) -> int:
        where, params = self._where()
        return self.conn.execute(f"SELECT count(*) FROM customer c{where}", params).fetchone()[0]

    def id_query(self) -> tuple[str, list[Any]] | None:
        """``(sql, params)`` selecting the ids of the customers this view lists (the
        search and filters; the same indexes as its pages), for ``export.export_kind``'s
        ``only``. None when nothing narrows the list: it lists every customer."""
        where, params = self._where()
        return (f"SELECT c.id FROM customer c{where}", params) if where else None

    def order_sql(self) -> str:
        """The list's ORDER BY (over ``c``), for an export that reads as the list does."""
        return SORTS.get(self.sort, SORTS["name"])

    def position(self, customer_id: int) -> int | None:
        """The row a customer has in this view (counted in SQL over the sort's index), or
        None when the search or the filters leave it out."""
        where, params = self._where()
        found = self.conn.execute(
            f"SELECT c.name_sort, c.last_interaction_at, c.total_amount_cents FROM customer c{where}"
            + (" AND" if where else " WHERE")
            + " c.id = ?",
            [*params, customer_id],
        ).fetchone()
        if found is None:
            return None
        name, last, total = found
        if self.sort == "last_interaction" and last is None:  # NULLS LAST, then by id
            before = "(c.last_interaction_at IS NOT NULL OR c.id < ?)"
            args: list[Any] = [customer_id]
        elif self.sort == "last_interaction":
            before = "(c.last_interaction_at > ? OR (c.last_interaction_at = ? AND c.id < ?))"
            args = [last, last, customer_id]
        elif self.sort == "total_amount":
            before = "(c.total_amount_cents > ? OR (c.total_amount_cents = ? AND c.id < ?))"
            args = [total, total, customer_id]
        else:
            before = "(c.name_sort < ? OR (c.name_sort = ? AND c.id < ?))"
            args = [name, name, customer_id]
        sql = f"SELECT count(*) FROM customer c{where}" + (" AND " if where else " WHERE ") + before
        return self.conn.execute(sql, [*params, *args]).fetchone()[0]

    def fetch(self, offset: int, limit: int) -> Sequence[tuple[Any, ...]]:
        """Rows: (id, code, name, level, status, industry, last_interaction_at, total_amount_cents).

        The page's ids first, from the sort's index alone, then their rows: an OFFSET
        that read each skipped customer's row made the end of 100,000 cost ~0.3 s (End,
        PgUp there froze the list); skipping index entries costs a sixth of that."""
        where, params = self._where()
        order = self.order_sql()
        ids = [
            cid
            for (cid,) in self.conn.execute(
                f"SELECT c.id FROM customer c{where} ORDER BY {order} LIMIT ? OFFSET ?",
                [*params, limit, offset],
            )
        ]
        if not ids:
            return []
        rows = {
            r[0]: tuple(r)
            for r in self.conn.execute(
                "SELECT c.id, c.code, c.name, c.level, c.status, c.industry, "
                "substr(c.last_interaction_at, 1, 10), c.total_amount_cents "
                "FROM customer c WHERE c.id IN (SELECT value FROM json_each(?))",
                (json.dumps(ids),),
            )
        }
        return [rows[cid] for cid in ids if cid in rows]


def customer_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM customer").fetchone()[0]


def same_name_customers(conn: sqlite3.Connection, customer_id: int) -> list[tuple[str, str]]:
    """(code, name) of up to three other customers whose name normalises to this one's
    (case, width, punctuation, company suffixes), for a warning right after adding one."""
    return [
        (code, name)
        for code, name in conn.execute(
            "SELECT o.code, o.name FROM customer c JOIN customer o ON o.name_norm = c.name_norm"
            " WHERE c.id = ? AND o.id != c.id AND c.name_norm != '' ORDER BY o.id LIMIT 3",
            (customer_id,),
        )
    ]


def customers_named(conn: sqlite3.Connection, name: str) -> list[tuple[str, str]]:
    """(code, name) of up to three customers whose name normalises to ``name``'s, for the
    question before adding one more (on the name_norm index)."""
    from crm_tui.store.validation import normalise_name

    norm = normalise_name(name or "")
    if not norm:
        return []
    return [
        (code, found)
        for code, found in conn.execute(
            "SELECT code, name FROM customer WHERE name_norm = ? ORDER BY id LIMIT 3", (norm,)
        )
    ]


def search_customers(conn: sqlite3.Connection, text: str, limit: int = 20) -> list[dict[str, Any]]:
    """Customers matching ``text`` for pickers and the palette: id, code, name, level.

    Blank text lists the most recently contacted customers.
    """
    query = CustomerQuery(conn, search=text, sort="name" if text.strip() else "last_interaction")
    return [{"id": r[0], "code": r[1], "name": r[2], "level": r[3]} for r in query.fetch(0, limit)]


#: Everything that happened to one customer, newest first: (kind, id, when, title, detail).
_TIMELINE_SQL = """
SELECT 'interaction' AS kind, id, occurred_at AS at, subject, channel FROM interaction
 WHERE customer_id = :c
UNION ALL
SELECT 'task', id, coalesce(completed_at, due || coalesce(' ' || due_time || ':00', '')),
       title, status FROM task WHERE customer_id = :c
UNION ALL
SELECT 'stage_change', s.id, s.changed_at, o.name, coalesce(s.from_stage, '') || '>' || s.to_stage
  FROM stage_change s JOIN opportunity o ON o.id = s.opportunity_id WHERE o.customer_id = :c
UNION ALL
SELECT 'order', id, order_date, coalesce(order_no, product, ''), amount_cents
  FROM sales_order WHERE customer_id = :c
UNION ALL
SELECT 'payment', p.id, p.paid_on, coalesce(o.order_no, o.product, ''), p.amount_cents
  FROM payment p JOIN sales_order o ON o.id = p.order_id WHERE o.customer_id = :c
"""
#: Newest first; on one day a payment above the order it pays (it came after it), then
#: by kind and id, so a page boundary never shuffles rows.
_TIMELINE_ORDER = "at DESC, kind = 'order', kind, id DESC"


@dataclass
class CustomerTimeline:
    """A customer's interactions, tasks, stage changes, orders and payments, newest first
    (a RowSource).

    Rows: (key, when, kind, title, detail) where key is ``kind:id``; ``detail`` is the
    channel (interaction), status (task), ``from>to`` stages, or the amount in cents (order,
    payment: its title is the order's number or product). ``when`` is a timestamp, or a
    bare ``YYYY-MM-DD`` for what has a day and no time (an order, a payment, an open task
    without a time of day): no made-up midnight. A bare day sorts
    as the start of that day.
    """

    conn: sqlite3.Connection
    customer_id: int

    def count(self) -> int:
        return self.conn.execute(
            f"SELECT count(*) FROM ({_TIMELINE_SQL})", {"c": self.customer_id}
        ).fetchone()[0]

    def fetch(self, offset: int, limit: int) -> Sequence[tuple[Any, ...]]:
        rows = self.conn.execute(
            f"SELECT * FROM ({_TIMELINE_SQL}) ORDER BY {_TIMELINE_ORDER} LIMIT :l OFFSET :o",
            {"c": self.customer_id, "l": limit, "o": offset},
        )
        return [(f"{k}:{i}", when, k, title, detail) for k, i, when, title, detail in rows]

    def position(self, key: str) -> int | None:
        """Where the row of ``key`` (``kind:id``) is now, or None when it is gone."""
        kind, _sep, row_id = key.partition(":")
        row = self.conn.execute(
            f"SELECT n FROM (SELECT kind, id, row_number() OVER (ORDER BY {_TIMELINE_ORDER})"
            f" - 1 AS n FROM ({_TIMELINE_SQL})) WHERE kind = :k AND id = :i",
            {"c": self.customer_id, "k": kind, "i": int(row_id)},
        ).fetchone()
        return row[0] if row else None


def customer_summary(conn: sqlite3.Connection, customer_id: int) -> dict[str, Any] | None:
    """The customer row as a dict, with its tags — for the detail view's fast first paint."""
    row = conn.execute("SELECT * FROM customer WHERE id = ?", (customer_id,)).fetchone()
    if row is None:
        return None
    out = dict(row)
    out["tags"] = [
        r[0]
        for r in conn.execute(
            "SELECT t.name FROM customer_tag ct JOIN tag t ON t.id = ct.tag_id "
            "WHERE ct.customer_id = ? ORDER BY t.name",
            (customer_id,),
        )
    ]
    return out


def customer_contacts(conn: sqlite3.Connection, customer_id: int) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in conn.execute(
            "SELECT * FROM contact WHERE customer_id = ? ORDER BY id", (customer_id,)
        )
    ]


def customer_deals(
    conn: sqlite3.Connection, customer_id: int, limit: int = 200
) -> list[sqlite3.Row]:
    """A customer's opportunities, newest first (id, name, stage, amount_cents,
    expected_close); for a closed deal ``expected_close`` is the day it actually closed,
    as the pipeline's cards show it."""
    return conn.execute(
        "SELECT id, name, stage, amount_cents, CASE WHEN stage IN ('won', 'after_sales', "
        "'lost') THEN coalesce(actual_close, expected_close) ELSE expected_close END "
        "AS expected_close FROM opportunity WHERE customer_id = ? ORDER BY created_at DESC "
        "LIMIT ?",
        (customer_id, limit),
    ).fetchall()


def customer_orders(
    conn: sqlite3.Connection, customer_id: int, limit: int = 200
) -> list[sqlite3.Row]:
    """A customer's orders, newest first: id, order_date, order_no, product, amount_cents,
    paid_cents (the payments against it so far) and version (what an edit names)."""
    return conn.execute(
        f"SELECT {_ORDER_COLUMNS} FROM sales_order o WHERE o.customer_id = ? "
        "ORDER BY o.order_date DESC, o.id DESC LIMIT ?",
        (customer_id, limit),
    ).fetchall()


_ORDER_COLUMNS = (
    "o.id, o.order_date, o.order_no, o.product, o.amount_cents, "
    "(SELECT coalesce(sum(p.amount_cents), 0) FROM payment p WHERE p.order_id = o.id)"
    " AS paid_cents, o.version"
)


def customer_order(conn: sqlite3.Connection, order_id: int) -> sqlite3.Row | None:
    """One order as :func:`customer_orders` lists it, read now (None once deleted): what
    its form or a payment against it opens on, not what the list read before another
    window changed it."""
    return conn.execute(
        f"SELECT {_ORDER_COLUMNS} FROM sales_order o WHERE o.id = ?", (order_id,)
    ).fetchone()


def customer_collection(conn: sqlite3.Connection, customer_id: int) -> tuple[int, int]:
    """(ordered, paid) cents over all of a customer's orders: the collection rate's parts."""
    ordered, paid = conn.execute(
        "SELECT coalesce(sum(o.amount_cents), 0), (SELECT coalesce(sum(p.amount_cents), 0) "
        "FROM payment p JOIN sales_order q ON q.id = p.order_id WHERE q.customer_id = :c) "
        "FROM sales_order o WHERE o.customer_id = :c",
        {"c": customer_id},
    ).fetchone()
    return ordered, paid


def payment_order(conn: sqlite3.Connection, payment_id: int) -> int | None:
    """The order a payment was made against (None once it is gone)."""
    row = conn.execute("SELECT order_id FROM payment WHERE id = ?", (payment_id,)).fetchone()
    return row[0] if row else None


def stage_change_opportunity(conn: sqlite3.Connection, change_id: int) -> int | None:
    """The opportunity a stage change moved (None once it is gone)."""
    row = conn.execute(
        "SELECT opportunity_id FROM stage_change WHERE id = ?", (change_id,)
    ).fetchone()
    return row[0] if row else None

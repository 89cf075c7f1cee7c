"""Duplicate customers: find likely pairs, merge one into the other, undo the last merge.

Functions take a standard-library sqlite3 connection or an ORM session (its raw
connection is used) and do not commit: the caller's unit of work does
(``with db.session() as s: merge_customers(s, keep, drop)``). Each merge is
recorded in ``merge_log`` with everything needed to put the dropped customer back.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from crm_tui.i18n import _
from crm_tui.store import sqlite as sq
from crm_tui.store.fields import CONTACT_FIELDS
from crm_tui.store.import_common import agree, contact_key, contact_tells
from crm_tui.store.name_order import name_sort_key

#: Tables whose rows belong to a customer and move with a merge.
CHILD_TABLES = ("contact", "opportunity", "interaction", "task", "sales_order")
#: Customer fields a merge fills on the kept customer when it has none.
FILLABLE = (
    "kind", "industry", "size", "registered_address", "business_address", "region", "source",
    "first_contact", "level", "needs", "budget_cents", "purchase_date", "owner",
    "primary_contact_id", "decision_maker_id",
)  # fmt: skip
#: Contact fields a merge fills on the kept customer's contact a moved one is the same as.
CONTACT_FILLABLE = tuple(f for f in CONTACT_FIELDS if f != "name")
#: Tables whose rows may name a contact (``contact_id``): they follow a folded contact.
CONTACT_REFERRERS = ("opportunity", "interaction", "task")


class MergeError(Exception):
    """A merge or undo that cannot be done; the message is for the user."""


@dataclass(frozen=True)
class DuplicatePair:
    """Two customers that look like the same one, and why (``name``, ``phone``, ``email``)."""

    first_id: int
    first_code: str
    first_name: str
    second_id: int
    second_code: str
    second_name: str
    reasons: tuple[str, ...]


def _dbapi(conn_or_session: Any):
    if hasattr(conn_or_session, "exec") and hasattr(conn_or_session, "connection"):
        from crm_tui.store.common import raw

        return raw(conn_or_session)
    return conn_or_session


def _point_back(conn, table: str, column: str, now: int, back: int, ids: list[int]) -> None:
    """Undo: the rows ``ids`` of ``table`` whose ``column`` a merge set to ``now`` point
    at ``back`` again (500 at a time: SQLite's limit on parameters)."""
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        conn.execute(
            f"UPDATE {table} SET {column} = ? WHERE {column} = ? AND id IN ({marks})",
            (back, now, *chunk),
        )


def _ids_by_table(conn, tables, column: str, value: int) -> dict[str, list[int]]:
    """{table: ids of its rows whose ``column`` is ``value``}: what a merge moves, kept
    so that undo can move exactly those back."""
    return {
        table: [
            r[0]
            for r in conn.execute(
                f"SELECT id FROM {table} WHERE {column} = ? ORDER BY id", (value,)
            )
        ]
        for table in tables
    }


def _row(conn, sql: str, params: tuple = ()) -> dict[str, Any] | None:
    cur = conn.execute(sql, params)
    row = cur.fetchone()
    if row is None:
        return None
    return {d[0]: row[i] for i, d in enumerate(cur.description)}


def _now() -> str:
    return dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def find_duplicate_pairs(conn_or_session: Any, limit: int = 200) -> list[DuplicatePair]:
    """Pairs of customers with the same normalised name, phone digits or email (indexed joins)."""
    conn = _dbapi(conn_or_session)
    phone_joins = []
    for left, right in (("mobile", "mobile"), ("phone", "phone"), ("mobile", "phone")):
        le, re_ = sq.DIGITS.format(col=f"x.{left}"), sq.DIGITS.format(col=f"y.{right}")
        phone_joins.append(
            "SELECT min(x.customer_id, y.customer_id), max(x.customer_id, y.customer_id), 'phone'"
            f" FROM contact x JOIN contact y ON {re_} = {le} AND y.{right} IS NOT NULL"
            f" AND y.customer_id <> x.customer_id WHERE x.{left} IS NOT NULL AND length({le}) >= 7"
        )
    sql = f"""
    WITH pairs(a, b, reason) AS (
        SELECT x.id, y.id, 'name' FROM customer x
          JOIN customer y ON y.name_norm = x.name_norm AND y.id > x.id
         WHERE x.name_norm <> ''
        UNION
        SELECT min(x.customer_id, y.customer_id), max(x.customer_id, y.customer_id), 'email'
          FROM contact x JOIN contact y ON lower(y.email) = lower(x.email)
           AND y.email IS NOT NULL AND y.customer_id <> x.customer_id
         WHERE x.email IS NOT NULL
        UNION {" UNION ".join(phone_joins)}
    )
    SELECT p.a, ca.code, ca.name, p.b, cb.code, cb.name, group_concat(p.reason, ',')
      FROM pairs p JOIN customer ca ON ca.id = p.a JOIN customer cb ON cb.id = p.b
     GROUP BY p.a, p.b ORDER BY p.a, p.b LIMIT ?
    """
    out = []
    for a, acode, aname, b, bcode, bname, reasons in conn.execute(sql, (limit,)):
        order = {"name": 0, "phone": 1, "email": 2}
        rs = tuple(sorted(set(reasons.split(",")), key=lambda r: order.get(r, 9)))
        out.append(DuplicatePair(a, acode, aname, b, bcode, bname, rs))
    return out


def merge_preview(conn_or_session: Any, keep_id: int, drop_id: int) -> dict[str, int]:
    """How many records of each kind would move from ``drop_id`` to ``keep_id`` (plus tags)."""
    return record_counts(conn_or_session, drop_id)


def same_contacts(conn_or_session: Any, keep_id: int, drop_id: int) -> list[tuple[int, int]]:
    """(contact of ``drop_id``, contact of ``keep_id``) for each contact of the dropped
    customer that is one the kept customer has already, by the import's rule
    (import_common.contact_key / contact_tells: the same name, case and spacing aside,
    and no other mobile or email): a merge folds it into that one instead of moving it."""
    conn = _dbapi(conn_or_session)
    kept: dict[tuple, list[tuple[int, tuple]]] = {}
    for cid, name, mobile, email in conn.execute(
        "SELECT id, name, mobile, email FROM contact WHERE customer_id = ? ORDER BY id",
        (keep_id,),
    ):
        kept.setdefault(contact_key(keep_id, name), []).append((cid, contact_tells(mobile, email)))
    pairs = []
    for cid, name, mobile, email in conn.execute(
        "SELECT id, name, mobile, email FROM contact WHERE customer_id = ? ORDER BY id",
        (drop_id,),
    ):
        tells = contact_tells(mobile, email)
        same = next(
            (k for k, t in kept.get(contact_key(keep_id, name), ()) if agree(tells, t)), None
        )
        if same is not None:
            pairs.append((cid, same))
    return pairs


def _fold_contact(conn, gone_id: int, into_id: int, stamp: str) -> dict[str, Any]:
    """Fold a contact into the one it is: fill that one's empty fields from it, point
    its deals, interactions and tasks at that one, delete it. Returns what undo needs."""
    gone = _row(conn, "SELECT * FROM contact WHERE id = ?", (gone_id,))
    into = _row(conn, "SELECT * FROM contact WHERE id = ?", (into_id,))
    assert gone is not None and into is not None
    filled = {f: gone[f] for f in CONTACT_FILLABLE if into[f] is None and gone[f] not in (None, "")}
    repointed = _ids_by_table(conn, CONTACT_REFERRERS, "contact_id", gone_id)
    for table in CONTACT_REFERRERS:
        conn.execute(f"UPDATE {table} SET contact_id = ? WHERE contact_id = ?", (into_id, gone_id))
    if filled:
        sets = ", ".join(f"{f} = ?" for f in filled)
        conn.execute(
            f"UPDATE contact SET {sets}, updated_at = ?, version = version + 1 WHERE id = ?",
            (*filled.values(), stamp, into_id),
        )
    conn.execute("DELETE FROM contact WHERE id = ?", (gone_id,))
    return {"contact": gone, "into": into_id, "filled": filled, "repointed": repointed}


def _unfold_contact(conn, fold: dict[str, Any], customer_id: int) -> None:
    """Put a folded contact back (under ``customer_id``, the restored customer), with its
    deals, interactions and tasks; clear what it filled on the other one unless changed."""
    values = dict(fold["contact"])
    values["customer_id"] = customer_id
    old_id, into_id = int(values["id"]), int(fold["into"])
    if conn.execute("SELECT 1 FROM contact WHERE id = ?", (old_id,)).fetchone():
        del values["id"]  # the id was reused meanwhile: back under a new one
    cols = list(values)
    cur = conn.execute(
        f"INSERT INTO contact ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [values[c] for c in cols],
    )
    new_id = old_id if "id" in values else int(cur.lastrowid)
    if new_id != old_id:
        for column in ("primary_contact_id", "decision_maker_id"):
            conn.execute(
                f"UPDATE customer SET {column} = ? WHERE id = ? AND {column} = ?",
                (new_id, customer_id, old_id),
            )
    for table, ids in fold["repointed"].items():
        _point_back(conn, table, "contact_id", into_id, new_id, ids)
    if fold["filled"]:
        for field, value in fold["filled"].items():
            conn.execute(
                f"UPDATE contact SET {field} = NULL WHERE id = ? AND {field} IS ?",
                (into_id, value),
            )
        conn.execute(
            "UPDATE contact SET updated_at = ?, version = version + 1 WHERE id = ?",
            (_now(), into_id),
        )


def record_counts(conn_or_session: Any, customer_id: int) -> dict[str, int]:
    """How many records of each kind belong to a customer (contacts, deals, interactions,
    tasks, orders and their payments, tags), each counted over an index."""
    conn = _dbapi(conn_or_session)
    counts = {
        table: conn.execute(
            f"SELECT count(*) FROM {table} WHERE customer_id = ?", (customer_id,)
        ).fetchone()[0]
        for table in CHILD_TABLES
    }
    counts["payment"] = conn.execute(  # (they go with their orders)
        "SELECT count(*) FROM payment p JOIN sales_order o ON o.id = p.order_id"
        " WHERE o.customer_id = ?",
        (customer_id,),
    ).fetchone()[0]
    counts["customer_tag"] = conn.execute(
        "SELECT count(*) FROM customer_tag WHERE customer_id = ?", (customer_id,)
    ).fetchone()[0]
    return counts


def _refresh_derived(conn, customer_ids: list[int]) -> None:
    for cid in customer_ids:
        conn.execute(
            "UPDATE customer SET"
            f" total_amount_cents = {sq.ORDERS_TOTAL_SQL.format(customer='customer')},"
            f" last_order = {sq.LAST_ORDER_SQL.format(customer='customer')},"
            " last_interaction_at = (SELECT max(occurred_at) FROM interaction"
            "  WHERE customer_id = customer.id)"
            " WHERE id = ?",
            (cid,),
        )


def merge_customers(conn_or_session: Any, keep_id: int, drop_id: int) -> int:
    """Move everything of ``drop_id`` to ``keep_id``, fill keep's empty fields, delete drop.

    Contacts, opportunities, interactions, tasks, orders (with their payments) and
    tags move; nothing is lost. A contact the kept customer has already
    (:func:`same_contacts`) is folded into that one instead: its empty fields are
    filled from it and its deals, interactions and tasks point at it. Returns the
    merge's id in ``merge_log`` (for undo).
    """
    conn = _dbapi(conn_or_session)
    if keep_id == drop_id:
        raise MergeError(_("A customer cannot be merged into itself"))
    keep = _row(conn, "SELECT * FROM customer WHERE id = ?", (keep_id,))
    drop = _row(conn, "SELECT * FROM customer WHERE id = ?", (drop_id,))
    if keep is None or drop is None:
        raise MergeError(_("This customer no longer exists"))
    drop.pop("name_sort", None)  # (bytes, not JSON: undo computes it from the name)
    stamp = _now()
    folds = [_fold_contact(conn, g, k, stamp) for g, k in same_contacts(conn, keep_id, drop_id)]
    into = {int(f["contact"]["id"]): int(f["into"]) for f in folds}
    moved = _ids_by_table(conn, CHILD_TABLES, "customer_id", drop_id)
    drop_tags = [
        r[0]
        for r in conn.execute("SELECT tag_id FROM customer_tag WHERE customer_id = ?", (drop_id,))
    ]
    keep_tags = {
        r[0]
        for r in conn.execute("SELECT tag_id FROM customer_tag WHERE customer_id = ?", (keep_id,))
    }
    tags_added = [t for t in drop_tags if t not in keep_tags]
    filled = {f: drop[f] for f in FILLABLE if keep[f] is None and drop[f] is not None}
    for column in ("primary_contact_id", "decision_maker_id"):  # a folded one is the kept one
        if column in filled:
            filled[column] = into.get(filled[column], filled[column])
    for table in CHILD_TABLES:
        conn.execute(
            f"UPDATE {table} SET customer_id = ? WHERE customer_id = ?", (keep_id, drop_id)
        )
    conn.executemany(
        "INSERT OR IGNORE INTO customer_tag (customer_id, tag_id) VALUES (?, ?)",
        [(keep_id, t) for t in tags_added],
    )
    if filled:
        sets = ", ".join(f"{f} = ?" for f in filled)
        conn.execute(f"UPDATE customer SET {sets} WHERE id = ?", (*filled.values(), keep_id))
    conn.execute(
        "UPDATE customer SET updated_at = ?, version = version + 1 WHERE id = ?", (stamp, keep_id)
    )
    conn.execute("DELETE FROM customer WHERE id = ?", (drop_id,))
    conn.execute("DELETE FROM customer_search WHERE rowid = ?", (drop_id,))
    _refresh_derived(conn, [keep_id])
    if folds:
        # a folded decision maker may be kept as a contact of another role
        sq.settle_key_contacts(conn, [keep_id], fill=False)
        now = _row(
            conn,
            "SELECT primary_contact_id, decision_maker_id FROM customer WHERE id = ?",
            (keep_id,),
        )
        for column in ("primary_contact_id", "decision_maker_id"):
            if column in filled:
                if now[column] is None:
                    del filled[column]
                else:
                    filled[column] = now[column]
    sq.reindex_customers(conn, [keep_id])
    data = {
        "dropped": drop,
        "filled": filled,
        "moved": moved,
        "tags": drop_tags,
        "tags_added": tags_added,
        "folded": folds,
    }
    cur = conn.execute(
        "INSERT INTO merge_log (kept_id, dropped_id, merged_at, data) VALUES (?, ?, ?, ?)",
        (keep_id, drop_id, stamp, json.dumps(data, ensure_ascii=False, default=str)),
    )
    return int(cur.lastrowid)


def last_merge(conn_or_session: Any) -> dict[str, Any] | None:
    """The latest merge if it can still be undone: id, kept/dropped ids, names, when."""
    conn = _dbapi(conn_or_session)
    row = _row(
        conn,
        "SELECT id, kept_id, dropped_id, merged_at, data, undone_at FROM merge_log"
        " ORDER BY id DESC LIMIT 1",
    )
    if row is None or row["undone_at"] is not None:
        return None
    data = json.loads(row["data"])
    return {
        "id": row["id"],
        "kept_id": row["kept_id"],
        "dropped_id": row["dropped_id"],
        "dropped_name": data["dropped"]["name"],
        "dropped_code": data["dropped"]["code"],
        "merged_at": row["merged_at"],
    }


def code_held_for_undo(conn_or_session: Any) -> str | None:
    """The code of the customer the latest merge dropped, while that merge can still be
    undone: a new customer must not get it, or the undo finds it taken."""
    # (the record lists every moved id: SQLite picks the code out, nothing is parsed here)
    row = (
        _dbapi(conn_or_session)
        .execute(
            "SELECT json_extract(data, '$.dropped.code'), undone_at FROM merge_log"
            " ORDER BY id DESC LIMIT 1"
        )
        .fetchone()
    )
    if row is None or row[1] is not None:
        return None
    return row[0]


def undo_last_merge(conn_or_session: Any) -> int:
    """Put the customer dropped by the latest merge back, with every record that moved.

    Only the latest merge can be undone (until the next one). Fields the merge
    filled on the kept customer are cleared again unless changed since. Returns the
    restored customer's id.
    """
    conn = _dbapi(conn_or_session)
    row = _row(
        conn,
        "SELECT id, kept_id, dropped_id, data, undone_at FROM merge_log ORDER BY id DESC LIMIT 1",
    )
    if row is None or row["undone_at"] is not None:
        raise MergeError(_("There is no merge to undo"))
    data = json.loads(row["data"])
    keep_id = row["kept_id"]
    dropped: dict[str, Any] = data["dropped"]
    if conn.execute("SELECT 1 FROM customer WHERE id = ?", (keep_id,)).fetchone() is None:
        raise MergeError(_("The kept customer was deleted since the merge; cannot undo"))
    if conn.execute("SELECT 1 FROM customer WHERE code = ?", (dropped["code"],)).fetchone():
        raise MergeError(
            _("Code {code} is used by another customer now; cannot undo").format(
                code=dropped["code"]
            )
        )
    taken = conn.execute("SELECT 1 FROM customer WHERE id = ?", (dropped["id"],)).fetchone()
    values = dict(dropped)
    values["name_sort"] = name_sort_key(values["name"])
    if taken:
        del values["id"]  # the id was reused meanwhile: restore under a new one
    cols = list(values)
    cur = conn.execute(
        f"INSERT INTO customer ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [values[c] for c in cols],
    )
    drop_id = int(dropped["id"]) if not taken else int(cur.lastrowid)
    for fold in reversed(data.get("folded", [])):  # (merges logged before folding have none)
        _unfold_contact(conn, fold, drop_id)
    for table, ids in data["moved"].items():
        _point_back(conn, table, "customer_id", keep_id, drop_id, ids)
    conn.executemany(
        "INSERT OR IGNORE INTO customer_tag (customer_id, tag_id)"
        " SELECT ?, id FROM tag WHERE id = ?",
        [(drop_id, t) for t in data["tags"]],
    )
    conn.executemany(
        "DELETE FROM customer_tag WHERE customer_id = ? AND tag_id = ?",
        [(keep_id, t) for t in data["tags_added"]],
    )
    for field, value in data["filled"].items():
        conn.execute(
            f"UPDATE customer SET {field} = NULL WHERE id = ? AND {field} IS ?", (keep_id, value)
        )
    stamp = _now()
    conn.execute(
        "UPDATE customer SET updated_at = ?, version = version + 1 WHERE id = ?", (stamp, keep_id)
    )
    _refresh_derived(conn, [keep_id, drop_id])
    # contacts went back: each customer's primary contact and decision maker must be its own
    sq.settle_key_contacts(conn, [keep_id, drop_id], fill=False)
    sq.reindex_customers(conn, [keep_id, drop_id])
    conn.execute("UPDATE merge_log SET undone_at = ? WHERE id = ?", (stamp, row["id"]))
    return drop_id

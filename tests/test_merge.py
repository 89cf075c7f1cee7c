"""Duplicate pairs, merging one customer into another, and undoing the merge."""

from __future__ import annotations

import pytest

from crm_tui.store import sqlite as sq
from crm_tui.store.merging import (
    MergeError,
    find_duplicate_pairs,
    last_merge,
    merge_customers,
    merge_preview,
    same_contacts,
    undo_last_merge,
)
from crm_tui.store.name_order import name_sort_key

CHILDREN = ("contact", "opportunity", "interaction", "task", "sales_order")
TABLES = ("customer", *CHILDREN, "stage_change", "payment", "tag", "customer_tag")


def add_customer(conn, code: str, name: str, norm: str, **extra) -> int:
    cols = {"code": code, "name": name, "name_norm": norm, "kind": "company", "status": "active"}
    cols.update(extra)
    cur = conn.execute(
        f"INSERT INTO customer ({', '.join(cols)}, total_amount_cents, version)"
        f" VALUES ({', '.join('?' * len(cols))}, 0, 1)",
        tuple(cols.values()),
    )
    return cur.lastrowid


def populate(conn) -> tuple[int, int]:
    """Keep (ACME, with little data) and drop (ACME Ltd, with one of everything)."""
    keep = add_customer(conn, "C1", "ACME", "acme")
    drop = add_customer(
        conn, "C2", "ACME Ltd", "acme", industry="retail", level="B", budget_cents=500
    )
    conn.execute("INSERT INTO contact (customer_id, name, version) VALUES (?, 'Kim', 1)", (keep,))
    cid = conn.execute(
        "INSERT INTO contact (customer_id, name, mobile, email, version)"
        " VALUES (?, 'Dan', '13800138000', 'dan@acme.com', 1)",
        (drop,),
    ).lastrowid
    conn.execute("UPDATE customer SET primary_contact_id = ? WHERE id = ?", (cid, drop))
    oid = conn.execute(
        "INSERT INTO opportunity (customer_id, contact_id, name, amount_cents, stage, probability,"
        " probability_overridden, risk_flag, criteria_done, version)"
        " VALUES (?, ?, 'Deal', 100, 'proposal', 50, 0, 0, '', 1)",
        (drop, cid),
    ).lastrowid
    conn.execute(
        "INSERT INTO stage_change (opportunity_id, from_stage, to_stage, changed_at)"
        " VALUES (?, NULL, 'proposal', '2026-01-01 09:00:00')",
        (oid,),
    )
    conn.execute(
        "INSERT INTO interaction (customer_id, occurred_at, channel, subject, version)"
        " VALUES (?, '2026-02-01 10:00:00', 'phone', 'Hi', 1)",
        (drop,),
    )
    conn.execute(
        "INSERT INTO task (title, type, customer_id, due, status, version)"
        " VALUES ('Call', 'call', ?, '2026-03-01', 'planned', 1)",
        (drop,),
    )
    order = conn.execute(
        "INSERT INTO sales_order (customer_id, order_date, amount_cents, order_no)"
        " VALUES (?, '2026-01-15', 7000, 'SO-9')",
        (drop,),
    ).lastrowid
    conn.execute(
        "INSERT INTO sales_order (customer_id, order_date, amount_cents) VALUES (?, '2025-12-01', 300)",
        (keep,),
    )
    conn.execute(
        "INSERT INTO payment (order_id, paid_on, amount_cents) VALUES (?, '2026-01-20', 7000)",
        (order,),
    )
    conn.executemany("INSERT INTO tag (name) VALUES (?)", [("vip",), ("risk",)])
    conn.execute("INSERT INTO customer_tag VALUES (?, 1)", (keep,))
    conn.executemany("INSERT INTO customer_tag VALUES (?, ?)", [(drop, 1), (drop, 2)])
    conn.execute(
        "UPDATE customer SET total_amount_cents = (SELECT sum(amount_cents) FROM sales_order"
        " WHERE customer_id = customer.id)"
    )
    conn.execute(
        "UPDATE customer SET last_order = (SELECT max(order_date) FROM sales_order"
        " WHERE customer_id = customer.id)"
    )
    conn.execute(
        "UPDATE customer SET last_interaction_at = (SELECT max(occurred_at) FROM interaction"
        " WHERE customer_id = customer.id)"
    )
    sq.rebuild_search_index(conn)
    conn.commit()
    return keep, drop


def state(conn) -> dict:
    out = {t: sorted(map(tuple, conn.execute(f"SELECT * FROM {t}"))) for t in TABLES}
    out["search"] = sorted(map(tuple, conn.execute("SELECT rowid, * FROM customer_search")))
    return out


@pytest.fixture
def conn(db):
    c = db.connect()
    c.row_factory = None
    yield c
    c.close()


def test_duplicate_pairs_by_name_phone_email(conn):
    keep, drop = populate(conn)
    third = add_customer(conn, "C3", "Other", "other")
    conn.execute(
        "INSERT INTO contact (customer_id, name, phone, version) VALUES (?, 'X', '138-0013-8000', 1)",
        (third,),
    )
    fourth = add_customer(conn, "C4", "Fourth", "fourth")
    conn.execute(
        "INSERT INTO contact (customer_id, name, email, version) VALUES (?, 'Y', 'DAN@acme.com', 1)",
        (fourth,),
    )
    conn.commit()
    pairs = {(p.first_id, p.second_id): p.reasons for p in find_duplicate_pairs(conn)}
    assert pairs == {
        (keep, drop): ("name",),
        (drop, third): ("phone",),
        (drop, fourth): ("email",),
    }
    assert len(find_duplicate_pairs(conn, limit=1)) == 1


def test_merge_moves_everything_and_undo_restores(conn):
    keep, drop = populate(conn)
    before = state(conn)
    assert merge_preview(conn, keep, drop) == {
        "contact": 1,
        "opportunity": 1,
        "interaction": 1,
        "task": 1,
        "sales_order": 1,
        "payment": 1,  # (goes with its order)
        "customer_tag": 2,
    }
    merge_id = merge_customers(conn, keep, drop)
    conn.commit()
    for table in CHILDREN:
        owners = {r[0] for r in conn.execute(f"SELECT customer_id FROM {table}")}
        assert owners == {keep}, table
    assert conn.execute("SELECT count(*) FROM customer WHERE id = ?", (drop,)).fetchone() == (0,)
    row = conn.execute(
        "SELECT industry, level, budget_cents, total_amount_cents, last_order,"
        " last_interaction_at, primary_contact_id FROM customer WHERE id = ?",
        (keep,),
    ).fetchone()
    dan = conn.execute("SELECT id FROM contact WHERE name = 'Dan'").fetchone()[0]
    assert row == ("retail", "B", 500, 7300, "2026-01-15", "2026-02-01 10:00:00", dan)
    assert conn.execute("SELECT count(*) FROM payment").fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM stage_change").fetchone() == (1,)
    tags = conn.execute("SELECT tag_id FROM customer_tag WHERE customer_id = ?", (keep,)).fetchall()
    assert sorted(tags) == [(1,), (2,)]
    hits = conn.execute(
        "SELECT rowid FROM customer_search WHERE customer_search MATCH '\"dan@acme\"'"
    ).fetchall()
    assert hits == [(keep,)]
    assert last_merge(conn)["id"] == merge_id
    assert sq.check(conn) == []

    assert undo_last_merge(conn) == drop
    conn.commit()
    after = state(conn)
    for table in before:
        if table == "customer":
            continue
        assert after[table] == before[table], table
    # the kept customer's own data is as before the merge (only updated_at/version moved on)
    strip = lambda rows: [r[:23] for r in rows]  # noqa: E731  (columns up to last_interaction_at)
    assert strip(after["customer"]) == strip(before["customer"])
    # the restored customer is listed by its name again (the log keeps no sort key)
    name, key = conn.execute(
        "SELECT name, name_sort FROM customer WHERE id = ?", (drop,)
    ).fetchone()
    assert key == name_sort_key(name)
    assert last_merge(conn) is None
    with pytest.raises(MergeError):
        undo_last_merge(conn)
    assert sq.check(conn) == []


def test_only_the_latest_merge_can_be_undone(conn):
    keep, drop = populate(conn)
    other = add_customer(conn, "C5", "Fifth", "fifth")
    merge_customers(conn, keep, drop)
    merge_customers(conn, keep, other)
    conn.commit()
    assert undo_last_merge(conn) == other
    with pytest.raises(MergeError):
        undo_last_merge(conn)
    assert conn.execute("SELECT count(*) FROM customer WHERE id = ?", (drop,)).fetchone() == (0,)


def test_merge_refuses_self_and_missing(conn):
    keep, _drop = populate(conn)
    with pytest.raises(MergeError):
        merge_customers(conn, keep, keep)
    with pytest.raises(MergeError):
        merge_customers(conn, keep, 999)


def test_merge_through_an_orm_session(db, conn):
    keep, drop = populate(conn)
    with db.session() as s:
        merge_customers(s, keep, drop)
    assert conn.execute("SELECT count(*) FROM customer").fetchone() == (1,)
    with db.session() as s:
        undo_last_merge(s)
    assert conn.execute("SELECT count(*) FROM customer").fetchone() == (2,)


def test_undo_when_the_dropped_id_was_reused(conn):
    keep, drop = populate(conn)
    merge_customers(conn, keep, drop)
    reused = add_customer(conn, "C9", "Newcomer", "newcomer")
    assert reused == drop  # SQLite hands out max(id) + 1 again
    conn.commit()
    restored = undo_last_merge(conn)
    conn.commit()
    assert restored not in (keep, drop)
    name, primary = conn.execute(
        "SELECT name, primary_contact_id FROM customer WHERE id = ?", (restored,)
    ).fetchone()
    assert name == "ACME Ltd"
    assert conn.execute("SELECT customer_id FROM contact WHERE id = ?", (primary,)).fetchone() == (
        restored,
    )
    for table in CHILDREN:
        n = conn.execute(f"SELECT count(*) FROM {table} WHERE customer_id = ?", (restored,))
        assert n.fetchone() == (1,), table
    assert sq.check(conn) == []


def test_undo_gives_each_customer_back_its_own_key_contacts(conn):
    """After a merge the kept customer's primary contact may be one that moved in (its own
    was deleted): undoing must not leave it pointing at the other customer's contact."""
    keep, drop = populate(conn)
    dan = conn.execute("SELECT id FROM contact WHERE name = 'Dan'").fetchone()[0]
    kim = conn.execute("SELECT id FROM contact WHERE name = 'Kim'").fetchone()[0]
    conn.execute("UPDATE customer SET primary_contact_id = ? WHERE id = ?", (kim, keep))
    merge_customers(conn, keep, drop)
    # Kim, keep's own primary contact, is deleted: Dan (moved in) takes over
    conn.execute("DELETE FROM contact WHERE id = ?", (kim,))
    conn.execute("UPDATE customer SET primary_contact_id = ? WHERE id = ?", (dan, keep))
    conn.commit()
    undo_last_merge(conn)
    conn.commit()
    owned = {
        cid: (primary, decider)
        for cid, primary, decider in conn.execute(
            "SELECT id, primary_contact_id, decision_maker_id FROM customer"
        )
    }
    assert owned[keep] == (None, None)  # no contact of its own left
    assert owned[drop][0] == dan
    assert sq.check(conn) == []


def test_a_new_customer_never_takes_the_code_an_undoable_merge_holds(db, tmp_path):
    """Merging the day's latest customer, then adding one (by hand or by import), gave the
    newcomer the dropped customer's code, and undo then refused: "Code … is used"."""
    import datetime as dt

    from crm_tui.store import customers as cs
    from crm_tui.store.importing import import_file

    day = dt.date.today()
    with db.session() as s:
        first = cs.create_customer(s, {"name": "Dup Test Co"})
        second = cs.create_customer(s, {"name": "Dup Test Ltd"})
        held = second.code  # the day's latest code
        assert cs.next_customer_code(s, day) > held
        keep_id, drop_id = first.id, second.id
    with db.reading() as conn:
        merge_customers(conn, keep_id, drop_id)
        conn.commit()
    with db.session() as s:
        newcomer = cs.create_customer(s, {"name": "Zeta Newcomer"})
        assert newcomer.code != held
        assert int(newcomer.code[-3:]) == int(held[-3:]) + 1
    csv_file = tmp_path / "more.csv"
    csv_file.write_text("name\nImported Newcomer\n", encoding="utf-8")
    assert import_file(db.path, "customers", csv_file).committed
    with db.reading() as conn:
        codes = {n: c for n, c in conn.execute("SELECT name, code FROM customer")}
        assert held not in codes.values()
        restored = undo_last_merge(conn)
        conn.commit()
        back = conn.execute("SELECT code FROM customer WHERE id = ?", (restored,)).fetchone()
        assert tuple(back) == (held,)


def add_contact(conn, customer: int, name: str, **extra) -> int:
    cols = {"customer_id": customer, "name": name, "version": 1, **extra}
    return conn.execute(
        f"INSERT INTO contact ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        tuple(cols.values()),
    ).lastrowid


def test_a_contact_the_kept_customer_has_already_is_folded_and_undo_brings_it_back(conn):
    """Both customers knew Wang Wei (his mobile written two ways): the merge left him twice.
    He is one contact now, by the import's rule (same name, no other mobile or email)."""
    keep = add_customer(conn, "C1", "ACME", "acme")
    drop = add_customer(conn, "C2", "ACME Ltd", "acme")
    wang = add_contact(conn, keep, "Wang Wei", mobile="13812345678", title="Manager")
    zhang = add_contact(conn, keep, "Zhang San", mobile="13900000001")
    conn.execute("UPDATE customer SET primary_contact_id = ? WHERE id = ?", (wang, keep))
    wang2 = add_contact(
        conn, drop, "wang  wei", mobile="138 1234 5678", title="CTO", email="wang@acme.com",
        role="decision_maker", wechat="wangwei",
    )  # fmt: skip
    li = add_contact(conn, drop, "Li Na")
    zhang2 = add_contact(conn, drop, "Zhang San", mobile="13700000002")  # another Zhang San
    conn.execute(
        "UPDATE customer SET primary_contact_id = ?, decision_maker_id = ? WHERE id = ?",
        (wang2, wang2, drop),
    )
    deal = conn.execute(
        "INSERT INTO opportunity (customer_id, contact_id, name, amount_cents, stage, probability,"
        " probability_overridden, risk_flag, criteria_done, version)"
        " VALUES (?, ?, 'Deal', 100, 'proposal', 50, 0, 0, '', 1)",
        (drop, wang2),
    ).lastrowid
    talk = conn.execute(
        "INSERT INTO interaction (customer_id, contact_id, occurred_at, channel, subject, version)"
        " VALUES (?, ?, '2026-02-01 10:00:00', 'phone', 'Hi', 1)",
        (drop, wang2),
    ).lastrowid
    call = conn.execute(
        "INSERT INTO task (title, type, customer_id, contact_id, due, status, version)"
        " VALUES ('Call', 'call', ?, ?, '2026-03-01', 'planned', 1)",
        (drop, wang2),
    ).lastrowid
    conn.execute(
        "UPDATE customer SET last_interaction_at = '2026-02-01 10:00:00' WHERE id = ?", (drop,)
    )
    sq.rebuild_search_index(conn)
    conn.commit()
    before = state(conn)
    assert same_contacts(conn, keep, drop) == [(wang2, wang)]

    merge_customers(conn, keep, drop)
    conn.commit()
    contacts = conn.execute(
        "SELECT id, customer_id, name, title, mobile, email, role, wechat FROM contact ORDER BY id"
    ).fetchall()
    assert contacts == [
        # his own values kept (title, the mobile as written), the empty ones filled
        (wang, keep, "Wang Wei", "Manager", "13812345678", "wang@acme.com", "decision_maker",
         "wangwei"),
        (zhang, keep, "Zhang San", None, "13900000001", None, None, None),
        (li, keep, "Li Na", None, None, None, None, None),
        (zhang2, keep, "Zhang San", None, "13700000002", None, None, None),
    ]  # fmt: skip
    assert conn.execute("SELECT contact_id FROM opportunity WHERE id = ?", (deal,)).fetchone() == (
        wang,
    )
    assert conn.execute("SELECT contact_id FROM interaction WHERE id = ?", (talk,)).fetchone() == (
        wang,
    )
    assert conn.execute("SELECT contact_id FROM task WHERE id = ?", (call,)).fetchone() == (wang,)
    # ★ stays on keep's own; the decision maker it lacked is Wang Wei, not a deleted row
    assert conn.execute(
        "SELECT primary_contact_id, decision_maker_id FROM customer WHERE id = ?", (keep,)
    ).fetchone() == (wang, wang)
    assert sq.check(conn) == []

    undo_last_merge(conn)
    conn.commit()
    after = state(conn)
    for table in before:
        if table in ("customer", "contact"):
            continue
        assert after[table] == before[table], table
    # (only updated_at/version moved on: 16 contact columns up to owner, 23 customer ones)
    assert [r[:16] for r in after["contact"]] == [r[:16] for r in before["contact"]]
    assert [r[:23] for r in after["customer"]] == [r[:23] for r in before["customer"]]
    assert sq.check(conn) == []


def test_a_folded_decision_maker_kept_in_another_role_is_not_the_decision_maker(conn):
    keep = add_customer(conn, "C1", "ACME", "acme")
    drop = add_customer(conn, "C2", "ACME Ltd", "acme")
    wang = add_contact(conn, keep, "Wang Wei", role="influencer")
    wang2 = add_contact(conn, drop, "Wang Wei", role="decision_maker")
    conn.execute("UPDATE customer SET primary_contact_id = ? WHERE id = ?", (wang, keep))
    conn.execute(
        "UPDATE customer SET primary_contact_id = ?, decision_maker_id = ? WHERE id = ?",
        (wang2, wang2, drop),
    )
    conn.commit()
    merge_customers(conn, keep, drop)
    assert conn.execute("SELECT id, role FROM contact").fetchall() == [(wang, "influencer")]
    assert conn.execute(
        "SELECT primary_contact_id, decision_maker_id FROM customer WHERE id = ?", (keep,)
    ).fetchone() == (wang, None)
    undo_last_merge(conn)
    assert conn.execute(
        "SELECT id, primary_contact_id, decision_maker_id FROM customer ORDER BY id"
    ).fetchall() == [(keep, wang, None), (drop, wang2, wang2)]
    assert sq.check(conn) == []


def test_undo_brings_a_folded_contact_back_when_its_id_was_reused(conn):
    keep = add_customer(conn, "C1", "ACME", "acme")
    drop = add_customer(conn, "C2", "ACME Ltd", "acme")
    wang = add_contact(conn, keep, "Wang Wei", mobile="13812345678")
    wang2 = add_contact(conn, drop, "Wang Wei", email="w@acme.com")
    talk = conn.execute(
        "INSERT INTO interaction (customer_id, contact_id, occurred_at, channel, subject, version)"
        " VALUES (?, ?, '2026-02-01 10:00:00', 'phone', 'Hi', 1)",
        (drop, wang2),
    ).lastrowid
    conn.execute("UPDATE customer SET primary_contact_id = ? WHERE id = ?", (wang2, drop))
    conn.commit()
    merge_customers(conn, keep, drop)
    newcomer = add_contact(conn, keep, "Newcomer")
    assert newcomer == wang2  # SQLite hands out max(id) + 1 again
    conn.commit()
    undo_last_merge(conn)
    conn.commit()
    back = conn.execute(
        "SELECT id, email, mobile FROM contact WHERE customer_id = ?", (drop,)
    ).fetchall()
    assert len(back) == 1 and back[0][1:] == ("w@acme.com", None)
    assert conn.execute("SELECT email FROM contact WHERE id = ?", (wang,)).fetchone() == (None,)
    assert conn.execute("SELECT contact_id FROM interaction WHERE id = ?", (talk,)).fetchone() == (
        back[0][0],
    )
    assert conn.execute(
        "SELECT primary_contact_id FROM customer WHERE id = ?", (drop,)
    ).fetchone() == (back[0][0],)
    assert sq.check(conn) == []

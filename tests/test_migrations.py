"""Schema migrations: a file at the first revision upgrades in place without losing rows."""

from __future__ import annotations

import sqlite3

import pytest
from sqlmodel import SQLModel

import crm_tui.store.models  # noqa: F401  (registers the tables)
from crm_tui.store import database
from crm_tui.store.database import Database, DatabaseError
from crm_tui.store.lists import search_customers


def test_head_revision_constant_matches_alembic():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", "crm_tui.store:migrations")
    script = ScriptDirectory.from_config(cfg)
    assert script.get_current_head() == database.HEAD_REVISION
    assert [r.revision for r in script.walk_revisions()][::-1] == list(database.KNOWN_REVISIONS)


def _old_file(tmp_path, revision: str):
    """A file at an older ``revision`` holding one customer with one contact."""
    path = tmp_path / "old.db"
    path.touch(mode=0o600)
    database.upgrade(path, revision)
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO customer (id, code, name, name_norm, kind, status, total_amount_cents, version)"
        " VALUES (1, 'C20250101001', '上海华为技术有限公司', '上海华为技术', 'company', 'active', 0, 1)"
    )
    conn.execute(
        "INSERT INTO contact (id, customer_id, name, mobile, email, version)"
        " VALUES (1, 1, '张伟', '13800138000', 'Zhang.Wei@huawei.com', 1)"
    )
    conn.commit()
    conn.close()
    return path


def test_database_at_first_revision_upgrades_without_losing_rows(tmp_path):
    path = _old_file(tmp_path, "0001")

    db = Database(path)  # opening migrates to head
    with db.reading() as conn:
        rev = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        assert rev == database.HEAD_REVISION
        assert conn.execute("SELECT name FROM customer").fetchone()[0] == "上海华为技术有限公司"
        assert conn.execute("SELECT name FROM contact").fetchone()[0] == "张伟"
        # rows that existed before the search index are searchable after the upgrade
        assert search_customers(conn, "华为技术")[0]["name"] == "上海华为技术有限公司"


def test_migrated_schema_has_every_model_column(db):
    with db.reading() as conn:
        for table in SQLModel.metadata.sorted_tables:
            columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table.name})")}
            assert {c.name for c in table.columns} <= columns, table.name


def test_new_file_is_private_and_in_wal_mode(db):
    assert db.path.stat().st_mode & 0o777 == 0o600
    with db.reading() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA page_size").fetchone()[0] == 8192


def test_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not sqlite")
    with pytest.raises(DatabaseError) as err:
        Database(path)
    # the wrong --db first: restoring over it would replace the file (a CSV, say)
    assert str(err.value).startswith(f"{path} is not a database file: check --db (or CRM_DB)")
    assert path.read_text() == "hello, this is not sqlite"


def test_newer_schema_is_refused(tmp_path, db):
    with db.reading() as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
        conn.commit()
    with pytest.raises(DatabaseError, match="newer crm"):
        Database(db.path)


def test_other_sqlite_file_is_refused_and_left_as_it_was(tmp_path):
    """A wrong --db: the other program's file is neither switched to WAL nor migrated,
    and the rep is told to choose the file, not to restore a crm backup over it."""
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="not a crm database") as refused:
        Database(path)
    assert "--db (or CRM_DB)" in str(refused.value) and "restore" not in str(refused.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]  # no -wal, -shm
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()


def test_phone_digit_indexes_give_the_same_keys_after_0009(tmp_path):
    """0009 only makes the digits expression cheaper: every phone gets the same key."""
    from crm_tui.store.sqlite import DIGITS

    path = tmp_path / "old.db"
    path.touch(mode=0o600)
    database.upgrade(path, "0008")
    phones = ["13800138000", "138 0013 8000", "+86 (138) 0013-8000", "0755.8888.1234", "", "１２３"]
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO customer (id, code, name, name_norm, kind, status, total_amount_cents, version)"
        " VALUES (1, 'C1', 'A', 'a', 'company', 'active', 0, 1)"
    )
    conn.executemany(
        "INSERT INTO contact (customer_id, name, mobile, phone, version) VALUES (1, 'x', ?, ?, 1)",
        [(p, p) for p in phones] + [(None, None)],
    )
    conn.commit()
    old = DIGITS.split(" THEN ", 1)[1].rsplit(" ELSE ", 1)[0]  # the replace() chain alone
    before = conn.execute(f"SELECT {old.format(col='mobile')} FROM contact ORDER BY id").fetchall()
    conn.close()
    database.upgrade(path, "0009")
    conn = sqlite3.connect(path)
    try:
        for col in ("mobile", "phone"):
            got = conn.execute(f"SELECT {DIGITS.format(col=col)} FROM contact ORDER BY id")
            assert got.fetchall() == before
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    database.downgrade(path, "0008")  # and back
    conn = sqlite3.connect(path)
    try:
        (sql,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_contact_mobile_digits'"
        ).fetchone()
        assert "GLOB" not in sql and old.format(col="mobile") in sql
    finally:
        conn.close()


def _schema_names(path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()


def test_0010_search_index_without_column_sizes_finds_the_same(tmp_path):
    """0010 rebuilds the search index without its per-row column sizes (never used: the
    search does not rank) and drops the status index the status-first ones cover."""
    path = _old_file(tmp_path, "0009")
    assert {"customer_search_docsize", "ix_customer_status"} <= _schema_names(path)

    db = Database(path)  # opening migrates to head
    assert not {"customer_search_docsize", "ix_customer_status"} & _schema_names(path)
    with db.reading() as conn:
        for text in ("华为技术", "0013800", "zhang.wei", "HUAWEI"):
            assert [r["id"] for r in search_customers(conn, text)] == [1], text
        conn.execute("INSERT INTO customer_search(customer_search) VALUES ('integrity-check')")

    database.downgrade(path, "0009")  # and back
    assert {"customer_search_docsize", "ix_customer_status"} <= _schema_names(path)


def test_0011_computes_every_name_key_again(tmp_path):
    """A file from before 0011 kept keys that missed twins ("acmecapitalgmbh" for
    "Acme Capital GmbH."); opening it computes them with the current rule."""
    path = _old_file(tmp_path, "0010")
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO customer (id, code, name, name_norm, kind, status, total_amount_cents,"
        " created_at, updated_at, version) VALUES (2, 'C2', 'Acme Capital GmbH.',"
        " 'acmecapitalgmbh', 'company', 'active', 0, '2026-01-01 00:00:00',"
        " '2026-01-01 00:00:00', 1)"
    )
    conn.commit()
    conn.close()
    db = Database(path)  # opening migrates to head
    with db.reading() as conn:
        keys = dict(conn.execute("SELECT id, name_norm FROM customer"))
    assert keys[2] == "acmecapital"


def test_a_folder_given_as_the_database_is_named_as_such(tmp_path):
    from crm_tui.store.database import DatabaseError

    with pytest.raises(DatabaseError, match="is a folder, not a database file"):
        Database(tmp_path)


def test_0012_makes_phones_typed_with_separators_findable_by_digits(tmp_path):
    path = _old_file(tmp_path, "0011")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE contact SET mobile = '+86 138-0013-8000' WHERE id = 1")
    conn.commit()
    conn.close()
    db = Database(path)  # opening migrates to head: the index is rebuilt from the rows
    with db.reading() as conn:
        assert [r["id"] for r in search_customers(conn, "13800138000")] == [1]


def test_0013_gives_every_order_a_version_and_inserts_without_one_get_1(tmp_path):
    """Orders edited in two windows are checked by version (store.orders.update_order):
    a file from before 0013 gets the column, its orders at 1; bulk inserts that do not
    name it (crm demo, crm import) get 1 too. Downgrading takes it away again."""
    path = _old_file(tmp_path, "0012")
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO sales_order (id, customer_id, order_date, amount_cents, product)"
        " VALUES (1, 1, '2026-10-01', 2300000, 'Kit')"
    )
    conn.commit()
    conn.close()

    db = Database(path)  # opening migrates to head
    with db.reading() as conn:
        got = conn.execute("SELECT id, amount_cents, version FROM sales_order").fetchall()
        assert [tuple(r) for r in got] == [(1, 2300000, 1)]
        conn.execute(
            "INSERT INTO sales_order (id, customer_id, order_date, amount_cents)"
            " VALUES (2, 1, '2026-10-02', 100)"
        )
        assert conn.execute("SELECT version FROM sales_order WHERE id = 2").fetchone()[0] == 1
        conn.commit()

    database.downgrade(path, "0012")
    conn = sqlite3.connect(path)
    try:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(sales_order)")}
        assert "version" not in columns and {"amount_cents", "product"} <= columns
        assert conn.execute("SELECT count(*) FROM sales_order").fetchone()[0] == 2
    finally:
        conn.close()
    database.upgrade(path)  # and up again: the column comes back, rows keep their values
    with db.reading() as conn:
        got = conn.execute("SELECT id, version FROM sales_order ORDER BY id").fetchall()
        assert [tuple(r) for r in got] == [(1, 1), (2, 1)]


def test_0014_gives_every_customer_a_pinyin_sort_key(tmp_path):
    """Customers of a file from before 0014 are listed in pinyin order once it is opened."""
    from crm_tui.store.lists import CustomerQuery
    from crm_tui.store.name_order import name_sort_key

    path = _old_file(tmp_path, "0013")  # 上海华为技术有限公司
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO customer (id, code, name, name_norm, kind, status, total_amount_cents,"
        " created_at, updated_at, version) VALUES (2, 'C2', '北京明远科技', '北京明远科技',"
        " 'company', 'active', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"
    )
    conn.commit()
    conn.close()
    db = Database(path)  # opening migrates to head
    with db.reading() as conn:
        keys = dict(conn.execute("SELECT name, name_sort FROM customer"))
        assert keys == {n: name_sort_key(n) for n in ("上海华为技术有限公司", "北京明远科技")}
        listed = [r[2] for r in CustomerQuery(conn, sort="name").fetch(0, 5)]
        assert listed == ["北京明远科技", "上海华为技术有限公司"]
        indexes = {r[1] for r in conn.execute("PRAGMA index_list(customer)")}
        assert {"ix_customer_name_sort", "ix_customer_status_sort"} <= indexes
        assert not {"ix_customer_name", "ix_customer_status_name"} & indexes

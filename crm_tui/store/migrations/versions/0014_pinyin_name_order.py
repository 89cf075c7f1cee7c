"""Customers listed by name come in pinyin order (阿里 with the a's, 陈 before 张).

The list sorted names by code point (``name COLLATE NOCASE``), an order no Chinese
reader knows. Each customer now keeps ``name_sort`` (store.name_order.name_sort_key)
and the two name indexes order by it:

- ``ix_customer_name`` (name NOCASE) becomes ``ix_customer_name_sort (name_sort,
  name)``: the list's order, and still every name for the short-word search to scan
  without reading the table;
- ``ix_customer_status_name`` becomes ``ix_customer_status_sort (status, name_sort)``.

The keys of existing customers are computed here (about a second at 100,000).

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _has_name_sort() -> bool:
    rows = op.get_bind().exec_driver_sql("PRAGMA table_info(customer)").fetchall()
    return any(r[1] == "name_sort" for r in rows)


def upgrade() -> None:
    from crm_tui.store.name_order import name_sort_key

    bind = op.get_bind()
    if not _has_name_sort():
        op.execute("ALTER TABLE customer ADD COLUMN name_sort BLOB NOT NULL DEFAULT x''")
    rows = bind.exec_driver_sql("SELECT id, name FROM customer").fetchall()
    if rows:
        bind.exec_driver_sql(
            "UPDATE customer SET name_sort = ? WHERE id = ?",
            [(name_sort_key(name or ""), cid) for cid, name in rows],
        )
    op.execute("DROP INDEX IF EXISTS ix_customer_name")
    op.execute("DROP INDEX IF EXISTS ix_customer_status_name")
    op.execute("CREATE INDEX ix_customer_name_sort ON customer (name_sort, name)")
    op.execute("CREATE INDEX ix_customer_status_sort ON customer (status, name_sort)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_customer_name_sort")
    op.execute("DROP INDEX IF EXISTS ix_customer_status_sort")
    op.execute("CREATE INDEX ix_customer_name ON customer (name COLLATE NOCASE)")
    op.execute("CREATE INDEX ix_customer_status_name ON customer (status, name COLLATE NOCASE)")
    if _has_name_sort():
        op.execute("ALTER TABLE customer DROP COLUMN name_sort")  # (SQLite 3.35+)

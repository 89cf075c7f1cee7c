"""Orders carry a version, as customers, deals, tasks and interactions do.

An order edited in two windows lost the first save: the second wrote every field
back as its form had read them (a product changed there undid an amount changed
here, and nobody was told). ``update_order`` now names the version its form read
and is refused when the order changed since (store.common.ConflictError).

``ADD COLUMN … NOT NULL DEFAULT 1`` only changes the table's definition: SQLite does
not rewrite the rows, so opening a large file stays instant, every existing order
starts at version 1, and inserts that do not name the column (``crm demo``, ``crm
import``, older code) get 1 too, at no cost per row. A file that somehow already has
the column is left as it is.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _has_version() -> bool:
    rows = op.get_bind().exec_driver_sql("PRAGMA table_info(sales_order)").fetchall()
    return any(r[1] == "version" for r in rows)


def upgrade() -> None:
    if not _has_version():
        op.execute("ALTER TABLE sales_order ADD COLUMN version INTEGER NOT NULL DEFAULT 1")


def downgrade() -> None:
    if _has_version():
        op.execute("ALTER TABLE sales_order DROP COLUMN version")  # (SQLite 3.35+)

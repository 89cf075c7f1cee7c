"""Indexes that let filtered lists read in sort order instead of sorting every match per page.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Frozen DDL. A status filter keeps most customers, so the page must walk an index that
# starts with status and continues in the chosen sort; the completed-task toggle pages
# done/cancelled tasks newest first.
STATEMENTS = (
    "CREATE INDEX ix_customer_status_name ON customer (status, name COLLATE NOCASE)",
    "CREATE INDEX ix_customer_status_last ON customer (status, last_interaction_at)",
    "CREATE INDEX ix_customer_status_total ON customer (status, total_amount_cents)",
    "CREATE INDEX ix_task_closed_completed ON task (completed_at, id) "
    "WHERE status IN ('done', 'cancelled')",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for index in (
        "ix_customer_status_name",
        "ix_customer_status_last",
        "ix_customer_status_total",
        "ix_task_closed_completed",
    ):
        op.execute(f"DROP INDEX IF EXISTS {index}")

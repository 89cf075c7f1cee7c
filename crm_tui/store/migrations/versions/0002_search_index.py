"""Full-text search over customers and their contacts, and a key/value meta table.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per customer (rowid = customer.id). The trigram tokenizer gives
    # substring search for Chinese names, which have no spaces between words.
    op.execute(
        "CREATE VIRTUAL TABLE customer_search USING fts5("
        "name, code, contacts, phones, emails, tags, tokenize='trigram')"
    )
    op.execute("CREATE TABLE app_meta (key VARCHAR NOT NULL PRIMARY KEY, value VARCHAR NOT NULL)")
    # Backfill what an older file already holds.
    from crm_tui.store.sqlite import SEARCH_ROWS_SQL

    op.execute(
        f"INSERT INTO customer_search(rowid, name, code, contacts, phones, emails, tags) {SEARCH_ROWS_SQL}"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS customer_search")
    op.execute("DROP TABLE IF EXISTS app_meta")

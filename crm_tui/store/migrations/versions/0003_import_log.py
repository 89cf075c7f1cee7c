"""Import log (refuse re-importing the same file), merge log (undo a merge), duplicate-lookup indexes.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: Phone digits as SQL; queries must repeat this exact expression to use the indexes.
_DIGITS = (
    "replace(replace(replace(replace(replace(replace({col}, ' ', ''), '-', ''), '(', ''), "
    "')', ''), '+', ''), '.', '')"
)

STATEMENTS = (
    """CREATE TABLE import_log (
	id INTEGER NOT NULL,
	kind VARCHAR NOT NULL,
	file_name VARCHAR NOT NULL,
	sha256 VARCHAR NOT NULL,
	imported_at DATETIME NOT NULL,
	rows_in INTEGER NOT NULL,
	rows_rejected INTEGER NOT NULL,
	PRIMARY KEY (id)
)""",
    """CREATE INDEX ix_import_log_sha256 ON import_log (sha256)""",
    """CREATE TABLE merge_log (
	id INTEGER NOT NULL,
	kept_id INTEGER NOT NULL,
	dropped_id INTEGER NOT NULL,
	merged_at DATETIME NOT NULL,
	data VARCHAR NOT NULL,
	undone_at DATETIME,
	PRIMARY KEY (id)
)""",
    "CREATE INDEX ix_contact_email_lower ON contact (lower(email)) WHERE email IS NOT NULL",
    f"CREATE INDEX ix_contact_mobile_digits ON contact ({_DIGITS.format(col='mobile')}) "
    "WHERE mobile IS NOT NULL",
    f"CREATE INDEX ix_contact_phone_digits ON contact ({_DIGITS.format(col='phone')}) "
    "WHERE phone IS NOT NULL",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for index in ("ix_contact_email_lower", "ix_contact_mobile_digits", "ix_contact_phone_digits"):
        op.execute(f"DROP INDEX IF EXISTS {index}")
    op.execute("DROP TABLE IF EXISTS merge_log")
    op.execute("DROP TABLE IF EXISTS import_log")

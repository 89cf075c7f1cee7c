"""Duplicate name keys see through punctuation and brackets around company forms.

``name_norm`` (the key the duplicate check, the duplicates screen and imports match
names by) stripped company forms before punctuation, so "Acme Capital GmbH." (a
trailing dot), "Acme Capital Co. Ltd" and "华为技术（有限公司）" kept their "gmbh", "co"
and "有限公司" and matched no twin. validation.normalise_name now reads punctuation as
spaces first and strips a Latin form only as a word of its own; every customer's key
is computed again with it.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from crm_tui.store.validation import normalise_name

    bind = op.get_bind()
    rows = bind.exec_driver_sql("SELECT id, name, name_norm FROM customer").fetchall()
    changed = [(key, cid) for cid, name, old in rows if (key := normalise_name(name)) != old]
    if changed:
        bind.exec_driver_sql("UPDATE customer SET name_norm = ? WHERE id = ?", changed)


def downgrade() -> None:
    pass  # the old keys missed twins; nothing to undo

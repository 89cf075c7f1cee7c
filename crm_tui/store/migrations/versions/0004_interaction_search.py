"""Full-text search over the interaction log (subject, content, feedback).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen DDL. An external-content FTS5 table (the text lives only in `interaction`)
# with the trigram tokenizer, so Chinese text without spaces is searchable by
# substring; three triggers keep it in step with every insert, update and delete
# (including the cascade when a customer is deleted).
STATEMENTS = (
    """CREATE VIRTUAL TABLE interaction_search USING fts5(
    subject, content, feedback,
    content='interaction', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER interaction_search_ai AFTER INSERT ON interaction BEGIN
    INSERT INTO interaction_search(rowid, subject, content, feedback)
    VALUES (new.id, new.subject, new.content, new.feedback);
END""",
    """CREATE TRIGGER interaction_search_ad AFTER DELETE ON interaction BEGIN
    INSERT INTO interaction_search(interaction_search, rowid, subject, content, feedback)
    VALUES ('delete', old.id, old.subject, old.content, old.feedback);
END""",
    """CREATE TRIGGER interaction_search_au AFTER UPDATE OF subject, content, feedback
ON interaction BEGIN
    INSERT INTO interaction_search(interaction_search, rowid, subject, content, feedback)
    VALUES ('delete', old.id, old.subject, old.content, old.feedback);
    INSERT INTO interaction_search(rowid, subject, content, feedback)
    VALUES (new.id, new.subject, new.content, new.feedback);
END""",
    # Backfill what an older file already holds.
    """INSERT INTO interaction_search(interaction_search) VALUES ('rebuild')""",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for trigger in ("interaction_search_ai", "interaction_search_ad", "interaction_search_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS interaction_search")

"""Covering indexes for the reports: interactions by week and channel, backward stage moves, pipeline.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen DDL. Each index lets one report read an index instead of the wide table rows:
# activity (interactions per week by channel), funnel (stage changes backwards or to lost),
# forecast (open deals by expected close with amount and probability).
STATEMENTS = (
    "CREATE INDEX ix_interaction_when_channel ON interaction (occurred_at, channel)",
    "CREATE INDEX ix_stage_change_to_from ON stage_change "
    "(to_stage, from_stage, changed_at, opportunity_id)",
    "CREATE INDEX ix_opportunity_stage_close_prob ON opportunity "
    "(stage, expected_close, amount_cents, probability)",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for index in (
        "ix_interaction_when_channel",
        "ix_stage_change_to_from",
        "ix_opportunity_stage_close_prob",
    ):
        op.execute(f"DROP INDEX IF EXISTS {index}")

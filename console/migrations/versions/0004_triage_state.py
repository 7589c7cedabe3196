"""The queue summary learns how far the triage got and when the level was reached.

``triage_state`` ("decided", "asking" or NULL) marks conversations left before the end (issue
12, item 1); ``level_at`` is when the conversation reached its level (the follow-up's due
time counts from it). The summary is a cache rebuilt from ``events``: the watermark goes back
to 0, so the next sync recomputes every conversation and fills the new columns.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("console_conversations", sa.Column("triage_state", sa.String(16)))
    op.add_column("console_conversations", sa.Column("level_at", sa.Float))
    op.execute("UPDATE console_sync_state SET last_event_id = 0, gap_seen_at = NULL")


def downgrade() -> None:
    with op.batch_alter_table("console_conversations") as batch:
        batch.drop_column("level_at")
        batch.drop_column("triage_state")

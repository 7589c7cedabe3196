"""The symptoms of each conversation, for the dashboard's counts (issue 12, item 5), and an
index on the first message's time (the dashboard's date range).

Like the concerns, the table is part of the queue summary, rebuilt from ``events``: the
watermark goes back to 0 and every summary row is marked stale (``last_event_id = 0``), so
the next sync rewrites each conversation with its symptoms.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_conversation_symptoms",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("symptom", sa.String(64), primary_key=True),
    )
    op.create_index(
        "ix_console_conversation_symptoms_symptom", "console_conversation_symptoms", ["symptom"]
    )
    op.create_index("ix_console_conversations_first_at", "console_conversations", ["first_at"])
    op.execute("UPDATE console_conversations SET last_event_id = 0")
    op.execute("UPDATE console_sync_state SET last_event_id = 0, gap_seen_at = NULL")


def downgrade() -> None:
    op.drop_index("ix_console_conversations_first_at", "console_conversations")
    op.drop_table("console_conversation_symptoms")

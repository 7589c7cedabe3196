"""The follow-up workflow (issue 12, item 2): one row per conversation (state, assignee, due
time) and every change with who and when. Purged with the conversation.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_followups",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("assignee_id", sa.Integer, sa.ForeignKey("console_users.id")),
        sa.Column("due_level", sa.String(32)),
        sa.Column("due_from", sa.Float),
        sa.Column("due_at", sa.Float),
        sa.Column("changed_at", sa.Float),
    )
    op.create_index("ix_console_followups_due", "console_followups", ["state", "due_at"])
    op.create_index("ix_console_followups_assignee_id", "console_followups", ["assignee_id"])
    op.create_table(
        "console_followup_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("console_users.id")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(24)),
        sa.Column("assignee_id", sa.Integer),
    )
    op.create_index(
        "ix_console_followup_changes_sender_id", "console_followup_changes", ["sender_id"]
    )


def downgrade() -> None:
    op.drop_table("console_followup_changes")
    op.drop_table("console_followups")

"""Alerts that reach someone: one notification per conversation and level, its deliveries
(email, webhook) and every delivery attempt.

The unique constraint on (sender_id, level) is what makes "one notification per conversation
and level" hold across several console processes: the second INSERT fails and that process
moves on. Deliveries and attempts go with their notification (ON DELETE CASCADE), so the
retention purge removes them with the conversation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("reached_at", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("sender_id", "level", name="uq_console_notifications_sender_level"),
    )
    op.create_table(
        "console_notification_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "notification_id",
            sa.Integer,
            sa.ForeignKey("console_notifications.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("claimed_until", sa.Float),
        sa.Column("sent_at", sa.Float),
        sa.Column("last_error", sa.String(255)),
        sa.UniqueConstraint(
            "notification_id", "channel", name="uq_console_notification_deliveries_channel"
        ),
    )
    op.create_index(
        "ix_console_notification_deliveries_due",
        "console_notification_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_table(
        "console_notification_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "delivery_id",
            sa.Integer,
            sa.ForeignKey("console_notification_deliveries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("error", sa.String(255)),
    )
    op.create_index(
        "ix_console_notification_attempts_delivery_id",
        "console_notification_attempts",
        ["delivery_id"],
    )


def downgrade() -> None:
    op.drop_table("console_notification_attempts")
    op.drop_table("console_notification_deliveries")
    op.drop_table("console_notifications")

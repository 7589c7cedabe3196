"""Login throttling per (username, address) and per address replaces the per-username
lock-out (issue 14, finding 2): ``console_login_throttle`` holds the counters, and the
attempt log ``console_login_attempts`` goes (the audit log keeps every login and failure).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_login_throttle",
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("username", sa.String(255), primary_key=True),
        sa.Column("ip", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", sa.Float, nullable=False),
    )
    op.create_index("ix_console_login_throttle_ip", "console_login_throttle", ["ip"])
    op.drop_index("ix_console_login_attempts_ip_at", table_name="console_login_attempts")
    op.drop_index("ix_console_login_attempts_username_at", table_name="console_login_attempts")
    op.drop_table("console_login_attempts")


def downgrade() -> None:
    op.create_table(
        "console_login_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
    )
    op.create_index(
        "ix_console_login_attempts_username_at", "console_login_attempts", ["username", "at"]
    )
    op.create_index("ix_console_login_attempts_ip_at", "console_login_attempts", ["ip", "at"])
    op.drop_index("ix_console_login_throttle_ip", table_name="console_login_throttle")
    op.drop_table("console_login_throttle")

"""An alert when a patient leaves before the end at an urgent or emergency floor (issue 12,
item 3): a notification has a ``kind``, "reached" (the conversation reached the level) or
"left" (it was left before the end at that level, its floor). The unique constraint becomes
(sender_id, level, kind): still one notification per conversation, level and kind, so a
conversation sends at most one "left" alert per level however often it is re-read.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import contextlib

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


#: The tables that hang on console_notifications (ON DELETE CASCADE), parents first.
CHILDREN = ("console_notification_deliveries", "console_notification_attempts")


@contextlib.contextmanager
def _children_kept():
    """On SQLite, changing the unique constraint rebuilds console_notifications (Alembic's
    batch mode: copy, DROP, rename). With foreign keys on (store/sqlite.py), the DROP deletes
    every delivery and attempt through ON DELETE CASCADE, and the pragma cannot be turned off
    inside the migration's transaction; so they are copied aside and put back, ids and all.
    PostgreSQL alters the constraint in place."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for table in CHILDREN:
            op.execute(f"CREATE TEMP TABLE _kept_{table} AS SELECT * FROM {table}")
    yield
    if sqlite:
        for table in CHILDREN:
            op.execute(f"INSERT INTO {table} SELECT * FROM _kept_{table}")
            op.execute(f"DROP TABLE _kept_{table}")


def upgrade() -> None:
    with _children_kept(), op.batch_alter_table("console_notifications") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="reached"))
        batch.drop_constraint("uq_console_notifications_sender_level", type_="unique")
        batch.create_unique_constraint(
            "uq_console_notifications_sender_level_kind", ["sender_id", "level", "kind"]
        )


def downgrade() -> None:
    op.execute("DELETE FROM console_notifications WHERE kind <> 'reached'")
    with _children_kept(), op.batch_alter_table("console_notifications") as batch:
        batch.drop_constraint("uq_console_notifications_sender_level_kind", type_="unique")
        batch.create_unique_constraint(
            "uq_console_notifications_sender_level", ["sender_id", "level"]
        )
        batch.drop_column("kind")

"""Table definitions (SQLAlchemy Core) for the queries; the migrations create them.

``events`` is Rasa's table, described here only so queries can name its columns: the console
never creates or alters it (Rasa's SQLTrackerStore does), and only the purge deletes from it.
Everything the console owns starts with ``console_`` so it can share the tracker database
without ever colliding with Rasa. Times are float epoch seconds, like Rasa's ``timestamp``.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: Rasa's tracker-store table (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent).
events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)

users = sa.Table(
    "console_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_login_at", sa.Float),
)

sessions = sa.Table(
    "console_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_seen_at", sa.Float, nullable=False),
)

#: Failed-login counters (console/throttle.py): one row per (username, address) pair
#: (kind "pair") and per address (kind "ip", username "").
login_throttle = sa.Table(
    "console_login_throttle",
    metadata,
    sa.Column("kind", sa.String(8), primary_key=True),
    sa.Column("username", sa.String(255), primary_key=True),
    sa.Column("ip", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", sa.Float, nullable=False),
)

conversations = sa.Table(
    "console_conversations",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("first_at", sa.Float),
    sa.Column("last_at", sa.Float),
    sa.Column("last_event_id", sa.Integer, nullable=False),
    sa.Column("last_message_event_id", sa.Integer),
    sa.Column("user_messages", sa.Integer, nullable=False),
    sa.Column("bot_messages", sa.Integer, nullable=False),
    sa.Column("level", sa.String(32)),
    sa.Column("level_rank", sa.Integer, nullable=False),
    sa.Column("concerns", sa.Text, nullable=False),
    sa.Column("gestational_weeks", sa.Float),
    sa.Column("search_text", sa.Text, nullable=False),
    sa.Column("changed_seq", sa.Integer, nullable=False),
    sa.Column("alert_event_id", sa.Integer),
    sa.Column("alert_seq", sa.Integer, nullable=False),
    # migration 0004: "decided" | "asking" | NULL (console.events.triage_progress), and when
    # the conversation reached its level (the follow-up's due time counts from it)
    sa.Column("triage_state", sa.String(16)),
    sa.Column("level_at", sa.Float),
)

conversation_concerns = sa.Table(
    "console_conversation_concerns",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("concern", sa.String(64), primary_key=True),
)

#: The symptoms the bot recorded in a conversation (every value its ``symptoms`` slot took),
#: for the dashboard's counts (migration 0006); rebuilt with the summary like the concerns.
conversation_symptoms = sa.Table(
    "console_conversation_symptoms",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("symptom", sa.String(64), primary_key=True),
)

sync_state = sa.Table(
    "console_sync_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("last_event_id", sa.Integer, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("gap_seen_at", sa.Float),
)

reviews = sa.Table(
    "console_reviews",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("reviewed_at", sa.Float, nullable=False),
    sa.Column("reviewed_by", sa.Integer, sa.ForeignKey("console_users.id"), nullable=False),
    sa.Column("through_event_id", sa.Integer, nullable=False),
)

notes = sa.Table(
    "console_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # "note" | "contact"
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("author_id", sa.Integer, sa.ForeignKey("console_users.id"), nullable=False),
)

flags = sa.Table(
    "console_flags",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("event_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # "nlu" | "triage"
    sa.Column("bot_value", sa.String(255)),
    sa.Column("correct_value", sa.String(255), nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("author_id", sa.Integer, sa.ForeignKey("console_users.id"), nullable=False),
)

audit = sa.Table(
    "console_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("user_id", sa.Integer),
    sa.Column("username", sa.String(255), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("ip", sa.String(64)),
)

#: One alert per conversation, level and kind (console/notify.py): "reached" when the
#: conversation reaches the level, "left" when it is left before the end at that floor. The
#: unique constraint is what stops two console processes from both sending it.
notifications = sa.Table(
    "console_notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("level", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, server_default="reached"),
    sa.Column("reached_at", sa.Float, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint(
        "sender_id", "level", "kind", name="uq_console_notifications_sender_level_kind"
    ),
)

#: One row per channel ("email", "webhook") of a notification: its delivery state.
notification_deliveries = sa.Table(
    "console_notification_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "notification_id",
        sa.Integer,
        sa.ForeignKey("console_notifications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # "pending" | "sent" | "failed"
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.Float, nullable=False),
    sa.Column("claimed_until", sa.Float),
    sa.Column("sent_at", sa.Float),
    sa.Column("last_error", sa.String(255)),
    sa.UniqueConstraint(
        "notification_id", "channel", name="uq_console_notification_deliveries_channel"
    ),
)

#: Every delivery attempt, successful or not.
notification_attempts = sa.Table(
    "console_notification_attempts",
    metadata,
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

#: The follow-up of a conversation (console/followup.py): its state, who it is assigned to,
#: and when it is due (from its level and clinic.yml, recomputed when the level changes).
followups = sa.Table(
    "console_followups",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("state", sa.String(24), nullable=False),
    sa.Column("assignee_id", sa.Integer, sa.ForeignKey("console_users.id")),
    sa.Column("due_level", sa.String(32)),  # the level the due time was computed for
    sa.Column("due_from", sa.Float),  # ... and the time it counts from
    sa.Column("due_at", sa.Float),
    sa.Column("changed_at", sa.Float),  # the last change by a person
)

#: Every follow-up change: who, when, and what (the state, or the assignee).
followup_changes = sa.Table(
    "console_followup_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("console_users.id")),  # NULL: the console
    sa.Column("kind", sa.String(16), nullable=False),  # "state" | "assign"
    sa.Column("state", sa.String(24)),
    sa.Column("assignee_id", sa.Integer),
)

sa.Index("ix_console_sessions_user_id", sessions.c.user_id)
sa.Index("ix_console_followups_due", followups.c.state, followups.c.due_at)
sa.Index("ix_console_followups_assignee_id", followups.c.assignee_id)
sa.Index("ix_console_followup_changes_sender_id", followup_changes.c.sender_id)
sa.Index("ix_console_login_throttle_ip", login_throttle.c.ip)
sa.Index("ix_console_conversations_queue", conversations.c.level_rank, conversations.c.last_at)
sa.Index("ix_console_conversations_alert_seq", conversations.c.alert_seq)
sa.Index("ix_console_conversation_concerns_concern", conversation_concerns.c.concern)
sa.Index("ix_console_conversation_symptoms_symptom", conversation_symptoms.c.symptom)
sa.Index("ix_console_conversations_first_at", conversations.c.first_at)
sa.Index("ix_console_notes_sender_id", notes.c.sender_id)
sa.Index("ix_console_flags_sender_id", flags.c.sender_id)
sa.Index("ix_console_audit_at", audit.c.at)
sa.Index("ix_console_audit_sender_id", audit.c.sender_id)
sa.Index(
    "ix_console_notification_deliveries_due",
    notification_deliveries.c.status,
    notification_deliveries.c.next_attempt_at,
)
sa.Index("ix_console_notification_attempts_delivery_id", notification_attempts.c.delivery_id)

#: Tables holding data about one conversation: the purge deletes a conversation's rows here.
#: A notification's deliveries and attempts go with it (ON DELETE CASCADE).
PER_CONVERSATION = (
    conversations,
    conversation_concerns,
    conversation_symptoms,
    reviews,
    notes,
    flags,
    notifications,
    followups,
    followup_changes,
)

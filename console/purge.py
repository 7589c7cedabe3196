"""Retention: delete conversations whose last event is older than N days.

A conversation goes as a whole (all of its ``events`` rows in Rasa's table, and its summary,
review, notes and flags in ours), never half, and in batches so that a large purge does not
hold a long write lock on a SQLite file Rasa is writing to. Each purged conversation and the
purge run itself are written to the audit log (which is kept: it holds ids, not patient text).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from console import audit
from console.db import events_table_exists
from console.tables import PER_CONVERSATION, events, login_throttle, sync_state

BATCH = 100
DAY = 86400


@dataclass(frozen=True)
class PurgeResult:
    cutoff: float
    conversations: int
    events: int


def expired_conversations(engine: Engine, cutoff: float) -> list[str]:
    """Conversations whose newest event is older than ``cutoff`` (epoch seconds)."""
    if not events_table_exists(engine):
        return []
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(events.c.sender_id)
                .group_by(events.c.sender_id)
                .having(sa.func.max(events.c.timestamp) < cutoff)
                .order_by(events.c.sender_id)
            ).scalars()
        )


def purge(
    engine: Engine,
    older_than_days: int,
    actor: str,
    dry_run: bool = False,
    now: float | None = None,
) -> PurgeResult:
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    cutoff = (time.time() if now is None else now) - older_than_days * DAY
    senders = expired_conversations(engine, cutoff)
    if dry_run:
        return PurgeResult(cutoff, len(senders), 0)
    deleted_events = purged = 0
    for start in range(0, len(senders), BATCH):
        batch = senders[start : start + BATCH]
        with engine.begin() as conn:
            # re-check inside the transaction: a patient may have written again meanwhile
            still_old = set(
                conn.execute(
                    sa.select(events.c.sender_id)
                    .where(events.c.sender_id.in_(batch))
                    .group_by(events.c.sender_id)
                    .having(sa.func.max(events.c.timestamp) < cutoff)
                ).scalars()
            )
            for sender in batch:
                if sender not in still_old:
                    continue
                n = conn.execute(sa.delete(events).where(events.c.sender_id == sender)).rowcount
                deleted_events += n
                purged += 1
                for table in PER_CONVERSATION:
                    conn.execute(sa.delete(table).where(table.c.sender_id == sender))
                audit.record(
                    conn,
                    "purge_conversation",
                    username=actor,
                    sender_id=sender,
                    detail={"events": n, "older_than_days": older_than_days},
                )
            _lower_watermark(conn)
    with engine.begin() as conn:
        conn.execute(sa.delete(login_throttle).where(login_throttle.c.last_failure_at < cutoff))
        audit.record(
            conn,
            "purge",
            username=actor,
            detail={
                "older_than_days": older_than_days,
                "cutoff": round(cutoff, 3),
                "conversations": purged,
                "events": deleted_events,
            },
        )
    return PurgeResult(cutoff, purged, deleted_events)


def _lower_watermark(conn) -> None:
    """SQLite gives new rows max(id)+1: after deleting the newest rows, ids below the sync
    watermark will be used again, so the watermark must come down to the highest id left."""
    highest = conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.id), 0))).scalar()
    conn.execute(
        sa.update(sync_state)
        .where(sync_state.c.last_event_id > highest)
        .values(last_event_id=highest, gap_seen_at=None)
    )

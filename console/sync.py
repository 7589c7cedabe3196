"""Keeping the queue summary (``console_conversations``) in step with Rasa's ``events``.

Why a summary table at all: the queue sorts and filters every conversation by its highest
level, concerns and times. Computing that from the raw JSON of every event on each page load
would scan the whole table with dialect-specific JSON functions; instead each sync reads only
events newer than a watermark, and recomputes (idempotently, from all of its events) the
summary of each conversation they belong to.

Why the watermark is careful: on PostgreSQL ids come from a sequence, so a transaction that
took id 10 can commit after one that took id 11. Skipping past 10 would lose that event (it
might be the emergency). So the watermark only moves over a contiguous run of ids; a gap
holds it back until the gap fills or has been open for ``gap_timeout`` seconds (a rolled-back
insert leaves a gap that never fills). Events after a gap are still summarised at once (the
recompute is idempotent), so holding the watermark back never delays the queue.
SQLite re-uses the ids of deleted rows (a new row gets max(id)+1), so the purge moves the
watermark down to the highest id it leaves; if ids still go below the watermark (rows deleted
by hand), the whole table is re-read once, which is safe because the recompute is idempotent.

Concurrent syncs (several browser polls, several console processes) are serialised by an
UPDATE of the single ``console_sync_state`` row; a sync that finds the watermark moved under
it gives way.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from console.db import events_table_exists
from console.events import Summary, event_row, summarize
from console.tables import (
    conversation_concerns,
    conversation_symptoms,
    conversations,
    events,
    sync_state,
)

BATCH = 2000
SENDER_CHUNK = 200
_lock = threading.Lock()


def sync(engine: Engine, gap_timeout: float = 60, max_batches: int = 100) -> int:
    """Bring the summary up to date; returns how many conversations changed.

    Within one call the scan moves past gaps (so a long backlog is read in full); the stored
    watermark only moves over contiguous ids (see the module docstring).
    """
    if not events_table_exists(engine):
        return 0
    changed = 0
    scan_from: int | None = None
    with _lock:
        for _ in range(max_batches):
            n, scan_from = _sync_batch(engine, gap_timeout, time.time(), scan_from)
            changed += n
            if scan_from is None:
                break
    return changed


def _advance(
    watermark: int, ids: list[int], gap_seen_at: float | None, now: float, gap_timeout: float
) -> tuple[int, float | None]:
    """The new watermark and gap clock after seeing ``ids`` (sorted, all > watermark)."""
    settled = watermark
    for event_id in ids:
        if event_id != settled + 1:
            break
        settled = event_id
    if not ids or settled == ids[-1]:
        return settled, None
    if gap_seen_at is None:
        return settled, now
    if now - gap_seen_at >= gap_timeout:
        return ids[-1], None
    return settled, gap_seen_at


def _ensure_state_row(engine: Engine) -> None:
    """The migration creates the row; recreate it if someone deleted it by hand."""
    with engine.connect() as conn:
        if conn.execute(sa.select(sync_state.c.id).where(sync_state.c.id == 1)).first():
            return
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.insert(sync_state).values(id=1, last_event_id=0, seq=0, gap_seen_at=None)
            )
    except sa.exc.IntegrityError:  # another process re-created it first
        pass


def _sync_batch(
    engine: Engine, gap_timeout: float, now: float, scan_from: int | None
) -> tuple[int, int | None]:
    """One batch; returns (conversations changed, where the next batch starts or None)."""
    _ensure_state_row(engine)
    with engine.connect() as conn:
        state = conn.execute(sa.select(sync_state).where(sync_state.c.id == 1)).one()
        watermark = state.last_event_id
        max_id = conn.execute(sa.select(sa.func.max(events.c.id))).scalar() or 0
        if max_id < watermark:  # rows were deleted behind our back: re-read everything
            watermark = 0
        start = max(watermark, scan_from or 0)
        rows = conn.execute(
            sa.select(events.c.id, events.c.sender_id)
            .where(events.c.id > start)
            .order_by(events.c.id)
            .limit(BATCH)
        ).all()
    ids = [r.id for r in rows]
    if start == watermark:
        new_watermark, gap_seen_at = _advance(watermark, ids, state.gap_seen_at, now, gap_timeout)
    else:  # scanning past a gap: the stored watermark stays where it is
        new_watermark, gap_seen_at = watermark, state.gap_seen_at
    unchanged_state = (new_watermark, gap_seen_at) == (state.last_event_id, state.gap_seen_at)
    if not rows and unchanged_state:
        return 0, None
    senders = sorted({r.sender_id for r in rows})
    summaries = _summaries(engine, senders)
    changed = _write(engine, state.last_event_id, new_watermark, gap_seen_at, senders, summaries)
    if changed is None:  # another sync moved the watermark meanwhile and did this work
        return 0, None
    return changed, (ids[-1] if len(rows) == BATCH else None)


def _summaries(engine: Engine, senders: list[str]) -> dict[str, Summary]:
    """Recompute each sender's summary from all of its events (short reads, in chunks)."""
    result: dict[str, Summary] = {}
    for start in range(0, len(senders), SENDER_CHUNK):
        chunk = senders[start : start + SENDER_CHUNK]
        grouped: dict[str, list] = defaultdict(list)
        with engine.connect() as conn:
            for r in conn.execute(
                sa.select(
                    events.c.id,
                    events.c.sender_id,
                    events.c.type_name,
                    events.c.timestamp,
                    events.c.data,
                )
                .where(events.c.sender_id.in_(chunk))
                .order_by(events.c.id)
            ):
                grouped[r.sender_id].append(event_row(r.id, r.type_name, r.timestamp, r.data))
        for sender in chunk:
            if grouped.get(sender):
                result[sender] = summarize(sender, grouped[sender])
    return result


def _row_values(summary: Summary) -> dict:
    return {
        "sender_id": summary.sender_id,
        "first_at": summary.first_at,
        "last_at": summary.last_at,
        "last_event_id": summary.last_event_id,
        "last_message_event_id": summary.last_message_event_id,
        "user_messages": summary.user_messages,
        "bot_messages": summary.bot_messages,
        "level": summary.level,
        "level_rank": summary.level_rank,
        "concerns": json.dumps(list(summary.concerns)),
        "gestational_weeks": summary.gestational_weeks,
        "search_text": summary.search_text,
        "alert_event_id": summary.alert_event_id,
        "triage_state": summary.triage_state,
        "level_at": summary.level_at,
    }


class _GaveWay(Exception):
    """Raised inside the write transaction to roll it back when another sync won."""


def _write(
    engine: Engine,
    expected_watermark: int,
    new_watermark: int,
    gap_seen_at: float | None,
    senders: list[str],
    summaries: dict[str, Summary],
) -> int | None:
    """One short write transaction; None if another sync got there first."""
    try:
        return _write_in_transaction(
            engine, expected_watermark, new_watermark, gap_seen_at, senders, summaries
        )
    except _GaveWay:
        return None


def _write_in_transaction(
    engine: Engine,
    expected_watermark: int,
    new_watermark: int,
    gap_seen_at: float | None,
    senders: list[str],
    summaries: dict[str, Summary],
) -> int:
    with engine.begin() as conn:
        conn.execute(
            sa.update(sync_state).where(sync_state.c.id == 1).values(seq=sync_state.c.seq + 1)
        )
        state = conn.execute(sa.select(sync_state).where(sync_state.c.id == 1)).one()
        if state.last_event_id != expected_watermark:
            raise _GaveWay()
        seq = state.seq
        existing = (
            {
                r.sender_id: r
                for r in conn.execute(
                    sa.select(conversations).where(conversations.c.sender_id.in_(senders))
                )
            }
            if senders
            else {}
        )
        changed = 0
        for sender in senders:
            old = existing.get(sender)
            summary = summaries.get(sender)
            if summary is None:  # its events were purged meanwhile
                if old is not None:
                    conn.execute(
                        sa.delete(conversations).where(conversations.c.sender_id == sender)
                    )
                    conn.execute(
                        sa.delete(conversation_concerns).where(
                            conversation_concerns.c.sender_id == sender
                        )
                    )
                    conn.execute(
                        sa.delete(conversation_symptoms).where(
                            conversation_symptoms.c.sender_id == sender
                        )
                    )
                    changed += 1
                continue
            values = _row_values(summary)
            if old is not None and all(getattr(old, k) == v for k, v in values.items()):
                continue
            new_alert = summary.alert_event_id is not None and (
                old is None or old.alert_event_id != summary.alert_event_id
            )
            values["changed_seq"] = seq
            values["alert_seq"] = seq if new_alert else (old.alert_seq if old is not None else 0)
            conn.execute(sa.delete(conversations).where(conversations.c.sender_id == sender))
            conn.execute(sa.insert(conversations).values(**values))
            conn.execute(
                sa.delete(conversation_concerns).where(conversation_concerns.c.sender_id == sender)
            )
            if summary.concerns:
                conn.execute(
                    sa.insert(conversation_concerns),
                    [{"sender_id": sender, "concern": c} for c in summary.concerns],
                )
            conn.execute(
                sa.delete(conversation_symptoms).where(conversation_symptoms.c.sender_id == sender)
            )
            if summary.symptoms:
                conn.execute(
                    sa.insert(conversation_symptoms),
                    [{"sender_id": sender, "symptom": s} for s in summary.symptoms],
                )
            changed += 1
        conn.execute(
            sa.update(sync_state)
            .where(sync_state.c.id == 1)
            .values(last_event_id=new_watermark, gap_seen_at=gap_seen_at)
        )
    return changed

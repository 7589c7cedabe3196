"""One conversation for the case view, and the review actions on it.

Each action writes its row and its audit entry in the same transaction, so there is never a
change without a record of who made it (nor a record of a change that did not happen).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from console import audit
from console.auth import User
from console.events import (
    ASKING,
    LEVELS,
    EventRow,
    Findings,
    Progress,
    Turn,
    build_turns,
    dict_field,
    event_row,
    findings_from,
    triage_of,
    triage_progress,
)
from console.tables import events, flags, notes, reviews, users

MAX_NOTE = 5000
MAX_COMMENT = 1000
INTENT_MAX = 100


class ActionError(ValueError):
    """A review action that cannot be done as asked (message safe to show)."""


@dataclass(frozen=True)
class Note:
    id: int
    kind: str
    body: str
    created_at: float
    author: str


@dataclass(frozen=True)
class Flag:
    id: int
    event_id: int
    kind: str
    bot_value: str | None
    correct_value: str
    comment: str
    created_at: float
    author: str


@dataclass(frozen=True)
class Review:
    reviewed_at: float
    reviewer: str
    through_event_id: int


@dataclass
class Case:
    sender_id: str
    turns: list[Turn]
    findings: Findings
    decisions: list[Turn]
    review: Review | None
    notes: list[Note]
    flags: list[Flag]
    last_message_event_id: int
    progress: Progress = Progress(None, None, (), None, False)
    last_at: float | None = None  # the latest message

    def left_before_end(self, now: float, left_after: float) -> bool:
        """No final decision after the bot started asking, and no message for ``left_after``
        seconds (the queue's ``left_expr``, for one case)."""
        return self.progress.state == ASKING and (self.last_at or 0) < now - left_after

    @property
    def status(self) -> str:
        if self.review is None:
            return "unreviewed"
        return (
            "updated" if self.review.through_event_id < self.last_message_event_id else "reviewed"
        )

    def flags_for(self, event_id: int) -> list[Flag]:
        return [f for f in self.flags if f.event_id == event_id]


def event_rows(engine: Engine, sender_id: str) -> list[EventRow]:
    with engine.connect() as conn:
        return [
            event_row(r.id, r.type_name, r.timestamp, r.data)
            for r in conn.execute(
                sa.select(events.c.id, events.c.type_name, events.c.timestamp, events.c.data)
                .where(events.c.sender_id == sender_id)
                .order_by(events.c.id)
            )
        ]


def load_case(engine: Engine, sender_id: str) -> Case | None:
    rows = event_rows(engine, sender_id)
    if not rows:
        return None
    turns = build_turns(rows)
    with engine.connect() as conn:
        review = conn.execute(
            sa.select(reviews, users.c.username)
            .join(users, users.c.id == reviews.c.reviewed_by)
            .where(reviews.c.sender_id == sender_id)
        ).first()
        note_rows = conn.execute(
            sa.select(notes, users.c.username)
            .join(users, users.c.id == notes.c.author_id)
            .where(notes.c.sender_id == sender_id)
            .order_by(notes.c.id)
        ).all()
        flag_rows = conn.execute(
            sa.select(flags, users.c.username)
            .join(users, users.c.id == flags.c.author_id)
            .where(flags.c.sender_id == sender_id)
            .order_by(flags.c.id)
        ).all()
    return Case(
        sender_id=sender_id,
        turns=turns,
        findings=findings_from(rows),
        decisions=[t for t in turns if t.triage is not None],
        review=Review(review.reviewed_at, review.username, review.through_event_id)
        if review
        else None,
        notes=[Note(n.id, n.kind, n.body, n.created_at, n.username) for n in note_rows],
        flags=[
            Flag(
                f.id,
                f.event_id,
                f.kind,
                f.bot_value,
                f.correct_value,
                f.comment,
                f.created_at,
                f.username,
            )
            for f in flag_rows
        ],
        last_message_event_id=max((t.event_id for t in turns if t.kind != "session"), default=0),
        progress=triage_progress(rows),
        last_at=max(
            (t.at for t in turns if t.kind != "session" and t.at is not None), default=None
        ),
    )


def _event(engine: Engine, sender_id: str, event_id: int) -> EventRow | None:
    with engine.connect() as conn:
        r = conn.execute(
            sa.select(events.c.id, events.c.type_name, events.c.timestamp, events.c.data).where(
                events.c.id == event_id, events.c.sender_id == sender_id
            )
        ).first()
    return event_row(r.id, r.type_name, r.timestamp, r.data) if r else None


def _require_conversation(engine: Engine, sender_id: str) -> int:
    """The id of the conversation's latest event; refuses unknown conversations."""
    with engine.connect() as conn:
        last = conn.execute(
            sa.select(sa.func.max(events.c.id)).where(events.c.sender_id == sender_id)
        ).scalar()
    if last is None:
        raise ActionError("no such conversation")
    return last


def mark_reviewed(
    engine: Engine, sender_id: str, user: User, through_event_id: int, ip: str
) -> None:
    """Reviewed up to the last message the nurse saw; later messages reopen it ("updated")."""
    last = _require_conversation(engine, sender_id)
    through = min(through_event_id, last)
    with engine.begin() as conn:
        conn.execute(sa.delete(reviews).where(reviews.c.sender_id == sender_id))
        conn.execute(
            sa.insert(reviews).values(
                sender_id=sender_id,
                reviewed_at=time.time(),
                reviewed_by=user.id,
                through_event_id=through,
            )
        )
        audit.record(
            conn,
            "mark_reviewed",
            username=user.username,
            user_id=user.id,
            sender_id=sender_id,
            detail={"through_event_id": through},
            ip=ip,
        )


def add_note(engine: Engine, sender_id: str, user: User, body: str, kind: str, ip: str) -> None:
    """A free-text note, or a "patient contacted" record (whose text is optional)."""
    if kind not in ("note", "contact"):
        raise ActionError("unknown note kind")
    body = body.strip()
    if kind == "note" and not body:
        raise ActionError("the note is empty")
    if len(body) > MAX_NOTE:
        raise ActionError(f"notes are limited to {MAX_NOTE} characters")
    _require_conversation(engine, sender_id)
    with engine.begin() as conn:
        note_id = conn.execute(
            sa.insert(notes).values(
                sender_id=sender_id,
                kind=kind,
                body=body,
                created_at=time.time(),
                author_id=user.id,
            )
        ).inserted_primary_key[0]
        audit.record(
            conn,
            "add_note" if kind == "note" else "patient_contacted",
            username=user.username,
            user_id=user.id,
            sender_id=sender_id,
            detail={"note_id": note_id},
            ip=ip,
        )


def _check_comment(comment: str) -> str:
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise ActionError(f"comments are limited to {MAX_COMMENT} characters")
    return comment


def flag_nlu(
    engine: Engine,
    sender_id: str,
    user: User,
    event_id: int,
    correct_intent: str,
    comment: str,
    ip: str,
) -> None:
    """The bot misunderstood this patient message; ``correct_intent`` is what it meant."""
    correct_intent = correct_intent.strip()
    if (
        not correct_intent
        or len(correct_intent) > INTENT_MAX
        or not all(c.isalnum() or c in "_-" for c in correct_intent)
    ):
        raise ActionError("the intent name may contain letters, digits, '_' and '-' only")
    row = _event(engine, sender_id, event_id)
    if row is None or row.type_name != "user":
        raise ActionError("that is not a patient message of this conversation")
    parse = dict_field(row.data, "parse_data")
    bot_intent = dict_field(parse, "intent").get("name")
    _insert_flag(
        engine,
        sender_id,
        user,
        event_id,
        "nlu",
        bot_intent,
        correct_intent,
        _check_comment(comment),
        ip,
    )


def flag_triage(
    engine: Engine,
    sender_id: str,
    user: User,
    event_id: int,
    correct_level: str,
    comment: str,
    ip: str,
) -> None:
    """The bot's answer was wrong; ``correct_level`` is the level it should have been."""
    if correct_level not in LEVELS:
        raise ActionError("unknown level")
    row = _event(engine, sender_id, event_id)
    if row is None or row.type_name != "bot":
        raise ActionError("that is not a bot message of this conversation")
    decision = triage_of(row.data)
    _insert_flag(
        engine,
        sender_id,
        user,
        event_id,
        "triage",
        decision.level if decision else None,
        correct_level,
        _check_comment(comment),
        ip,
    )


def _insert_flag(
    engine: Engine,
    sender_id: str,
    user: User,
    event_id: int,
    kind: str,
    bot_value: str | None,
    correct_value: str,
    comment: str,
    ip: str,
) -> None:
    with engine.begin() as conn:
        flag_id = conn.execute(
            sa.insert(flags).values(
                sender_id=sender_id,
                event_id=event_id,
                kind=kind,
                bot_value=bot_value,
                correct_value=correct_value,
                comment=comment,
                created_at=time.time(),
                author_id=user.id,
            )
        ).inserted_primary_key[0]
        audit.record(
            conn,
            "flag_nlu" if kind == "nlu" else "flag_triage",
            username=user.username,
            user_id=user.id,
            sender_id=sender_id,
            detail={
                "flag_id": flag_id,
                "event_id": event_id,
                "bot": bot_value,
                "correct": correct_value,
            },
            ip=ip,
        )


def known_intents(engine: Engine, limit: int = 500) -> list[str]:
    """Intent names the bot has used, for the "what did the patient mean" suggestions."""
    with engine.connect() as conn:
        return sorted(
            n
            for n in conn.execute(
                sa.select(events.c.intent_name)
                .where(events.c.intent_name.isnot(None))
                .distinct()
                .limit(limit)
            ).scalars()
            if n
        )

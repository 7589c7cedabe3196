"""The follow-up workflow (issue 12, item 2): what happens to a conversation after the bot.

Each conversation has one follow-up: a state (``STATES``), an assignee, and a due time from
its level (``follow_up_due`` in clinic.yml, counted from when the conversation reached that
level: ``console_conversations.level_at``, else its first message). Every change is a row of
``console_followup_changes`` (who, when, what) and an audit entry, written in one
transaction, as the review actions do (console/cases.py).

A follow-up is **overdue** when its due time has passed and it is still open (new, in review
or contact attempted): the patient has been neither reached nor the case closed. The queue
sorts overdue conversations first.

Due times are kept in the table (``refresh_due``) rather than computed per page load, so that
the queue can sort and filter by them in SQL: each refresh touches only the conversations
whose level, or the time it counts from, changed since the last one. When a conversation
reaches a higher level after its follow-up was closed or the patient contacted, the follow-up
opens again as new (recorded as a change by the console itself): a new emergency is never
hidden under an old "closed".
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from console import audit
from console.auth import User
from console.events import level_rank
from console.tables import conversations, events, followup_changes, followups, users
from triage.clinic import FollowUpDue

STATES = ("new", "in_review", "contact_attempted", "contacted", "closed")
STATE_LABELS = {
    "new": "New",
    "in_review": "In review",
    "contact_attempted": "Contact attempted",
    "contacted": "Contacted",
    "closed": "Closed",
}
#: States in which a follow-up can be overdue (nobody has reached the patient yet).
OPEN_STATES = ("new", "in_review", "contact_attempted")
#: The name changes made by the console itself (a follow-up reopened) carry in the audit log.
CONSOLE_ACTOR = "console"


class FollowUpError(ValueError):
    """A follow-up change that cannot be made as asked (message safe to show)."""


def state_expr():
    """The follow-up state of a ``console_conversations`` row (outer-joined): new if none."""
    return sa.func.coalesce(followups.c.state, "new")


def overdue_expr(now: float):
    return sa.and_(
        state_expr().in_(OPEN_STATES),
        followups.c.due_at.isnot(None),
        followups.c.due_at < now,
    )


def refresh_due(engine: Engine, policy: FollowUpDue, zone: str, now: float | None = None) -> int:
    """Create the missing follow-ups and recompute the due time of those whose level (or the
    time it counts from) changed; returns how many rows were written."""
    now = time.time() if now is None else now
    since = sa.func.coalesce(conversations.c.level_at, conversations.c.first_at)
    query = (
        sa.select(
            conversations.c.sender_id,
            conversations.c.level,
            since.label("since"),
            followups.c.sender_id.label("existing"),
            followups.c.state,
            followups.c.due_level,
        )
        .select_from(
            conversations.outerjoin(followups, followups.c.sender_id == conversations.c.sender_id)
        )
        .where(
            sa.or_(
                followups.c.sender_id.is_(None),
                followups.c.due_level.is_distinct_from(conversations.c.level),
                followups.c.due_from.is_distinct_from(since),
            )
        )
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    if not rows:
        return 0
    inserts = []
    try:
        with engine.begin() as conn:
            for r in rows:
                due = policy.due_at(r.level, r.since, zone) if r.since is not None else None
                values = {"due_level": r.level, "due_from": r.since, "due_at": due}
                if r.existing is None:
                    inserts.append({"sender_id": r.sender_id, "state": "new", **values})
                    continue
                reopen = r.state in ("contacted", "closed") and level_rank(r.level) > level_rank(
                    r.due_level
                )
                if reopen:
                    values["state"] = "new"
                    _change(conn, r.sender_id, None, now, "state", state="new")
                    audit.record(
                        conn,
                        "followup_state",
                        username=CONSOLE_ACTOR,
                        sender_id=r.sender_id,
                        detail={"from": r.state, "to": "new", "reopened_at_level": r.level},
                    )
                conn.execute(
                    sa.update(followups)
                    .where(followups.c.sender_id == r.sender_id)
                    .values(**values)
                )
            if inserts:
                conn.execute(sa.insert(followups), inserts)
    except sa.exc.IntegrityError:  # another process created some of them first: next time
        return 0
    return len(rows)


def _change(conn, sender_id: str, user_id: int | None, at: float, kind: str, **values) -> None:
    conn.execute(
        sa.insert(followup_changes).values(
            sender_id=sender_id, at=at, user_id=user_id, kind=kind, **values
        )
    )


def _require_conversation(conn, sender_id: str) -> None:
    found = conn.execute(
        sa.select(events.c.id).where(events.c.sender_id == sender_id).limit(1)
    ).first()
    if found is None:
        raise FollowUpError("no such conversation")


def _current(conn, sender_id: str):
    return conn.execute(sa.select(followups).where(followups.c.sender_id == sender_id)).first()


def _upsert(conn, sender_id: str, existing, values: dict) -> None:
    if existing is None:
        conn.execute(sa.insert(followups).values(sender_id=sender_id, **{"state": "new", **values}))
    else:
        conn.execute(
            sa.update(followups).where(followups.c.sender_id == sender_id).values(**values)
        )


def change_state(
    engine: Engine, sender_id: str, user: User, state: str, ip: str, now: float | None = None
) -> None:
    """Move the follow-up to ``state``, recorded with who and when."""
    if state not in STATES:
        raise FollowUpError("unknown follow-up state")
    now = time.time() if now is None else now
    _retry_once(lambda: _change_state(engine, sender_id, user, state, ip, now))


def _retry_once(work) -> None:
    """Two nurses acting on a conversation without a follow-up row both insert it; the one
    that loses gets an IntegrityError and, on the second go, updates the winner's row."""
    try:
        work()
    except sa.exc.IntegrityError:
        work()


def _change_state(engine: Engine, sender_id: str, user: User, state: str, ip: str, now: float):
    with engine.begin() as conn:
        _require_conversation(conn, sender_id)
        existing = _current(conn, sender_id)
        before = existing.state if existing is not None else "new"
        _upsert(conn, sender_id, existing, {"state": state, "changed_at": now})
        _change(conn, sender_id, user.id, now, "state", state=state)
        audit.record(
            conn,
            "followup_state",
            username=user.username,
            user_id=user.id,
            sender_id=sender_id,
            detail={"from": before, "to": state},
            ip=ip,
        )


def assign_to_me(
    engine: Engine, sender_id: str, user: User, ip: str, now: float | None = None
) -> None:
    """Assign the follow-up to ``user`` (taking it over from whoever had it)."""
    now = time.time() if now is None else now
    _retry_once(lambda: _assign(engine, sender_id, user, ip, now))


def _assign(engine: Engine, sender_id: str, user: User, ip: str, now: float) -> None:
    with engine.begin() as conn:
        _require_conversation(conn, sender_id)
        existing = _current(conn, sender_id)
        previous = existing.assignee_id if existing is not None else None
        _upsert(conn, sender_id, existing, {"assignee_id": user.id, "changed_at": now})
        _change(conn, sender_id, user.id, now, "assign", assignee_id=user.id)
        audit.record(
            conn,
            "followup_assign",
            username=user.username,
            user_id=user.id,
            sender_id=sender_id,
            detail={"assignee_id": user.id, "previous_assignee_id": previous},
            ip=ip,
        )


@dataclass(frozen=True)
class Change:
    at: float
    by: str  # a username, or CONSOLE_ACTOR
    kind: str
    state: str | None
    assignee: str | None


@dataclass(frozen=True)
class FollowUp:
    state: str
    assignee_id: int | None
    assignee: str | None
    due_at: float | None
    due_level: str | None
    history: tuple[Change, ...]

    def overdue(self, now: float) -> bool:
        return self.state in OPEN_STATES and self.due_at is not None and self.due_at < now


def load(engine: Engine, sender_id: str) -> FollowUp:
    """The follow-up of one conversation (new, with no due time, if it has no row yet)."""
    by = users.alias("by_user")
    to = users.alias("to_user")
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(followups, users.c.username)
            .select_from(followups.outerjoin(users, users.c.id == followups.c.assignee_id))
            .where(followups.c.sender_id == sender_id)
        ).first()
        changes = conn.execute(
            sa.select(
                followup_changes,
                by.c.username.label("by_name"),
                to.c.username.label("to_name"),
            )
            .select_from(
                followup_changes.outerjoin(by, by.c.id == followup_changes.c.user_id).outerjoin(
                    to, to.c.id == followup_changes.c.assignee_id
                )
            )
            .where(followup_changes.c.sender_id == sender_id)
            .order_by(followup_changes.c.id)
        ).all()
    history = tuple(
        Change(c.at, c.by_name or CONSOLE_ACTOR, c.kind, c.state, c.to_name) for c in changes
    )
    if row is None:
        return FollowUp("new", None, None, None, None, history)
    return FollowUp(row.state, row.assignee_id, row.username, row.due_at, row.due_level, history)


def load_fresh(engine: Engine, sender_id: str, policy: FollowUpDue, zone: str) -> FollowUp:
    """``load`` after ``refresh_due`` (the case view and the FHIR download may come before any
    queue page has computed this conversation's due time)."""
    refresh_due(engine, policy, zone)
    return load(engine, sender_id)

"""The audit log: who viewed or changed which conversation, and when.

Append-only from the app's side (there is no route that edits or deletes it), readable by
admins only. ``detail`` is small JSON of ids, levels and counts: never patient text or note
text, so the log itself does not become a second copy of the health data and can be kept
longer than the conversations (the retention purge keeps it, and records itself in it).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from console.tables import audit

ACTIONS = (
    "login",
    "login_failed",
    "login_locked",
    "logout",
    "view_queue",
    "view_case",
    "mark_reviewed",
    "add_note",
    "patient_contacted",
    "flag_nlu",
    "flag_triage",
    "export_nlu",
    "export_triage_csv",
    "export_fhir",
    "followup_state",
    "followup_assign",
    "view_dashboard",
    "view_audit",
    "purge",
    "purge_conversation",
    "create_user",
    "set_password",
    "disable_user",
    "enable_user",
    "unlock_user",
    "unlock_address",
    "access_denied",
)


def record(
    target: Engine | Connection,
    action: str,
    *,
    username: str,
    user_id: int | None = None,
    sender_id: str | None = None,
    detail: dict | None = None,
    ip: str | None = None,
) -> None:
    """Append one entry; pass a Connection to make it part of the caller's transaction."""
    assert action in ACTIONS, action
    values = {
        "at": time.time(),
        "user_id": user_id,
        "username": username[:255],
        "action": action,
        "sender_id": sender_id,
        "detail": json.dumps(detail or {}, sort_keys=True),
        "ip": (ip or None) and ip[:64],
    }
    if isinstance(target, Connection):
        target.execute(sa.insert(audit).values(**values))
    else:
        with target.begin() as conn:
            conn.execute(sa.insert(audit).values(**values))


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    username: str
    action: str
    sender_id: str | None
    detail: dict
    ip: str | None


def entries(
    engine: Engine,
    *,
    sender_id: str = "",
    username: str = "",
    action: str = "",
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[AuditEntry], int]:
    """Newest first, filtered by exact conversation id, username and action."""
    query = sa.select(audit)
    if sender_id:
        query = query.where(audit.c.sender_id == sender_id)
    if username:
        query = query.where(sa.func.lower(audit.c.username) == username.lower())
    if action:
        query = query.where(audit.c.action == action)
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar()
        rows = conn.execute(query.order_by(audit.c.id.desc()).limit(limit).offset(offset)).all()
    return [
        AuditEntry(
            r.id, r.at, r.username, r.action, r.sender_id, json.loads(r.detail or "{}"), r.ip
        )
        for r in rows
    ], total

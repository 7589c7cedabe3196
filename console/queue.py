"""The review queue: filters, ordering and the live-update cursor.

Order: conversations that need review (never reviewed, or new messages since the review)
first; within that, the highest triage level; then the most recent. Every filter value is
checked against a closed list or parsed (dates), and the free-text search is a bound LIKE
parameter with its wildcards escaped, so nothing a user types reaches the SQL text.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from console import followup
from console.events import ALERT_RANK, ASKING, LEVELS
from console.tables import (
    conversation_concerns,
    conversations,
    flags,
    followups,
    notes,
    reviews,
    users,
)

STATUSES = (
    "needs_review",
    "unreviewed",
    "updated",
    "reviewed",
    "flagged",
    "contacted",
    "left",
    "overdue",
)
STATUS_LABELS = {
    "unreviewed": "Not reviewed",
    "updated": "New messages since review",
    "reviewed": "Reviewed",
}
#: How the queue marks a conversation left before the end (``left_expr``).
LEFT_LABEL = "Left before the end"
#: Default of ``Settings.left_after_minutes``, for callers without settings.
DEFAULT_LEFT_AFTER = 30 * 60
LEVEL_CHOICES = (*reversed(LEVELS), "none")
CONCERN_RE = re.compile(r"^[a-z0-9_]{1,64}$")
MAX_QUERY = 200
MAX_PAGE = 100_000
#: Dates outside these are clamped: a day either side of year 1 or 9999 overflows the
#: arithmetic (``to=9999-12-31`` gave a 500), and no message is older than the epoch.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(9999, 12, 30)


class FilterError(ValueError):
    """A filter value outside its allowed values (shown to the user as a 400)."""


@dataclass(frozen=True)
class Filters:
    level: str = ""
    concern: str = ""
    date_from: date | None = None
    date_to: date | None = None
    status: str = ""
    q: str = ""
    page: int = 1
    mine: bool = False  # only the follow-ups assigned to the signed-in user

    def query_args(self) -> dict[str, str]:
        """The non-empty filters, to rebuild links (paging) and the poll URL."""
        args = {
            "level": self.level,
            "concern": self.concern,
            "status": self.status,
            "q": self.q,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "mine": "1" if self.mine else "",
        }
        return {k: v for k, v in args.items() if v}


def _date(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{name} must be a date (YYYY-MM-DD)") from None
    return min(max(day, FIRST_DAY), LAST_DAY)


def parse_filters(params) -> Filters:
    """Filters from query parameters; raises FilterError on anything unexpected."""
    level = params.get("level", "").strip()
    if level and level not in LEVEL_CHOICES:
        raise FilterError("unknown level")
    concern = params.get("concern", "").strip()
    if concern and not CONCERN_RE.match(concern):
        raise FilterError("unknown concern")
    status = params.get("status", "").strip()
    if status and status not in STATUSES:
        raise FilterError("unknown status")
    q = params.get("q", "").strip()
    if len(q) > MAX_QUERY:
        raise FilterError(f"the search text is limited to {MAX_QUERY} characters")
    try:
        page = max(1, min(int(params.get("page", "1") or 1), MAX_PAGE))
    except ValueError:
        raise FilterError("page must be a number") from None
    mine = params.get("mine", "").strip()
    if mine not in ("", "1"):
        raise FilterError("mine must be 1 or absent")
    return Filters(
        level,
        concern,
        _date(params.get("from", "").strip(), "from"),
        _date(params.get("to", "").strip(), "to"),
        status,
        q,
        page,
        mine == "1",
    )


def _status_expr():
    last_msg = sa.func.coalesce(conversations.c.last_message_event_id, 0)
    return sa.case(
        (reviews.c.sender_id.is_(None), "unreviewed"),
        (reviews.c.through_event_id < last_msg, "updated"),
        else_="reviewed",
    )


def _needs_review_expr():
    last_msg = sa.func.coalesce(conversations.c.last_message_event_id, 0)
    return sa.case(
        (reviews.c.sender_id.is_(None), 1),
        (reviews.c.through_event_id < last_msg, 1),
        else_=0,
    )


def _flagged_expr():
    return sa.exists().where(flags.c.sender_id == conversations.c.sender_id)


def _contacted_expr():
    return sa.exists().where(
        notes.c.sender_id == conversations.c.sender_id, notes.c.kind == "contact"
    )


def left_expr(cutoff: float):
    """Left before the end: the bot had started its questions (it recorded a floor) but gave no
    final decision, and no message came after ``cutoff`` (now minus
    ``Settings.left_after_minutes``). The row's level is then its floor (events.summarize)."""
    return sa.and_(
        conversations.c.triage_state == ASKING,
        sa.func.coalesce(conversations.c.last_at, 0) < cutoff,
    )


def left_cutoff(left_after_seconds: float, now: float | None = None) -> float:
    return (time.time() if now is None else now) - left_after_seconds


def _epoch(day: date, tz: ZoneInfo) -> float:
    return datetime.combine(day, dtime.min, tzinfo=tz).timestamp()


def _apply(query, f: Filters, tz: ZoneInfo, cutoff: float, now: float, user_id: int | None):
    if f.level == "none":
        query = query.where(conversations.c.level.is_(None))
    elif f.level:
        query = query.where(conversations.c.level == f.level)
    if f.concern:
        query = query.where(
            sa.exists().where(
                conversation_concerns.c.sender_id == conversations.c.sender_id,
                conversation_concerns.c.concern == f.concern,
            )
        )
    if f.date_from:  # conversations with any message on or after the first day ...
        query = query.where(conversations.c.last_at >= _epoch(f.date_from, tz))
    if f.date_to:  # ... and on or before the last day (inclusive)
        query = query.where(conversations.c.first_at < _epoch(f.date_to + timedelta(days=1), tz))
    if f.status in ("unreviewed", "updated", "reviewed"):
        query = query.where(_status_expr() == f.status)
    elif f.status == "needs_review":
        query = query.where(_needs_review_expr() == 1)
    elif f.status == "flagged":
        query = query.where(_flagged_expr())
    elif f.status == "contacted":
        query = query.where(_contacted_expr())
    elif f.status == "left":
        query = query.where(left_expr(cutoff))
    elif f.status == "overdue":
        query = query.where(followup.overdue_expr(now))
    if f.mine:
        query = query.where(followups.c.assignee_id == (user_id or 0))
    if f.q:
        query = query.where(conversations.c.search_text.contains(f.q.lower(), autoescape=True))
    return query


@dataclass(frozen=True)
class QueueRow:
    sender_id: str
    level: str | None
    level_rank: int
    concerns: tuple[str, ...]
    gestational_weeks: float | None
    first_at: float | None
    last_at: float | None
    user_messages: int
    status: str
    flagged: bool
    contacted: bool
    alert_seq: int
    left: bool = False
    followup_state: str = "new"
    assignee: str | None = None
    due_at: float | None = None
    overdue: bool = False

    @property
    def alert(self) -> bool:
        return self.level_rank >= ALERT_RANK and self.status != "reviewed"


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    cursor: int
    concerns: list[str] = field(default_factory=list)


def queue(
    engine: Engine,
    f: Filters,
    tz: ZoneInfo,
    page_size: int = 50,
    left_after: float = DEFAULT_LEFT_AFTER,
    user_id: int | None = None,
) -> QueuePage:
    now = time.time()
    cutoff = left_cutoff(left_after, now)
    joined = conversations.outerjoin(
        reviews, reviews.c.sender_id == conversations.c.sender_id
    ).outerjoin(followups, followups.c.sender_id == conversations.c.sender_id)
    base = sa.select(conversations.c.sender_id).select_from(joined)
    base = _apply(base, f, tz, cutoff, now, user_id)
    listing = sa.select(
        conversations.c.sender_id,
        conversations.c.level,
        conversations.c.level_rank,
        conversations.c.concerns,
        conversations.c.gestational_weeks,
        conversations.c.first_at,
        conversations.c.last_at,
        conversations.c.user_messages,
        conversations.c.alert_seq,
        _status_expr().label("status"),
        _flagged_expr().label("flagged"),
        _contacted_expr().label("contacted"),
        left_expr(cutoff).label("left_early"),
        followup.state_expr().label("followup_state"),
        users.c.username.label("assignee"),
        followups.c.due_at,
        sa.case((followup.overdue_expr(now), 1), else_=0).label("overdue"),
    ).select_from(joined.outerjoin(users, users.c.id == followups.c.assignee_id))
    listing = _apply(listing, f, tz, cutoff, now, user_id).order_by(
        sa.case((followup.overdue_expr(now), 1), else_=0).desc(),
        _needs_review_expr().desc(),
        conversations.c.level_rank.desc(),
        sa.func.coalesce(conversations.c.last_at, 0).desc(),
        conversations.c.sender_id,
    )
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(base.subquery())).scalar()
        pages = max(1, -(-total // page_size))
        page = min(f.page, pages)
        rows = conn.execute(listing.limit(page_size).offset((page - 1) * page_size)).all()
        cursor = conn.execute(sa.select(sa.func.max(conversations.c.alert_seq))).scalar() or 0
        concerns = (
            conn.execute(
                sa.select(conversation_concerns.c.concern)
                .distinct()
                .order_by(conversation_concerns.c.concern)
            )
            .scalars()
            .all()
        )
    return QueuePage(
        [
            QueueRow(
                r.sender_id,
                r.level,
                r.level_rank,
                tuple(json.loads(r.concerns or "[]")),
                r.gestational_weeks,
                r.first_at,
                r.last_at,
                r.user_messages,
                r.status,
                bool(r.flagged),
                bool(r.contacted),
                r.alert_seq,
                bool(r.left_early),
                r.followup_state,
                r.assignee,
                r.due_at,
                bool(r.overdue),
            )
            for r in rows
        ],
        total,
        page,
        pages,
        cursor,
        list(concerns),
    )


def new_alerts(engine: Engine, since: int, limit: int = 20) -> list[tuple[str, str]]:
    """(sender_id, level) of conversations that reached urgent or above after ``since``
    and still need review: what the live update announces."""
    query = (
        sa.select(conversations.c.sender_id, conversations.c.level)
        .select_from(
            conversations.outerjoin(reviews, reviews.c.sender_id == conversations.c.sender_id)
        )
        .where(
            conversations.c.alert_seq > since,
            conversations.c.level_rank >= ALERT_RANK,
            _needs_review_expr() == 1,
        )
        .order_by(conversations.c.level_rank.desc(), conversations.c.alert_seq.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [(r.sender_id, r.level) for r in conn.execute(query)]

"""Alerts that reach someone: email over SMTP and a signed webhook, for every conversation
that reaches urgent or emergency, whether or not anyone has the console open.

What triggers an alert: the queue summary's level (``console_conversations.level``, see
console/events.py ``summarize``): the highest decision the bot gave, or, for a patient who
left during the questions with no decision, the floor the bot recorded (``triage_floor``).
At ``urgent`` or above (``ALERT_RANK``), one notification is queued per conversation and
level: a conversation that goes from urgent to emergency alerts twice, never more.

A patient who stops answering during the questions is "left before the end" once no message
has come for ``left_after`` seconds (``Settings.left_after_minutes``, the queue's mark,
console/queue.py ``left_expr``). At an urgent or emergency floor that is an alert of its own
(kind "left"): she may be at home without advice, which the first alert ("reached", sent while
she was still answering) could not say. One "left" notification per conversation and level,
never more; a conversation already left when the console first sees it sends only the "left"
one. The unique constraint on (sender_id, level, kind) makes all this hold across several
console processes.

What is sent: the level, the time, and a link to the case. Never the patient's words, the
findings, or the conversation's summary: a mailbox or a chat tool is not a place for health
data. The link needs a console sign-in.

How it is delivered: each notification has one delivery per channel (email, webhook). A
delivery is claimed with a lease (an UPDATE that only one process wins), sent, and every
attempt is recorded. A failure is retried after ``retry_base * 2**(attempts-1)`` seconds (at
most ``retry_cap``), up to ``max_attempts`` attempts, then the delivery is marked failed.
Delivery is at least once: a process that dies between sending and recording lets the lease
lapse and the other sends again; the webhook carries a delivery id for receivers to drop
duplicates.

Where it runs: a background task of ``python -m console serve`` (``Notifier``), which also
brings the queue summary up to date (console/sync.py) every ``interval`` seconds, so a
conversation at 3 a.m. alerts with no browser open. Its last health check feeds the status
bar of every page. Logs carry ids, levels and error classes only.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import AsyncIterator
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from console import sync
from console.config import AlertSettings
from console.events import ALERT_RANK, DECIDED, level_label
from console.queue import DEFAULT_LEFT_AFTER, left_expr
from console.tables import conversations, notification_attempts, notification_deliveries
from console.tables import notifications as notifications_table
from console.web import case_url

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Console-Signature"
DELIVERY_HEADER = "X-Console-Delivery"
#: How long a claimed delivery is someone else's; longer than any send can take.
LEASE_SECONDS = 300
#: How long a delivery that gave up stays on the status bar.
FAILED_SHOWN_FOR = 24 * 3600
MAX_PER_CYCLE = 50
#: The kinds of notification: the conversation reached the level, or was left before the end
#: at that level (its floor).
REACHED, LEFT = "reached", "left"
#: The webhook's ``event`` for each kind.
EVENTS = {REACHED: "reached", LEFT: "left_before_end"}


# --- what is sent (pure) -------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    """Everything an alert says: no patient text, by construction."""

    delivery_id: int
    notification_id: int
    level: str
    reached_at: float
    case_url: str
    #: whether the bot had given its final decision when the alert was sent: False while the
    #: patient is answering its questions or has left before the end (the level is then her
    #: floor), None when the triage never started (console.events.triage_progress)
    final_decision: bool | None = None
    #: REACHED, or LEFT: the patient left before the end at this level (``reached_at`` is
    #: then the time of the conversation's last message)
    kind: str = REACHED


def alert_link(base_url: str, sender_id: str) -> str:
    """The case's absolute URL (the id percent-encoded whole, as in the console's links)."""
    return base_url.rstrip("/") + case_url(sender_id)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds")


def payload(alert: Alert) -> dict:
    """The webhook's JSON body."""
    return {
        "type": "triage_alert",
        "event": EVENTS.get(alert.kind, alert.kind),
        "notification_id": alert.notification_id,
        "level": alert.level,
        "level_label": level_label(alert.level),
        "reached_at": _iso(alert.reached_at),
        "case_url": alert.case_url,
        "final_decision": alert.final_decision,
    }


def body_bytes(alert: Alert) -> bytes:
    return json.dumps(payload(alert), sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>``: the time is inside the
    signature, so a captured request cannot be replayed later with a fresh time."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance: float = 300) -> bool:
    """What a receiver does: the signature matches and its time is within ``tolerance``."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def email_message(alert: Alert, cfg: AlertSettings, tz: ZoneInfo) -> EmailMessage:
    label = level_label(alert.level)
    local = datetime.fromtimestamp(alert.reached_at, tz).strftime("%Y-%m-%d %H:%M %Z")
    msg = EmailMessage()
    if alert.kind == LEFT:
        msg["Subject"] = f"{label}: a patient left the triage before its advice"
    else:
        msg["Subject"] = f"{label}: a triage conversation needs review"
    msg["From"] = cfg.email_from
    msg["To"] = ", ".join(cfg.email_to)
    msg["Date"] = formatdate(usegmt=True)
    domain = cfg.email_from.rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(f"alert{alert.notification_id}", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    if alert.kind == LEFT:
        opening = (
            "A patient left a conversation with the symptom-triage bot before its final "
            f"decision, at the level {label} (the least urgent level her missing answers "
            f"allow). Her last message was at {local} ({_iso(alert.reached_at)}): she may be "
            "at home without advice. The case shows what is still unknown.\n\n"
        )
    else:
        opening = (
            f"A conversation with the symptom-triage bot reached the level {label} "
            f"at {local} ({_iso(alert.reached_at)}).\n\n"
        )
    msg.set_content(
        opening
        + (
            "The bot has not given its final decision yet (the patient is still answering its "
            "questions, or has left before the end): the case shows what is still unknown.\n\n"
            if alert.final_decision is False and alert.kind != LEFT
            else ""
        )
        + f"Open the case in the nurse console (sign-in needed):\n{alert.case_url}\n\n"
        "This message carries no patient information; read the conversation in the console.\n"
        f"Alert {alert.notification_id}.\n"
    )
    return msg


def backoff(attempts: int, base: float, cap: float) -> float:
    """Seconds to wait after the ``attempts``-th failure: base, 2*base, 4*base ... <= cap."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


def describe(error: BaseException) -> str:
    """A short, text-free description of a failure, for the attempt log and the status bar."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"SMTP {error.smtp_code}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "SMTP recipients refused"
    reason = getattr(error, "reason", None)  # URLError wraps the socket error
    if isinstance(reason, BaseException):
        error = reason
    return f"{type(error).__name__}: {error}"[:200]


# --- sending ---------------------------------------------------------------------------------


def _tls_context(cfg: AlertSettings) -> ssl.SSLContext:
    """Certificates are always checked; ``ca_file`` replaces the system's CAs (a private relay)."""
    return ssl.create_default_context(cafile=cfg.ca_file or None)


def send_email(alert: Alert, cfg: AlertSettings, tz: ZoneInfo) -> None:
    """One message to every address in ``email_to``; raises on any failure."""
    message = email_message(alert, cfg, tz)
    smtp: smtplib.SMTP
    if cfg.smtp_tls == "tls":
        smtp = smtplib.SMTP_SSL(
            cfg.smtp_host, cfg.port, timeout=cfg.timeout, context=_tls_context(cfg)
        )
    else:
        smtp = smtplib.SMTP(cfg.smtp_host, cfg.port, timeout=cfg.timeout)
    with smtp:
        smtp.ehlo()
        if cfg.smtp_tls == "starttls":
            smtp.starttls(context=_tls_context(cfg))
            smtp.ehlo()
        if cfg.smtp_username:
            smtp.login(cfg.smtp_username, cfg.smtp_password)
        refused = smtp.send_message(message)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure: urllib would turn the POST into a GET without the body."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None


def post_webhook(alert: Alert, cfg: AlertSettings, now: float) -> None:
    """POST the signed JSON; any answer but 2xx (or no answer) raises."""
    body = body_bytes(alert)
    request = urllib.request.Request(
        cfg.webhook_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "triage-console-alerts/1",
            SIGNATURE_HEADER: sign(cfg.webhook_secret, int(now), body),
            DELIVERY_HEADER: str(alert.delivery_id),
        },
    )
    handlers: list = [_NoRedirect()]
    if cfg.webhook_url.lower().startswith("https:"):
        handlers.append(urllib.request.HTTPSHandler(context=_tls_context(cfg)))
    opener = urllib.request.build_opener(*handlers)
    with opener.open(request, timeout=cfg.timeout) as response:
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(
                cfg.webhook_url, response.status, "not 2xx", response.headers, None
            )


# --- the queue of notifications (database) ---------------------------------------------------


def _candidates(cfg: AlertSettings, now: float, left_after: float) -> list[sa.Select]:
    """The two queries of conversations owed a notification, one per kind."""
    n = notifications_table
    cutoff = now - left_after

    def owed(kind: str, *conditions) -> sa.Select:
        return (
            sa.select(
                sa.literal(kind).label("kind"),
                conversations.c.sender_id,
                conversations.c.level,
                conversations.c.last_at,
                conversations.c.level_rank,
            )
            .where(
                conversations.c.level_rank >= ALERT_RANK,
                conversations.c.level.isnot(None),
                conversations.c.last_at >= now - cfg.max_age,
                *conditions,
                ~sa.exists().where(
                    n.c.sender_id == conversations.c.sender_id,
                    n.c.level == conversations.c.level,
                    n.c.kind == kind,
                ),
            )
            .order_by(conversations.c.level_rank.desc(), conversations.c.last_at)
        )

    return [
        # already left when first seen: the "left" alert says more, and one is enough
        owed(REACHED, ~left_expr(cutoff)),
        owed(LEFT, left_expr(cutoff)),
    ]


def enqueue(
    engine: Engine, cfg: AlertSettings, now: float, left_after: float = DEFAULT_LEFT_AFTER
) -> int:
    """Queue one notification for each conversation at urgent or above that has none of its
    kind at its level yet (and whose last message is within ``max_age``): "reached" for a
    conversation at the level, "left" for one left before the end at that floor (no message
    for ``left_after`` seconds). Returns how many were queued."""
    channels = cfg.channels
    if not channels:
        return 0
    n = notifications_table
    rows = []
    with engine.connect() as conn:
        for query in _candidates(cfg, now, left_after):
            rows.extend(conn.execute(query).all())
    rows.sort(key=lambda r: (-r.level_rank, r.last_at or 0))
    queued = 0
    for row in rows:
        try:
            with engine.begin() as conn:
                notification_id = conn.execute(
                    sa.insert(n).values(
                        sender_id=row.sender_id,
                        level=row.level,
                        kind=row.kind,
                        reached_at=row.last_at or now,
                        created_at=now,
                    )
                ).inserted_primary_key[0]
                conn.execute(
                    sa.insert(notification_deliveries),
                    [
                        {
                            "notification_id": notification_id,
                            "channel": channel,
                            "status": "pending",
                            "attempts": 0,
                            "next_attempt_at": now,
                        }
                        for channel in channels
                    ],
                )
        except sa.exc.IntegrityError:  # another console process queued it first
            continue
        queued += 1
        log.info("alert %s queued: level %s, %s", notification_id, row.level, row.kind)
    return queued


def _claim(engine: Engine, delivery_id: int, now: float) -> bool:
    d = notification_deliveries
    with engine.begin() as conn:
        claimed = conn.execute(
            sa.update(d)
            .where(
                d.c.id == delivery_id,
                d.c.status == "pending",
                d.c.next_attempt_at <= now,
                sa.or_(d.c.claimed_until.is_(None), d.c.claimed_until < now),
            )
            .values(claimed_until=now + LEASE_SECONDS)
        ).rowcount
    return claimed == 1


def _record(
    engine: Engine,
    delivery_id: int,
    attempts: int,
    error: str | None,
    cfg: AlertSettings,
    now: float,
) -> None:
    """The attempt, and the delivery's new state, in one transaction."""
    d = notification_deliveries
    attempts += 1
    if error is None:
        values: dict = {"status": "sent", "sent_at": now, "last_error": None}
    elif attempts >= cfg.max_attempts:
        values = {"status": "failed", "last_error": error}
    else:
        values = {
            "next_attempt_at": now + backoff(attempts, cfg.retry_base, cfg.retry_cap),
            "last_error": error,
        }
    with engine.begin() as conn:
        conn.execute(
            sa.insert(notification_attempts).values(
                delivery_id=delivery_id, at=now, ok=error is None, error=error
            )
        )
        conn.execute(
            sa.update(d)
            .where(d.c.id == delivery_id)
            .values(attempts=attempts, claimed_until=None, **values)
        )


def deliver_due(engine: Engine, cfg: AlertSettings, tz: ZoneInfo, now: float) -> int:
    """Send every delivery that is due and not claimed by another process; returns how many
    attempts were made."""
    d, n = notification_deliveries, notifications_table
    with engine.connect() as conn:
        due = conn.execute(
            sa.select(
                d.c.id,
                d.c.channel,
                d.c.attempts,
                n.c.id.label("nid"),
                n.c.sender_id,
                n.c.level,
                n.c.kind,
                n.c.reached_at,
                conversations.c.triage_state,
            )
            .join(n, n.c.id == d.c.notification_id)
            .outerjoin(conversations, conversations.c.sender_id == n.c.sender_id)
            .where(
                d.c.status == "pending",
                d.c.next_attempt_at <= now,
                sa.or_(d.c.claimed_until.is_(None), d.c.claimed_until < now),
            )
            .order_by(d.c.next_attempt_at, d.c.id)
            .limit(MAX_PER_CYCLE)
        ).all()
    tried = 0
    for row in due:
        if row.channel not in cfg.channels or not _claim(engine, row.id, now):
            continue
        alert = Alert(
            row.id,
            row.nid,
            row.level,
            row.reached_at,
            alert_link(cfg.base_url, row.sender_id),
            None if row.triage_state is None else row.triage_state == DECIDED,
            row.kind,
        )
        error: str | None = None
        try:
            if row.channel == "email":
                send_email(alert, cfg, tz)
            else:
                post_webhook(alert, cfg, time.time())
        except Exception as failure:  # noqa: BLE001 - every failure is recorded and retried
            error = describe(failure)
        _record(engine, row.id, row.attempts, error, cfg, now)
        tried += 1
        if error is None:
            log.info("alert %s sent by %s", row.nid, row.channel)
        else:
            log.warning("alert %s not sent by %s: %s", row.nid, row.channel, error)
    return tried


# --- health (the status bar) -----------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    """Deliveries failing now: retrying after a failed attempt, or given up within a day; or
    the alert task itself failing (``task_error``: the database is unreachable, say)."""

    retrying: int
    failed: int
    last_error: str | None
    channels: tuple[str, ...]
    task_error: str | None = None

    @property
    def failing(self) -> int:
        return self.retrying + self.failed


def health(engine: Engine, now: float) -> Health | None:
    """None when every delivery is fine."""
    d, a = notification_deliveries, notification_attempts
    last_attempt = sa.select(sa.func.max(a.c.at)).where(a.c.delivery_id == d.c.id)
    failing = sa.or_(
        sa.and_(d.c.status == "pending", d.c.attempts > 0),
        sa.and_(d.c.status == "failed", last_attempt.scalar_subquery() >= now - FAILED_SHOWN_FOR),
    )
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(d.c.status, d.c.channel, d.c.last_error)
            .where(failing)
            .order_by(d.c.id.desc())
        ).all()
    if not rows:
        return None
    return Health(
        retrying=sum(1 for r in rows if r.status == "pending"),
        failed=sum(1 for r in rows if r.status == "failed"),
        last_error=f"{rows[0].channel}: {rows[0].last_error}",
        channels=tuple(sorted({r.channel for r in rows})),
    )


@dataclass(frozen=True)
class CycleResult:
    queued: int
    attempts: int
    health: Health | None


def run_once(
    engine: Engine,
    cfg: AlertSettings,
    tz: ZoneInfo,
    gap_timeout: float,
    now: float | None = None,
    left_after: float = DEFAULT_LEFT_AFTER,
) -> CycleResult:
    """One cycle: read new events into the queue summary, queue alerts, send what is due."""
    sync.sync(engine, gap_timeout)
    now = time.time() if now is None else now
    queued = enqueue(engine, cfg, now, left_after)
    attempts = deliver_due(engine, cfg, tz, now)
    return CycleResult(queued, attempts, health(engine, time.time()))


class Notifier:
    """The background task of ``python -m console serve`` (started by the app's lifespan)."""

    def __init__(
        self,
        engine: Engine,
        cfg: AlertSettings,
        tz: ZoneInfo,
        gap_timeout: float,
        left_after: float = DEFAULT_LEFT_AFTER,
    ) -> None:
        cfg.check()
        self.engine = engine
        self.cfg = cfg
        self.tz = tz
        self.gap_timeout = gap_timeout
        self.left_after = left_after
        self.current: Health | None = None
        self.cycles = 0

    def cycle(self) -> CycleResult:
        result = run_once(
            self.engine, self.cfg, self.tz, self.gap_timeout, left_after=self.left_after
        )
        self.current = result.health
        self.cycles += 1
        return result

    def status(self) -> Health | None:
        """For the status bar: the health seen at the end of the last cycle."""
        return self.current

    async def run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.cycle)
            except Exception as error:  # noqa: BLE001 - keep alerting after a database hiccup
                # the class only: a database error's text can hold the SQL parameters
                log.error("alert cycle failed: %s", type(error).__name__)
                self.current = Health(0, 0, None, (), task_error=type(error).__name__)
            await asyncio.sleep(self.cfg.interval)


def lifespan(notifier: Notifier | None):
    """A Starlette lifespan that runs ``notifier`` (if any) while the app is up."""

    @contextlib.asynccontextmanager
    async def _lifespan(app) -> AsyncIterator[None]:  # noqa: ANN001
        task = asyncio.create_task(notifier.run()) if notifier is not None else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return _lifespan

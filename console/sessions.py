"""Server-side sessions and CSRF tokens.

Why server-side rather than Starlette's signed-cookie sessions: a signed cookie cannot be
revoked, so "log out" or "disable this account" would not end a stolen session. Here the
cookie carries a random token (signed with the console secret so junk is refused before any
database work); the database keeps only its SHA-256, the user, the CSRF token and the times.

CSRF: each session has its own random token that every form posts back. Before login there is
no session, so the login form uses a signed double-submit cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from itsdangerous import BadSignature, Signer
from sqlalchemy.engine import Engine

from console.auth import User
from console.tables import sessions, users

SESSION_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"


@dataclass(frozen=True)
class Session:
    token_hash: str
    user: User
    csrf_token: str
    created_at: float


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _signer(secret: str) -> Signer:
    return Signer(secret, salt="console-session")


def create(engine: Engine, user: User, secret: str) -> str:
    """A new session for ``user``; returns the signed cookie value."""
    token = secrets.token_urlsafe(32)
    now = time.time()
    with engine.begin() as conn:
        conn.execute(
            sa.insert(sessions).values(
                token_hash=_hash(token),
                user_id=user.id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
            )
        )
    return _signer(secret).sign(token.encode("ascii")).decode("ascii")


def _token(cookie: str | None, secret: str) -> str | None:
    if not cookie:
        return None
    try:
        return _signer(secret).unsign(cookie.encode("ascii")).decode("ascii")
    except (BadSignature, UnicodeError):
        return None


def load(engine: Engine, cookie: str | None, settings, activity: bool = True) -> Session | None:
    """The live session for a cookie, or None (expired, idle too long, user disabled...).

    ``activity=False`` for requests the browser makes by itself (the queue's poll): they are
    served but do not push back the idle time-out."""
    token = _token(cookie, settings.secret_key)
    if token is None:
        return None
    now = time.time()
    token_hash = _hash(token)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(sessions, users.c.username, users.c.role, users.c.disabled)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.token_hash == token_hash)
        ).first()
    if row is None:
        return None
    expired = (
        now - row.created_at > settings.session_max_age
        or now - row.last_seen_at > settings.session_idle
    )
    if expired or row.disabled:
        delete(engine, cookie, settings.secret_key)
        return None
    if activity and now - row.last_seen_at > 30:  # keep writes rare: at most one per half minute
        with engine.begin() as conn:
            conn.execute(
                sa.update(sessions)
                .where(sessions.c.token_hash == token_hash)
                .values(last_seen_at=now)
            )
    user = User(row.user_id, row.username, row.role, bool(row.disabled))
    return Session(token_hash, user, row.csrf_token, row.created_at)


def delete(engine: Engine, cookie: str | None, secret: str) -> None:
    token = _token(cookie, secret)
    if token is None:
        return
    with engine.begin() as conn:
        conn.execute(sa.delete(sessions).where(sessions.c.token_hash == _hash(token)))


def prune(engine: Engine, settings) -> None:
    """Drop sessions that can no longer be used."""
    now = time.time()
    with engine.begin() as conn:
        conn.execute(
            sa.delete(sessions).where(
                sa.or_(
                    sessions.c.created_at < now - settings.session_max_age,
                    sessions.c.last_seen_at < now - settings.session_idle,
                )
            )
        )


# -- login form CSRF: signed double submit ---------------------------------------------------


def new_login_nonce() -> str:
    return secrets.token_urlsafe(32)


def login_form_token(nonce: str, secret: str) -> str:
    """The hidden-field value that matches the ``console_login_csrf`` cookie ``nonce``."""
    return hmac.new(
        secret.encode("utf-8"), b"login-csrf:" + nonce.encode("ascii", "replace"), hashlib.sha256
    ).hexdigest()


def check_login_token(nonce: str | None, submitted: str | None, secret: str) -> bool:
    if not nonce or not submitted:
        return False
    return hmac.compare_digest(login_form_token(nonce, secret), submitted)


def check_session_token(session: Session, submitted: str | None) -> bool:
    if not submitted:
        return False
    return hmac.compare_digest(session.csrf_token, submitted)

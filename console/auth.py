"""Accounts, argon2 password hashes, and the login check (throttled by console/throttle.py).

The throttle counts a username whether or not it exists, so the answers do not reveal which
accounts exist; the audit log keeps an unknown username only as a keyed hash
(``audit_name``), because it is often a password typed in the wrong box.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Engine

from console import passwords, throttle
from console.tables import sessions, users

ROLES = ("nurse", "admin")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_dummy_hash: str | None = None


def _dummy() -> str:
    """A hash to verify against for unknown usernames, so they take as long as known ones."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not a real password; used to even out the timing")
    return _dummy_hash


class AccountError(ValueError):
    """A username, role or password that the rules refuse (message is safe to print)."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    disabled: bool

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def check_password_rules(username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password must be at most {MAX_PASSWORD_LENGTH} characters")
    if password.strip().lower() == username.strip().lower():
        raise AccountError("the password must not be the username")
    reason = passwords.weakness(username, password)
    if reason:
        raise AccountError(reason)


def _user(row) -> User:
    return User(row.id, row.username, row.role, bool(row.disabled))


def create_user(engine: Engine, username: str, role: str, password: str) -> User:
    if not USERNAME_RE.match(username):
        raise AccountError("usernames are 2-64 letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    check_password_rules(username, password)
    with engine.begin() as conn:
        if conn.execute(
            sa.select(users.c.id).where(sa.func.lower(users.c.username) == username.lower())
        ).first():
            raise AccountError(f"a user named {username!r} already exists")
        new_id = conn.execute(
            sa.insert(users).values(
                username=username,
                role=role,
                password_hash=_hasher.hash(password),
                disabled=False,
                created_at=time.time(),
            )
        ).inserted_primary_key[0]
    return User(new_id, username, role, False)


def get_user(engine: Engine, username: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(users).where(sa.func.lower(users.c.username) == username.lower())
        ).first()
    return _user(row) if row else None


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        return [_user(r) for r in conn.execute(sa.select(users).order_by(users.c.username))]


def set_password(
    engine: Engine, username: str, password: str, keep_session: str | None = None
) -> int:
    """New password; every session of the account ends (but ``keep_session``, the token hash
    of the session that changed it, if any), in the same transaction. Returns how many ended."""
    user = get_user(engine, username)
    if user is None:
        raise AccountError(f"no user named {username!r}")
    check_password_rules(user.username, password)
    with engine.begin() as conn:
        conn.execute(
            sa.update(users)
            .where(users.c.id == user.id)
            .values(password_hash=_hasher.hash(password))
        )
        return conn.execute(
            sa.delete(sessions).where(
                sessions.c.user_id == user.id, sessions.c.token_hash != (keep_session or "")
            )
        ).rowcount


def set_disabled(engine: Engine, username: str, disabled: bool) -> None:
    user = get_user(engine, username)
    if user is None:
        raise AccountError(f"no user named {username!r}")
    with engine.begin() as conn:
        conn.execute(sa.update(users).where(users.c.id == user.id).values(disabled=disabled))


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    wait: float = 0  # seconds before another try is allowed from here; 0 when not throttled
    known: bool = False  # the username is an account (for the audit log only, never shown)


def authenticate(engine: Engine, username: str, password: str, ip: str, settings) -> LoginResult:
    """Check a login. The attempt is counted (atomically) before the password is checked;
    a throttled attempt is refused without checking it."""
    name = username.strip().lower()[:255]
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(sa.func.lower(users.c.username) == name)).first()
    wait = throttle.reserve(engine, name, ip, settings)
    if wait:
        return LoginResult(None, wait, row is not None)
    ok = False
    try:
        ok = _hasher.verify(row.password_hash if row else _dummy(), password[:MAX_PASSWORD_LENGTH])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    ok = ok and row is not None and not row.disabled
    if not ok:
        return LoginResult(None, 0, row is not None)
    throttle.succeeded(engine, name, ip)
    values: dict[str, object] = {"last_login_at": time.time()}
    if _hasher.check_needs_rehash(row.password_hash):
        values["password_hash"] = _hasher.hash(password)
    with engine.begin() as conn:
        conn.execute(sa.update(users).where(users.c.id == row.id).values(**values))
    return LoginResult(_user(row), 0, True)


def audit_name(username: str, known: bool, secret: str) -> str:
    """What the audit log keeps of an attempted username: a known one as typed; an unknown
    one (often a password typed in the wrong box) as its first two characters and a keyed
    hash, enough to see that the same wrong name was tried again, and not to read it."""
    if known:
        return username
    if not username:
        return "-"
    digest = hmac.new(
        secret.encode("utf-8"),
        b"audit-username:" + username.lower().encode("utf-8"),
        hashlib.sha256,
    ).hexdigest()
    return f"{username[:2]}…#{digest[:12]}"

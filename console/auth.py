"""Accounts, argon2 password hashes, and the lock-out after repeated failed logins.

Lock-out is computed from ``console_login_attempts`` rather than a counter on the user row,
so it works the same for a username that does not exist: an attacker can neither tell real
usernames from the responses nor avoid the lock by guessing names. A second, looser limit
per client address slows down spraying one password over many usernames.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Engine

from console.tables import login_attempts, users

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


def set_password(engine: Engine, username: str, password: str) -> None:
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


def set_disabled(engine: Engine, username: str, disabled: bool) -> None:
    user = get_user(engine, username)
    if user is None:
        raise AccountError(f"no user named {username!r}")
    with engine.begin() as conn:
        conn.execute(sa.update(users).where(users.c.id == user.id).values(disabled=disabled))


def unlock(engine: Engine, username: str) -> int:
    """Forget the failed attempts for ``username`` (an admin's answer to a locked nurse)."""
    with engine.begin() as conn:
        return conn.execute(
            sa.delete(login_attempts).where(
                login_attempts.c.username == username.lower(), login_attempts.c.success.is_(False)
            )
        ).rowcount


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    locked_for: int = 0  # seconds until another try is allowed; 0 when not locked


def _lock_remaining(
    conn, column, value: str, threshold: int, window: int, duration: int, now: float
) -> int:
    """Seconds left on a lock for ``value``: ``threshold`` failures within ``window``,
    counted since the last success, lock for ``duration`` after the latest failure."""
    last_success = (
        conn.execute(
            sa.select(sa.func.max(login_attempts.c.at)).where(
                column == value, login_attempts.c.success.is_(True)
            )
        ).scalar()
        or 0
    )
    since = max(last_success, now - max(window, duration))
    failures = (
        conn.execute(
            sa.select(login_attempts.c.at)
            .where(
                column == value,
                login_attempts.c.success.is_(False),
                login_attempts.c.at > since,
            )
            .order_by(login_attempts.c.at.desc())
            .limit(threshold)
        )
        .scalars()
        .all()
    )
    if len(failures) < threshold or failures[0] - failures[-1] > window:
        return 0
    return max(0, int(failures[0] + duration - now + 0.999))


def authenticate(engine: Engine, username: str, password: str, ip: str, settings) -> LoginResult:
    """Check a login; records the attempt. A locked name is refused even with the right password."""
    name = username.strip().lower()[:255]
    ip = (ip or "unknown")[:64]
    now = time.time()
    with engine.connect() as conn:
        locked = max(
            _lock_remaining(
                conn,
                login_attempts.c.username,
                name,
                settings.lockout_threshold,
                settings.lockout_window,
                settings.lockout_duration,
                now,
            ),
            _lock_remaining(
                conn,
                login_attempts.c.ip,
                ip,
                settings.ip_threshold,
                settings.lockout_window,
                settings.lockout_duration,
                now,
            ),
        )
        row = conn.execute(sa.select(users).where(sa.func.lower(users.c.username) == name)).first()
    if locked:
        return LoginResult(None, locked)
    ok = False
    try:
        ok = _hasher.verify(row.password_hash if row else _dummy(), password[:MAX_PASSWORD_LENGTH])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    ok = ok and row is not None and not row.disabled
    with engine.begin() as conn:
        conn.execute(sa.insert(login_attempts).values(username=name, ip=ip, at=now, success=ok))
        if ok:
            values: dict[str, object] = {"last_login_at": now}
            if _hasher.check_needs_rehash(row.password_hash):
                values["password_hash"] = _hasher.hash(password)
            conn.execute(sa.update(users).where(users.c.id == row.id).values(**values))
    return LoginResult(_user(row) if ok else None)


def prune_attempts(engine: Engine, older_than: float) -> None:
    """Login attempts are only needed for the lock-out window; the audit log keeps the rest."""
    with engine.begin() as conn:
        conn.execute(sa.delete(login_attempts).where(login_attempts.c.at < older_than))

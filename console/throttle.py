"""Login throttling: growing delays per (username, address) pair and per address.

Why not a lock on the username (what the console did before issue 14): a stranger who knew a
nurse's username could lock her out from anywhere, for ever, by repeating five wrong
passwords. Here failures are counted per *pair* (this username from this address) and per
*address* (any usernames from it, against spraying one password over many names). A stranger
hammering a nurse's name from elsewhere only slows himself down: the nurse's own address is
another pair, so her right password still works.

There is deliberately no per-username ceiling across addresses: whatever its threshold, an
attacker with enough addresses could reach it and keep the nurse out, which is the lock-out
we are removing. Guessing from many addresses is instead bounded by each pair's delays, the
password rules (12 characters, deny-list) and argon2's cost, and shows in the audit log.

After ``free`` failures the next attempt must wait ``base`` seconds, then twice that after
each further failure, up to ``cap``. A success clears the pair. Counts are forgotten after a
quiet ``forget`` period.

Atomic: the check and the count happen in one short transaction that first writes the rows
(SQLite then holds its write lock; PostgreSQL locks them ``FOR UPDATE``), and the failure is
counted *before* the slow password check, then taken back on success. So 15 parallel wrong
attempts cannot all be checked against the same stale count: at most ``free`` get through.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from console.tables import login_throttle as t

PAIR, IP = "pair", "ip"
MAX_NAME = 255
MAX_IP = 64


@dataclass(frozen=True)
class Key:
    kind: str
    username: str
    ip: str


def keys(username: str, ip: str) -> tuple[Key, Key]:
    """The counters one attempt touches, always in the same order (no lock-order deadlock)."""
    name = username.strip().lower()[:MAX_NAME]
    ip = (ip or "unknown")[:MAX_IP]
    return Key(PAIR, name, ip), Key(IP, "", ip)


def delay(failures: int, free: int, base: int, cap: int) -> float:
    """Seconds to wait after ``failures`` counted failures."""
    if failures < free:
        return 0.0
    return float(min(cap, base * 2 ** min(failures - free, 32)))


def _free(settings, kind: str) -> int:
    return settings.pair_free_failures if kind == PAIR else settings.ip_free_failures


def _where(key: Key):
    return sa.and_(t.c.kind == key.kind, t.c.username == key.username, t.c.ip == key.ip)


def _insert_missing(conn: Connection, key: Key) -> None:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(
        insert(t)
        .values(kind=key.kind, username=key.username, ip=key.ip, failures=0, last_failure_at=0)
        .on_conflict_do_nothing()
    )


def reserve(engine: Engine, username: str, ip: str, settings, now: float | None = None) -> float:
    """Check and count one attempt atomically.

    Returns 0 when the attempt may go ahead (it is then already counted as a failure; call
    ``succeeded`` if the password was right), else the seconds the caller must still wait
    (nothing is counted: waiting out the delay is all it takes).
    """
    now = time.time() if now is None else now
    wanted = keys(username, ip)
    with engine.begin() as conn:
        for key in wanted:  # a write first: SQLite takes its write lock here
            _insert_missing(conn, key)
        counted: dict[Key, int] = {}
        wait = 0.0
        for key in wanted:
            row = conn.execute(
                sa.select(t.c.failures, t.c.last_failure_at).where(_where(key)).with_for_update()
            ).one()
            quiet = now - row.last_failure_at > settings.throttle_forget
            counted[key] = 0 if quiet else row.failures
            pause = delay(
                counted[key],
                _free(settings, key.kind),
                settings.throttle_base,
                settings.throttle_cap,
            )
            wait = max(wait, row.last_failure_at + pause - now if pause else 0.0)
        if wait > 0:
            return wait
        for key, failures in counted.items():
            conn.execute(
                sa.update(t).where(_where(key)).values(failures=failures + 1, last_failure_at=now)
            )
    return 0.0


def succeeded(engine: Engine, username: str, ip: str) -> None:
    """The password was right: clear the pair, and take back the address's provisional count."""
    pair, address = keys(username, ip)
    with engine.begin() as conn:
        conn.execute(sa.delete(t).where(_where(pair)))
        conn.execute(
            sa.update(t).where(_where(address), t.c.failures > 0).values(failures=t.c.failures - 1)
        )


def clear_username(engine: Engine, username: str) -> int:
    """Forget a username's failures from every address (``python -m console unlock-user``)."""
    with engine.begin() as conn:
        return conn.execute(
            sa.delete(t).where(t.c.kind == PAIR, t.c.username == username.strip().lower())
        ).rowcount


def clear_address(engine: Engine, ip: str) -> int:
    """Forget an address's failures, for any username (``unlock-address``)."""
    with engine.begin() as conn:
        return conn.execute(sa.delete(t).where(t.c.ip == ip.strip())).rowcount


def prune(engine: Engine, settings, now: float | None = None) -> None:
    """Counters quiet for longer than ``throttle_forget`` count nothing any more."""
    now = time.time() if now is None else now
    with engine.begin() as conn:
        conn.execute(sa.delete(t).where(t.c.last_failure_at < now - settings.throttle_forget))

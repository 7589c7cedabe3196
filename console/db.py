"""Engine creation: one place that knows how SQLite and PostgreSQL differ for us.

SQLite is shared with a running Rasa that writes to it, so every console connection has the
same pragmas as Rasa's (store/sqlite.py: WAL, a busy timeout, durable commits). All reads are short: each
query runs on its own connection and no transaction is held open across a request.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store.sqlite import BUSY_TIMEOUT_MS, apply_pragmas

log = logging.getLogger(__name__)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    """A SQLAlchemy 2.0-style engine for the tracker database."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(
            url,
            future=True,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        sa.event.listen(engine, "connect", apply_pragmas)  # the same as Rasa's (store/sqlite.py)
        _enable_wal(engine)
        return engine
    return sa.create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _enable_wal(engine: Engine) -> None:
    """Switch the SQLite file to WAL (persistent, so Rasa's connections use it as well)."""
    if engine.url.database in (None, "", ":memory:"):
        return
    try:
        with engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode=WAL").scalar()
            if str(mode).lower() != "wal":
                log.warning("SQLite journal mode is %s, not WAL", mode)
    except sa.exc.OperationalError as error:  # a writer holds the file right now: not fatal
        log.warning("could not switch SQLite to WAL: %s", error.__class__.__name__)


def events_table_exists(engine: Engine) -> bool:
    """True once Rasa has created ``events``; before that the console shows an empty queue."""
    cached = getattr(engine, "_console_events_exist", False)
    if cached:
        return True
    exists = sa.inspect(engine).has_table("events")
    if exists:
        engine._console_events_exist = True
    return exists

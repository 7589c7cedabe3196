"""How every connection to the embedded SQLite database is set up: Rasa's tracker store
(store/tracker_store.py) and the nurse console (console/db.py) open the same file at once, so
they share one set of pragmas, kept here.

- WAL (persistent in the file): readers never block the writer, the writer never blocks readers.
- synchronous=FULL: with WAL, one fsync per commit; a conversation survives a power cut.
- busy_timeout: a writer waits this long for the other process's write instead of failing.
  One value for both: a patient's message waits for a nurse's review to commit, and the other
  way round, rather than being lost (the channels would answer with the safety net).
- foreign_keys: the console's own tables use them; Rasa's ``events`` has none.
"""

from __future__ import annotations

from typing import Any

BUSY_TIMEOUT_MS = 10_000

PRAGMAS = (
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",  # first: switching to WAL may wait for a lock
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
)


def apply_pragmas(dbapi_connection: Any, _record: Any = None) -> None:
    """A SQLAlchemy ``connect`` listener: the pragmas on every new connection."""
    cursor = dbapi_connection.cursor()
    for pragma in PRAGMAS:
        cursor.execute(pragma)
    cursor.close()

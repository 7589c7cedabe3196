"""Rasa's SQL tracker store, the same table and the same events, with less work per message.

Every message makes Rasa load the conversation from the store and save what happened. Rasa 3.6's
``SQLTrackerStore`` does this through the SQLAlchemy ORM, synchronously on the server's only
event loop, so whatever it costs is paid by every conversation waiting behind it. Profiling
under load (py-spy, docs/evaluation.md) found about a third of the Rasa server's time there:
- each save first counted the rows already stored (a second query with a sub-query), then
  built ORM objects and flushed them through the unit of work;
- with SQLite, each session opened the database file anew, and each commit in SQLite's default
  rollback-journal mode costs several fsyncs (about 3 ms on this machine, blocking the loop).

This store keeps the schema and the event JSON exactly as Rasa writes them (the nurse console,
``console/tables.py``, reads the same table), and changes only how they are read and written:
- a loaded conversation remembers how many of its events are already stored, so the save
  inserts the rest without counting; so does a new conversation, saved by the task whose read
  just found nothing stored for it (Rasa's wrappers make its tracker, not this store); any
  other tracker this store did not load falls back to Rasa's count. All of it happens under
  Rasa's per-conversation lock (the lock store), so it stays correct with several Rasa
  instances on PostgreSQL;
- reads and inserts are SQLAlchemy Core statements built once, not ORM queries, and they run
  in a worker thread, so a slow database holds up one conversation, not the event loop;
- SQLite keeps its connections open (as many as the round trips that run at once) and runs in
  WAL mode with ``synchronous=FULL``: one fsync per commit instead of several, still durable
  when the machine loses power, and the console can read while the bot writes;
- **fencing**, when the conversation's lock comes from ``store.lock_store.FencedRedisLockStore``
  (several Rasa servers): the save's transaction first records the lock's fencing token in
  ``triage_conversation_fences`` (one row per conversation, created on first use), refusing
  the save if a larger token has saved already, then checks that the conversation's last
  stored event is still the one this tracker was loaded with. Either failure raises
  ``StaleConversationWrite`` and writes nothing, so the stored events are always those of
  one message after another, even when a lock expired under a slow holder. Without that lock
  store (``make run``'s in-memory lock) the save is as above, with no extra statement;
- **a database that is briefly away** (a restart, a failover; measured by
  ``python -m eval failover``): a read, or a fenced save, that fails with a connection error
  or a rollback (SQLAlchemy's ``OperationalError``; a dead pooled connection is replaced on
  the next try) is tried again for up to ``UNAVAILABLE_RETRY_S`` (10 s), so the message waits
  instead of failing. A retried fenced save cannot store a turn twice: if the failed attempt
  did commit, the retry finds a newer last event and is refused. Rasa wraps every tracker
  store in ``FailSafeTrackerStore``, which swallows a store's errors (a failed read becomes
  a new, empty conversation; a failed save goes to memory) and logs them whole; SQLAlchemy's
  message carries the statement's parameters, event JSON with the patient's words. So every
  database error leaves this store as ``StoreUnavailable`` naming the error's types and
  SQLSTATE only.

Configured in endpoints.yml (``type: store.tracker_store.TriageTrackerStore``). If Rasa cannot
import this class it silently uses an in-memory store, losing every conversation, so
tests/test_tracker_store.py checks that the running bot writes to the database.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import json
import os
import time
from typing import Any, Callable

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from common.log_context import get_logger
from store.lock_store import current_fence
from store.sqlite import apply_pragmas

logger = get_logger(__name__)

#: The attribute a loaded tracker carries: how many of its events are already in the table.
STORED = "_triage_stored_events"
#: And the largest event id stored for its conversation when it was loaded (0: none).
LAST_ID = "_triage_last_event_id"
#: The conversation the current task's last read found nothing stored for. Rasa's wrappers
#: (``FailSafeTrackerStore``, ``AwaitableTrackerStore``) make a new conversation's tracker with
#: their own ``init_tracker``, not this store's, so the tracker cannot say it is new; the task
#: that read nothing and then saves it (Rasa's ``get_or_create_tracker``, under the
#: conversation's lock) can, and the save then inserts without counting what is stored.
_FOUND_NOTHING: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "triage_found_nothing", default=None
)

FENCES = "triage_conversation_fences"
#: Records the holder's fence, unless a larger one has saved: rowcount 0 means a stale holder.
#: Also locks the conversation's row until commit, so two saves of one conversation serialize.
FENCE_UPSERT = sa.text(
    f"INSERT INTO {FENCES} (sender_id, fence) VALUES (:sender_id, :fence) "
    f"ON CONFLICT (sender_id) DO UPDATE SET fence = excluded.fence "
    f"WHERE {FENCES}.fence <= excluded.fence"
)


#: How long a read or a fenced save is tried again while the database cannot be reached.
UNAVAILABLE_RETRY_S = 10.0
_FIRST_RETRY_S = 0.05
_MAX_RETRY_GAP_S = 0.5


class StoreUnavailable(RasaException):
    """A database error, named by its types and SQLSTATE only: SQLAlchemy's own message shows
    the statement's parameters (the events' JSON, with the patient's words), and Rasa's
    ``FailSafeTrackerStore`` logs a store's errors whole."""


def describe(error: BaseException) -> str:
    """What can be logged of a database error: no statement, no parameters, no values."""
    original = getattr(error, "orig", None)
    code = getattr(original, "pgcode", None)
    kinds = type(error).__name__ + (f" ({type(original).__name__})" if original else "")
    return kinds + (f", SQLSTATE {code}" if code else "")


class StaleConversationWrite(RasaException):
    """A save refused by the fence: another lock holder has loaded or saved the conversation
    since this one loaded it. Nothing of this message is stored."""


class TriageTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` with stored-event bookkeeping, Core statements and tuned SQLite."""

    engine: sa.engine.Engine  # set by SQLTrackerStore.__init__ (untyped there), replaced below

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        in_memory = self.engine.dialect.name == "sqlite" and self.engine.url.database in (
            None,
            "",
            ":memory:",
        )
        # An in-memory database exists per connection: it keeps Rasa's single connection and
        # stays on the loop's thread.
        self._threaded = not in_memory
        if self.engine.dialect.name == "sqlite" and not in_memory:
            self._reopen_sqlite()
        table = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        session_start = (
            sa.select(sa.func.max(table.c.timestamp))
            .where(table.c.sender_id == sender, table.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        # The conversation's largest event id, read in the same statement as its events.
        self._max_id = (
            sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))
            .where(table.c.sender_id == sender)
            .scalar_subquery()
        )
        # Rasa's own query (SQLTrackerStore._event_query): the events of the latest session.
        self._select_session = (
            sa.select(table.c.data, self._max_id)
            .where(
                table.c.sender_id == sender,
                sa.or_(table.c.timestamp >= session_start, session_start.is_(None)),
            )
            .order_by(table.c.id)
        )
        self._select_all = (
            sa.select(table.c.data, self._max_id)
            .where(table.c.sender_id == sender)
            .order_by(table.c.id)
        )
        self._insert = table.insert()
        self._fences = sa.Table(
            FENCES,
            sa.MetaData(),
            sa.Column("sender_id", sa.String(255), primary_key=True),
            sa.Column("fence", sa.BigInteger, nullable=False),
        )
        self._fences_ready = False

    def _reopen_sqlite(self) -> None:
        """A small pool of open connections with the pragmas, not a new file handle per session."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url,
            poolclass=sa.pool.QueuePool,
            # As many kept open as asyncio's default thread pool runs round trips at once (it
            # has at most min(32, CPUs + 4) threads): with one kept open, every message beyond
            # the first at a time opened the file and set the pragmas anew, then closed it.
            pool_size=min(32, (os.cpu_count() or 1) + 4),
            max_overflow=4,
            connect_args={"check_same_thread": False},
        )
        sa.event.listen(self.engine, "connect", apply_pragmas)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    # The database round trips run in a worker thread (the drivers release the GIL while they
    # wait): a slow commit, such as one waiting on a PostgreSQL checkpoint, then holds up only
    # its own conversation, not every conversation on the server's event loop. Building the
    # tracker and the rows stays on the loop (CPU work gains nothing from a thread). Rasa's
    # per-conversation lock keeps one conversation's reads and writes in order.
    async def _off_loop(self, function: Callable[..., Any], *args: Any) -> Any:
        if self._threaded:
            return await asyncio.to_thread(function, *args)
        return function(*args)

    async def _db(self, function: Callable[..., Any], *args: Any, retry: bool = True) -> Any:
        """``function`` off the loop; tried again for up to UNAVAILABLE_RETRY_S on a connection
        error or a rollback (``retry``: a read, or a save the fence keeps from storing twice);
        every database error leaves as ``StoreUnavailable`` (module docstring)."""
        deadline = time.monotonic() + (UNAVAILABLE_RETRY_S if retry else 0.0)
        gap = _FIRST_RETRY_S
        while True:
            try:
                return await self._off_loop(function, *args)
            except sa.exc.OperationalError as error:
                if time.monotonic() + gap > deadline:
                    raise StoreUnavailable(describe(error)) from None
                logger.info("The database is unavailable (%s); trying again.", describe(error))
            except sa.exc.SQLAlchemyError as error:
                raise StoreUnavailable(describe(error)) from None
            await asyncio.sleep(gap)
            gap = min(gap * 2, _MAX_RETRY_GAP_S)

    def _fetch(self, query: Any, sender_id: str) -> list:
        with self.engine.connect() as connection:
            return connection.execute(query, {"sender_id": sender_id}).all()

    def _count_stored(self, sender_id: str) -> int:
        """Rasa's own count: the stored events of the latest session."""
        with self.session_scope() as session:
            return self._event_query(
                session, sender_id, fetch_events_from_all_sessions=False
            ).count()

    def _insert_rows(self, rows: list) -> None:
        with self.engine.begin() as connection:
            connection.execute(self._insert, rows)

    def _create_fences(self) -> None:
        try:
            self._fences.create(self.engine, checkfirst=True)
        except sa.exc.DBAPIError:  # another server created it at the same moment
            if not sa.inspect(self.engine).has_table(FENCES):
                raise
        self._fences_ready = True

    def _insert_fenced(self, rows: list, sender_id: str, fence: int, expected: int | None) -> int:
        """Inserts ``rows`` if ``fence`` is the newest and nothing was stored since the tracker
        was loaded (its last event id ``expected``; None: unknown); returns the new last id."""
        if not self._fences_ready:
            self._create_fences()
        params = {"sender_id": sender_id}
        with self.engine.begin() as connection:
            if connection.execute(FENCE_UPSERT, {**params, "fence": fence}).rowcount != 1:
                raise StaleConversationWrite("a newer lock holder has saved this conversation")
            if (
                expected is not None
                and connection.execute(sa.select(self._max_id), params).scalar() != expected
            ):
                raise StaleConversationWrite("events were stored since this holder loaded them")
            connection.execute(self._insert, rows)
            return int(connection.execute(sa.select(self._max_id), params).scalar() or 0)

    def init_tracker(self, sender_id: str) -> DialogueStateTracker:
        """A new conversation's tracker: nothing stored yet (what a fenced save checks)."""
        tracker = super().init_tracker(sender_id)
        setattr(tracker, LAST_ID, 0)
        return tracker

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        query = self._select_all if fetch_events_from_all_sessions else self._select_session
        rows = await self._db(self._fetch, query, sender_id)
        _FOUND_NOTHING.set(None if rows else sender_id)
        if not rows or not self.domain:
            return None
        tracker = DialogueStateTracker.from_dict(
            sender_id, [json.loads(data) for data, _ in rows], self.domain.slots
        )
        if not fetch_events_from_all_sessions and len(tracker.events) == len(rows):
            setattr(tracker, STORED, len(rows))
        setattr(tracker, LAST_ID, int(rows[0][1]))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Inserts the events this tracker has that the table does not, in one transaction."""
        await self.stream_events(tracker)
        stored = getattr(tracker, STORED, None)
        if stored is None and _FOUND_NOTHING.get() == tracker.sender_id:
            stored = 0  # this task just read this conversation and found nothing stored
        _FOUND_NOTHING.set(None)
        if stored is None or stored > len(tracker.events):  # a tracker this store did not load
            stored = await self._db(self._count_stored, tracker.sender_id)
        new = list(itertools.islice(tracker.events, stored, len(tracker.events)))
        rows = []
        for event in new:
            data = event.as_dict()
            rows.append(
                {
                    "sender_id": tracker.sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {})
                    .get("intent", {})
                    .get(INTENT_NAME_KEY),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                }
            )
        fence = current_fence(tracker.sender_id)
        if rows and fence is not None:
            try:
                last = await self._db(
                    self._insert_fenced,
                    rows,
                    tracker.sender_id,
                    fence,
                    getattr(tracker, LAST_ID, None),
                )
            except StaleConversationWrite as refused:
                logger.warning("Refused a stale save of a conversation: %s.", refused)
                raise
            setattr(tracker, LAST_ID, last)
        elif rows:
            # Not retried: without a fence, a commit that succeeded but whose answer was lost
            # would be stored twice.
            await self._db(self._insert_rows, rows, retry=False)
            # The last id is unknown now: a later fenced save checks the fence only.
            setattr(tracker, LAST_ID, None)
        setattr(tracker, STORED, len(tracker.events))

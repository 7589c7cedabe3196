"""store.tracker_store.TriageTrackerStore writes exactly what Rasa's SQLTrackerStore writes, on
real SQLite files and a real PostgreSQL database, and the running bot uses it."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from eval.servers import pg_url, throwaway_database
from store.tracker_store import STORED, TriageTrackerStore

DOMAIN = Domain.from_dict(
    {
        "version": "3.1",
        "intents": ["report_pressure", "inform_gestational_age"],
        "slots": {
            "symptoms": {"type": "list", "mappings": [{"type": "custom"}]},
            "gestational_weeks": {"type": "float", "mappings": [{"type": "custom"}]},
        },
    }
)


def run(coro):
    return asyncio.run(coro)


def turn(n: int, ts: float) -> list:
    """One user turn as Rasa records it: the message, an action, a slot, a reply, listen."""
    intent = {"name": "report_pressure", "confidence": 0.9}
    return [
        UserUttered(
            f"message {n}",
            intent=intent,
            timestamp=ts,
            parse_data={"text": f"message {n}", "intent": intent, "entities": []},
        ),
        ActionExecuted("action_triage", timestamp=ts + 0.1),
        SlotSet("gestational_weeks", 20.0 + n, timestamp=ts + 0.2),
        BotUttered(
            f"reply {n}", data={"custom": {"triage": {"level": "urgent"}}}, timestamp=ts + 0.3
        ),
        ActionExecuted("action_listen", timestamp=ts + 0.4),
    ]


def session_start(ts: float) -> list:
    return [
        ActionExecuted("action_session_start", timestamp=ts),
        SessionStarted(timestamp=ts + 0.01),
        ActionExecuted("action_listen", timestamp=ts + 0.02),
    ]


async def converse(store, sender: str, turns: int, start: float = 1000.0) -> None:
    """What Rasa does per message: retrieve (or create), append the turn's events, save."""
    for n in range(turns):
        tracker = await store.retrieve(sender)
        if tracker is None:
            tracker = DialogueStateTracker.from_events(sender, session_start(start), DOMAIN.slots)
        for event in turn(n, start + 10 * (n + 1)):
            tracker.update(event)
        await store.save(tracker)


def rows(engine, sender: str) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "select sender_id, type_name, timestamp, intent_name, action_name, data from events "
                    "where sender_id = :s order by id"
                ),
                {"s": sender},
            )
        ]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_urls(request, tmp_path):
    """Two empty databases of the same kind: one for Rasa's store, one for ours."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rasa.db'}", f"sqlite:///{tmp_path / 'ours.db'}"
        return
    with throwaway_database("triage_store") as rasa_db, throwaway_database("triage_store") as ours:
        yield pg_url(rasa_db), pg_url(ours)


def test_writes_the_same_rows_as_rasas_store(db_urls):
    rasa_url, our_url = db_urls
    rasa_store, ours = (
        SQLTrackerStore(DOMAIN, host=rasa_url),
        TriageTrackerStore(DOMAIN, host=our_url),
    )
    run(converse(rasa_store, "patient", 4))
    run(converse(ours, "patient", 4))
    expected = rows(rasa_store.engine, "patient")
    assert len(expected) == 3 + 4 * 5
    assert rows(ours.engine, "patient") == expected
    # and each store reads the other's conversation back the same way
    theirs = run(rasa_store.retrieve("patient")).current_state()
    assert run(ours.retrieve("patient")).current_state() == theirs
    assert run(ours.retrieve_full_tracker("patient")).current_state() == theirs
    rasa_store.engine.dispose()
    ours.engine.dispose()


def test_a_new_session_is_read_alone_and_nothing_is_stored_twice(db_urls):
    _, url = db_urls
    store = TriageTrackerStore(DOMAIN, host=url)
    run(converse(store, "p", 2, start=1000.0))
    tracker = run(store.retrieve("p"))
    for event in session_start(5000.0) + turn(9, 5010.0):
        tracker.update(event)
    run(store.save(tracker))
    run(store.save(tracker))  # saving again adds nothing
    assert len(rows(store.engine, "p")) == 3 + 2 * 5 + 3 + 5
    # like Rasa's store: the latest session is what follows its SessionStarted event
    latest = run(store.retrieve("p"))
    assert [e.type_name for e in latest.events][:2] == ["session_started", "action"]
    assert len(latest.events) == 2 + 5
    assert len(run(store.retrieve_full_tracker("p")).events) == 3 + 2 * 5 + 3 + 5
    store.engine.dispose()


def test_a_tracker_it_did_not_load_falls_back_to_counting(db_urls):
    _, url = db_urls
    store = TriageTrackerStore(DOMAIN, host=url)
    run(converse(store, "p", 1))
    loaded = run(store.retrieve("p"))
    assert getattr(loaded, STORED) == len(loaded.events) == 7  # from SessionStarted on
    assert len(rows(store.engine, "p")) == 8
    # a tracker rebuilt elsewhere (no bookkeeping) with one more turn: only the new events go in
    rebuilt = DialogueStateTracker.from_events(
        "p", list(loaded.events) + turn(1, 2000.0), DOMAIN.slots
    )
    assert getattr(rebuilt, STORED, None) is None
    run(store.save(rebuilt))
    assert len(rows(store.engine, "p")) == 8 + 5
    assert run(store.retrieve("unknown sender")) is None
    store.engine.dispose()


def test_a_new_conversation_is_saved_without_counting_through_rasas_wrappers(db_urls):
    """Rasa makes a new conversation's tracker in its wrappers (FailSafeTrackerStore), not
    here: the save after a read that found nothing inserts without counting the stored rows,
    and stores exactly the events, once."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    _, url = db_urls
    store = TriageTrackerStore(DOMAIN, host=url)
    counts = []
    count_stored = store._count_stored
    store._count_stored = lambda sender_id: counts.append(sender_id) or count_stored(sender_id)
    wrapped = FailSafeTrackerStore(store)

    async def first_two_messages() -> None:
        for n in range(2):
            tracker = await wrapped.get_or_create_tracker("new")
            for event in turn(n, 2000.0 + 10 * n):
                tracker.update(event)
            await wrapped.save(tracker)

    run(first_two_messages())
    assert counts == []
    assert [r[1] for r in rows(store.engine, "new")] == ["action"] + [
        "user",
        "action",
        "slot",
        "bot",
        "action",
    ] * 2
    # a tracker this task did not find empty (built elsewhere) is still counted first
    rebuilt = DialogueStateTracker.from_events(
        "new", list(run(store.retrieve("new")).events) + turn(5, 3000.0), DOMAIN.slots
    )
    run(store.save(rebuilt))
    assert counts == ["new"] and len(rows(store.engine, "new")) == 1 + 3 * 5
    store.engine.dispose()


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path):
    db = tmp_path / "c.db"
    store = TriageTrackerStore(DOMAIN, host=f"sqlite:///{db}")
    run(converse(store, "p", 1))
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    store.engine.dispose()
    with sqlite3.connect(db) as plain:  # WAL is a property of the file: every reader sees it
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert plain.execute("select count(*) from events").fetchone()[0] == 8


def test_database_round_trips_run_off_the_event_loop_thread(db_urls):
    _, url = db_urls
    store = TriageTrackerStore(DOMAIN, host=url)
    threads: set = set()
    sa.event.listen(
        store.engine, "before_cursor_execute", lambda *args: threads.add(threading.get_ident())
    )
    run(converse(store, "p", 2))
    assert threads and threading.get_ident() not in threads
    store.engine.dispose()


def test_an_in_memory_sqlite_database_keeps_working():
    store = TriageTrackerStore(DOMAIN, host="sqlite://")
    # a pool of several connections would give each its own, empty, in-memory database
    assert not isinstance(store.engine.pool, sa.pool.QueuePool)
    run(converse(store, "p", 2))
    assert len(run(store.retrieve_full_tracker("p")).events) == 3 + 2 * 5
    store.engine.dispose()


@pytest.mark.e2e
def test_the_running_bot_keeps_conversations_in_this_store(bot, sender):
    bot.send(sender, "hello")
    engine = sa.create_engine(bot.db_url)
    found = rows(engine, sender)
    engine.dispose()
    assert [r[1] for r in found].count("user") == 1
    assert json.loads(found[0][5])["event"] == "action"
    assert "InMemoryTrackerStore" not in bot.logs()


def test_rasa_and_the_console_open_sqlite_with_the_same_pragmas(tmp_path):
    """One source (store/sqlite.py): the tracker store's and the console's connections to the
    shared file get the same busy timeout, journal mode and durability."""
    from console.db import make_engine
    from store.sqlite import BUSY_TIMEOUT_MS

    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    store = TriageTrackerStore(
        Domain.empty(), dialect="sqlite", db=str(tmp_path / "conversations.db")
    )
    console = make_engine(url)
    for engine in (store.engine, console):
        with engine.connect() as conn:
            read = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("busy_timeout", "journal_mode", "synchronous", "foreign_keys")
            }
        assert read == {
            "busy_timeout": BUSY_TIMEOUT_MS,
            "journal_mode": "wal",
            "synchronous": 2,
            "foreign_keys": 1,
        }, engine

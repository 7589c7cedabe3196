"""rasa_patches.store_errors: a conversation store that fails fails the message; Rasa's
FailSafeTrackerStore no longer answers from a new, empty conversation or saves to memory.

Real PostgreSQL: the database is renamed away under a store that has already saved a
conversation, the way a failover or a long restart takes it from the Rasa server."""

from __future__ import annotations

import asyncio
import logging
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

import channels  # noqa: F401 - installs the patches, as the Rasa server does
import store.tracker_store as tracker_store
from common.log_context import conversation, conversation_ref
from eval.servers import PG_ADMIN_URL, throwaway_database
from rasa_patches import store_errors
from store.tracker_store import StoreUnavailable, TriageTrackerStore
from tests.test_tracker_store import DOMAIN, session_start, turn

pytestmark = pytest.mark.postgres


@contextmanager
def database_away(name: str):
    """The database cannot be reached by its name (its connections cut) until the block ends."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"
                ),
                {"d": name},
            )
            conn.execute(sa.text(f'ALTER DATABASE "{name}" RENAME TO "{name}_away"'))
        try:
            yield
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'ALTER DATABASE "{name}_away" RENAME TO "{name}"'))
    finally:
        admin.dispose()


@pytest.fixture
def failsafe(monkeypatch):
    """Rasa's wrapper around our store, as ``Agent`` builds it, on a throwaway database holding
    one saved turn of conversation ``saved``."""
    monkeypatch.setattr(tracker_store, "UNAVAILABLE_RETRY_S", 0.3)
    with throwaway_database("triage_store_errors") as name:
        store = TriageTrackerStore(
            DOMAIN, dialect="postgresql", host="127.0.0.1", port=5432, db=name, username="postgres"
        )
        wrapped = FailSafeTrackerStore(store)

        async def first_turn() -> None:
            tracker = DialogueStateTracker.from_events("saved", session_start(1000), DOMAIN.slots)
            for event in turn(0, 1010):
                tracker.update(event)
            await wrapped.save(tracker)

        asyncio.run(first_turn())
        try:
            yield wrapped, name
        finally:
            store.engine.dispose()


def test_installed_by_the_channels_package():
    assert FailSafeTrackerStore.retrieve is store_errors.retrieve
    assert FailSafeTrackerStore.retrieve_full_tracker is store_errors.retrieve_full_tracker
    assert FailSafeTrackerStore.save is store_errors.save


def test_a_read_while_the_database_is_away_raises_instead_of_a_new_conversation(failsafe):
    wrapped, name = failsafe
    with database_away(name), pytest.raises(StoreUnavailable):
        asyncio.run(wrapped.retrieve("saved"))
    with database_away(name), pytest.raises(StoreUnavailable):
        asyncio.run(wrapped.retrieve_full_tracker("saved"))
    # Rasa's own get_or_create_tracker would have made a new, empty conversation here.
    with database_away(name), pytest.raises(StoreUnavailable):
        asyncio.run(wrapped.get_or_create_tracker("saved"))
    # Back: the conversation is there, whole.
    tracker = asyncio.run(wrapped.retrieve("saved"))
    assert tracker is not None and tracker.get_slot("gestational_weeks") == 20.0


def test_a_save_while_the_database_is_away_raises_and_nothing_goes_to_memory(failsafe, caplog):
    wrapped, name = failsafe

    async def second_turn() -> DialogueStateTracker:
        tracker = await wrapped.retrieve("saved")
        for event in turn(1, 1020):
            tracker.update(event)
        return tracker

    tracker = asyncio.run(second_turn())
    # (bound as channels/handling.py binds it around a message)
    with (
        caplog.at_level(logging.INFO),
        database_away(name),
        pytest.raises(StoreUnavailable),
        conversation("saved"),
    ):
        asyncio.run(wrapped.save(tracker))
    assert wrapped._fallback_tracker_store is None  # Rasa would have saved it in memory
    # Logged by type, never with the events (the patient's words).
    assert "StoreUnavailable" in caplog.text and "message 1" not in caplog.text
    assert f"conversation={conversation_ref('saved')}" in caplog.text
    stored = asyncio.run(wrapped.retrieve("saved"))
    assert [e.text for e in stored.events if e.type_name == "user"] == ["message 0"]


def test_uninstall_restores_rasas_methods():
    store_errors.uninstall()
    try:
        assert FailSafeTrackerStore.save is not store_errors.save
    finally:
        store_errors.install()

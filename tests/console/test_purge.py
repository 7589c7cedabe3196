"""Retention: ``python -m console purge`` deletes old conversations whole, and is audited."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from console import audit, cases, sync
from console.tables import PER_CONVERSATION, events
from tests.console import rasa_events as ev

DAY = 86400


@pytest.fixture
def aged(engine, write, users):
    now = time.time()
    write("old-1", ev.urgent_conversation(now - 400 * DAY))
    write("old-2", ev.simple_conversation("old question", "routine", now - 40 * DAY))
    recent_tail = ev.simple_conversation("started long ago", "routine", now - 400 * DAY)
    recent_tail += [ev.user("and again today", "greet", now - 60), ev.bot("Hello again.", now - 59)]
    write("old-start-recent-end", recent_tail)
    write("new-1", ev.simple_conversation("today", "urgent", now - 60))
    sync.sync(engine)
    nurse = users["nurse"]
    old_user_event = next(t for t in cases.load_case(engine, "old-1").turns if t.kind == "user")
    cases.mark_reviewed(engine, "old-1", nurse, 10**9, "127.0.0.1")
    cases.add_note(engine, "old-1", nurse, "called", "note", "127.0.0.1")
    cases.flag_nlu(engine, "old-1", nurse, old_user_event.event_id, "greet", "", "127.0.0.1")
    return engine


def senders(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(events.c.sender_id).distinct()).scalars())


def console_rows(engine, sender: str) -> int:
    with engine.connect() as conn:
        return sum(
            conn.execute(
                sa.select(sa.func.count()).select_from(t).where(t.c.sender_id == sender)
            ).scalar()
            for t in PER_CONVERSATION
        )


def test_purge_cli(aged, cli):
    assert console_rows(aged, "old-1") > 0
    result = cli("purge", "--older-than-days", "30")
    assert result.returncode == 0, result.stderr
    assert "purged 2 conversation(s)" in result.stdout
    assert senders(aged) == {"old-start-recent-end", "new-1"}
    assert console_rows(aged, "old-1") == 0 and console_rows(aged, "old-2") == 0
    assert console_rows(aged, "new-1") > 0  # its queue summary is still there
    runs, _ = audit.entries(aged, action="purge")
    assert len(runs) == 1
    assert runs[0].username.startswith("cli:")
    assert runs[0].detail["conversations"] == 2 and runs[0].detail["older_than_days"] == 30
    assert runs[0].detail["events"] > 0
    gone = {e.sender_id for e in audit.entries(aged, action="purge_conversation")[0]}
    assert gone == {"old-1", "old-2"}


def test_purge_default_from_environment(aged, cli):
    result = cli("purge", env={"RETENTION_DAYS": "365"})
    assert result.returncode == 0, result.stderr
    assert senders(aged) == {"old-2", "old-start-recent-end", "new-1"}


def test_dry_run_deletes_nothing(aged, cli):
    before = senders(aged)
    result = cli("purge", "--older-than-days", "30", "--dry-run")
    assert result.returncode == 0
    assert "would purge 2 conversation(s)" in result.stdout
    assert senders(aged) == before


def test_purged_conversation_leaves_the_queue(aged, nurse_client):
    from console import purge

    purge.purge(aged, 30, "test")
    page = nurse_client.get("/").text
    assert 'data-sender="old-1"' not in page and 'data-sender="new-1"' in page
    assert nurse_client.get("/conversation/old-1").status_code == 404


def test_zero_days_is_refused(aged, cli):
    result = cli("purge", "--older-than-days", "0")
    assert result.returncode == 2
    assert len(senders(aged)) == 4


def test_new_events_after_purge_are_synced(aged, write, nurse_client):
    """SQLite reuses the ids of deleted rows: the queue must still see the new conversation."""
    from console import purge

    purge.purge(aged, 1, "test", now=time.time() + 10 * DAY)  # everything goes
    assert senders(aged) == set()
    write("after-purge", ev.simple_conversation("hello again", "emergency", concerns=["collapse"]))
    assert 'data-sender="after-purge"' in nurse_client.get("/").text

"""The conversation lock (store/lock_store.py) and the fenced save (store/tracker_store.py) on
real PostgreSQL and Redis: two processes, 100 messages for one conversation at once, stored as
one message after another; and a holder whose lock expired cannot write."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import redis
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

from eval.lock_race import check_sequential, run_race, stored_events
from eval.servers import ROOT, pg_url, throwaway_database
from store.lock_store import FENCE, FencedRedisLockStore
from store.tracker_store import StaleConversationWrite, TriageTrackerStore

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
REDIS_DB = 7


@pytest.fixture
def pg_database():
    with throwaway_database("triage_lock") as name:
        yield pg_url(name)


@pytest.fixture
def prefix():
    name = f"triagetest{uuid.uuid4().hex[:8]}"
    yield name
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)


def test_two_processes_100_messages_at_once_are_stored_one_after_another(pg_database, prefix):
    sender = f"race-{uuid.uuid4().hex[:8]}"
    reports, texts = run_race(pg_database, sender, messages=100, processes=2, prefix=prefix)
    assert all(set(r) <= {"seconds", "saved"} for r in reports), reports  # no refusals, no errors
    assert sum(r["saved"] for r in reports) == 100
    outcome = check_sequential(stored_events(pg_database, sender), texts)
    assert outcome.problems == [] and outcome.users == 100


def test_the_check_sees_interleaved_turns():
    """The checker itself: two turns saved from the same loaded state are caught."""
    turn = [
        {"event": "user", "text": "a", "timestamp": 1},
        {"event": "bot", "timestamp": 3},
        {"event": "action", "name": "action_listen", "timestamp": 4},
        {"event": "user", "text": "b", "timestamp": 2},
        {"event": "bot", "timestamp": 5},
        {"event": "action", "name": "action_listen", "timestamp": 6},
    ]
    start = [{"event": "session_started", "timestamp": 0}]
    assert check_sequential(start + turn, ["a", "b"]).problems == [
        "time goes back 1 times (turns interleaved)"
    ]
    doubled = check_sequential(start + start + turn[:3] + turn[:3], ["a"]).problems
    assert "2 session starts" in doubled and any("more than once" in p for p in doubled)


def _store(db_url: str) -> TriageTrackerStore:
    url = sa.engine.make_url(db_url)
    return TriageTrackerStore(
        domain=Domain.load(str(ROOT / "domain.yml")),
        dialect="postgresql",
        host=url.host,
        port=url.port,
        db=url.database,
        username=url.username,
        password="",
    )


def _turn(tracker, text: str) -> None:
    if not tracker.events:
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered(text))
    tracker.update(BotUttered(f"reply to {text}"))
    tracker.update(ActionExecuted("action_listen"))


@pytest.mark.parametrize("stale_saves_first", [False, True])
def test_a_holder_whose_lock_expired_cannot_write_over_its_successor(
    pg_database, prefix, stale_saves_first
):
    """A pauses past its lock's lease (the test deletes A's lock key, as its lease running out
    would); B takes the lock and loads the same conversation. Whichever saves second is
    refused: the stored events stay one message after another."""
    sender = f"stale-{uuid.uuid4().hex[:8]}"

    async def go() -> tuple[str, str]:
        locks = FencedRedisLockStore(port=6379, db=REDIS_DB, key_prefix=prefix)
        store_a, store_b = _store(pg_database), _store(pg_database)
        async with locks.lock(sender):  # the conversation exists: one message stored
            tracker = await store_a.get_or_create_tracker(sender, append_action_listen=False)
            _turn(tracker, "first")
            await store_a.save(tracker)
        a_loaded, b_loaded, a_done, b_done = (asyncio.Event() for _ in range(4))
        outcome: dict[str, str] = {}

        async def holder(name, store, text, before_save, done):
            try:
                async with locks.lock(sender):
                    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
                    _turn(tracker, text)
                    await before_save()
                    await store.save(tracker)
                    outcome[name] = "saved"
            except StaleConversationWrite:
                outcome[name] = "refused"
            done.set()

        async def a_waits():
            a_loaded.set()
            # Past its lease, A saves after B has loaded or after B has saved.
            await (b_loaded.wait() if stale_saves_first else b_done.wait())

        async def b_waits():
            b_loaded.set()
            if stale_saves_first:
                await a_done.wait()

        async def b():
            await a_loaded.wait()
            redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).delete(locks.lock_prefix + sender)
            await holder("B", store_b, "second-b", b_waits, b_done)

        await asyncio.gather(holder("A", store_a, "second-a", a_waits, a_done), b())
        return outcome["A"], outcome["B"]

    a, b = asyncio.run(go())
    texts = [e.get("text") for e in stored_events(pg_database, sender) if e["event"] == "user"]
    if stale_saves_first:
        # A saved before B did, on the state it loaded (still current): B, which loaded the
        # same state, is refused by the last-event check instead of interleaving.
        assert (a, b) == ("saved", "refused") and texts == ["first", "second-a"]
    else:
        assert (a, b) == ("refused", "saved") and texts == ["first", "second-b"]
    assert FENCE.get() is None


def test_a_held_lock_outlives_its_lease_and_a_dead_holders_lock_does_not(prefix):
    async def go():
        locks = FencedRedisLockStore(port=6379, db=REDIS_DB, key_prefix=prefix, lease_seconds=0.3)
        other = FencedRedisLockStore(port=6379, db=REDIS_DB, key_prefix=prefix, lease_seconds=0.3)
        async with locks.lock("c"):
            await asyncio.sleep(1.0)  # three leases: renewed while held
            assert await other.try_acquire("c", "other", 0.3) is None
        # A holder that died (never renews, never releases): free within one lease.
        assert await locks.try_acquire("d", "dead", 0.3) is not None
        started = time.monotonic()
        async with other.lock("d"):
            waited = time.monotonic() - started
        assert waited < 0.6

    asyncio.run(go())


def test_the_fence_grows_and_release_leaves_a_lock_someone_else_holds(prefix):
    async def go():
        locks = FencedRedisLockStore(port=6379, db=REDIS_DB, key_prefix=prefix)
        first = await locks.try_acquire("c", "token-1", 0.2)
        assert first is not None
        assert await locks.try_acquire("c", "token-2", 10) is None  # held
        time.sleep(0.3)  # expired
        second = await locks.try_acquire("c", "token-2", 10)
        assert second is not None and second > first
        assert not await locks.release("c", "token-1")  # not the holder any more
        assert await locks.try_acquire("c", "token-3", 10) is None  # token-2 still holds it
        assert await locks.release("c", "token-2")
        # A Redis that lost every key (restart without persistence) still gives a larger fence.
        client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
        client.delete(f"{prefix}:fence:c")
        third = await locks.try_acquire("c", "token-4", 10)
        assert third is not None and third > second

    asyncio.run(go())

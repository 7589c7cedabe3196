"""The production path over real connections: conversations in PostgreSQL, conversation locks
in Redis (endpoints.postgresql.yml's stores), two Rasa servers sharing them."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis
import sqlalchemy as sa
import yaml

from eval.servers import ROOT, start_bot, throwaway_database
from tests.test_store_errors import database_away
from triage import load_clinic

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]
REDIS_DB = 7


@pytest.fixture
def pg_database():
    with throwaway_database("triage_test") as name:
        yield name


def stores(database: str, prefix: str) -> dict:
    return {
        "tracker_store": {
            "type": "store.tracker_store.TriageTrackerStore",
            "dialect": "postgresql",
            "url": "127.0.0.1",
            "port": 5432,
            "db": database,
            "username": "postgres",
            "password": "",
        },
        "lock_store": {
            "type": "store.lock_store.FencedRedisLockStore",
            "url": "127.0.0.1",
            "port": 6379,
            "db": REDIS_DB,
            "key_prefix": prefix,
        },
    }


def test_production_endpoints_file_names_the_same_stores():
    production = yaml.safe_load((ROOT / "endpoints.postgresql.yml").read_text())
    assert production["tracker_store"]["dialect"] == "postgresql"
    assert production["lock_store"]["type"] == stores("db", "p")["lock_store"]["type"]


def test_postgresql_tracker_store_and_redis_lock_store(tmp_path, pg_database):
    """Two Rasa servers on one PostgreSQL database and one Redis lock store, as behind HAProxy
    (make cluster): a conversation moves between them, a message both get at the same instant
    is processed once, the survivor carries on when the other stops, and a database outage
    longer than the store waits gives the safety net, never a conversation kept in memory."""
    prefix = f"triage{uuid.uuid4().hex[:6]}"
    config = stores(pg_database, prefix)
    db_url = f"postgresql://postgres@127.0.0.1:5432/{pg_database}"
    sender = f"pg-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(2) as pool:
        starting = [
            pool.submit(
                start_bot, tmp_path / name, config["tracker_store"], config["lock_store"], db_url
            )
            for name in ("first", "second")
        ]
        bots, failed = [], []
        for future in starting:
            try:
                bots.append(future.result())
            except Exception as error:
                failed.append(error)
    if failed:
        for bot in bots:
            bot.stop()
        raise failed[0]
    first, second = bots
    try:
        first.send(sender, "i have pressure in my vagina and some spotting")
        clients = redis.Redis(host="127.0.0.1", port=6379).client_list()
        assert any(int(c.get("db", -1)) == REDIS_DB for c in clients), (
            "Rasa did not use the Redis lock store"
        )
        # The channels keep their rate-limit buckets in the lock store's Redis, one per
        # conversation and address for both servers (channels/shared_limits.py).
        rate_keys = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).keys(f"{prefix}:rate:*")
        assert sorted(k.decode().split(":")[2:4] for k in rate_keys) == [
            ["rest", "address"],
            ["rest", "conversation"],
        ]

        # A client's retry on the other server, sent at the same instant as the first attempt:
        # processed once (rasa_patches/repeated_messages.py), the same answer to both.
        body = {"sender": sender, "message": "20 weeks", "message_id": uuid.uuid4().hex}

        async def both_at_once() -> list:
            async with httpx.AsyncClient(timeout=30) as client:
                return await asyncio.gather(
                    *(client.post(f"{b.rasa_url}/webhooks/rest/webhook", json=body) for b in bots)
                )

        answers = [r.json() for r in asyncio.run(both_at_once())]
        assert answers[0] == answers[1] and answers[0], answers

        # The first server stops: the second carries on with the same conversation.
        first.stop()
        answer = second.send(sender, "no")
        levels = [
            m["custom"]["triage"]["level"] for m in answer if (m.get("custom") or {}).get("triage")
        ]
        assert levels == ["urgent"], answer

        # The database away for longer than the store waits (10 s): the safety net, never an
        # answer from a new, empty conversation kept in memory (rasa_patches/store_errors.py).
        with database_away(pg_database):
            answer = second.send(sender, "what happens next")
        clinic = load_clinic()
        assert all((m.get("custom") or {}).get("safety_net") for m in answer), answer
        assert clinic.emergency_number in "\n".join(m.get("text") or "" for m in answer)
        # Back: the same conversation goes on.
        answer = second.send(sender, "how many weeks am i")
        assert not all((m.get("custom") or {}).get("safety_net") for m in answer), answer
    finally:
        for bot in bots:
            bot.stop()

    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("select type_name, data from events where sender_id = :s order by id"),
            {"s": sender},
        ).fetchall()
    engine.dispose()
    kinds = [kind for kind, _ in rows]
    # "20 weeks" once; the message sent while the database was away not at all; one session.
    assert kinds.count("user") == 4
    assert [json.loads(d).get("message_id") for k, d in rows if k == "user"].count(
        body["message_id"]
    ) == 1
    assert kinds.count("session_started") == 1
    assert any(
        ((json.loads(d).get("data") or {}).get("custom") or {}).get("triage")
        for k, d in rows
        if k == "bot"
    )
